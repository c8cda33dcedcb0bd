// The HTTP client under Ember's HTTP stages: sends a list of requests with at most
// `concurrency` in flight (a sliding window; connections are kept alive and reused), retries what
// is worth retrying with backoff and jitter, honours Retry-After, and returns one response per
// request, in the requests' order. A call that fails is a Response whose `error` says why:
// SendAll itself never fails and never drops or reorders a call.
//
// Retries (RetryPolicy): 5xx, 408 and connection errors (refused, reset, timed out) wait
// the next entry of `backoff` (100, 500, 1000 ms by default) scaled by a random factor in
// [1 - jitter, 1 + jitter]; 429 and 503 wait what their Retry-After says (seconds or an HTTP
// date) when it is there, capped at `max_retry_after`. A call gives up when the schedule is
// used up, or when its next wait would take its total waiting past `max_total_wait`. Other
// statuses (2xx, 3xx, other 4xx) are final.
//
// A retry the server directs (429 or 503 with a Retry-After) is the service throttling, not
// failing: it does not use up the backoff schedule (up to `max_directed_retries` of them)
// and is never stopped by the budget. A retry budget (gRPC's retry throttling) stops storms
// of the others: every failed attempt the client chose to retry costs a token, every success
// gives back `budget_token_ratio`, and no such call retries while half the tokens or fewer
// are left (10 + 2 per concurrent request by default; 0 tokens turn this off). The default ratio,
// 1, keeps retrying while fewer than about half of the attempts fail (a batch against a flaky or
// throttling service ends with every row answered) and stops after about 5 failures in a row
// against a dead one. gRPC's 0.1 suits a long-lived service, where it stops retrying above 9%
// failures; a batch job with 30% of first attempts failing would then end with a third of its rows
// as errors.
//
// Two engines carry the bytes (ClientOptions::engine): libcurl's multi interface (any
// scheme, TLS, HTTP/2 where the server offers it), and a native HTTP/1.1 client over
// non-blocking sockets and epoll for plain http:// URLs, which costs a fraction of
// libcurl's CPU per call. kAuto takes the native one when every request is plain http://
// and no proxy is configured (http_proxy, all_proxy or ALL_PROXY, which libcurl follows).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ember/exec/cancellation.h"

namespace ember::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";  // GET, HEAD, DELETE, OPTIONS, POST, PUT, PATCH
  std::string url;
  std::vector<Header> headers;
  std::string body;  // sent with POST, PUT and PATCH
};

struct Response {
  int status = 0;  // the last attempt's HTTP status; 0 when no response came
  std::string reason;
  std::vector<Header> headers;
  std::string body;
  double elapsed_ms = 0;  // from the first attempt's start to the last one's end, waits included
  int attempts = 0;
  // Empty when the call succeeded (a 2xx status); otherwise why it failed: "HTTP 404 Not
  // Found", "connection refused (after 4 attempts)", "timed out after 1000 ms", ...
  std::string error;
  bool ok() const { return error.empty(); }
};

struct RetryPolicy {
  std::vector<std::chrono::milliseconds> backoff = {std::chrono::milliseconds(100),
                                                    std::chrono::milliseconds(500),
                                                    std::chrono::milliseconds(1000)};
  double jitter = 0.2;
  std::chrono::milliseconds max_retry_after{std::chrono::seconds(60)};
  std::chrono::milliseconds max_total_wait{std::chrono::seconds(120)};
  // The budget's tokens; -1: automatic, 10 + 2 per concurrent request (a window of
  // requests timing out together must not spend it); 0: no budget.
  double budget_max_tokens = -1;
  double budget_token_ratio = 1.0;
  // Retries a 429 or 503 with Retry-After directs, beyond the backoff schedule.
  int max_directed_retries = 10;
};

enum class Engine {
  kAuto,     // native when every request is plain http:// and no proxy is set, else libcurl
  kLibcurl,  // always libcurl
  kNative,   // always native: other URLs fail ("the native HTTP client sends plain http:// URLs
             // only")
};

struct ClientOptions {
  int concurrency = 1;                                          // requests in flight at most
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // per attempt
  Deadline deadline = Deadline::Infinite();  // for all of SendAll: calls not done by then fail
  RetryPolicy retry;
  double max_requests_per_second = 0;  // attempts started per second; 0: no limit
  std::string user_agent;              // default "ember/<version>"
  Engine engine = Engine::kAuto;
};

// Sends `requests`; responses[i] answers requests[i].
std::vector<Response> SendAll(std::span<const Request> requests, const ClientOptions& options);

// The seam under the HTTP stages (as Communicator is for ranks): what sends a list of
// calls. DefaultClient() is Ember's own (SendAll above: the native engine and libcurl);
// tests inject a fake (http/fake_client.h), and another transport can be plugged in the
// same way (HTTPTransformer::WithClient). Implementations are thread-safe: partitions call
// SendAll concurrently.
class Client {
 public:
  virtual ~Client() = default;
  // responses[i] answers requests[i]; never fails, drops or reorders a call (see SendAll).
  virtual std::vector<Response> SendAll(std::span<const Request> requests,
                                        const ClientOptions& options) const = 0;
};

// Ember's client: SendAll over its two engines. One per process.
const std::shared_ptr<const Client>& DefaultClient();

// What "ember/<version>" is for this build.
const std::string& DefaultUserAgent();

// The delay a Retry-After value asks for, at `now`: seconds ("120") or an HTTP date
// ("Wed, 21 Oct 2015 07:28:00 GMT"); negative when it is neither.
std::chrono::milliseconds ParseRetryAfter(const std::string& value,
                                          std::chrono::system_clock::time_point now);

}  // namespace ember::http
