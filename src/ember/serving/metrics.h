// Server metrics, updated lock-free from every event loop and rendered in the Prometheus
// text format (GET /metrics):
//   ember_requests_total{route,status}        counter
//   ember_request_seconds{route}              histogram of request latency (read to reply)
//   ember_batch_rows{route}                   histogram of rows per pipeline run
//   ember_in_flight                           gauge: requests read and not yet answered
//   ember_queue_depth                         gauge: requests waiting for a micro-batch
//   ember_rejected_total                      counter: 503s for a full queue
//   ember_model_version{route}                gauge: bumped by every successful reload
//   ember_connections                         gauge: open connections
//   ember_connections_refused_total           counter: refused at the connection limit
//   ember_stalled_readers_closed_total        counter: a reply not taken within its deadline
//   ember_accept_fd_exhausted_total           counter: accepts that found no descriptor left
//   ember_body_bytes_buffered                 gauge: request body bytes held, all connections
//   ember_body_bytes_refused_total            counter: 503s for the global body-bytes bound
// Requests to /health, /metrics and other non-model paths count under route="".
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ember::serving {

class Metrics {
 public:
  explicit Metrics(std::vector<std::string> routes);

  // `route` indexes the routes given at construction; -1 for non-model paths.
  void RecordRequest(int route, int status, double seconds);
  void RecordBatch(int route, int64_t rows);
  void SetModelVersion(int route, int64_t version);

  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> queue_depth{0};
  std::atomic<int64_t> rejected{0};
  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> connections_refused{0};
  std::atomic<int64_t> stalled_closed{0};
  std::atomic<int64_t> fd_exhausted{0};
  std::atomic<int64_t> body_bytes{0};
  std::atomic<int64_t> body_bytes_refused{0};

  // Requests answered with `status` on `route` so far (for tests and logs).
  int64_t Count(int route, int status) const;
  std::string Prometheus() const;

 private:
  static constexpr std::array<double, 17> kLatencyBounds = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
  static constexpr std::array<double, 11> kBatchBounds = {1,  2,   4,   8,   16,  32,
                                                          64, 128, 256, 512, 1024};
  struct PerRoute {
    std::array<std::atomic<int64_t>, 600> status{};
    std::array<std::atomic<int64_t>, kLatencyBounds.size() + 1> latency{};
    std::atomic<int64_t> latency_ns{0};
    std::array<std::atomic<int64_t>, kBatchBounds.size() + 1> batch{};
    std::atomic<int64_t> batch_rows{0};
    std::atomic<int64_t> version{0};
  };
  PerRoute& At(int route) {
    return *per_route_[route < 0 ? per_route_.size() - 1 : static_cast<size_t>(route)];
  }
  std::vector<std::string> routes_;
  std::vector<std::unique_ptr<PerRoute>> per_route_;  // routes_, then the non-model paths
};

}  // namespace ember::serving
