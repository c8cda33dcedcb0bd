// Reads a CSV with Ember's reader on a pool of N threads, R times, and prints one line per
// run: "ember threads=N seconds=S rows=K".
// Usage: ember_bench_csv_read FILE THREADS RUNS
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "ember/io/csv.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s FILE THREADS RUNS\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[2]), runs = std::atoi(argv[3]);
  ember::ThreadPool pool(threads);
  ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto frame = ember::ReadCsv(ctx, argv[1]);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!frame.ok()) {
      std::fprintf(stderr, "%s\n", frame.status().ToString().c_str());
      return 1;
    }
    std::printf("ember threads=%d seconds=%.4f rows=%lld\n", threads, s,
                static_cast<long long>(frame->num_rows()));
    std::fflush(stdout);
  }
  return 0;
}
