// Ember's main job, end to end on a real data set (scikit-learn's copy of the Wisconsin
// breast cancer data, 569 rows x 30 features + label, from Debian's python3-sklearn):
//   read the CSV in parallel with an explicit schema -> attach the class names as ML
//   attributes -> split 80/20 with a seed -> build a featurize + logistic-regression
//   pipeline from a JSON spec -> fit on the training split -> metrics on the held-out split
//   -> the same with gradient-boosted trees, metrics side by side
//   -> save -> load -> score new rows -> write CSV and JSON Lines -> hand the result to
//   Arrow through the C Data Interface.
// Usage: ember_quickstart BREAST_CANCER_CSV OUT_DIR
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <string>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/arrow_c.h"
#include "ember/core/ops.h"
#include "ember/exec/openmp_spin.h"
#include "ember/io/csv.h"
#include "ember/io/json_lines.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/model_statistics.h"
#include "ember/stages/random_split.h"

namespace {

using ember::Status;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// The file's first line is "n_samples,n_features,class names...": read the class names.
ember::Result<std::vector<std::string>> ClassNames(const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(std::string text, ember::ReadFileToString(path));
  std::string first = text.substr(0, text.find('\n'));
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t comma; (comma = first.find(',', start)) != std::string::npos; start = comma + 1) {
    parts.push_back(first.substr(start, comma - start));
  }
  parts.push_back(first.substr(start));
  if (parts.size() < 3) return ember::InvalidArgument(path + ": first line has no class names");
  return std::vector<std::string>(parts.begin() + 2, parts.end());
}

Status Run(const std::string& csv, const std::string& out_dir) {
  const ember::ExecContext& ctx = ember::ExecContext::Default();
  auto t0 = std::chrono::steady_clock::now();
  std::filesystem::create_directories(out_dir);

  // 1. Read with an explicit schema: 30 float64 features and an int64 label.
  std::vector<ember::Field> fields;
  for (int i = 0; i < 30; ++i)
    fields.push_back(ember::MakeField("f" + std::to_string(i), ember::Float64Type()));
  fields.push_back(ember::MakeField("label", ember::Int64Type()));
  EMBER_ASSIGN_OR_RETURN(std::vector<std::string> classes, ClassNames(csv));
  ember::SetNominalValues(&fields.back(), classes);
  EMBER_ASSIGN_OR_RETURN(ember::SchemaPtr schema, ember::Schema::Make(fields));
  ember::CsvReadOptions read;
  read.header = false;
  read.skip_lines = 1;
  read.schema = schema;
  read.block_size = 16 << 10;  // small blocks: several partitions even for a small file
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame frame, ember::ReadCsv(ctx, csv, read));
  std::printf("read %s: %lld rows x %d columns in %d partitions (%.3f s)\n", csv.c_str(),
              static_cast<long long>(frame.num_rows()), frame.schema()->num_fields(),
              frame.num_partitions(), Seconds(t0));
  std::printf("label classes (ML attributes): ");
  const auto labels = ember::NominalValues(frame.schema()->field(30));
  for (const auto& c : labels.value_or(std::vector<std::string>{})) std::printf("%s ", c.c_str());
  std::printf("\n");

  // 2. Split 80/20 with a seed, and a featurize + logistic regression pipeline from a JSON
  //    spec, as `ember fit` reads it.
  EMBER_ASSIGN_OR_RETURN(auto split, ember::RandomSplit(ctx, frame, {0.8, 0.2}, /*seed=*/42));
  const ember::DataFrame& train = split[0];
  const ember::DataFrame& test = split[1];
  std::string features = "[";
  for (int i = 0; i < 30; ++i)
    features += std::string(i ? "," : "") + "\"f" + std::to_string(i) + "\"";
  features += "]";
  EMBER_ASSIGN_OR_RETURN(ember::Json spec, ember::Json::Parse(R"({"stages": [
      {"type": "Featurize", "params": {"inputCols": )" + features +
                                                              R"(, "outputCol": "raw"}},
      {"type": "StandardScaler", "params": {"inputCol": "raw", "outputCol": "features", "withMean": true}},
      {"type": "LogisticRegression", "params": {"regParam": 0.01, "maxIter": 200}}]})"));
  EMBER_ASSIGN_OR_RETURN(auto pipeline, ember::Pipeline::FromSpec(spec, ember::DefaultRegistry()));
  auto t1 = std::chrono::steady_clock::now();
  EMBER_ASSIGN_OR_RETURN(auto model, pipeline->Fit(train, ctx));
  std::printf(
      "fitted Featurize -> StandardScaler -> LogisticRegression on %lld training rows (%.3f s)\n",
      static_cast<long long>(train.num_rows()), Seconds(t1));

  // 3. Metrics on the held-out rows.
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame scored, model->Transform(test, ctx));
  EMBER_ASSIGN_OR_RETURN(auto stats, ember::ComputeModelStatistics::Make({}));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame metrics, stats->Transform(scored, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::Batch m, metrics.Collect());
  std::printf("\nheld-out metrics (%lld rows):\n", static_cast<long long>(test.num_rows()));
  for (const char* name : {"accuracy", "precision", "recall", "f1", "AUC", "AUPR", "log_loss"}) {
    EMBER_ASSIGN_OR_RETURN(ember::ColumnPtr c, m.GetColumn(name));
    std::printf("  %-10s %s\n", name, ember::FormatValue(*c, 0).c_str());
  }
  EMBER_ASSIGN_OR_RETURN(ember::ColumnPtr cm, m.GetColumn("confusion_matrix"));
  std::printf("  %-10s %s (rows: actual %s, %s)\n", "confusion", ember::FormatValue(*cm, 0).c_str(),
              classes[0].c_str(), classes[1].c_str());

  // 3b. A gradient-boosted trees pipeline next to it (XGBoost under LightGBM-style params),
  //     on the same split, with the same metrics.
  EMBER_ASSIGN_OR_RETURN(ember::Json gbdt_spec, ember::Json::Parse(R"({"stages": [
      {"type": "Featurize", "params": {"inputCols": )" + features + R"(, "outputCol": "features"}},
      {"type": "GBDTClassifier", "params": {"numIterations": 100, "numLeaves": 15, "learningRate": 0.1}}]})"));
  EMBER_ASSIGN_OR_RETURN(auto gbdt_pipeline,
                         ember::Pipeline::FromSpec(gbdt_spec, ember::DefaultRegistry()));
  auto t2 = std::chrono::steady_clock::now();
  EMBER_ASSIGN_OR_RETURN(auto gbdt_model, gbdt_pipeline->Fit(train, ctx));
  std::printf("\nfitted Featurize -> GBDTClassifier (100 trees of 15 leaves) (%.3f s)\n",
              Seconds(t2));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame gbdt_scored, gbdt_model->Transform(test, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame gbdt_metrics, stats->Transform(gbdt_scored, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::Batch gm, gbdt_metrics.Collect());
  std::printf("held-out metrics, logistic regression vs boosting:\n");
  for (const char* name : {"accuracy", "AUC", "log_loss"}) {
    EMBER_ASSIGN_OR_RETURN(ember::ColumnPtr lr_value, m.GetColumn(name));
    EMBER_ASSIGN_OR_RETURN(ember::ColumnPtr gbdt_value, gm.GetColumn(name));
    std::printf("  %-10s %-22s %s\n", name, ember::FormatValue(*lr_value, 0).c_str(),
                ember::FormatValue(*gbdt_value, 0).c_str());
  }

  // 4. Save, load, and score "new" rows (the first held-out rows) with the loaded model.
  const std::string model_dir = out_dir + "/model";
  EMBER_RETURN_IF_ERROR(ember::SaveStage(*model, model_dir, {.overwrite = true}));
  EMBER_ASSIGN_OR_RETURN(auto loaded, ember::LoadTransformer(model_dir, ember::DefaultRegistry()));
  EMBER_ASSIGN_OR_RETURN(ember::Batch first, test.Collect());
  ember::DataFrame fresh = ember::DataFrame::FromBatch(first.Slice(0, 5));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame predicted, loaded->Transform(fresh, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame direct, model->Transform(fresh, ctx));
  if (!ember::DescribeDifference(predicted, direct).empty()) {
    return ember::Internal("the loaded model scores differently from the fitted one");
  }
  auto shown =
      ember::SelectColumns::Make({.cols = {"f0", "f1", "label", "probability", "prediction"}});
  EMBER_RETURN_IF_ERROR(shown.status());
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame view, (*shown)->Transform(predicted, ctx));
  std::printf("\nsaved to %s, loaded, and applied to new rows:\n%s", model_dir.c_str(),
              view.ToString(5).c_str());

  // 5. Write the scored held-out rows as CSV and JSON Lines, and read the CSV back.
  EMBER_ASSIGN_OR_RETURN(
      auto narrow, ember::SelectColumns::Make({.cols = {"label", "probability", "prediction"}}));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame result, narrow->Transform(scored, ctx));
  EMBER_RETURN_IF_ERROR(ember::WriteCsv(ctx, result, out_dir + "/predictions.csv"));
  EMBER_RETURN_IF_ERROR(ember::WriteJsonLines(ctx, result, out_dir + "/predictions.jsonl"));
  ember::CsvReadOptions back_opts;
  back_opts.schema = result.schema();
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame back,
                         ember::ReadCsv(ctx, out_dir + "/predictions.csv", back_opts));
  if (!ember::DescribeDifference(back, result).empty())
    return ember::Internal("CSV round trip differs");

  // 6. Hand the result to Arrow (zero-copy) and take it back.
  EMBER_ASSIGN_OR_RETURN(ember::Batch batch, result.Collect());
  ArrowSchema arrow_schema;
  ArrowArray arrow_array;
  EMBER_RETURN_IF_ERROR(ember::ExportBatch(batch, &arrow_schema, &arrow_array));
  EMBER_ASSIGN_OR_RETURN(ember::Batch imported, ember::ImportBatch(&arrow_schema, &arrow_array));
  if (!ember::BatchesEqual(imported, batch)) return ember::Internal("Arrow round trip differs");
  std::printf(
      "\nwrote %s/predictions.csv and %s/predictions.jsonl; CSV and Arrow C round trips equal\n",
      out_dir.c_str(), out_dir.c_str());
  std::printf("total %.3f s\n", Seconds(t0));
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  ember::ShortenOpenMpSpin(argv);  // boosting on a busy machine: see exec/openmp_spin.h
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: %s BREAST_CANCER_CSV OUT_DIR\n(run scripts/fetch_data.sh for the data)\n",
                 argv[0]);
    return 2;
  }
  Status s = Run(argv[1], argv[2]);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
