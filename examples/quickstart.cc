// Ember's main job for now, end to end on a real data set (scikit-learn's copy of the
// Wisconsin breast cancer data, 569 rows x 30 features + label):
//   read the CSV in parallel with an explicit schema -> attach ML attributes (label names)
//   -> build a pipeline from a JSON spec -> fit -> save -> load -> transform
//   -> summary statistics computed SPMD-style through the communicator
//   -> write CSV and JSON Lines -> hand the result to Arrow through the C Data Interface.
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
#include "ember/io/csv.h"
#include "ember/io/json_lines.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry_all.h"

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

// Mean, min, max and null count of every float64 column: partial sums per partition in
// parallel, then one AllReduce, so the same code gives global figures on many ranks.
Status PrintSummary(const ember::DataFrame& frame, const ember::ExecContext& ctx) {
  const auto& schema = *frame.schema();
  std::vector<int> cols;
  for (int c = 0; c < schema.num_fields(); ++c) {
    if (schema.field(c).type->id() == ember::TypeId::kFloat64) cols.push_back(c);
  }
  const size_t k = cols.size();
  std::vector<std::vector<double>> sums(frame.num_partitions(), std::vector<double>(2 * k, 0.0));
  std::vector<std::vector<double>> mins(frame.num_partitions(),
                                        std::vector<double>(2 * k, std::numeric_limits<double>::infinity()));
  EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(frame.num_partitions(), [&](int64_t p) {
    const ember::Batch& b = frame.partition(static_cast<int>(p));
    for (size_t j = 0; j < k; ++j) {
      const ember::Column& col = *b.column(cols[j]);
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (col.IsNull(r)) {
          sums[p][k + j] += 1;
          continue;
        }
        const double v = col.Values<double>()[r];
        sums[p][j] += v;
        mins[p][j] = std::min(mins[p][j], v);
        mins[p][k + j] = std::min(mins[p][k + j], -v);  // max as min of negatives
      }
    }
    return Status::OK();
  }));
  std::vector<double> total(2 * k, 0.0), extreme(2 * k, std::numeric_limits<double>::infinity());
  for (int p = 0; p < frame.num_partitions(); ++p) {
    for (size_t j = 0; j < 2 * k; ++j) {
      total[j] += sums[p][j];
      extreme[j] = std::min(extreme[j], mins[p][j]);
    }
  }
  const auto deadline = ember::Deadline::In(std::chrono::seconds(60));
  EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<double>(total), ember::ReduceOp::kSum, deadline));
  EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<double>(extreme), ember::ReduceOp::kMin, deadline));
  std::vector<int64_t> rows = {frame.num_rows()};
  EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<int64_t>(rows), ember::ReduceOp::kSum, deadline));
  std::printf("\n%-14s %12s %12s %12s %6s\n", "column", "mean", "min", "max", "nulls");
  for (size_t j = 0; j < k; ++j) {
    const double n = static_cast<double>(rows[0]) - total[k + j];
    std::printf("%-14s %12.4f %12.4f %12.4f %6.0f\n", schema.field(cols[j]).name.c_str(),
                n > 0 ? total[j] / n : 0.0, extreme[j], -extreme[k + j], total[k + j]);
  }
  return Status::OK();
}

Status Run(const std::string& csv, const std::string& out_dir) {
  const ember::ExecContext& ctx = ember::ExecContext::Default();
  auto t0 = std::chrono::steady_clock::now();
  std::filesystem::create_directories(out_dir);

  // 1. Read with an explicit schema: 30 float64 features and an int64 label.
  std::vector<ember::Field> fields;
  for (int i = 0; i < 30; ++i) fields.push_back(ember::MakeField("f" + std::to_string(i), ember::Float64Type()));
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

  // 2. A pipeline from a JSON spec, as `ember fit` will read it.
  EMBER_ASSIGN_OR_RETURN(ember::Json spec, ember::Json::Parse(R"({"stages": [
      {"type": "SelectColumns", "params": {"cols": ["f0", "f1", "f2", "f3", "label"]}},
      {"type": "RenameColumn", "params": {"inputCol": "f0", "outputCol": "mean_radius"}},
      {"type": "RenameColumn", "params": {"inputCol": "f1", "outputCol": "mean_texture"}},
      {"type": "Repartition", "params": {"n": 4}}]})"));
  EMBER_ASSIGN_OR_RETURN(auto pipeline, ember::Pipeline::FromSpec(spec, ember::DefaultRegistry()));
  auto t1 = std::chrono::steady_clock::now();
  EMBER_ASSIGN_OR_RETURN(auto model, pipeline->Fit(frame, ctx));

  // 3. Save, load, and check the loaded model gives the same result.
  const std::string model_dir = out_dir + "/model";
  EMBER_RETURN_IF_ERROR(ember::SaveStage(*model, model_dir, {.overwrite = true}));
  EMBER_ASSIGN_OR_RETURN(auto loaded, ember::LoadTransformer(model_dir, ember::DefaultRegistry()));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame result, loaded->Transform(frame, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame direct, model->Transform(frame, ctx));
  const std::string diff = ember::DescribeDifference(result, direct);
  if (!diff.empty()) return ember::Internal("loaded model differs from the fitted one: " + diff);
  std::printf("pipeline fitted, saved to %s, loaded and applied (%.3f s): %d partitions\n",
              model_dir.c_str(), Seconds(t1), result.num_partitions());
  std::printf("\n%s", result.ToString(5).c_str());

  // 4. Summary statistics, SPMD-style.
  EMBER_RETURN_IF_ERROR(PrintSummary(result, ctx));

  // 5. Write CSV and JSON Lines, and read the CSV back to check it.
  EMBER_RETURN_IF_ERROR(ember::WriteCsv(ctx, result, out_dir + "/result.csv"));
  EMBER_RETURN_IF_ERROR(ember::WriteJsonLines(ctx, result, out_dir + "/result.jsonl"));
  ember::CsvReadOptions back_opts;
  back_opts.schema = result.schema();
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame back, ember::ReadCsv(ctx, out_dir + "/result.csv", back_opts));
  if (!ember::DescribeDifference(back, result).empty()) return ember::Internal("CSV round trip differs");

  // 6. Hand the result to Arrow (zero-copy) and take it back.
  EMBER_ASSIGN_OR_RETURN(ember::Batch batch, result.Collect());
  ArrowSchema arrow_schema;
  ArrowArray arrow_array;
  EMBER_RETURN_IF_ERROR(ember::ExportBatch(batch, &arrow_schema, &arrow_array));
  EMBER_ASSIGN_OR_RETURN(ember::Batch imported, ember::ImportBatch(&arrow_schema, &arrow_array));
  if (!ember::BatchesEqual(imported, batch)) return ember::Internal("Arrow round trip differs");
  std::printf("\nwrote %s/result.csv and %s/result.jsonl; CSV and Arrow C round trips equal\n",
              out_dir.c_str(), out_dir.c_str());
  std::printf("total %.3f s\n", Seconds(t0));
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s BREAST_CANCER_CSV OUT_DIR\n(run scripts/fetch_data.sh for the data)\n", argv[0]);
    return 2;
  }
  Status s = Run(argv[1], argv[2]);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
