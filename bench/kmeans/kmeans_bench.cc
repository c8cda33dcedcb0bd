// Ember's side of bench/kmeans: KMeans on DATA.csv (every column assembled into the
// features), k centres, THREADS threads, MAX_ITER iterations at most (tol 1e-4). Reading is
// not timed. Prints one line of key=value: fit_s, inertia (the training cost), iterations.
// Usage: ember_bench_kmeans DATA.csv K THREADS SEED MAX_ITER
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ember/clustering/kmeans.h"
#include "ember/exec/allocator.h"
#include "ember/io/table_io.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/vector_assembler.h"

namespace {

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
  using namespace ember;
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s DATA.csv K THREADS SEED MAX_ITER\n", argv[0]);
    return 2;
  }
  RetainFreedMemory();  // as the `ember` command does
  ThreadPool pool(std::atoi(argv[3]));
  ExecContext ctx = ExecContext::WithPool(&pool);
  DataFrame data = OrDie(ReadTable(ctx, argv[1]), "read");
  VectorAssembler::Params va;
  for (const Field& f : data.schema()->fields()) va.input_cols.push_back(f.name);
  auto assembler = OrDie(VectorAssembler::Make(va), "assembler");
  auto keep = OrDie(SelectColumns::Make({.cols = {"features"}}), "select");
  data = OrDie(keep->Transform(OrDie(assembler->Transform(data, ctx), "assemble"), ctx), "select");
  KMeans::Params p;
  p.k = std::atoi(argv[2]);
  p.seed = std::atoll(argv[4]);
  p.max_iter = std::atoi(argv[5]);
  auto estimator = OrDie(KMeans::Make(p), "estimator");
  const auto t0 = std::chrono::steady_clock::now();
  auto model = OrDie(estimator->Fit(data, ctx), "fit");
  const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto& km = static_cast<const KMeansModel&>(*model);
  std::printf("ember fit_s=%.3f inertia=%.6e iterations=%d\n", fit_s, km.training_cost(),
              km.num_iter());
  return 0;
}
