// bench/http's Ember side (run.sh drives it):
//   ember_bench_http URL N CONCURRENCY [ENGINE=auto]
// HTTPTransformer sends N GET requests to URL over one partition with CONCURRENCY in flight
// (after 200 untimed warm-up calls) on ENGINE (auto, native or libcurl); prints requests/s
// and how many failed.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "ember/core/builder.h"
#include "ember/exec/allocator.h"
#include "ember/http/http_stages.h"

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: ember_bench_http URL N CONCURRENCY [auto|native|libcurl]\n");
    return 2;
  }
  const std::string engine = argc == 5 ? argv[4] : "auto";
  if (engine != "auto" && engine != "native" && engine != "libcurl") {
    std::fprintf(stderr, "ember_bench_http: unknown engine '%s' (auto, native or libcurl)\n",
                 engine.c_str());
    return 2;
  }
  ember::RetainFreedMemory();
  const std::string url = argv[1];
  const int64_t n = std::atoll(argv[2]);
  const int64_t concurrency = std::atoll(argv[3]);
  auto frame = [&](int64_t rows) {
    std::vector<std::optional<ember::http::Request>> requests(static_cast<size_t>(rows),
                                                              ember::http::Request{.url = url});
    auto schema = *ember::Schema::Make({ember::MakeField("request", ember::HttpRequestType())});
    return ember::DataFrame::FromBatch(
        *ember::Batch::Make(schema, {ember::RequestColumn(requests)}));
  };
  ember::HTTPTransformer::Params p;
  p.call.concurrency = concurrency;
  p.call.engine = engine == "native"    ? ember::http::Engine::kNative
                  : engine == "libcurl" ? ember::http::Engine::kLibcurl
                                        : ember::http::Engine::kAuto;
  auto stage = *ember::HTTPTransformer::Make(p);
  ember::ThreadPool pool(1);
  const ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  (void)stage->Transform(frame(200), ctx);  // warm-up
  const ember::DataFrame in = frame(n);
  const auto t0 = std::chrono::steady_clock::now();
  auto out = stage->Transform(in, ctx);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!out.ok()) {
    std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
    return 1;
  }
  int64_t failed = 0;
  for (const ember::Batch& b : out->partitions())
    failed += b.num_rows() - b.column(2)->null_count();
  std::printf("%s c=%lld rps=%.0f failed=%lld\n", engine == "libcurl" ? "ember-libcurl" : "ember",
              static_cast<long long>(concurrency), static_cast<double>(n) / secs,
              static_cast<long long>(failed));
  return failed == 0 ? 0 : 1;
}
