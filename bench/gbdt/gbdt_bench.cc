// Ember's side of bench/gbdt: GBDTClassifier on DATA_DIR/train.csv (every column but
// "label" assembled into the features), scored on test.csv. Reading is not timed; fitting
// is (from the in-memory frame to the model, as the peers' DMatrix build plus training).
// Prints one line of key=value:
//   fit_s       fit time          auc        held-out AUC
//   rss_kb      peak resident set (whole process, data included)
//   batch_s     Transform of the test rows (the compiled trees, partitions in parallel)
//   row_us      p50 of one row through the bound model (compiled trees)
//   xgb_row_us  p50 of one row through XGBoosterPredictFromDense (the same booster)
// Usage: ember_bench_gbdt DATA_DIR ROUNDS LEAVES THREADS [forest]
// With "forest": RandomForestClassifier (bench/forest) with ROUNDS trees of depth LEAVES.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ember/exec/allocator.h"
#include "ember/exec/openmp_spin.h"
#include "ember/gbdt/forest.h"
#include "ember/gbdt/gbdt.h"
#include "ember/gbdt/xgboost_api.h"
#include "ember/io/table_io.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/vector_assembler.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

template <typename T>
T OrDie(ember::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

// Area under the ROC curve of `score` for 0/1 `label` (ties count half).
double Auc(std::vector<std::pair<double, double>> scored) {
  std::sort(scored.begin(), scored.end());
  double pos = 0, neg = 0, rank_sum = 0;
  for (size_t i = 0; i < scored.size();) {
    size_t j = i;
    while (j < scored.size() && scored[j].first == scored[i].first) ++j;
    const double mid =
        (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based average rank
    for (size_t k = i; k < j; ++k) {
      if (scored[k].second > 0.5) {
        rank_sum += mid;
        pos += 1;
      } else {
        neg += 1;
      }
    }
    i = j;
  }
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ember;
  ShortenOpenMpSpin(argv);  // as `ember` does (exec/openmp_spin.h)
  const bool forest = argc == 6 && std::string(argv[5]) == "forest";
  if (argc != 5 && !forest) {
    std::fprintf(stderr, "usage: %s DATA_DIR ROUNDS LEAVES THREADS [forest]\n", argv[0]);
    return 2;
  }
  RetainFreedMemory();  // as the `ember` command does
  const std::string dir = argv[1];
  ThreadPool pool(std::atoi(argv[4]));
  ExecContext ctx = ExecContext::WithPool(&pool);
  DataFrame train = OrDie(ReadTable(ctx, dir + "/train.csv"), "train.csv");
  DataFrame test = OrDie(ReadTable(ctx, dir + "/test.csv"), "test.csv");
  VectorAssembler::Params va;
  for (const Field& f : train.schema()->fields()) {
    if (f.name != "label") va.input_cols.push_back(f.name);
  }
  auto assembler = OrDie(VectorAssembler::Make(va), "assembler");
  // Only the assembled features and the label stay (the peers keep one matrix too).
  auto keep = OrDie(SelectColumns::Make({.cols = {"features", "label"}}), "select");
  train = OrDie(keep->Transform(OrDie(assembler->Transform(train, ctx), "assemble train"), ctx),
                "select train");
  test = OrDie(keep->Transform(OrDie(assembler->Transform(test, ctx), "assemble test"), ctx),
               "select test");

  std::shared_ptr<const Estimator> estimator;
  if (forest) {
    RandomForestClassifier::Params p;
    p.forest.num_trees = std::atoi(argv[2]);
    p.trees.max_depth = std::atoi(argv[3]);
    p.trees.num_threads = pool.num_threads();
    estimator = OrDie(RandomForestClassifier::Make(p), "estimator");
  } else {
    GBDTClassifier::Params p;
    p.common.num_iterations = std::atoi(argv[2]);
    p.common.num_leaves = std::atoi(argv[3]);
    p.common.num_threads = pool.num_threads();
    estimator = OrDie(GBDTClassifier::Make(p), "estimator");
  }
  const auto t0 = Clock::now();
  auto model = OrDie(estimator->Fit(train, ctx), "fit");
  const double fit_s = Since(t0);
  train = DataFrame();

  const auto t1 = Clock::now();
  DataFrame scored = OrDie(model->Transform(test, ctx), "transform");
  const double batch_s = Since(t1);
  std::vector<std::pair<double, double>> auc_in;
  // AUC on the margins (rank-equivalent to the probabilities, as the peers compute it).
  const int prob = scored.schema()->FindField("rawPrediction");
  const int label = scored.schema()->FindField("label");
  for (const Batch& b : scored.partitions()) {
    const Column& y = *b.column(label);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      const double yv = y.type_id() == TypeId::kInt64 ? static_cast<double>(y.Values<int64_t>()[r])
                                                      : y.Values<double>()[r];
      auto pr = b.column(prob)->DenseRow(r);
      auto pair = std::make_pair(pr[1], yv);
      auc_in.push_back(pair);
    }
  }
  const double auc = Auc(std::move(auc_in));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);

  // One row at a time: the bound model (compiled trees) and XGBoost's inplace prediction.
  const Batch& part = test.partition(0);
  const int features = part.schema()->FindField("features");
  auto kernel = OrDie(model->Bind(*part.schema()), "bind");
  const auto& booster = *BoosterOf(*model);
  const int64_t d = booster.num_features();
  const int64_t n = std::min<int64_t>(part.num_rows(), 2000);
  KernelScratch scratch;
  std::vector<double> ember_us, xgb_us;
  std::vector<float> row(static_cast<size_t>(d));
  for (int round = 0; round < 2; ++round) {  // round 0 warms up
    for (int64_t r = 0; r < n; ++r) {
      const Batch one = part.Slice(r, 1);
      const auto a = Clock::now();
      auto out = kernel->Apply(one, scratch);
      const double us = Since(a) * 1e6;
      if (!out.ok()) return std::fprintf(stderr, "%s\n", out.status().ToString().c_str()), 1;
      auto x = part.column(features)->DenseRow(r);
      for (int64_t j = 0; j < d; ++j) row[j] = static_cast<float>(x[j]);
      const auto b = Clock::now();
      auto xgb = booster.xgb().PredictDense(row.data(), 1, d, 0, 0);
      const double xus = Since(b) * 1e6;
      if (!xgb.ok()) return std::fprintf(stderr, "%s\n", xgb.status().ToString().c_str()), 1;
      if (round == 1) {
        ember_us.push_back(us);
        xgb_us.push_back(xus);
      }
    }
  }
  std::printf(
      "ember fit_s=%.3f auc=%.5f rss_kb=%ld batch_s=%.4f row_us=%.2f xgb_row_us=%.2f trees=%d\n",
      fit_s, auc, usage.ru_maxrss, batch_s, Median(ember_us), Median(xgb_us), booster.num_trees());
  return 0;
}
