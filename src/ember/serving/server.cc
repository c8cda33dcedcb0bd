// The HTTP server (the one translation unit that includes Beast). See server.h for the
// protocol. Threading: each Loop is one io_context run by one thread; a Session lives on
// its loop and is only touched there, so sessions, batchers and scratch need no locks. The
// shared parts are the route models (atomic shared_ptr swaps) and Metrics (atomics).
#include "ember/serving/server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "ember/base/json.h"
#include "ember/base/status_macros.h"
#include "ember/base/version.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/allocator.h"
#include "ember/exec/thread_pool.h"
#include "ember/pipeline/save_load.h"
#include "ember/serving/internal/dispatch.h"
#include "ember/serving/internal/http_request.h"

namespace ember::serving {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using internal::JsonError;
using internal::Reply;
using internal::RequestData;
using internal::RequestParser;

// CLOCK_MONOTONIC_COARSE (a few ns, ~4 ms resolution): enough for connection timeouts,
// which are swept by each loop rather than armed as a timer per read.
struct CoarseClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<CoarseClock>;
  static constexpr bool is_steady = true;
  static time_point now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  }
};

namespace {

// "ember/<version>", the Server header of every reply.
const std::string& ServerHeader() {
  static const std::string* header = new std::string(std::string("ember/") + EmberVersion());
  return *header;
}

struct Route {
  RouteOptions options;
  ModelSlot model;
};

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

struct Loop;
class Session;

struct Server::Impl {
  ServerOptions options;
  std::vector<std::unique_ptr<Route>> routes;
  Metrics metrics;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  // A connection gave back a large buffer: the next sweep with no body held asks the
  // allocator to return free memory (exec/allocator.h).
  std::atomic<bool> release_memory{false};
  std::atomic<int64_t> sessions{0};
  std::vector<std::string> raw_paths;  // routes in raw mode
  int port = 0;
  std::mutex reload_mu;
  std::thread drainer;
  // After the members above, so destroyed before them: the loops' pending handlers own
  // sessions, which use those members as they go.
  std::vector<std::unique_ptr<Loop>> loops;
  // Runs blocking models (see BoundTransform::blocking) off the event loops. Last, so
  // destroyed first: its queued work posts replies to the loops.
  std::unique_ptr<ThreadPool> compute;

  explicit Impl(ServerOptions o, std::vector<std::string> paths)
      : options(std::move(o)), metrics(std::move(paths)) {}
  int RouteIndex(std::string_view path) const {
    for (size_t i = 0; i < routes.size(); ++i) {
      if (routes[i]->options.path == path) return static_cast<int>(i);
    }
    return -1;
  }
  Status ReloadAll();
  std::string ModelsJson() const;
};

namespace {

// A request waiting to run (or for its micro-batch).
struct Pending {
  std::shared_ptr<Session> session;
  internal::RequestRows request;
};

}  // namespace

// One event loop: its io_context, listening socket, kernel scratch and micro-batchers.
struct Loop {
  // Declared so that the io_context (whose pending handlers own sessions) is destroyed
  // before `live` and the scratch the sessions use.
  Server::Impl* server;
  std::unordered_set<Session*> live;  // sessions on this loop (for closing idle ones)
  KernelScratch scratch;
  net::io_context ioc{
      BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};  // one thread runs it; posts still come from others
  tcp::acceptor acceptor{ioc};
  struct Batcher {
    std::vector<Pending> pending;
    int64_t rows = 0;
    std::unique_ptr<net::steady_timer> timer;
    bool armed = false;
  };
  std::vector<Batcher> batchers;  // one per route
  // A descriptor kept open to give back when accept finds none left (EMFILE): with it the
  // loop takes the waiting connection, answers 503 and closes it, instead of leaving it in
  // the backlog, where accept would fail again at once (a loop spinning at full CPU).
  int reserve_fd = -1;

  explicit Loop(Server::Impl* s) : server(s), batchers(s->routes.size()) {
    for (auto& b : batchers) b.timer = std::make_unique<net::steady_timer>(ioc);
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  ~Loop() {
    batchers.clear();
    sweeper.reset();
    accept_backoff.reset();
    if (reserve_fd >= 0) ::close(reserve_fd);
  }  // pending requests (and their sessions) before the io_context
  void Accept();
  // Runs `work` and sends its replies, one per session in order, on this loop. A blocking
  // model runs on the server's compute pool and its replies are posted back here, so this
  // loop keeps serving its other connections meanwhile.
  void Run(int route, bool blocking, std::vector<std::shared_ptr<Session>> sessions,
           std::function<std::vector<Reply>(KernelScratch&)> work);
  void Enqueue(int route, Pending p);
  void Flush(int route);
  void CloseIdle();
  // Every sweep interval: closes connections whose read or write has outlived its timeout
  // (one timer per loop instead of one per request).
  void Sweep();
  std::unique_ptr<net::steady_timer> sweeper = std::make_unique<net::steady_timer>(ioc);
  std::unique_ptr<net::steady_timer> accept_backoff = std::make_unique<net::steady_timer>(ioc);
  // Out of descriptors: sheds the connection waiting in the backlog (with the reserve
  // descriptor) and accepts again after a pause.
  void AcceptAfterFdExhaustion();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Loop* loop) : socket_(std::move(socket)), loop_(loop) {
    loop_->live.insert(this);
    ++loop_->server->sessions;
    ++loop_->server->metrics.connections;
  }
  ~Session() {
    if (counted_) --loop_->server->metrics.in_flight;
    ReleaseBody();
    // Large buffers go with the connection: let the allocator give them back (Loop::Sweep).
    if (request_.body.capacity() + out_.capacity() + buffer_.capacity() > (256 << 10))
      loop_->server->release_memory = true;
    loop_->live.erase(this);
    --loop_->server->sessions;
    --loop_->server->metrics.connections;
  }

  void Start() { ReadHeader(); }
  bool busy() const { return busy_; }
  // When the current read or write must have finished (the loop's sweeper closes the
  // connection after that); time_point::max() while the pipeline runs.
  CoarseClock::time_point expires() const { return expires_; }
  // A reply is being written (its deadline passing means the client does not read).
  bool writing() const { return writing_; }
  void Close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  // Sends `reply` to the request being served (exactly once per request).
  void Send(Reply reply, int route);
  // Answers 503 (Retry-After: 1) when more than max_in_flight requests are in progress;
  // true when it did.
  bool Overloaded(int route) {
    Server::Impl& s = *loop_->server;
    if (s.metrics.in_flight.load() <= s.options.max_in_flight) return false;
    ++s.metrics.rejected;
    Reply r = JsonError(503, "too many requests in progress; retry later");
    r.headers.emplace_back("Retry-After", "1");
    Send(std::move(r), route);
    return true;
  }
  // Answers a request that could not be read whole with an error, and closes the
  // connection (what follows on it cannot be trusted).
  void Refuse(int status, const std::string& message) {
    Reply r = JsonError(status, message);
    r.close = true;
    Send(std::move(r), -1);
  }

 private:
  void ReadHeader();
  void OnHeader(beast::error_code ec, size_t);
  void ReadBody();
  void OnBody(beast::error_code ec, size_t);
  void Handle();
  void HandleModel(int route);
  void HandleRaw(int route);
  void OnWritten(bool close, beast::error_code ec, size_t);
  // After a reply that ends the connection: stop sending (FIN), then read and drop what the
  // client still sends, for a moment, before closing. Closing with unread bytes would reset
  // the connection and lose the replies the client has not read yet (pipelined ones, or the
  // 413 of a body it is still sending).
  void Linger();
  void DrainSome();
  // The 401 for a request without the right API key, or nullopt (checked on the headers).
  std::optional<Reply> KeyProblem(std::string_view path) const;
  // Gives back the body bytes this request held (ServerOptions::max_buffered_bytes).
  void ReleaseBody() {
    if (reserved_ > 0) loop_->server->metrics.body_bytes -= reserved_;
    reserved_ = 0;
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  RequestData request_;
  std::string out_;  // the serialized reply, capacity reused
  Loop* loop_;
  Clock::time_point start_;
  bool counted_ = false;  // in metrics.in_flight
  bool busy_ = false;     // a request is being read past its headers, run, or answered
  bool writing_ = false;  // a reply is being written
  int64_t reserved_ = 0;  // body bytes counted in metrics.body_bytes
  int64_t drained_ = 0;   // bytes dropped while lingering
  CoarseClock::time_point expires_ = CoarseClock::time_point::max();
};

// --- Session -----------------------------------------------------------------------------

void Session::ReadHeader() {
  busy_ = false;
  if (loop_->server->draining) {
    Close();
    return;
  }
  ReleaseBody();
  // Memory back after a large request: a connection keeps at most 1 MiB of buffers idle.
  constexpr size_t kKeep = 1 << 20;
  const bool large = request_.body.capacity() > kKeep || out_.capacity() > kKeep ||
                     (buffer_.capacity() > kKeep && buffer_.size() < kKeep);
  if (request_.body.capacity() > kKeep) std::string().swap(request_.body);
  if (out_.capacity() > kKeep) std::string().swap(out_);
  if (buffer_.capacity() > kKeep && buffer_.size() < kKeep) buffer_.shrink_to_fit();
  if (large) loop_->server->release_memory = true;
  request_.Clear();
  request_.raw_paths = &loop_->server->raw_paths;
  parser_.emplace(&request_);
  parser_->header_limit(64 * 1024);
  parser_->body_limit(static_cast<uint64_t>(loop_->server->options.max_body_bytes));
  expires_ =
      CoarseClock::now() + std::chrono::milliseconds(loop_->server->options.header_timeout_ms);
  http::async_read_header(socket_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
}

void Session::OnHeader(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
      ec == net::error::eof || ec == net::error::connection_reset ||
      ec == net::error::bad_descriptor) {
    // Idle, gone, or headers too slow (the stream has closed the socket): a slow client
    // holds nothing, and there is nobody to answer.
    Close();
    return;
  }
  busy_ = true;
  start_ = Clock::now();
  if (ec == http::error::body_limit) {  // Content-Length says too much: refuse before reading it
    return Refuse(413, "request body larger than " +
                           std::to_string(loop_->server->options.max_body_bytes) + " bytes");
  }
  if (ec == http::error::bad_transfer_encoding) {
    return Refuse(400,
                  "malformed HTTP request: Transfer-Encoding must be exactly 'chunked', and not "
                  "given with a Content-Length");
  }
  if (ec) {
    return Refuse(400, "malformed HTTP request: " + ec.message());
  }
  Server::Impl& s = *loop_->server;
  const std::string_view target = request_.target;
  if (std::optional<Reply> denied = KeyProblem(target.substr(0, target.find('?')))) {
    // A body not already here is never read (the connection ends after the 401); one that
    // came with the headers is, and the connection stays (Handle answers the 401).
    const auto length = parser_->content_length();
    if (!parser_->is_done() && !(length && *length <= buffer_.size())) {
      denied->close = true;
      return Send(std::move(*denied), -1);
    }
  }
  if (!parser_->is_done()) {
    // The body's bytes count against the bound over every connection from now on.
    const auto length = parser_->content_length();
    const int64_t need = length ? static_cast<int64_t>(*length) : s.options.max_body_bytes;
    if (s.metrics.body_bytes.fetch_add(need) + need > s.options.max_buffered_bytes) {
      s.metrics.body_bytes -= need;
      ++s.metrics.body_bytes_refused;
      Reply r = JsonError(503, "too many request bytes held by the server; retry later");
      r.headers.emplace_back("Retry-After", "1");
      r.close = true;
      return Send(std::move(r), -1);
    }
    reserved_ = need;
  }
  if (parser_->is_done()) {  // the body came with the headers (small requests): no timer to arm
    OnBody({}, 0);
    return;
  }
  expires_ = CoarseClock::now() + std::chrono::milliseconds(loop_->server->options.body_timeout_ms);
  if (request_.expect_continue) {
    // curl sends "Expect: 100-continue" for bodies over 1 kB and waits a second for this.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](beast::error_code wec, size_t) {
                       if (wec) {
                         self->Close();
                         return;
                       }
                       self->ReadBody();
                     });
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  http::async_read(socket_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::OnBody, shared_from_this()));
}

void Session::OnBody(beast::error_code ec, size_t) {
  if (ec == http::error::body_limit) {
    return Refuse(413, "request body larger than " +
                           std::to_string(loop_->server->options.max_body_bytes) + " bytes");
  }
  if (ec == net::error::operation_aborted || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::bad_descriptor ||
      ec == http::error::end_of_stream || ec == http::error::partial_message) {
    Close();  // the client went away mid-request, or is too slow: nobody to answer
    return;
  }
  if (ec) {
    return Refuse(400, "malformed HTTP request: " + ec.message());
  }
  expires_ = CoarseClock::time_point::max();
  try {
    Handle();
  } catch (const std::exception& e) {
    Send(JsonError(500, std::string("internal error: ") + e.what()), -1);
  }
}

void Session::Handle() {
  Server::Impl& s = *loop_->server;
  auto& metrics = s.metrics;
  ++metrics.in_flight;
  counted_ = true;
  const std::string_view target = request_.target;
  const std::string_view path = target.substr(0, target.find('?'));
  const http::verb method = request_.method;
  const int route = s.RouteIndex(path);
  auto method_not_allowed = [&](const char* allow) {
    Reply r = JsonError(405, "method " + request_.method_name + " is not allowed on " +
                                 std::string(path) + "; use " + allow);
    r.headers.emplace_back("Allow", allow);
    Send(std::move(r), route);
  };
  const bool get = method == http::verb::get || method == http::verb::head;
  if (path == "/health") {
    if (!get) return method_not_allowed("GET");
    return Send({.body = R"({"status":"alive"})"}, -1);
  }
  if (path == "/ready") {
    if (!get) return method_not_allowed("GET");
    if (s.draining) return Send(JsonError(503, "shutting down"), -1);
    return Send({.body = R"({"status":"ready"})"}, -1);
  }
  // (OnHeader refused a request without the key whose body was still to come.)
  if (std::optional<Reply> denied = KeyProblem(path)) return Send(std::move(*denied), route);
  if (path == "/metrics") {
    if (!get) return method_not_allowed("GET");
    return Send({.body = metrics.Prometheus(), .content_type = "text/plain; version=0.0.4"}, -1);
  }
  if (path == "/models") {
    if (!get) return method_not_allowed("GET");
    return Send({.body = s.ModelsJson()}, -1);
  }
  if (path == "/admin/reload") {
    if (method != http::verb::post) return method_not_allowed("POST");
    // Loading models takes as long as it takes: on the compute pool, not this loop.
    return loop_->Run(-1, true, {shared_from_this()}, [&s](KernelScratch&) {
      Status st = s.ReloadAll();
      return std::vector<Reply>{
          st.ok()
              ? Reply{.body = s.ModelsJson()}
              : JsonError(500, "reload failed; the previous models keep serving: " + st.message())};
    });
  }
  if (route < 0) return Send(JsonError(404, "no route " + std::string(path)), -1);
  if (s.routes[route]->options.raw) return HandleRaw(route);  // any method, checks its own load
  if (method != http::verb::post) return method_not_allowed("POST");
  if (Overloaded(route)) return;
  HandleModel(route);
}

std::optional<Reply> Session::KeyProblem(std::string_view path) const {
  const std::string& want = loop_->server->options.api_key;
  if (want.empty() || path == "/health" || path == "/ready") return std::nullopt;
  std::string_view key = request_.api_key;
  if (key.empty() && std::string_view(request_.authorization).rfind("Bearer ", 0) == 0) {
    key = std::string_view(request_.authorization).substr(7);
  }
  if (!key.empty() && ConstantTimeEquals(key, want)) return std::nullopt;
  Reply r =
      JsonError(401, key.empty() ? "an API key is required (X-API-Key or Authorization: Bearer)"
                                 : "wrong API key");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

void Session::HandleModel(int route) {
  Server::Impl& s = *loop_->server;
  int64_t deadline_ms = s.options.deadline_ms;
  if (request_.has_deadline) {
    const std::string& v = request_.deadline;
    char* end = nullptr;
    errno = 0;
    long long ms = std::strtoll(v.c_str(), &end, 10);
    if (errno == ERANGE && ms > 0) ms = kMaxDeadlineMs;  // huge: as long as the server allows
    if (v.empty() || *end != '\0' || ms <= 0) {
      return Send(
          JsonError(
              400, "header X-Ember-Deadline-Ms: expected a positive number of milliseconds, got '" +
                       v + "'"),
          route);
    }
    deadline_ms = std::min<long long>(ms, kMaxDeadlineMs);
  }
  std::shared_ptr<const LoadedModel> model = s.routes[route]->model.load();
  bool array = false;
  DecodeProblem problem;
  // An image body (Content-Type image/...) is one row of the model's image field.
  const bool image = request_.content_type.size() > 6 &&
                     beast::iequals(beast::string_view(request_.content_type.data(), 6), "image/");
  Result<Batch> rows = image ? model->decoder().DecodeImageBody(request_.body)
                             : model->decoder().Decode(request_.body, &array, &problem);
  if (!rows.ok()) {
    Json extra = Json::MakeObject();
    if (!problem.problem.field.empty()) extra.Set("field", problem.problem.field);
    extra.Set("expected", problem.problem.expected);
    extra.Set("received", problem.problem.received);
    if (array) extra.Set("row", problem.row);
    return Send(JsonError(400, rows.status().message(), std::move(extra)), route);
  }
  if (rows->num_rows() > s.options.max_rows) {
    return Send(JsonError(413, "the request has " + std::to_string(rows->num_rows()) +
                                   " rows; this server takes at most " +
                                   std::to_string(s.options.max_rows) +
                                   " per request (max_rows, ember serve --max-rows)"),
                route);
  }
  Pending p{
      shared_from_this(),
      {std::move(model), std::move(*rows), array, start_ + std::chrono::milliseconds(deadline_ms)}};
  loop_->Enqueue(route, std::move(p));
}

void Session::HandleRaw(int route) {
  Server::Impl& s = *loop_->server;
  if (Overloaded(route)) return;
  std::shared_ptr<const LoadedModel> model = s.routes[route]->model.load();
  Result<Batch> in =
      RawRequestBatch(request_.method_name, request_.target, request_.headers, request_.body);
  if (!in.ok()) return Send(JsonError(500, in.status().message()), route);
  const bool blocking = model->blocking();
  loop_->Run(route, blocking, {shared_from_this()},
             [model = std::move(model), in = std::move(*in)](KernelScratch& scratch) {
               return std::vector<Reply>{internal::RunRaw(*model, in, scratch)};
             });
}

void Session::Send(Reply reply, int route) {
  Server::Impl& s = *loop_->server;
  const bool close = reply.close || s.draining || !request_.keep_alive;
  out_.clear();
  out_ += request_.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out_ += std::to_string(reply.status);
  out_ += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(reply.status));
  out_.append(reason.data(), reason.size());
  out_ += "\r\nServer: ";
  out_ += ServerHeader();
  out_ += "\r\nContent-Type: ";
  out_ += reply.content_type;
  out_ += "\r\nContent-Length: ";
  out_ += std::to_string(reply.body.size());
  if (reply.model_version >= 0) {
    out_ += "\r\nX-Ember-Model-Version: ";
    out_ += std::to_string(reply.model_version);
  }
  for (const auto& [k, v] : reply.headers) {
    out_ += "\r\n";
    out_ += k;
    out_ += ": ";
    out_ += v;
  }
  out_ += close ? "\r\nConnection: close\r\n\r\n"
                : (request_.version == 10 ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\n\r\n");
  if (request_.method != http::verb::head) out_ += reply.body;
  s.metrics.RecordRequest(route, reply.status,
                          std::chrono::duration<double>(Clock::now() - start_).count());
  // Every write has a deadline: a client that sends requests and never reads its replies
  // fills the socket's buffers, and its next write would wait forever holding a request slot.
  expires_ = CoarseClock::now() + std::chrono::milliseconds(s.options.write_timeout_ms);
  writing_ = true;
  net::async_write(socket_, net::buffer(out_),
                   beast::bind_front_handler(&Session::OnWritten, shared_from_this(), close));
}

void Session::OnWritten(bool close, beast::error_code ec, size_t) {
  writing_ = false;
  if (counted_) {
    --loop_->server->metrics.in_flight;
    counted_ = false;
  }
  ReleaseBody();
  if (ec) {
    Close();
    return;
  }
  if (close) {
    Linger();
    return;
  }
  ReadHeader();
}

void Session::Linger() {
  busy_ = false;  // a shutdown may close it at once
  beast::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    Close();
    return;
  }
  // Up to 2 s and 64 MiB: long enough for what is in flight, too short to be held open.
  expires_ = CoarseClock::now() + std::chrono::seconds(2);
  buffer_.consume(buffer_.size());
  DrainSome();
}

void Session::DrainSome() {
  socket_.async_read_some(
      buffer_.prepare(64 * 1024), [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->drained_ += static_cast<int64_t>(n);
        if (ec || self->drained_ > (int64_t{64} << 20)) {
          self->Close();  // EOF: the client has read everything and closed its side
          return;
        }
        self->DrainSome();
      });
}

// --- Loop --------------------------------------------------------------------------------

namespace {

// What a connection refused before any request gets: one 503 and the end of the stream.
const std::string& RefusedReply() {
  static const std::string* reply = [] {
    const std::string body = R"({"error":"too many connections; retry later"})";
    return new std::string(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: "
        "1\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
  }();
  return *reply;
}

// Best effort on a fresh socket (its send buffer is empty): never blocks.
void RefuseConnection(int fd) {
  const std::string& reply = RefusedReply();
  [[maybe_unused]] const ssize_t n =
      ::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

}  // namespace

void Loop::Accept() {
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open())
        return;  // closed for shutdown
      if (ec == net::error::no_descriptors || ec.value() == ENFILE) {
        AcceptAfterFdExhaustion();
        return;
      }
      Accept();
      return;
    }
    Metrics& m = server->metrics;
    if (m.connections.load() >= server->options.max_connections) {
      ++m.connections_refused;
      RefuseConnection(socket.release());
      Accept();
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), this)->Start();
    Accept();
  });
}

void Loop::AcceptAfterFdExhaustion() {
  ++server->metrics.fd_exhausted;
  if (reserve_fd >= 0) {
    ::close(reserve_fd);
    const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) RefuseConnection(fd);
    reserve_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  // Open connections keep being served meanwhile; accept again when some may have closed.
  accept_backoff->expires_after(std::chrono::milliseconds(50));
  accept_backoff->async_wait([this](beast::error_code ec) {
    if (!ec && acceptor.is_open()) Accept();
  });
}

void Loop::Run(int route, bool blocking, std::vector<std::shared_ptr<Session>> sessions,
               std::function<std::vector<Reply>(KernelScratch&)> work) {
  if (!blocking) {
    std::vector<Reply> replies = work(scratch);
    for (size_t i = 0; i < sessions.size(); ++i) sessions[i]->Send(std::move(replies[i]), route);
    return;
  }
  struct Job {
    std::vector<std::shared_ptr<Session>> sessions;
    std::function<std::vector<Reply>(KernelScratch&)> work;
    std::vector<Reply> replies;
  };
  auto job = std::make_shared<Job>(Job{std::move(sessions), std::move(work), {}});
  server->compute->Submit([this, route, job]() mutable {
    // A stopped loop (shut down past the drain timeout) has nobody left to answer.
    if (!ioc.stopped()) job->replies = job->work(KernelScratch::ForThisThread());
    // The job (and its sessions) goes back to the loop whole: a session is only ever
    // touched, and released, on its loop.
    net::post(ioc, [route, job = std::move(job)] {
      if (job->replies.size() != job->sessions.size()) return;
      for (size_t i = 0; i < job->sessions.size(); ++i)
        job->sessions[i]->Send(std::move(job->replies[i]), route);
    });
  });
}

// Runs `group` (one model) and answers each request from its own rows.
void RunGroup(Loop& loop, int route, std::vector<Pending> group) {
  std::vector<std::shared_ptr<Session>> sessions;
  std::vector<internal::RequestRows> requests;
  for (Pending& p : group) {
    sessions.push_back(std::move(p.session));
    requests.push_back(std::move(p.request));
  }
  const bool blocking = requests[0].model->blocking();
  Metrics* metrics = &loop.server->metrics;
  loop.Run(route, blocking, std::move(sessions),
           [requests = std::move(requests), route, metrics](KernelScratch& scratch) {
             return internal::RunRequests(requests, route, scratch, *metrics);
           });
}

void Loop::Enqueue(int route, Pending p) {
  const ServerOptions& o = server->options;
  if (o.batch_max_rows <= 0 && !p.request.model->blocking()) {
    // Per-request execution on this loop: the hot path, no queue and no hand-off.
    p.session->Send(internal::RunRequest(p.request, route, scratch, server->metrics), route);
    return;
  }
  if (o.batch_max_rows <= 0) {  // per request, on the compute pool
    std::vector<Pending> one;
    one.push_back(std::move(p));
    RunGroup(*this, route, std::move(one));
    return;
  }
  Batcher& b = batchers[route];
  b.rows += p.request.rows.num_rows();
  b.pending.push_back(std::move(p));
  ++server->metrics.queue_depth;
  if (b.rows >= o.batch_max_rows) {
    Flush(route);
    return;
  }
  if (!b.armed) {
    b.armed = true;
    b.timer->expires_after(std::chrono::microseconds(o.batch_wait_us));
    b.timer->async_wait([this, route](beast::error_code ec) {
      if (!ec) Flush(route);
    });
  }
}

void Loop::Flush(int route) {
  Batcher& b = batchers[route];
  b.armed = false;
  b.timer->cancel();
  std::vector<Pending> pending = std::move(b.pending);
  b.pending.clear();
  b.rows = 0;
  server->metrics.queue_depth -= static_cast<int64_t>(pending.size());
  std::vector<Pending> group;
  auto run = [&] {
    if (!group.empty()) RunGroup(*this, route, std::move(group));
    group.clear();
  };
  for (Pending& p : pending) {
    // A reload in between: one model per run. (Deadlines are checked when the group runs.)
    if (!group.empty() && group[0].request.model != p.request.model) run();
    group.push_back(std::move(p));
  }
  run();
}

void Loop::CloseIdle() {
  std::vector<Session*> idle;
  for (Session* s : live) {
    if (!s->busy()) idle.push_back(s);
  }
  for (Session* s : idle) s->Close();
}

void Loop::Sweep() {
  const ServerOptions& o = server->options;
  const auto interval = std::chrono::milliseconds(
      std::clamp<int64_t>(std::min(o.header_timeout_ms, o.body_timeout_ms) / 4, 10, 250));
  sweeper->expires_after(interval);
  sweeper->async_wait([this](beast::error_code ec) {
    if (ec) return;
    const auto now = CoarseClock::now();
    std::vector<Session*> late;
    for (Session* s : live) {
      if (s->expires() >= now) continue;
      if (s->writing()) ++server->metrics.stalled_closed;  // it does not read its replies
      late.push_back(s);
    }
    for (Session* s : late) s->Close();  // their pending read or write ends with an error
    // After large requests, once no body is held: the freed memory goes back to the system.
    if (server->metrics.body_bytes.load() == 0 && server->release_memory.exchange(false)) {
      ReleaseFreeMemory();
    }
    Sweep();
  });
}

// --- Server ------------------------------------------------------------------------------

Status Server::Impl::ReloadAll() {
  std::lock_guard<std::mutex> lock(reload_mu);
  Status first;
  for (size_t i = 0; i < routes.size(); ++i) {
    Route& r = *routes[i];
    const int64_t version = r.model.load()->version() + 1;
    if (options.registry == nullptr) return InvalidArgument("reload needs ServerOptions.registry");
    Result<std::shared_ptr<const LoadedModel>> m = Internal("no model");
    try {
      m = LoadedModel::Load(r.options, *options.registry, version);
    } catch (const std::exception& e) {  // out of memory on a model's sizes, ...
      m = ResourceExhausted("route " + r.options.path + ": loading '" + r.options.model_dir +
                            "' failed: " + e.what());
    }
    if (!m.ok()) {
      if (first.ok()) first = m.status();
      continue;
    }
    r.model.store(std::move(*m));
    metrics.SetModelVersion(static_cast<int>(i), version);
  }
  return first;
}

std::string Server::Impl::ModelsJson() const {
  Json list = Json::MakeArray();
  for (const auto& r : routes) {
    Json o = r->model.load()->Describe();
    o.Set("path", r->options.path);
    o.Set("modelDir", r->options.model_dir);
    list.Append(std::move(o));
  }
  Json out = Json::MakeObject();
  out.Set("routes", std::move(list));
  return out.Dump();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  Shutdown();
  Wait();
}

Result<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  std::vector<std::shared_ptr<const LoadedModel>> models;
  if (options.registry == nullptr && !options.routes.empty()) {
    return InvalidArgument(
        "loading the routes' models needs ServerOptions.registry (DefaultRegistry() in programs)");
  }
  for (const RouteOptions& r : options.routes) {
    EMBER_ASSIGN_OR_RETURN(auto m, LoadedModel::Load(r, *options.registry, 1));
    models.push_back(std::move(m));
  }
  return Start(std::move(options), std::move(models));
}

Result<std::unique_ptr<Server>> Server::Start(
    ServerOptions options, std::vector<std::shared_ptr<const LoadedModel>> models) {
  if (options.routes.empty()) return InvalidArgument("serving needs at least one route");
  if (models.size() != options.routes.size()) {
    return InvalidArgument(std::to_string(models.size()) + " models for " +
                           std::to_string(options.routes.size()) + " routes");
  }
  std::vector<std::string> paths;
  for (const RouteOptions& r : options.routes) {
    if (r.path.empty() || r.path[0] != '/')
      return InvalidArgument("route path '" + r.path + "' must start with '/'");
    for (const char* reserved : {"/health", "/ready", "/metrics", "/models", "/admin/reload"}) {
      if (r.path == reserved) return InvalidArgument("route path '" + r.path + "' is reserved");
    }
    for (const auto& p : paths) {
      if (p == r.path) return InvalidArgument("route path '" + r.path + "' is given twice");
    }
    paths.push_back(r.path);
  }
  if (options.max_body_bytes <= 0 || options.max_in_flight <= 0 || options.deadline_ms <= 0 ||
      options.header_timeout_ms <= 0 || options.body_timeout_ms <= 0 ||
      options.write_timeout_ms <= 0 || options.max_rows <= 0 || options.max_buffered_bytes <= 0 ||
      options.max_connections < 0 || options.batch_wait_us < 0) {
    return InvalidArgument("server limits and timeouts must be positive");
  }
  for (const auto& [name, ms] : {std::pair<const char*, int64_t>{"deadline", options.deadline_ms},
                                 {"header timeout", options.header_timeout_ms},
                                 {"body timeout", options.body_timeout_ms},
                                 {"write timeout", options.write_timeout_ms}}) {
    if (ms > kMaxDeadlineMs) {
      return InvalidArgument(std::string(name) + " of " + std::to_string(ms) +
                             " ms is past the longest allowed, one day (" +
                             std::to_string(kMaxDeadlineMs) + " ms)");
    }
  }
  if (options.max_buffered_bytes < options.max_body_bytes) {
    return InvalidArgument("max_buffered_bytes (" + std::to_string(options.max_buffered_bytes) +
                           ") must be at least max_body_bytes (" +
                           std::to_string(options.max_body_bytes) + ")");
  }
  if (options.max_connections == 0) {
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    options.max_connections =
        files.rlim_cur == RLIM_INFINITY ? 1 << 20 : std::max<int64_t>(16, files.rlim_cur - 64);
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (options.threads <= 0) options.threads = cores;
  if (options.blocking_threads < 0)
    return InvalidArgument("blocking_threads must be 0 (automatic) or more");
  if (options.blocking_threads == 0) options.blocking_threads = std::max(8, 4 * cores);
  auto impl = std::make_unique<Impl>(options, paths);
  impl->compute = std::make_unique<ThreadPool>(options.blocking_threads);
  for (size_t i = 0; i < models.size(); ++i) {
    auto route = std::make_unique<Route>();
    route->options = options.routes[i];
    route->model.store(models[i]);
    if (options.routes[i].raw != models[i]->raw()) {
      return InvalidArgument("route " + options.routes[i].path + ": the model is " +
                             (models[i]->raw() ? "raw" : "not raw") + " but the route is " +
                             (options.routes[i].raw ? "raw" : "not raw"));
    }
    if (options.routes[i].raw) impl->raw_paths.push_back(options.routes[i].path);
    impl->metrics.SetModelVersion(static_cast<int>(i), models[i]->version());
    impl->routes.push_back(std::move(route));
  }
  // Listen: one socket per loop on the same port (SO_REUSEPORT).
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) return InvalidArgument("host '" + options.host + "': " + ec.message());
  int port = options.port;
  for (int t = 0; t < options.threads; ++t) {
    auto loop = std::make_unique<Loop>(impl.get());
    tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    loop->acceptor.open(endpoint.protocol(), ec);
    if (!ec) loop->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) {
      loop->acceptor.set_option(net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true),
                                ec);
    }
    if (!ec) loop->acceptor.bind(endpoint, ec);
    if (!ec) loop->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return IoError("cannot listen on " + options.host + ":" + std::to_string(port) + ": " +
                     ec.message());
    }
    port = loop->acceptor.local_endpoint().port();
    impl->loops.push_back(std::move(loop));
  }
  impl->port = port;
  for (auto& loop : impl->loops) {
    loop->Accept();
    loop->Sweep();
    Loop* l = loop.get();
    impl->threads.emplace_back([l] {
      for (;;) {
        try {
          l->ioc.run();
          return;
        } catch (const std::exception&) {
          // A handler threw past its own catch: keep the loop alive.
        }
      }
    });
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }

const Metrics& Server::metrics() const { return impl_->metrics; }

Status Server::Reload() { return impl_->ReloadAll(); }

void Server::Shutdown() {
  Impl& s = *impl_;
  if (s.draining.exchange(true)) return;
  for (auto& loop : s.loops) {
    Loop* l = loop.get();
    net::post(l->ioc, [l] {
      beast::error_code ec;
      l->acceptor.close(ec);
      l->CloseIdle();
    });
  }
  // Wait for the in-flight requests (their sessions close after replying), then stop.
  s.drainer = std::thread([&s] {
    const auto until = Clock::now() + std::chrono::milliseconds(s.options.drain_timeout_ms);
    while (s.sessions.load() > 0 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      for (auto& loop : s.loops) {
        Loop* l = loop.get();
        net::post(l->ioc, [l] { l->CloseIdle(); });
      }
    }
    for (auto& loop : s.loops) loop->ioc.stop();
  });
}

void Server::Wait() {
  Impl& s = *impl_;
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  if (s.drainer.joinable()) s.drainer.join();
}

}  // namespace ember::serving
