// Ember's side of bench/explain. Modes (each prints one line of key=value):
//   shap MODEL_DIR DATA.csv ROWS BACKGROUND SAMPLES THREADS
//       VectorSHAP of the imported XGBoost model (MODEL_DIR, scoring a "features" vector of
//       f0..f9) on ROWS rows after the first BACKGROUND rows of DATA.csv (the background),
//       SAMPLES coalitions each, on THREADS threads (one row per partition).
//   lime DATA.csv ROWS BACKGROUND SAMPLES THREADS
//       TabularLIME over f0..f9 of a VectorAssembler -> LogisticRegression pipeline fitted on
//       DATA.csv (fitting is not timed), SAMPLES samples per row.
//   image MODEL_DIR IMAGES_DIR COUNT SAMPLES THREADS
//       ImageLIME (cellSize 16) of COUNT photos of IMAGES_DIR, each resized to 224 x 224 first
//       (the network's size: about 200 superpixels), with the image quick start's model
//       (ImageFeaturizer on MobileNetV2 -> StringIndexer -> LogisticRegression ->
//       IndexToString), explaining the probability of its predicted class; prints
//       seconds_per_image (COUNT images on THREADS threads: wall time / COUNT) and the share of
//       the threads' time inside the model.
// Prints rows_per_s and model_fraction: the share of the threads' time spent inside the
// model's kernel (measured by a wrapper around the model's bound kernel), the rest being
// sampling, building the samples' rows and the regressions.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/exec/allocator.h"
#include "ember/explain/image_explainers.h"
#include "ember/explain/tabular.h"
#include "ember/image/image_reader.h"
#include "ember/image/image_transformer.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace ember;

template <typename T>
T OrDie(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

// The model's bound kernel, timed: every Apply's nanoseconds are added to a counter.
class TimedKernel final : public BoundTransform {
 public:
  TimedKernel(std::unique_ptr<BoundTransform> inner, std::atomic<int64_t>* ns)
      : inner_(std::move(inner)), ns_(ns) {}
  const SchemaPtr& output_schema() const override { return inner_->output_schema(); }
  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const auto t = Clock::now();
    Result<Batch> out = inner_->Apply(in, scratch);
    ns_->fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t).count());
    return out;
  }

 private:
  std::unique_ptr<BoundTransform> inner_;
  std::atomic<int64_t>* ns_;
};

class Timed final : public Transformer {
 public:
  explicit Timed(std::shared_ptr<const Transformer> inner)
      : Transformer("", "Timed"), inner_(std::move(inner)) {}
  std::string_view type_name() const override { return "Timed"; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    EMBER_ASSIGN_OR_RETURN(auto bound, inner_->Bind(in));
    return std::unique_ptr<BoundTransform>(new TimedKernel(std::move(bound), &ns));
  }
  mutable std::atomic<int64_t> ns{0};

 private:
  std::shared_ptr<const Transformer> inner_;
};

// f0..f9 of DATA.csv, plus "features": the same as one dense vector.
Batch ReadData(const std::string& path) {
  Batch b = OrDie(OrDie(ReadTable(ExecContext::Default(), path), "read").Collect(), "collect");
  DenseVectorBuilder v(10);
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    double x[10];
    for (int j = 0; j < 10; ++j) {
      x[j] = NumericValue(
          *b.column(b.schema()->FindField(std::string("f").append(std::to_string(j)))), r);
    }
    (void)v.Append(x);
  }
  std::vector<Field> fields = b.schema()->fields();
  fields.push_back(MakeField("features", DenseVectorType(10)));
  std::vector<ColumnPtr> cols = b.columns();
  cols.push_back(v.Finish());
  return OrDie(Batch::Make(OrDie(Schema::Make(fields), "schema"), cols), "batch");
}

int Run(const std::shared_ptr<const Transformer>& explainer, const Timed& timed, const Batch& rows,
        int threads) {
  std::vector<Batch> parts;
  for (int64_t r = 0; r < rows.num_rows(); ++r) parts.push_back(rows.Slice(r, 1));
  DataFrame frame = OrDie(DataFrame::Make(rows.schema(), parts), "frame");
  ThreadPool pool(threads);
  const ExecContext ctx = ExecContext::WithPool(&pool);
  OrDie(explainer->Transform(DataFrame::FromBatch(rows.Slice(0, 1)), ctx), "warm up");
  timed.ns = 0;
  const auto t0 = Clock::now();
  DataFrame out = OrDie(explainer->Transform(frame, ctx), "explain");
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  Batch b = OrDie(out.Collect(), "collect");
  const Column& err = *b.column(b.schema()->FindField("explanationError"));
  if (err.null_count() != err.length()) {
    std::fprintf(stderr, "a row failed: %s\n",
                 std::string(err.StringValue(err.IsNull(0) ? 1 : 0)).c_str());
    return 1;
  }
  std::printf("rows_per_s=%.3f model_fraction=%.3f\n", rows.num_rows() / secs,
              static_cast<double>(timed.ns) / 1e9 / (secs * threads));
  return 0;
}

int Shap(const std::string& model_dir, const std::string& data, int rows, int nbg, int samples,
         int threads) {
  auto model = OrDie(LoadTransformer(model_dir, DefaultRegistry()), "load");
  auto timed = std::make_shared<Timed>(model);
  Batch all = ReadData(data);
  explain::VectorSHAPParams p;
  p.input_col = "features";
  p.explain.target_col = "probability";
  p.explain.target_classes = {1};
  p.explain.num_samples = samples;
  auto shap = OrDie(explain::VectorSHAP::Make(p, timed, all.Slice(0, nbg)), "VectorSHAP");
  return Run(shap, *timed, all.Slice(nbg, rows), threads);
}

int Lime(const std::string& data, int rows, int nbg, int samples, int threads) {
  Batch all = ReadData(data);
  auto spec = OrDie(Json::Parse(R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["f0","f1","f2","f3","f4","f5","f6","f7","f8","f9"],
                                             "outputCol": "x"}},
      {"type": "LogisticRegression", "params": {"featuresCol": "x"}}]})"),
                    "spec");
  auto pipeline = OrDie(Pipeline::FromSpec(spec, DefaultRegistry()), "pipeline");
  auto model = OrDie(pipeline->Fit(DataFrame::FromBatch(all), ExecContext::Default()), "fit");
  auto timed = std::make_shared<Timed>(model);
  explain::TabularLIMEParams p;
  for (int j = 0; j < 10; ++j) p.input_cols.push_back(std::string("f").append(std::to_string(j)));
  p.explain.target_col = "probability";
  p.explain.target_classes = {1};
  p.explain.num_samples = samples;
  auto lime = OrDie(explain::TabularLIME::Make(p, timed, all.Slice(0, nbg)), "TabularLIME");
  return Run(lime, *timed, all.Slice(nbg, rows), threads);
}

int Image(const std::string& model_dir, const std::string& images, int count, int samples,
          int threads) {
  auto model = OrDie(LoadTransformer(model_dir, DefaultRegistry()), "load");
  auto timed = std::make_shared<Timed>(model);
  DataFrame photos = OrDie(image::ReadImages(ExecContext::Default(), images), "read images");
  image::ImageTransformerParams resize;
  resize.output_col = "image";
  resize.stages =
      OrDie(Json::Parse(R"([{"action": "resize", "height": 224, "width": 224}])"), "stages")
          .as_array();
  auto resized = OrDie(OrDie(image::ImageTransformer::Make(resize), "resize")
                           ->Transform(photos, ExecContext::Default()),
                       "resized");
  // The photos alone (their "label" is null: they are in no labelled subfolder).
  Batch photos_b = OrDie(resized.Collect(), "collect");
  const int image_col = photos_b.schema()->FindField("image");
  Batch all =
      OrDie(Batch::Make(OrDie(Schema::Make({photos_b.schema()->field(image_col)}), "schema"),
                        {photos_b.column(image_col)}),
            "batch");
  // Each photo's predicted class: the one explained.
  auto pipeline = OrDie(PipelineModel::Make({model}), "pipeline");
  const std::string prediction[] = {"prediction"};
  Batch scored = OrDie(OrDie(pipeline->TransformSelect(DataFrame::FromBatch(all),
                                                       ExecContext::Default(), prediction),
                             "score")
                           .Collect(),
                       "collect");
  const Column& pred = *scored.column(scored.schema()->FindField("prediction"));
  ListBuilder classes(ListType(Int32Type()));
  for (int64_t r = 0; r < all.num_rows(); ++r) {
    classes.Append();
    static_cast<Int32Builder*>(classes.value_builder())
        ->Append(static_cast<int32_t>(NumericValue(pred, r)));
  }
  std::vector<Field> fields = all.schema()->fields();
  fields.push_back(MakeField("class", ListType(Int32Type())));
  std::vector<ColumnPtr> cols = all.columns();
  cols.push_back(classes.Finish());
  all = OrDie(Batch::Make(OrDie(Schema::Make(fields), "schema"), cols), "batch");
  explain::ImageLIMEParams p;
  p.explain.target_col = "probability";
  p.explain.target_classes_col = "class";
  p.explain.num_samples = samples;
  auto lime = OrDie(explain::ImageLIME::Make(p, timed), "ImageLIME");
  const int n = std::min<int>(count, static_cast<int>(all.num_rows()));
  std::vector<Batch> parts;
  for (int64_t r = 0; r < n; ++r) parts.push_back(all.Slice(r, 1));
  ThreadPool pool(threads);
  const ExecContext ctx = ExecContext::WithPool(&pool);
  timed->ns = 0;
  const auto t0 = Clock::now();
  DataFrame out =
      OrDie(lime->Transform(OrDie(DataFrame::Make(all.schema(), parts), "frame"), ctx), "explain");
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  Batch b = OrDie(out.Collect(), "collect");
  const Column& err = *b.column(b.schema()->FindField("explanationError"));
  if (err.null_count() != err.length()) {
    std::fprintf(stderr, "an image failed\n");
    return 1;
  }
  std::printf("seconds_per_image=%.3f model_fraction=%.3f\n", secs / n,
              static_cast<double>(timed->ns) / 1e9 / (secs * threads));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::RetainFreedMemory();  // as the `ember` command does
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "shap" && argc == 8) {
    return Shap(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]),
                std::atoi(argv[7]));
  }
  if (mode == "lime" && argc == 7) {
    return Lime(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]),
                std::atoi(argv[6]));
  }
  if (mode == "image" && argc == 7) {
    return Image(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
  }
  std::fprintf(stderr,
               "usage: %s shap MODEL_DIR DATA.csv ROWS BACKGROUND SAMPLES THREADS\n"
               "       %s lime DATA.csv ROWS BACKGROUND SAMPLES THREADS\n"
               "       %s image MODEL_DIR IMAGES_DIR COUNT SAMPLES THREADS\n",
               argv[0], argv[0], argv[0]);
  return 2;
}
