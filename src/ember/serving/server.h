// Ember Serving: fitted pipelines as an HTTP/1.1 service (Boost.Beast on Asio).
//
//   auto server = Server::Start({.port = 8080, .routes = {{.path = "/predict", .model_dir =
//   "model"}},
//                                .registry = &DefaultRegistry()});
//   (*server)->Wait();   // until Shutdown() (SIGTERM in `ember serve`)
//
// One event loop per thread, each with its own listening socket on the same port
// (SO_REUSEPORT: the kernel spreads connections), so a request is read, run and answered on
// one thread with no hand-off; a model whose kernel blocks (a remote call, a deep network)
// runs on a pool of its own and its reply is posted back to the connection's loop. Every
// request gets exactly one reply:
//   200  the reply columns of the request's rows (an object, or an array for an array)
//   400  a body that is not JSON or does not fit the input schema (field, expected type and
//        received value named), or a row the pipeline rejects (an unseen category ...)
//   401  missing or wrong API key        404 unknown path          405 wrong method
//   413  body larger than max_body_bytes, or more rows than max_rows
// (A client whose headers or body do not arrive within the timeouts has its connection
// closed: it is not reading, so no reply is written.)
//   503  more than max_in_flight requests in progress, or request bodies held past
//        max_buffered_bytes (Retry-After: 1), or shutting down
// An API key is checked on the headers, before any body is read. After a reply that closes
// the connection (an error that leaves the stream unusable), the server stops sending and
// reads what the client still sends for a moment before closing, so the client reads every
// reply written before it (pipelined ones too) instead of a connection reset.
//   504  the request's deadline passed before its pipeline ran
//   500  anything else, with a JSON error; never a crash or a hang
// Operations: GET /health, GET /ready, GET /metrics (Prometheus), GET /models, and
// POST /admin/reload (as Reload()).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/serving/metrics.h"
#include "ember/serving/model.h"

namespace ember::serving {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (Server::port() tells which)
  int threads = 0;  // event loops; 0: one per core
  // Threads that run blocking models (a stage that calls a remote service or runs a deep
  // network; see BoundTransform::blocking) so that the event loops keep answering other
  // routes, /health and /metrics meanwhile; 0: max(8, 4 per core), as such models mostly
  // wait. A model that does not block runs on the loop that read its request.
  int blocking_threads = 0;
  std::vector<RouteOptions> routes;
  // The stages saved models may use (DefaultRegistry() in programs); needed to load routes
  // from their model_dir, at start and on reload. Not owned; must outlive the server.
  const StageRegistry* registry = nullptr;
  int64_t max_body_bytes = int64_t{16} << 20;
  // Request body bytes held at once over every connection (a body is counted from its
  // headers, by its Content-Length, or max_body_bytes when chunked); a request past it is a
  // 503 with Retry-After, so many large bodies cannot exhaust memory.
  int64_t max_buffered_bytes = int64_t{256} << 20;
  int64_t max_in_flight = 4096;
  // Rows in one request: more is a 413 naming the limit (the reply grows with the rows).
  int64_t max_rows = 10000;
  // Open connections at most; past it a connection gets a 503 and is closed. 0: the
  // descriptor limit (RLIMIT_NOFILE) less 64 kept for files and the models.
  int64_t max_connections = 0;
  // Per-request deadline; a request may ask for another with the header X-Ember-Deadline-Ms
  // (larger values are taken as kMaxDeadlineMs).
  int64_t deadline_ms = 10000;
  int64_t header_timeout_ms = 10000;  // from connection (or previous reply) to complete headers
  int64_t body_timeout_ms = 30000;    // from headers to complete body
  // From a reply's first byte to its last taken by the client: a client that does not read
  // its replies is closed (and counted) rather than holding a request slot.
  int64_t write_timeout_ms = 10000;
  // Non-empty: requests other than /health and /ready need "X-API-Key: KEY" or
  // "Authorization: Bearer KEY".
  std::string api_key;
  // Micro-batching: with batch_max_rows > 0, requests to a route are gathered for up to
  // batch_wait_us microseconds or batch_max_rows rows and run as one batch; each request is
  // answered from its own rows. Off (0) by default: for cheap models waiting only adds latency.
  int64_t batch_max_rows = 0;
  int64_t batch_wait_us = 500;
  // On Shutdown, how long in-flight requests may take before connections are closed.
  int64_t drain_timeout_ms = 30000;
};

// The longest deadline a request or the server may set: one day.
inline constexpr int64_t kMaxDeadlineMs = int64_t{24} * 3600 * 1000;

class Server {
 public:
  // Loads and binds every route's model, listens, and starts the event loops; the server is
  // ready (GET /ready is 200) when this returns.
  static Result<std::unique_ptr<Server>> Start(ServerOptions options);
  // The same with models already loaded, one per route in order (the C++ API and tests);
  // Reload() re-reads the routes' model_dir (with options.registry).
  static Result<std::unique_ptr<Server>> Start(
      ServerOptions options, std::vector<std::shared_ptr<const LoadedModel>> models);
  ~Server();  // Shutdown() and Wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  const Metrics& metrics() const;
  // Loads every route's model again from disk and swaps each in whole; a route whose load
  // fails keeps serving its old model. Returns the first failure. Requests already running
  // finish on the model they started with.
  Status Reload();
  // Stops accepting, answers what is in flight (up to drain_timeout_ms), closes idle
  // connections and stops the loops. Returns at once; Wait() for the end.
  void Shutdown();
  void Wait();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember::serving
