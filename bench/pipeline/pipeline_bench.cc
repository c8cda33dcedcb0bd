// Ember's side of bench/pipeline: StringIndexer + OneHotEncoder on the string columns,
// VectorAssembler, StandardScaler, LogisticRegression (the same pipeline as
// sklearn_pipeline.py), fitted on train.csv and applied to test.csv. Reading is not timed.
// Prints one line: ember threads=... fit_seconds=... transform_seconds=... rows=... auc=...
// Usage: ember_bench_pipeline DATA_DIR REG_PARAM THREADS [TRANSFORM_REPEATS=1]
// The transform runs once untimed (warm-up), then REPEATS times; the median is printed
// (EMBER_BENCH_VERBOSE=1 prints every time to stderr).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ember/exec/allocator.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/registry/default_registry.h"
#include "ember/stages/model_statistics.h"

namespace {

double Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

template <typename T>
T OrDie(ember::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: %s DATA_DIR REG_PARAM THREADS [TRANSFORM_REPEATS]\n", argv[0]);
    return 2;
  }
  ember::RetainFreedMemory();  // as the `ember` command does
  const std::string dir = argv[1];
  const double reg = std::atof(argv[2]);
  ember::ThreadPool pool(std::atoi(argv[3]));
  ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  auto train = OrDie(ember::ReadTable(ctx, dir + "/train.csv"), "train.csv");
  auto test = OrDie(ember::ReadTable(ctx, dir + "/test.csv"), "test.csv");
  const std::string spec_text = R"({"stages": [
    {"type": "StringIndexer", "params": {"inputCols": ["c0", "c1", "c2"], "outputCols": ["i0", "i1", "i2"],
                                         "handleInvalid": "keep"}},
    {"type": "OneHotEncoder", "params": {"inputCols": ["i0", "i1", "i2"], "outputCols": ["o0", "o1", "o2"],
                                         "dropLast": false}},
    {"type": "VectorAssembler", "params": {"inputCols": ["o0", "o1", "o2", "x0", "x1", "x2", "x3", "x4", "x5"],
                                           "outputCol": "raw"}},
    {"type": "StandardScaler", "params": {"inputCol": "raw", "outputCol": "features"}},
    {"type": "LogisticRegression", "params": {"regParam": )" +
                                std::to_string(reg) + R"(, "maxIter": 100,
                                              "tol": 1e-6, "standardization": false}}]})";
  auto spec = OrDie(ember::Json::Parse(spec_text), "spec");
  auto pipeline = OrDie(ember::Pipeline::FromSpec(spec, ember::DefaultRegistry()), "pipeline");
  auto t = std::chrono::steady_clock::now();
  auto model = OrDie(pipeline->Fit(train, ctx), "fit");
  const double fit = Since(t);
  const int repeats = argc > 4 ? std::max(1, std::atoi(argv[4])) : 1;
  // Scoring keeps the label and the model's outputs (as predict_proba returns only
  // probabilities); the full transform keeps every intermediate column too.
  const auto& pipeline_model = dynamic_cast<const ember::PipelineModel&>(*model);
  const std::vector<std::string> keep = {"label", "rawPrediction", "probability", "prediction"};
  ember::DataFrame scored;
  auto time_median = [&](const char* what, auto&& run) {
    std::vector<double> times;
    scored = OrDie(run(), what);  // warm-up, untimed
    for (int i = 0; i < repeats; ++i) {
      auto start = std::chrono::steady_clock::now();
      scored = OrDie(run(), what);
      times.push_back(Since(start));
    }
    if (std::getenv("EMBER_BENCH_VERBOSE")) {
      for (double x : times) std::fprintf(stderr, "%s %.4f s\n", what, x);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
  };
  const double full =
      time_median("full transform", [&] { return pipeline_model.Transform(test, ctx); });
  // Stage by stage (every stage's own kernel), then fused (pipeline/fusion.h): the same rows.
  const double stages = time_median("stages transform", [&] {
    return pipeline_model.TransformSelect(test, ctx, keep, {.fuse = false});
  });
  ember::FusionInfo fusion;
  const double transform = time_median("transform", [&] {
    return pipeline_model.TransformSelect(test, ctx, keep, {.info = &fusion});
  });
  if (!fusion.fused) std::fprintf(stderr, "not fused: %s\n", fusion.scoring.c_str());
  if (std::getenv("EMBER_BENCH_VERBOSE")) {
    std::fprintf(stderr, "%s; batches handed back to the stages: %lld\n", fusion.scoring.c_str(),
                 static_cast<long long>(fusion.fallbacks));
  }
  auto stats = OrDie(ember::ComputeModelStatistics::Make({}), "metrics");
  auto metrics = OrDie(stats->Transform(scored, ctx), "metrics");
  auto row = OrDie(metrics.Collect(), "metrics");
  const double auc = OrDie(row.GetColumn("AUC"), "AUC")->Values<double>()[0];
  std::printf(
      "ember threads=%d fit_seconds=%.4f transform_seconds=%.4f stages_transform_seconds=%.4f "
      "full_transform_seconds=%.4f rows=%lld auc=%.6f\n",
      pool.num_threads(), fit, transform, stages, full, static_cast<long long>(scored.num_rows()),
      auc);
  return 0;
}
