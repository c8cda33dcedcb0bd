#include "ember/http/http_client.h"

#include <curl/curl.h>  // curl_getdate

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <random>

#include "ember/base/version.h"
#include "ember/http/transport.h"

namespace ember::http {

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

double MillisBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// One call: its attempts so far and when it may start again.
struct Call {
  int attempts = 0;
  int directed = 0;  // retries a Retry-After directed (not counted in the backoff schedule)
  Clock::time_point first_start;
  Millis waited{0};
  Clock::time_point not_before;
};

// Why `request` cannot be sent, or "".
std::string Invalid(const Request& r) {
  static const char* kMethods[] = {"GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT", "PATCH"};
  if (std::find_if(std::begin(kMethods), std::end(kMethods),
                   [&](const char* m) { return r.method == m; }) == std::end(kMethods)) {
    return "unsupported HTTP method '" + r.method +
           "' (GET, HEAD, DELETE, OPTIONS, POST, PUT or PATCH)";
  }
  if (r.url.empty()) return "the request has no URL";
  for (const Header& h : r.headers) {
    if (h.name.empty() || h.name.find_first_of(":\r\n") != std::string::npos ||
        h.value.find_first_of("\r\n") != std::string::npos) {
      return "header '" + h.name + "' has an empty name, a colon in its name or a line break";
    }
  }
  if (!r.body.empty() && r.method != "POST" && r.method != "PUT" && r.method != "PATCH") {
    return "a " + r.method + " request cannot carry a body (only POST, PUT and PATCH)";
  }
  return "";
}

std::string Attempts(int n) { return n == 1 ? "1 attempt" : std::to_string(n) + " attempts"; }

// Whether the environment names a proxy for plain HTTP (libcurl's variables): then libcurl
// carries the calls, as it goes through the proxy and the native engine does not.
bool ProxyConfigured() {
  for (const char* name : {"http_proxy", "all_proxy", "ALL_PROXY"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return true;
  }
  return false;
}

// Which transport carries `requests`: libcurl unless every request is plain http:// (or
// the options say).
std::unique_ptr<internal::Transport> PickTransport(std::span<const Request> requests,
                                                   const ClientOptions& o,
                                                   const std::string& user_agent) {
  bool native = o.engine == Engine::kNative;
  if (o.engine == Engine::kAuto && !ProxyConfigured()) {
    native = std::all_of(requests.begin(), requests.end(), [](const Request& r) {
      return !Invalid(r).empty() || internal::NativeCanSend(r);
    });
  }
  return native ? internal::MakeNativeTransport(user_agent)
                : internal::MakeCurlTransport(user_agent);
}

class Sender {
 public:
  Sender(std::span<const Request> requests, const ClientOptions& options)
      : requests_(requests),
        options_(options),
        calls_(requests.size()),
        responses_(requests.size()),
        max_tokens_(options.retry.budget_max_tokens < 0
                        ? 10 + 2.0 * std::max(1, options.concurrency)
                        : options.retry.budget_max_tokens),
        tokens_(max_tokens_),
        rng_(std::random_device{}()) {
    const std::string& user_agent =
        options.user_agent.empty() ? DefaultUserAgent() : options.user_agent;
    transport_ = PickTransport(requests, options, user_agent);
  }

  std::vector<Response> Run() {
    for (size_t i = 0; i < requests_.size(); ++i) {
      std::string why = Invalid(requests_[i]);
      if (why.empty() && options_.engine == Engine::kNative &&
          !internal::NativeCanSend(requests_[i])) {
        why =
            "the native HTTP client sends plain http:// URLs only, not '" + requests_[i].url + "'";
      }
      if (!why.empty()) {
        responses_[i].error = why;
        ++done_;
      } else {
        fresh_.push_back(i);
      }
    }
    const size_t window = static_cast<size_t>(std::max(1, options_.concurrency));
    std::vector<internal::Outcome> ended;
    while (done_ < requests_.size()) {
      Clock::time_point now = Clock::now();
      if (options_.deadline.expired()) {
        ended.clear();
        transport_->Progress(&ended);  // calls that finished in time count as finished
        for (internal::Outcome& o : ended) Finish(o);
        FailEverythingLeft();
        break;
      }
      while (transport_->active() < window) {
        std::optional<size_t> next;
        if (!retries_.empty() && retries_.top().first <= now) {
          next = retries_.top().second;
          retries_.pop();
        } else if (!fresh_.empty()) {
          next = fresh_.front();
          fresh_.pop_front();
        }
        if (!next) break;
        if (options_.max_requests_per_second > 0 && now < next_start_) {
          Requeue(*next);
          break;
        }
        Start(*next, now);
        if (options_.max_requests_per_second > 0) {
          next_start_ = std::max(next_start_, now) +
                        std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(1.0 / options_.max_requests_per_second));
        }
      }
      ended.clear();
      transport_->Progress(&ended);
      for (internal::Outcome& o : ended) Finish(o);
      if (done_ >= requests_.size()) break;
      if (!ended.empty()) continue;  // start the next calls at once
      transport_->Wait(PollMillis());
    }
    return std::move(responses_);
  }

 private:
  // A call taken out of the queues but not startable yet (the rate limit) goes back first.
  void Requeue(size_t call) {
    if (calls_[call].attempts == 0) {
      fresh_.push_front(call);
    } else {
      retries_.push({calls_[call].not_before, call});
    }
  }

  int PollMillis() const {
    Clock::time_point now = Clock::now();
    Clock::time_point wake = now + Millis(100);
    if (!retries_.empty()) wake = std::min(wake, retries_.top().first);
    if (options_.max_requests_per_second > 0) wake = std::min(wake, std::max(now, next_start_));
    if (!options_.deadline.is_infinite()) wake = std::min(wake, options_.deadline.when());
    const auto ms = std::chrono::duration_cast<Millis>(wake - now).count();
    return static_cast<int>(std::clamp<int64_t>(ms, transport_->active() == 0 ? 1 : 0, 100));
  }

  void Start(size_t call, Clock::time_point now) {
    Call& c = calls_[call];
    if (c.attempts == 0) c.first_start = now;
    ++c.attempts;
    transport_->Start(call, requests_[call], options_.timeout);
  }

  void Finish(internal::Outcome& o) {
    const Clock::time_point now = Clock::now();
    Call& c = calls_[o.call];
    const RetryPolicy& p = options_.retry;

    std::string failure;
    bool retryable = false;
    Millis wait{-1};
    if (o.kind == internal::Outcome::Kind::kResponse) {
      if (o.status >= 200 && o.status < 300) {
        tokens_ = std::min(max_tokens_, tokens_ + p.budget_token_ratio);
        Complete(o, "");
        return;
      }
      failure = "HTTP " + std::to_string(o.status) + (o.reason.empty() ? "" : " " + o.reason);
      retryable = o.status >= 500 || o.status == 408 || o.status == 429;
      if (o.status == 429 || o.status == 503) {
        if (const std::string* ra = internal::FindHeader(o.headers, "Retry-After")) {
          wait = ParseRetryAfter(*ra, std::chrono::system_clock::now());
          if (wait >= Millis(0)) wait = std::min(wait, p.max_retry_after);
        }
      }
    } else if (o.kind == internal::Outcome::Kind::kTimedOut) {
      failure = "timed out after " + std::to_string(options_.timeout.count()) + " ms";
      retryable = true;
    } else {
      failure = o.error;
      retryable = true;
    }
    // The server said when to come back: throttling, not a failure to guard against.
    const bool directed = wait >= Millis(0);
    if (!directed) tokens_ = std::max(0.0, tokens_ - 1);
    // Retries of the backoff schedule done so far.
    const size_t retry = static_cast<size_t>(c.attempts - 1 - c.directed);
    std::string stop;
    if (!retryable) {
      stop = "not retried";
    } else if (directed ? c.directed >= p.max_directed_retries : retry >= p.backoff.size()) {
      stop = "";
    } else if (!directed && max_tokens_ > 0 && tokens_ <= max_tokens_ / 2) {
      stop = "retry budget exhausted: most recent calls failed";
    } else {
      if (wait < Millis(0)) {
        std::uniform_real_distribution<double> factor(1 - p.jitter, 1 + p.jitter);
        wait = Millis(
            static_cast<int64_t>(static_cast<double>(p.backoff[retry].count()) * factor(rng_)));
      }
      if (c.waited + wait > p.max_total_wait) {
        stop = "its next wait (" + std::to_string(wait.count()) +
               " ms) would pass the total wait allowed";
      } else if (!options_.deadline.is_infinite() && now + wait >= options_.deadline.when()) {
        stop = "its next wait would pass the deadline";
      } else {
        c.waited += wait;
        c.directed += directed ? 1 : 0;
        c.not_before = now + wait;
        retries_.push({c.not_before, o.call});
        return;
      }
    }
    std::string error = failure + " (" + Attempts(c.attempts);
    if (!stop.empty() && stop != "not retried") error += "; " + stop;
    Complete(o, error + ")");
  }

  void Complete(internal::Outcome& o, std::string error) {
    Response& r = responses_[o.call];
    const Call& c = calls_[o.call];
    r.status = o.kind == internal::Outcome::Kind::kResponse ? o.status : 0;
    r.reason = std::move(o.reason);
    r.headers = std::move(o.headers);
    r.body = std::move(o.body);
    r.attempts = c.attempts;
    r.elapsed_ms = MillisBetween(c.first_start, Clock::now());
    r.error = std::move(error);
    ++done_;
  }

  void FailEverythingLeft() {
    const Clock::time_point now = Clock::now();
    auto fail = [&](size_t call) {
      Response& r = responses_[call];
      r.attempts = calls_[call].attempts;
      r.elapsed_ms = r.attempts > 0 ? MillisBetween(calls_[call].first_start, now) : 0;
      r.error = "the deadline passed before the call finished (" + Attempts(r.attempts) + ")";
      ++done_;
    };
    for (size_t call : transport_->Abandon()) fail(call);
    for (size_t call : fresh_) fail(call);
    fresh_.clear();
    for (; !retries_.empty(); retries_.pop()) fail(retries_.top().second);
  }

  std::span<const Request> requests_;
  const ClientOptions& options_;
  std::vector<Call> calls_;
  std::vector<Response> responses_;
  double max_tokens_;  // the budget's size (RetryPolicy::budget_max_tokens, or automatic)
  double tokens_;
  std::mt19937_64 rng_;
  std::unique_ptr<internal::Transport> transport_;
  std::deque<size_t> fresh_;
  using Ready = std::pair<Clock::time_point, size_t>;
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> retries_;
  size_t done_ = 0;
  Clock::time_point next_start_{};
};

}  // namespace

namespace internal {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

const std::string* FindHeader(const std::vector<Header>& headers, const std::string& name) {
  for (const Header& h : headers) {
    if (IEquals(h.name, name)) return &h.value;
  }
  return nullptr;
}

}  // namespace internal

const std::string& DefaultUserAgent() {
  static const std::string agent = std::string("ember/") + EmberVersion();
  return agent;
}

std::chrono::milliseconds ParseRetryAfter(const std::string& value,
                                          std::chrono::system_clock::time_point now) {
  const std::string v = Trim(value);
  if (v.empty()) return Millis(-1);
  if (std::all_of(v.begin(), v.end(), [](unsigned char ch) { return std::isdigit(ch); })) {
    if (v.size() > 9) return Millis(std::numeric_limits<int64_t>::max() / 2);
    return Millis(std::stoll(v) * 1000);
  }
  const time_t when = curl_getdate(v.c_str(), nullptr);
  if (when < 0) return Millis(-1);
  const auto at = std::chrono::system_clock::from_time_t(when);
  return std::max(Millis(0), std::chrono::duration_cast<Millis>(at - now));
}

namespace {

class EngineClient final : public Client {
 public:
  std::vector<Response> SendAll(std::span<const Request> requests,
                                const ClientOptions& options) const override {
    return http::SendAll(requests, options);
  }
};

}  // namespace

const std::shared_ptr<const Client>& DefaultClient() {
  static const auto* client =
      new std::shared_ptr<const Client>(std::make_shared<const EngineClient>());
  return *client;
}

std::vector<Response> SendAll(std::span<const Request> requests, const ClientOptions& options) {
  return Sender(requests, options).Run();
}

}  // namespace ember::http
