#include "ember/serving/metrics.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace ember::serving {

namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);  // "5e-05", "0.0005", "2.5", "1024"
  return buf;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string Label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

template <size_t N, size_t M>
void Histogram(std::string* out, const std::string& name, const std::string& labels,
               const std::array<double, N>& bounds,
               const std::array<std::atomic<int64_t>, M>& counts, double sum) {
  int64_t cumulative = 0;
  for (size_t i = 0; i < M; ++i) {
    cumulative += counts[i].load(std::memory_order_relaxed);
    *out += name + "_bucket{" + labels + ",le=\"" + (i < N ? Num(bounds[i]) : "+Inf") + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  *out += name + "_sum{" + labels + "} " + Num(sum) + "\n";
  *out += name + "_count{" + labels + "} " + std::to_string(cumulative) + "\n";
}

}  // namespace

Metrics::Metrics(std::vector<std::string> routes) : routes_(std::move(routes)) {
  for (size_t i = 0; i <= routes_.size(); ++i) per_route_.push_back(std::make_unique<PerRoute>());
}

void Metrics::RecordRequest(int route, int status, double seconds) {
  PerRoute& r = At(route);
  r.status[std::clamp(status, 0, 599)].fetch_add(1, std::memory_order_relaxed);
  const size_t b = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds) -
                   kLatencyBounds.begin();
  r.latency[b].fetch_add(1, std::memory_order_relaxed);
  r.latency_ns.fetch_add(static_cast<int64_t>(seconds * 1e9), std::memory_order_relaxed);
}

void Metrics::RecordBatch(int route, int64_t rows) {
  PerRoute& r = At(route);
  const size_t b =
      std::lower_bound(kBatchBounds.begin(), kBatchBounds.end(), static_cast<double>(rows)) -
      kBatchBounds.begin();
  r.batch[b].fetch_add(1, std::memory_order_relaxed);
  r.batch_rows.fetch_add(rows, std::memory_order_relaxed);
}

void Metrics::SetModelVersion(int route, int64_t version) { At(route).version.store(version); }

int64_t Metrics::Count(int route, int status) const {
  const size_t i = route < 0 ? per_route_.size() - 1 : static_cast<size_t>(route);
  return per_route_[i]->status[std::clamp(status, 0, 599)].load();
}

std::string Metrics::Prometheus() const {
  std::string out;
  auto route_label = [&](size_t i) {
    return "route=\"" + (i < routes_.size() ? Label(routes_[i]) : "") + "\"";
  };
  out +=
      "# HELP ember_requests_total Requests answered, by route and HTTP status.\n"
      "# TYPE ember_requests_total counter\n";
  for (size_t i = 0; i < per_route_.size(); ++i) {
    for (int s = 0; s < 600; ++s) {
      const int64_t n = per_route_[i]->status[s].load(std::memory_order_relaxed);
      if (n > 0)
        out += "ember_requests_total{" + route_label(i) + ",status=\"" + std::to_string(s) +
               "\"} " + std::to_string(n) + "\n";
    }
  }
  out +=
      "# HELP ember_request_seconds Time from a request's headers being read to its reply being "
      "queued.\n"
      "# TYPE ember_request_seconds histogram\n";
  for (size_t i = 0; i < per_route_.size(); ++i) {
    Histogram(&out, "ember_request_seconds", route_label(i), kLatencyBounds, per_route_[i]->latency,
              per_route_[i]->latency_ns.load() / 1e9);
  }
  out += "# HELP ember_batch_rows Rows per pipeline run.\n# TYPE ember_batch_rows histogram\n";
  for (size_t i = 0; i < routes_.size(); ++i) {
    Histogram(&out, "ember_batch_rows", route_label(i), kBatchBounds, per_route_[i]->batch,
              static_cast<double>(per_route_[i]->batch_rows.load()));
  }
  out +=
      "# HELP ember_in_flight Requests read and not yet answered.\n# TYPE ember_in_flight gauge\n";
  out += "ember_in_flight " + std::to_string(in_flight.load()) + "\n";
  out +=
      "# HELP ember_queue_depth Requests waiting for a micro-batch.\n# TYPE ember_queue_depth "
      "gauge\n";
  out += "ember_queue_depth " + std::to_string(queue_depth.load()) + "\n";
  out +=
      "# HELP ember_rejected_total Requests refused with 503 because the queue was full.\n"
      "# TYPE ember_rejected_total counter\n";
  out += "ember_rejected_total " + std::to_string(rejected.load()) + "\n";
  const std::pair<const char*, const std::atomic<int64_t>*> more[] = {
      {"# HELP ember_connections Open connections.\n# TYPE ember_connections gauge\n"
       "ember_connections ",
       &connections},
      {"# HELP ember_connections_refused_total Connections refused at the connection limit.\n"
       "# TYPE ember_connections_refused_total counter\nember_connections_refused_total ",
       &connections_refused},
      {"# HELP ember_stalled_readers_closed_total Connections closed because the client did not "
       "take a reply within the write timeout.\n# TYPE ember_stalled_readers_closed_total "
       "counter\nember_stalled_readers_closed_total ",
       &stalled_closed},
      {"# HELP ember_accept_fd_exhausted_total Accepts that found no file descriptor left (the "
       "server backs off and keeps serving its connections).\n# TYPE "
       "ember_accept_fd_exhausted_total counter\nember_accept_fd_exhausted_total ",
       &fd_exhausted},
      {"# HELP ember_body_bytes_buffered Request body bytes held, over all connections.\n# TYPE "
       "ember_body_bytes_buffered gauge\nember_body_bytes_buffered ",
       &body_bytes},
      {"# HELP ember_body_bytes_refused_total Requests refused with 503 because the bodies "
       "already held reached the bound.\n# TYPE ember_body_bytes_refused_total counter\n"
       "ember_body_bytes_refused_total ",
       &body_bytes_refused}};
  for (const auto& [text, value] : more) out += text + std::to_string(value->load()) + "\n";
  out +=
      "# HELP ember_model_version Version of the model serving each route (1 at start, +1 per "
      "reload).\n"
      "# TYPE ember_model_version gauge\n";
  for (size_t i = 0; i < routes_.size(); ++i) {
    out += "ember_model_version{" + route_label(i) + "} " +
           std::to_string(per_route_[i]->version.load()) + "\n";
  }
  return out;
}

}  // namespace ember::serving
