// Every stage in DefaultRegistry() passes the conformance suite; a registered stage with no
// entry in the table below fails the build's tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "ember/automl/best_model.h"
#include "ember/automl/featurize.h"
#include "ember/automl/multi_column_adapter.h"
#include "ember/automl/train.h"
#include "ember/automl/tune.h"
#include "ember/base/file_util.h"
#include "ember/clustering/bisecting_kmeans.h"
#include "ember/clustering/isolation_forest.h"
#include "ember/clustering/kmeans.h"
#include "ember/core/batch_codec.h"
#include "ember/core/builder.h"
#if EMBER_WITH_GBDT
#include "ember/gbdt/forest.h"
#include "ember/gbdt/gbdt.h"
#endif
#if EMBER_WITH_HTTP
#include "ember/http/http_stages.h"
#endif
#include "ember/core/image.h"
#if EMBER_WITH_OPENCV
#include "ember/dnn/image_featurizer.h"
#include "ember/dnn/onnx_model.h"
#include "ember/explain/image_explainers.h"
#include "ember/image/image_stages.h"
#endif
#include "ember/explain/ice.h"
#include "ember/explain/tabular.h"
#include "ember/explain/text.h"
#include "ember/frame/ensemble_by_key.h"
#include "ember/frame/frame_stages.h"
#include "ember/frame/stratified_repartition.h"
#include "ember/linear/linear_regression.h"
#include "ember/linear/linear_svc.h"
#include "ember/linear/logistic_regression.h"
#include "ember/linear/naive_bayes.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/sql/data_conversion.h"
#include "ember/sql/sql_transformer.h"
#include "ember/stages/class_balancer.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/discretizers.h"
#include "ember/stages/imputer.h"
#include "ember/stages/model_statistics.h"
#include "ember/stages/one_hot_encoder.h"
#include "ember/stages/pca.h"
#include "ember/stages/repartition.h"
#include "ember/stages/scalers.h"
#include "ember/stages/string_indexer.h"
#include "ember/stages/summarize_data.h"
#include "ember/stages/univariate_selector.h"
#include "ember/stages/value_indexer.h"
#include "ember/stages/vector_assembler.h"
#include "ember/stages/vector_stages.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"
#include "ember/text/count_vectorizer.h"
#include "ember/text/idf.h"
#include "ember/text/text_featurizer.h"
#include "ember/text/text_stages.h"

namespace ember {
namespace {

using testing::ConformanceCase;
using StagePtr = Result<std::shared_ptr<const Stage>>;

template <typename S>
std::function<StagePtr()> Maker(typename S::Params p) {
  return [p] { return StagePtr(*S::Make(p)); };
}

#if EMBER_WITH_GBDT
// Small GBDTs (the conformance frames have a dozen rows), trained on one XGBoost thread:
// XGBoost's OpenMP threads are invisible to ThreadSanitizer, which runs this suite.
RandomForestClassifier::Params SmallForestClassifier() {
  RandomForestClassifier::Params p;
  p.forest.num_trees = 4;
  p.trees.num_threads = 1;
  return p;
}

GBDTClassifier::Params SmallGbdtClassifier() {
  GBDTClassifier::Params p;
  p.common.num_iterations = 5;
  p.common.num_leaves = 4;
  p.common.min_sum_hessian_in_leaf = 0;
  p.common.num_threads = 1;
  return p;
}

GBDTRegressor::Params SmallGbdtRegressor() {
  GBDTRegressor::Params p;
  p.common.label_col = "id";
  p.common.num_iterations = 5;
  p.common.num_leaves = 4;
  p.common.num_threads = 1;
  return p;
}

GBDTRanker::Params SmallGbdtRanker() {
  GBDTRanker::Params p;
  p.group_col = "g";
  p.common.num_iterations = 5;
  p.common.num_leaves = 4;
  p.common.min_sum_hessian_in_leaf = 0;
  p.common.num_threads = 1;
  return p;
}
#endif  // EMBER_WITH_GBDT

std::shared_ptr<const Pipeline> SmallPipeline() {
  return *Pipeline::Make({*SelectColumns::Make({.cols = {"id", "name", "features"}}),
                          *RenameColumn::Make({.input_col = "name", .output_col = "label"}),
                          *Repartition::Make({.n = 2})});
}

// `in` with one more column, `field`, holding value(id) for each row's int64 "id".
template <typename T>
DataFrame WithColumn(const DataFrame& in, Field field, T (*value)(int64_t id)) {
  SchemaPtr schema = *in.schema()->AddField(std::move(field));
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions()) {
    std::vector<std::optional<T>> v;
    for (int64_t r = 0; r < b.num_rows(); ++r)
      v.push_back(value(b.column(0)->Values<int64_t>()[r]));
    std::vector<ColumnPtr> cols = b.columns();
    cols.push_back(MakeColumn(v));
    parts.push_back(*Batch::Make(schema, cols));
  }
  return *DataFrame::Make(schema, parts);
}

// MixedFrame with a 0/1 float64 label (id % 2) for classifiers.
DataFrame LabeledFrame() {
  return WithColumn<double>(testing::MixedFrame(), MakeField("label", Float64Type()),
                            [](int64_t id) { return double(id % 2); });
}

// A search over two regularisations of a TrainClassifier on LabeledFrame, by accuracy.
template <typename P>
P SmallSearch() {
  P p;
  p.models = *Json::Parse(R"j([{"type": "TrainClassifier", "params": {"featuresCol": "feat",
      "numFeatures": 8, "model": {"type": "LogisticRegression"}}}])j");
  p.param_space = *Json::Parse(R"j([{"model.regParam": [0.01, 1.0]}])j");
  p.evaluation_metric = "accuracy";
  p.num_folds = 2;
  p.train_ratio = 0.5;
  return p;
}

std::shared_ptr<const Transformer> SmallClassifier(double reg_param) {
  TrainClassifierParams p;
  p.features_col = "feat";
  p.num_features = 8;
  p.model = *Json::Parse(R"j({"type": "LogisticRegression", "params": {"regParam": )j" +
                         std::to_string(reg_param) + "}}");
  return *(*TrainClassifier::Make(p, DefaultRegistry()))
              ->Fit(LabeledFrame(), ExecContext::Default());
}

std::shared_ptr<const FindBestModel> SmallFindBestModel() {
  return *FindBestModel::FromModels({.evaluation_metric = "log_loss"},
                                    {SmallClassifier(1.0), SmallClassifier(0.01)});
}

// LabeledFrame with an int64 group column "g" (id % 3) for rankers.
DataFrame GroupedFrame() {
  return WithColumn<int64_t>(LabeledFrame(), MakeField("g", Int64Type()),
                             [](int64_t id) { return id % 3; });
}

// MixedFrame with a list<string> column "tokens" (from "name").
DataFrame TokensFrame() {
  return *(*Tokenizer::Make({.input_col = "name", .output_col = "tokens"}))
              ->Transform(testing::MixedFrame(), ExecContext::Default());
}

#if EMBER_WITH_HTTP
// MixedFrame with an HTTP request column whose calls fail before touching the network (no
// request leaves the test): null, an unsupported method, a GET with a body, by id % 3.
DataFrame RequestsFrame() {
  const DataFrame in = testing::MixedFrame();
  SchemaPtr schema = *in.schema()->AddField(MakeField("request", HttpRequestType()));
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions()) {
    std::vector<std::optional<http::Request>> requests;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      const int64_t id = b.column(0)->Values<int64_t>()[r];
      if (id % 3 == 0) {
        requests.emplace_back();
      } else {
        requests.push_back(http::Request{.method = id % 3 == 1 ? "FETCH" : "GET",
                                         .url = "http://127.0.0.1:1/",
                                         .body = id % 3 == 2 ? "x" : ""});
      }
    }
    std::vector<ColumnPtr> cols = b.columns();
    cols.push_back(RequestColumn(requests));
    parts.push_back(*Batch::Make(schema, cols));
  }
  return *DataFrame::Make(schema, parts);
}

// MixedFrame with a string column "url" that is null on every row: SimpleHTTPTransformer
// with a URL per row then sends nothing.
DataFrame NoUrlFrame() {
  const DataFrame in = testing::MixedFrame();
  SchemaPtr schema = *in.schema()->AddField(MakeField("url", StringType()));
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions()) {
    std::vector<ColumnPtr> cols = b.columns();
    cols.push_back(Column::MakeNull(StringType(), b.num_rows()));
    parts.push_back(*Batch::Make(schema, cols));
  }
  return *DataFrame::Make(schema, parts);
}

#endif  // EMBER_WITH_HTTP

#if EMBER_WITH_OPENCV
// Three partitions of "id" and "image": images of 1, 3 and 4 channels and several sizes, one
// null.
DataFrame ImagesFrame() {
  SchemaPtr schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("image", ImageType())});
  std::vector<Batch> parts;
  int64_t id = 0;
  for (int p = 0; p < 3; ++p) {
    Int64Builder ids(Int64Type());
    ImageBuilder images;
    for (int i = 0; i < 4; ++i, ++id) {
      ids.Append(id);
      if (id == 5) {
        images.AppendNull();
        continue;
      }
      const int channels = id % 3 == 0 ? 1 : id % 3 == 1 ? 3 : 4;
      const int w = 6 + static_cast<int>(id % 4), h = 5 + static_cast<int>(id % 3);
      std::string data(static_cast<size_t>(w) * h * channels, '\0');
      for (size_t k = 0; k < data.size(); ++k)
        data[k] = static_cast<char>((k * 37 + id * 11) & 255);
      images.Append("img" + std::to_string(id) + ".png", h, w, channels, data);
    }
    parts.push_back(*Batch::Make(schema, {ids.Finish(), images.Finish()}));
  }
  return *DataFrame::Make(schema, parts);
}

// The ONNX test models (src/ember/dnn/testdata/make_models.py, made with python3-torch once
// per process).
std::string OnnxTestModel(const std::string& name) {
  static const std::string dir = [] {
    std::string d = testing::NewTempDir("conformance_onnx");
    const std::string cmd =
        std::string("/usr/bin/python3 ") + EMBER_DNN_TESTDATA + "/make_models.py " + d;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "needs python3-torch: run scripts/setup.sh";
    return d;
  }();
  return dir + "/" + name + ".onnx";
}
#endif  // EMBER_WITH_OPENCV

// What the explainers' entries explain: a SQL model of MixedFrame's numbers and strings.
std::shared_ptr<const Transformer> ExplainedModel() {
  return *SqlTransformer::Make(
      {.statement = "SELECT *, x * 2 - id + CASE WHEN name = 'n1' THEN 1 ELSE 0 END AS score, "
                    "features[0] * 2 - features[1] * features[0] AS vscore, "
                    "id * 2 + CASE WHEN name = 'n1' THEN 1 ELSE 0 END AS iscore FROM __THIS__"});
}
Batch ExplainBackground() { return testing::MixedFrame().partitions()[0]; }

#if EMBER_WITH_OPENCV
// What the image explainers' entries explain: two pixels of the image shrunk to 4 x 3.
std::shared_ptr<const Transformer> ImagePixelModel() {
  std::shared_ptr<const Transformer> unroll =
      *image::UnrollImage::Make({.output_col = "pixels", .width = 4, .height = 3});
  std::shared_ptr<const Transformer> sql = *SqlTransformer::Make(
      {.statement = "SELECT *, pixels[0] - pixels[5] AS score FROM __THIS__"});
  return *PipelineModel::Make({unroll, sql});
}
#endif

std::map<std::string, ConformanceCase> Cases() {
  std::vector<ConformanceCase> cases = {
      {"SelectColumns", Maker<SelectColumns>({.cols = {"x", "id"}}), testing::MixedFrame,
       {{"cols", Json::MakeArray()}, {"cols", Json("x")}}},
      {"DropColumns", Maker<DropColumns>({.cols = {"flag"}}), testing::MixedFrame,
       {{"cols", Json::MakeArray()}, {"cols", Json(3)}}},
#if EMBER_WITH_HTTP
      {"HTTPTransformer", Maker<HTTPTransformer>({.call = {.concurrency = 2}}), RequestsFrame,
       {{"concurrency", Json(0)}, {"timeout", Json(0.0)}, {"inputCol", Json("")}}},
      {"SimpleHTTPTransformer",
       [] {
         SimpleHTTPTransformer::Params p;
         p.input_cols = {"id", "name"};
         p.url = ScalarOrColumn<std::string>::Column("url");
         p.output_type = "struct<label:string>";
         return StagePtr(*SimpleHTTPTransformer::Make(p));
       },
       NoUrlFrame,
       {{"inputCols", Json::MakeArray()}, {"miniBatchSize", Json(-1)}, {"outputType", Json("struct<")}}},
#endif  // EMBER_WITH_HTTP
#if EMBER_WITH_OPENCV
      {"ImageTransformer",
       [] {
         image::ImageTransformerParams p;
         p.output_col = "tensor";
         p.stages = Json::Parse(R"([{"action":"resize","height":8,"width":8},{"action":"flip","flipCode":1}])")
                        ->as_array();
         p.to_tensor = true;
         p.auto_convert_to_color = true;
         p.color_scale_factor = 1.0 / 255;
         p.normalize_mean = {0.485, 0.456, 0.406};
         p.normalize_std = {0.229, 0.224, 0.225};
         return StagePtr(*image::ImageTransformer::Make(p));
       },
       ImagesFrame,
       {{"stages", Json::Parse(R"([{"action":"spin"}])").value()}, {"tensorLayout", Json("NCWH")},
        {"normalizeStd", Json::Parse("[0]").value()}}},
      {"UnrollImage", Maker<image::UnrollImage>({.output_col = "pixels", .width = 4, .height = 3}), ImagesFrame,
       {{"width", Json(0)}, {"nChannels", Json(2)}}},
      {"ImageSetAugmenter", Maker<image::ImageSetAugmenter>({.output_col = "image", .flip_up_down = true}),
       ImagesFrame, {{"flipUpDown", Json(3)}, {"inputCol", Json("")}}},
      {"ONNXModel",
       [] {
         return StagePtr(*dnn::ONNXModel::Make({.model_location = OnnxTestModel("tiny"),
                                                .feed_dict = {{"features", "features"}},
                                                .soft_max_dict = {{"scores", "probability"}},
                                                .arg_max_dict = {{"scores", "prediction"}},
                                                .mini_batch_size = 2}));
       },
       testing::MixedFrame, {{"miniBatchSize", Json(0)}, {"feedDict", Json::MakeObject()}}},
      {"ImageFeaturizer",
       [] {
         dnn::ImageFeaturizerParams p;
         p.model_location = OnnxTestModel("cnn");
         p.output_col = "features";
         p.mini_batch_size = 3;
         return StagePtr(*dnn::ImageFeaturizer::Make(p));
       },
       ImagesFrame, {{"cutOutputLayers", Json(-1)}, {"channelNormalizationStds", Json::Parse("[0]").value()}}},
      // The image explainers explain the pixels of a tiny image, unrolled, through SQL.
      {"ImageSHAP",
       [] {
         explain::ImageSHAPParams p;
         p.image.cell_size = 3;
         p.explain.target_col = "score";
         return StagePtr(*explain::ImageSHAP::Make(p, ImagePixelModel()));
       },
       ImagesFrame, {{"cellSize", Json(1)}, {"superpixelCol", Json("")}}},
      {"ImageLIME",
       [] {
         explain::ImageLIMEParams p;
         p.image.cell_size = 3;
         p.explain.target_col = "score";
         p.explain.num_samples = 12;
         return StagePtr(*explain::ImageLIME::Make(p, ImagePixelModel()));
       },
       ImagesFrame, {{"modifier", Json(0)}, {"samplingFraction", Json(0)}}},
#endif  // EMBER_WITH_OPENCV
      // The explainers explain a SQL model of MixedFrame's columns against its first partition.
      {"TabularSHAP",
       [] {
         explain::TabularSHAPParams p;
         p.input_cols = {"x", "id"};
         p.explain.target_col = "score";
         p.explain.num_samples = 6;
         return StagePtr(*explain::TabularSHAP::Make(p, ExplainedModel(), ExplainBackground()));
       },
       testing::MixedFrame, {{"numSamples", Json(-1)}, {"inputCols", Json::MakeArray()}, {"infWeight", Json(0)}}},
      {"TabularLIME",
       [] {
         explain::TabularLIMEParams p;
         p.input_cols = {"x", "name"};
         p.categorical_features = {"name"};
         p.explain.target_col = "score";
         p.explain.num_samples = 20;
         return StagePtr(*explain::TabularLIME::Make(p, ExplainedModel(), ExplainBackground()));
       },
       testing::MixedFrame, {{"kernelWidth", Json(0)}, {"regularization", Json(-1)}, {"targetCol", Json("")}}},
      {"VectorSHAP",
       [] {
         explain::VectorSHAPParams p;
         p.input_col = "features";
         p.explain.target_col = "vscore";
         return StagePtr(*explain::VectorSHAP::Make(p, ExplainedModel(), ExplainBackground()));
       },
       testing::MixedFrame, {{"inputCol", Json("")}, {"seed", Json("x")}}},
      {"VectorLIME",
       [] {
         explain::VectorLIMEParams p;
         p.input_col = "features";
         p.explain.target_col = "vscore";
         p.explain.num_samples = 20;
         return StagePtr(*explain::VectorLIME::Make(p, ExplainedModel(), ExplainBackground()));
       },
       testing::MixedFrame, {{"inputCol", Json("")}, {"targetClasses", Json::Parse("[-1]").value()}}},
      {"TextSHAP",
       [] {
         explain::TextSHAPParams p;
         p.input_col = "name";
         p.explain.target_col = "score";
         return StagePtr(*explain::TextSHAP::Make(p, ExplainedModel()));
       },
       testing::MixedFrame, {{"inputCol", Json(3)}, {"infWeight", Json(-1)}}},
      {"TextLIME",
       [] {
         explain::TextLIMEParams p;
         p.input_col = "name";
         p.explain.target_col = "score";
         p.explain.num_samples = 16;
         return StagePtr(*explain::TextLIME::Make(p, ExplainedModel()));
       },
       testing::MixedFrame, {{"samplingFraction", Json(1.5)}, {"tokensCol", Json("")}}},
      {"ICETransformer",
       [] {
         explain::ICETransformerParams p;
         p.target_col = "iscore";
         p.numeric_features = {*Json::Parse(R"({"name": "id", "numSplits": 3})")};
         p.categorical_features = {*Json::Parse(R"({"name": "name"})")};
         return StagePtr(*explain::ICETransformer::Make(p, ExplainedModel()));
       },
       testing::MixedFrame, {{"kind", Json("median")}, {"numericFeatures", Json::Parse(R"([{"name": 3}])").value()}}},
      {"GroupBy", Maker<GroupBy>({.keys = {"name"}, .aggregations = {"count(*) AS n", "mean(x) AS mx", "collect(id)"}}),
       testing::MixedFrame,
       {{"keys", Json::MakeArray()}, {"aggregations", Json("count(*)")}, {"aggregations", *Json::Parse(R"j(["median(x)"])j")}}},
      {"Distinct", Maker<Distinct>({.cols = {"name", "flag"}}), testing::MixedFrame, {{"cols", Json(3)}}},
      {"Sort", Maker<Sort>({.key = "x", .ascending = false}), testing::MixedFrame,
       {{"key", Json("")}, {"ascending", Json("yes")}}},
      {"Join",
       [] {
         const std::string path = testing::NewTempDir("join_right") + "/names.csv";
         EXPECT_TRUE(WriteStringToFile(path, "name,score\nn0,1.5\nn1,-2\nn7,3\n").ok());
         return StagePtr(*Join::Make({.right_path = path, .keys = {"name"}, .join_type = frame::JoinType::kLeft}));
       },
       testing::MixedFrame, {{"rightPath", Json("")}, {"joinType", Json("outer")}, {"broadcastMaxRows", Json(-1)}}},
      {"RenameColumn", Maker<RenameColumn>({.input_col = "x", .output_col = "y"}),
       testing::MixedFrame, {{"inputCol", Json("")}, {"outputCol", Json(1)}}},
      {"Repartition", Maker<Repartition>({.n = 2}), testing::MixedFrame,
       {{"n", Json(0)}, {"disable", Json("no")}}},
      {"Imputer", Maker<Imputer>({.input_cols = {"x", "id"}, .output_cols = {"x", "id_filled"}, .strategy = ImputeStrategy::kMedian}),
       testing::MixedFrame, {{"strategy", Json("average")}, {"missingValue", Json("none")}}},
      {"CleanMissingData",
       Maker<CleanMissingData>({.input_cols = {"name", "x"}, .output_cols = {"name_c", "x_c"},
                                .cleaning_mode = ImputeStrategy::kCustom, .custom_value = "0"}),
       testing::MixedFrame, {{"cleaningMode", Json("mean")}, {"inputCols", Json::MakeArray()}}},
      {"ImputerModel",
       [] {
         return StagePtr(*ImputerModel::Make({.input_cols = {"x", "name"}, .output_cols = {"x", "n2"}},
                                             {Json(1.5), Json("none")}));
       },
       testing::MixedFrame, {{"inputCols", Json(2)}, {"missingValue", Json("x")}}},
      {"Tokenizer", Maker<Tokenizer>({.input_col = "name", .output_col = "tokens"}), testing::MixedFrame,
       {{"inputCol", Json("")}, {"outputCol", Json(2)}}},
      {"RegexTokenizer", Maker<RegexTokenizer>({.input_col = "name", .output_col = "t", .pattern = "[0-9]", .gaps = true}),
       testing::MixedFrame, {{"pattern", Json("[")}, {"minTokenLength", Json(-1)}}},
      {"StopWordsRemover", Maker<StopWordsRemover>({.input_col = "tokens", .output_col = "f", .stop_words = {"n1"}}),
       TokensFrame, {{"stopWords", Json("n1")}, {"caseSensitive", Json(0)}}},
      {"NGram", Maker<NGram>({.input_col = "tokens", .output_col = "g", .n = 1}), TokensFrame,
       {{"n", Json(0)}, {"inputCol", Json("")}}},
      {"HashingTF", Maker<HashingTF>({.input_col = "tokens", .output_col = "tf", .num_features = 32}), TokensFrame,
       {{"numFeatures", Json(0)}, {"binary", Json("no")}}},
      {"IDF", Maker<IDF>({.input_col = "features", .output_col = "w", .min_doc_freq = 1}), testing::MixedFrame,
       {{"minDocFreq", Json(-2)}, {"outputCol", Json("")}}},
      {"IDFModel",
       [] {
         return StagePtr(*(*IDF::Make({.input_col = "features", .output_col = "w"}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"inputCol", Json(1)}, {"minDocFreq", Json("x")}}},
      {"TextFeaturizer",
       Maker<TextFeaturizer>({.input_col = "name", .output_col = "tfidf", .use_stop_words_remover = true,
                              .use_ngram = true, .ngram_length = 1, .num_features = 16}),
       testing::MixedFrame, {{"numFeatures", Json(0)}, {"useIDF", Json("yes")}}},
      {"Featurize", Maker<Featurize>({.input_cols = {"x", "flag", "name", "features"}, .output_col = "feat", .num_features = 8}),
       testing::MixedFrame, {{"inputCols", Json::MakeArray()}, {"maxCategories", Json(0)}}},
      {"TrainClassifier",
       [] {
         TrainClassifierParams p;
         p.features_col = "feat";
         p.num_features = 8;
         return StagePtr(*TrainClassifier::Make(p, DefaultRegistry()));
       },
       LabeledFrame, {{"model", Json("LogisticRegression")}, {"reindexLabel", Json(3)}}},
      {"TrainRegressor",
       [] {
         TrainRegressorParams p;
         p.input_cols = {"x", "name"};
         p.features_col = "feat";
         p.num_features = 8;
         return StagePtr(*TrainRegressor::Make(p, DefaultRegistry()));
       },
       LabeledFrame, {{"labelCol", Json("")}, {"numFeatures", Json(-1)}}},
      {"MultiColumnAdapter",
       [] {
         return StagePtr(*MultiColumnAdapter::Make(
             {.base_stage = *Json::Parse(R"({"type": "StringIndexer", "params": {"handleInvalid": "keep"}})"),
              .input_cols = {"name", "id"},
              .output_cols = {"name_i", "id_i"}},
             DefaultRegistry()));
       },
       testing::MixedFrame, {{"outputCols", Json::MakeArray()}, {"baseStage", Json(3)}}},
      {"TuneHyperparameters",
       [] { return StagePtr(*TuneHyperparameters::Make(SmallSearch<TuneHyperparametersParams>(), DefaultRegistry())); },
       LabeledFrame, {{"numFolds", Json(1)}, {"evaluationMetric", Json("speed")}, {"models", Json::MakeArray()}}},
      {"TuneHyperparametersModel",
       [] {
         return StagePtr(*(*TuneHyperparameters::Make(SmallSearch<TuneHyperparametersParams>(), DefaultRegistry()))
                              ->Fit(LabeledFrame(), ExecContext::Default()));
       },
       LabeledFrame, {}},
      {"TrainValidationSplit",
       [] { return StagePtr(*TrainValidationSplit::Make(SmallSearch<TrainValidationSplitParams>(), DefaultRegistry())); },
       LabeledFrame, {{"trainRatio", Json(1.0)}, {"searchType", Json("exhaustive")}}},
      {"TrainValidationSplitModel",
       [] {
         return StagePtr(*(*TrainValidationSplit::Make(SmallSearch<TrainValidationSplitParams>(), DefaultRegistry()))
                              ->Fit(LabeledFrame(), ExecContext::Default()));
       },
       LabeledFrame, {}},
      {"FindBestModel", [] { return StagePtr(SmallFindBestModel()); }, LabeledFrame,
       {{"evaluationMetric", Json("speed")}, {"labelCol", Json("")}}},
      {"BestModel", [] { return StagePtr(*SmallFindBestModel()->Fit(LabeledFrame(), ExecContext::Default())); },
       LabeledFrame, {}},
      {"SqlTransformer",
       Maker<SqlTransformer>({.statement = "SELECT *, CASE WHEN flag THEN upper(name) END AS u, features[1] * x AS z "
                                           "FROM __THIS__ WHERE id % 3 <> 1 OR x IS NULL"}),
       testing::MixedFrame, {{"statement", Json("SELECT x FROM __THIS__ WHERE")}, {"statement", Json(1)}}},
      {"StringIndexer",
       Maker<StringIndexer>({.input_cols = {"name", "id"}, .output_cols = {"name_idx", "id_idx"},
                             .handle_invalid = HandleInvalid::kKeep}),
       testing::MixedFrame,
       {{"handleInvalid", Json("drop")}, {"stringOrderType", Json(1)}, {"outputCols", Json::MakeArray()}}},
      {"StringIndexerModel",
       [] {
         return StagePtr(*(*StringIndexer::Make({.input_col = "name", .output_col = "name_idx",
                                                 .handle_invalid = HandleInvalid::kSkip}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"inputCol", Json(7)}, {"handleInvalid", Json("sometimes")}}},
      {"IndexToString", Maker<IndexToString>({.input_col = "id", .output_col = "label", .labels = {
           "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"}}),
       testing::MixedFrame, {{"inputCol", Json("")}, {"labels", Json("abc")}}},
      {"VectorAssembler",
       Maker<VectorAssembler>({.input_cols = {"id", "x", "flag", "features"}, .output_col = "all",
                               .handle_invalid = HandleInvalid::kKeep}),
       testing::MixedFrame, {{"inputCols", Json::MakeArray()}, {"handleInvalid", Json("ignore")}}},
      {"OneHotEncoder", Maker<OneHotEncoder>({.input_cols = {"id", "x"}, .output_cols = {"id_vec", "x_vec"},
                                              .handle_invalid = HandleInvalid::kKeep}),
       testing::MixedFrame, {{"dropLast", Json("yes")}, {"handleInvalid", Json("skip")}}},
      {"OneHotEncoderModel",
       [] {
         return StagePtr(*(*OneHotEncoder::Make({.input_col = "id", .output_col = "id_vec"}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"outputCol", Json(false)}, {"inputCols", Json("id")}}},
      {"StandardScaler", Maker<StandardScaler>({.input_col = "features", .output_col = "scaled", .with_mean = true}),
       testing::MixedFrame, {{"withMean", Json(1)}, {"inputCol", Json("")}}},
      {"Normalizer", Maker<Normalizer>({.input_col = "features", .output_col = "normalized", .p = 1.5}),
       testing::MixedFrame, {{"p", Json(0.5)}, {"inputCol", Json("")}}},
      {"VectorSlicer", Maker<VectorSlicer>({.input_col = "features", .output_col = "sliced", .indices = {1}}),
       testing::MixedFrame, {{"indices", Json("1")}, {"outputCol", Json("")}}},
      {"PolynomialExpansion",
       Maker<PolynomialExpansion>({.input_col = "features", .output_col = "poly", .degree = 3}),
       testing::MixedFrame, {{"degree", Json(0)}, {"inputCol", Json("")}}},
      {"PCA", Maker<PCA>({.input_col = "features", .output_col = "pca", .k = 1}), testing::MixedFrame,
       {{"k", Json(0)}, {"outputCol", Json("")}}},
      {"PCAModel",
       [] {
         return StagePtr(*(*PCA::Make({.input_col = "features", .output_col = "pca", .k = 1}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"k", Json(-1)}, {"inputCol", Json(3)}}},
      {"CountSelector", Maker<CountSelector>({.input_col = "features", .output_col = "kept"}),
       testing::MixedFrame, {{"inputCol", Json("")}, {"outputCol", Json(2)}}},
      {"ClassBalancer", Maker<ClassBalancer>({.input_col = "name"}), testing::MixedFrame,
       {{"inputCol", Json("")}, {"broadcastJoin", Json("yes")}}},
      {"ClassBalancerModel",
       [] {
         return StagePtr(
             *(*ClassBalancer::Make({.input_col = "name"}))->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"outputCol", Json("")}}},
      {"ValueIndexer", Maker<ValueIndexer>({.input_col = "x", .output_col = "x_index"}),
       testing::MixedFrame, {{"inputCol", Json("")}, {"outputCol", Json(3)}}},
      {"ValueIndexerModel",
       [] {
         return StagePtr(*(*ValueIndexer::Make({.input_col = "id", .output_col = "id_index"}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"outputCol", Json("")}}},
      {"IndexToValue", Maker<IndexToValue>({.input_col = "name_index", .output_col = "name_value"}),
       [] {
         auto model = *(*ValueIndexer::Make({.input_col = "name", .output_col = "name_index"}))
                           ->Fit(testing::MixedFrame(), ExecContext::Default());
         return *model->Transform(testing::MixedFrame(), ExecContext::Default());
       },
       {{"inputCol", Json("")}}},
      {"DataConversion", Maker<DataConversion>({.cols = {"x", "id"}, .convert_to = "string"}),
       testing::MixedFrame, {{"convertTo", Json("nope")}, {"cols", Json::MakeArray()}}},
      {"EnsembleByKey", Maker<EnsembleByKey>({.keys = {"name"}, .cols = {"x", "features"}}),
       testing::MixedFrame, {{"strategy", Json("median")}, {"keys", Json::MakeArray()}}},
      {"StratifiedRepartition",
       Maker<StratifiedRepartition>({.label_col = "name", .mode = StratifyMode::kEqual}),
       testing::MixedFrame, {{"mode", Json("random")}, {"labelCol", Json("")}}},
      {"SummarizeData", Maker<SummarizeData>({}), testing::MixedFrame,
       {{"errorThreshold", Json(-0.1)}, {"counts", Json("yes")}}},
      {"LinearSVC", Maker<LinearSVC>({.reg_param = 0.1}), LabeledFrame,
       {{"regParam", Json(-1)}, {"aggregationDepth", Json(1)}}},
      {"LinearSVCModel",
       [] {
         return StagePtr(
             *(*LinearSVC::Make({.reg_param = 0.1}))->Fit(LabeledFrame(), ExecContext::Default()));
       },
       LabeledFrame, {{"rawPredictionCol", Json(3)}}},
      {"UnivariateFeatureSelector",
       [] {
         UnivariateFeatureSelectorParams p{.feature_type = "continuous",
                                           .label_type = "categorical"};
         p.selection_threshold = 1;
         return StagePtr(*UnivariateFeatureSelector::Make(p));
       },
       LabeledFrame, {{"featureType", Json("ordinal")}, {"selectionMode", Json("best")}}},
      {"BisectingKMeans", Maker<BisectingKMeans>({.k = 3}), testing::MixedFrame,
       {{"k", Json(1)}, {"distanceMeasure", Json("cosine")}}},
      {"BisectingKMeansModel",
       [] {
         return StagePtr(
             *(*BisectingKMeans::Make({.k = 3}))->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"predictionCol", Json("")}}},
      {"CountVectorizer", Maker<CountVectorizer>({.input_col = "tags", .output_col = "tf"}),
       testing::ListFrame, {{"vocabSize", Json(0)}, {"minDF", Json(-1)}}},
      {"CountVectorizerModel",
       [] {
         return StagePtr(*(*CountVectorizer::Make({.input_col = "tags", .output_col = "tf"}))
                              ->Fit(testing::ListFrame(), ExecContext::Default()));
       },
       testing::ListFrame, {{"minTF", Json("x")}, {"binary", Json(2)}}},
      {"Explode", Maker<Explode>({.input_col = "tags", .output_col = "tag"}), testing::ListFrame,
       {{"inputCol", Json("")}, {"outputCol", Json(1)}}},
      {"Bucketizer",
       Maker<Bucketizer>({.input_cols = {"id", "x"},
                          .output_cols = {"id_bucket", "x_bucket"},
                          .splits_array = {{-INFINITY, 3, 7, INFINITY}, {0, 1, 2.5, INFINITY}}}),
       testing::MixedFrame, {{"splits", Json::Parse("[1, 0, 2]").value()}, {"handleInvalid", Json("drop")}}},
      {"QuantileDiscretizer",
       Maker<QuantileDiscretizer>({.input_col = "x", .output_col = "x_bucket", .num_buckets = 3}),
       testing::MixedFrame, {{"numBuckets", Json(1)}, {"relativeError", Json(-0.1)}}},
      {"MinMaxScaler", Maker<MinMaxScaler>({.input_col = "features", .output_col = "scaled"}),
       testing::MixedFrame, {{"max", Json(-1.0)}, {"min", Json("low")}}},
      {"ScalerModel",
       [] {
         return StagePtr(*(*MinMaxScaler::Make({.input_col = "features", .output_col = "scaled"}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"keepSparse", Json(true)}, {"outputCol", Json("")}}},
      {"LogisticRegression", Maker<LogisticRegression>({.reg_param = 0.1, .elastic_net_param = 0.3}), LabeledFrame,
       {{"regParam", Json(-1.0)}, {"elasticNetParam", Json(1.5)}, {"family", Json("poisson")}}},
      {"LogisticRegressionModel",
       [] {
         return StagePtr(*(*LogisticRegression::Make({.reg_param = 0.1}))->Fit(LabeledFrame(), ExecContext::Default()));
       },
       LabeledFrame, {{"threshold", Json(2.0)}, {"maxIter", Json(-5)}}},
      {"KMeans", Maker<KMeans>({.k = 3, .seed = 1}), testing::MixedFrame,
       {{"k", Json(1)}, {"initMode", Json("k-means++")}}},
      {"KMeansModel",
       [] { return StagePtr(*(*KMeans::Make({.k = 3, .seed = 1}))->Fit(testing::MixedFrame(), ExecContext::Default())); },
       testing::MixedFrame, {{"featuresCol", Json("")}, {"maxIter", Json(-1)}}},
      {"IsolationForest", Maker<IsolationForest>({.num_estimators = 5, .contamination = 0.1}),
       testing::MixedFrame, {{"contamination", Json(0.9)}, {"numEstimators", Json(0)}}},
      {"IsolationForestModel",
       [] {
         return StagePtr(*(*IsolationForest::Make({.num_estimators = 5, .contamination = 0.1}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"scoreCol", Json("")}, {"maxSamples", Json(-1)}}},
      {"NaiveBayes", Maker<NaiveBayes>({.model_type = NaiveBayesType::kGaussian}), LabeledFrame,
       {{"smoothing", Json(-1.0)}, {"modelType", Json("poisson")}}},
      {"NaiveBayesModel",
       [] {
         return StagePtr(*(*NaiveBayes::Make({.model_type = NaiveBayesType::kGaussian}))
                              ->Fit(LabeledFrame(), ExecContext::Default()));
       },
       LabeledFrame, {{"thresholds", Json("x")}, {"featuresCol", Json("")}}},
      {"ComputeModelStatistics", Maker<ComputeModelStatistics>({.label_col = "id", .scored_labels_col = "x"}),
       testing::MixedFrame, {{"labelCol", Json("")}, {"evaluationMetric", Json("ranking")}}},
      {"ComputePerInstanceStatistics",
       Maker<ComputePerInstanceStatistics>({.label_col = "id", .scored_labels_col = "x"}), testing::MixedFrame,
       {{"scoredLabelsCol", Json("")}, {"evaluationMetric", Json(2)}}},
      {"LinearRegression", Maker<LinearRegression>({.label_col = "id", .reg_param = 0.1}), testing::MixedFrame,
       {{"regParam", Json("much")}, {"fitIntercept", Json(0)}}},
      {"LinearRegressionModel",
       [] {
         return StagePtr(*(*LinearRegression::Make({.label_col = "id", .reg_param = 0.1}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"predictionCol", Json("")}, {"tol", Json(-1.0)}}},
#if EMBER_WITH_GBDT
      {"GBDTClassifier", Maker<GBDTClassifier>(SmallGbdtClassifier()), LabeledFrame,
       {{"numLeaves", Json(1)}, {"baggingFraction", Json(0.0)}, {"objective", Json("lambdarank")}},
       /*fit_on_thread_ranks=*/false},
      {"GBDTClassificationModel",
       [] { return StagePtr(*(*GBDTClassifier::Make(SmallGbdtClassifier()))->Fit(LabeledFrame(), ExecContext::Default())); },
       LabeledFrame, {{"featuresCol", Json("")}, {"thresholds", Json("high")}}},
      {"GBDTRegressor", Maker<GBDTRegressor>(SmallGbdtRegressor()), testing::MixedFrame,
       {{"learningRate", Json(0.0)}, {"tweedieVariancePower", Json(3.0)}, {"boostingType", Json("goss")}},
       /*fit_on_thread_ranks=*/false},
      {"GBDTRegressionModel",
       [] {
         return StagePtr(*(*GBDTRegressor::Make(SmallGbdtRegressor()))->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"predictionCol", Json("")}}},
      {"GBDTRanker", Maker<GBDTRanker>(SmallGbdtRanker()), GroupedFrame,
       {{"groupCol", Json("")}, {"evalAt", Json::Parse("[0]").value()}, {"objective", Json("binary")}},
       /*fit_on_thread_ranks=*/false},
      {"GBDTRankerModel",
       [] { return StagePtr(*(*GBDTRanker::Make(SmallGbdtRanker()))->Fit(GroupedFrame(), ExecContext::Default())); },
       GroupedFrame, {{"featuresCol", Json("")}, {"leafPredictionCol", Json(3)}}},
      {"RandomForestClassifier", Maker<RandomForestClassifier>(SmallForestClassifier()), LabeledFrame,
       {{"numTrees", Json(0)}, {"featureSubsetStrategy", Json("most")}, {"impurity", Json("entropy")}},
       /*fit_on_thread_ranks=*/false},
      {"RandomForestClassificationModel",
       [] { return StagePtr(*(*RandomForestClassifier::Make(SmallForestClassifier()))->Fit(LabeledFrame(), ExecContext::Default())); },
       LabeledFrame, {{"featuresCol", Json("")}, {"thresholds", Json("high")}}},
      {"RandomForestRegressor", Maker<RandomForestRegressor>({.trees = {.label_col = "id", .num_threads = 1}}),
       testing::MixedFrame, {{"subsamplingRate", Json(0.0)}, {"maxDepth", Json(31)}}, /*fit_on_thread_ranks=*/false},
      {"RandomForestRegressionModel",
       [] {
         return StagePtr(*(*RandomForestRegressor::Make({.trees = {.label_col = "id", .num_threads = 1}}))
                              ->Fit(testing::MixedFrame(), ExecContext::Default()));
       },
       testing::MixedFrame, {{"predictionCol", Json("")}}},
      {"DecisionTreeClassifier", Maker<DecisionTreeClassifier>({.trees = {.num_threads = 1}}), LabeledFrame,
       {{"minInstancesPerNode", Json(0)}, {"maxBins", Json(1)}}, /*fit_on_thread_ranks=*/false},
      {"DecisionTreeRegressor", Maker<DecisionTreeRegressor>({.trees = {.label_col = "id", .num_threads = 1}}),
       testing::MixedFrame, {{"impurity", Json("gini")}, {"seed", Json("x")}}, /*fit_on_thread_ranks=*/false},
#endif  // EMBER_WITH_GBDT
      {"Pipeline", [] { return StagePtr(SmallPipeline()); }, testing::MixedFrame,
       {{"stages", Json(1)}}},
      {"PipelineModel",
       [] { return StagePtr(*SmallPipeline()->Fit(testing::MixedFrame(), ExecContext::Default())); },
       testing::MixedFrame, {{"stages", Json(1)}}},
  };
  std::map<std::string, ConformanceCase> by_name;
  for (auto& c : cases) by_name.emplace(c.type_name, std::move(c));
  return by_name;
}

TEST(ConformanceTest, EveryRegisteredStageHasAnEntry) {
  auto cases = Cases();
  for (const std::string& name : DefaultRegistry().Names()) {  // the stages this build has
    EXPECT_TRUE(cases.count(name)) << "stage '" << name << "' has no conformance entry";
  }
  for (const auto& [name, c] : cases) {
    EXPECT_TRUE(DefaultRegistry().Find(name).ok()) << "entry for unregistered stage " << name;
  }
}

TEST(ConformanceTest, EveryRegisteredStagePasses) {
  for (const auto& [name, c] : Cases()) testing::CheckConformance(c, DefaultRegistry());
}

// Models saved by an earlier Ember: testdata/saved_models/<type>/ holds model/ (as SaveStage
// wrote it), input.batch and expected.batch (what it gave for that input then). Every kind
// of fitted model must have one, and each must still load and score its input the same.
// EMBER_WRITE_SAVED_MODELS=1 writes the missing ones (a new kind of model); an existing
// fixture is never rewritten, or it would no longer test compatibility.
TEST(SavedModelFixturesTest, ModelsSavedByEarlierVersionsLoadAndScoreTheSame) {
  const char* data = std::getenv("EMBER_TEST_DATA");
  ASSERT_NE(data, nullptr) << "EMBER_TEST_DATA is not set";
  const std::string root = std::string(data) + "/saved_models";
  const bool write = std::getenv("EMBER_WRITE_SAVED_MODELS") != nullptr;
  int checked = 0;
  for (const auto& [name, c] : Cases()) {
    auto entry = DefaultRegistry().Find(name);
    if (!entry.ok() || !(*entry)->needs_data) continue;  // estimators and stateless stages
    const std::string dir = root + "/" + name;
    const DataFrame input = c.input();
    if (write && !std::filesystem::exists(dir)) {
      auto stage = c.make();
      ASSERT_THAT(stage, testing::IsOk()) << name;
      ASSERT_THAT(SaveStage(**stage, dir + "/model"), testing::IsOk()) << name;
      auto out = std::static_pointer_cast<const Transformer>(*stage)->Transform(
          input, ExecContext::Default());
      ASSERT_THAT(out, testing::IsOk()) << name;
      std::string in_bytes, out_bytes;
      EncodeBatch(*input.Collect(), &in_bytes);
      EncodeBatch(*out->Collect(), &out_bytes);
      ASSERT_THAT(WriteStringToFile(dir + "/input.batch", in_bytes), testing::IsOk());
      ASSERT_THAT(WriteStringToFile(dir + "/expected.batch", out_bytes), testing::IsOk());
    }
    ASSERT_TRUE(std::filesystem::exists(dir + "/model"))
        << "no saved-model fixture for " << name << " in " << root
        << "; write one with EMBER_WRITE_SAVED_MODELS=1 (it pins today's format)";
    auto model = LoadTransformer(dir + "/model", DefaultRegistry());
    ASSERT_THAT(model, testing::IsOk()) << name;
    auto read = [](const std::string& path) -> DataFrame {
      auto bytes = ReadFileToString(path);
      EXPECT_THAT(bytes, testing::IsOk()) << path;
      auto batches = DecodeBatches(std::make_shared<const std::string>(bytes.ok() ? *bytes : ""));
      EXPECT_THAT(batches, testing::IsOk()) << path;
      EXPECT_EQ(batches.ok() ? batches->size() : 0, 1u) << path;
      return batches.ok() && batches->size() == 1 ? DataFrame::FromBatch((*batches)[0])
                                                  : DataFrame();
    };
    const DataFrame saved_input = read(dir + "/input.batch");
    const DataFrame expected = read(dir + "/expected.batch");
    auto out = (*model)->Transform(saved_input, ExecContext::Default());
    ASSERT_THAT(out, testing::IsOk()) << name;
    EXPECT_EQ(testing::DescribeDifferenceWithin(*out, expected, 1e-12), "") << name;
    ++checked;
  }
  EXPECT_GT(checked, 5);
}

}  // namespace
}  // namespace ember
