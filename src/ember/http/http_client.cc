#include "ember/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <queue>
#include <random>

namespace ember::http {

namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

void InitCurlOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

double MillisBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// One call: its attempts so far and when it may start again.
struct Call {
  int attempts = 0;
  Clock::time_point first_start;
  Millis waited{0};
  Clock::time_point not_before;
};

// One attempt in flight.
struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  size_t call = 0;
  int status = 0;
  std::string reason;
  std::vector<Header> response_headers;
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<Transfer*>(user)->body.append(data, size * n);
  return size * n;
}

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Header lines of each response (a new status line, after 100 Continue or a redirect,
// starts over).
size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response_headers.clear();
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    t->reason = sp2 == std::string::npos ? "" : Trim(line.substr(sp2 + 1));
  } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
    t->response_headers.push_back({Trim(line.substr(0, colon)), Trim(line.substr(colon + 1))});
  }
  return size * n;
}

const std::string* FindHeader(const std::vector<Header>& headers, const std::string& name) {
  for (const Header& h : headers) {
    if (h.name.size() == name.size() &&
        std::equal(h.name.begin(), h.name.end(), name.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); })) {
      return &h.value;
    }
  }
  return nullptr;
}

// Why `request` cannot be sent, or "".
std::string Invalid(const Request& r) {
  static const char* kMethods[] = {"GET", "HEAD", "DELETE", "OPTIONS", "POST", "PUT", "PATCH"};
  if (std::find_if(std::begin(kMethods), std::end(kMethods), [&](const char* m) { return r.method == m; }) ==
      std::end(kMethods)) {
    return "unsupported HTTP method '" + r.method + "' (GET, HEAD, DELETE, OPTIONS, POST, PUT or PATCH)";
  }
  if (r.url.empty()) return "the request has no URL";
  if (!r.body.empty() && r.method != "POST" && r.method != "PUT" && r.method != "PATCH") {
    return "a " + r.method + " request cannot carry a body (only POST, PUT and PATCH)";
  }
  return "";
}

std::string Attempts(int n) { return n == 1 ? "1 attempt" : std::to_string(n) + " attempts"; }

class Sender {
 public:
  Sender(std::span<const Request> requests, const ClientOptions& options)
      : requests_(requests), options_(options), calls_(requests.size()), responses_(requests.size()),
        tokens_(options.retry.budget_max_tokens), rng_(std::random_device{}()) {
    InitCurlOnce();
    multi_ = curl_multi_init();
    user_agent_ = options.user_agent.empty() ? DefaultUserAgent() : options.user_agent;
  }
  ~Sender() {
    for (auto& t : active_) {
      curl_multi_remove_handle(multi_, t->easy);
      curl_easy_cleanup(t->easy);
      curl_slist_free_all(t->headers);
    }
    for (CURL* e : idle_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);
  }

  std::vector<Response> Run() {
    for (size_t i = 0; i < requests_.size(); ++i) {
      if (std::string why = Invalid(requests_[i]); !why.empty()) {
        responses_[i].error = why;
        ++done_;
      } else {
        fresh_.push_back(i);
      }
    }
    const int window = std::max(1, options_.concurrency);
    while (done_ < requests_.size()) {
      Clock::time_point now = Clock::now();
      if (options_.deadline.expired()) {
        FailEverythingLeft();
        break;
      }
      while (static_cast<int>(active_.size()) < window) {
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
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      bool finished = false;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Finish(msg->easy_handle, msg->data.result);
        finished = true;
      }
      if (done_ >= requests_.size()) break;
      if (finished) continue;  // start the next calls at once
      curl_multi_poll(multi_, nullptr, 0, PollMillis(), nullptr);
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
    long curl_wants = -1;  // libcurl's own timers (connection set-up, timeouts)
    curl_multi_timeout(multi_, &curl_wants);
    if (curl_wants >= 0) wake = std::min(wake, now + Millis(curl_wants));
    if (!retries_.empty()) wake = std::min(wake, retries_.top().first);
    if (options_.max_requests_per_second > 0) wake = std::min(wake, std::max(now, next_start_));
    if (!options_.deadline.is_infinite()) wake = std::min(wake, options_.deadline.when());
    const auto ms = std::chrono::duration_cast<Millis>(wake - now).count();
    return static_cast<int>(std::clamp<int64_t>(ms, active_.empty() ? 1 : 0, 100));
  }

  void Start(size_t call, Clock::time_point now) {
    Call& c = calls_[call];
    if (c.attempts == 0) c.first_start = now;
    ++c.attempts;
    auto t = std::make_unique<Transfer>();
    t->call = call;
    if (!idle_.empty()) {
      t->easy = idle_.back();
      idle_.pop_back();
      curl_easy_reset(t->easy);
    } else {
      t->easy = curl_easy_init();
    }
    const Request& r = requests_[call];
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      }
      if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    }
    for (const Header& h : r.headers) t->headers = curl_slist_append(t->headers, (h.name + ": " + h.value).c_str());
    t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
    curl_multi_add_handle(multi_, e);
    active_.push_back(std::move(t));
  }

  void Finish(CURL* easy, CURLcode result) {
    auto it = std::find_if(active_.begin(), active_.end(), [&](const auto& t) { return t->easy == easy; });
    std::unique_ptr<Transfer> t = std::move(*it);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    curl_slist_free_all(t->headers);
    t->headers = nullptr;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    idle_.push_back(easy);
    const Clock::time_point now = Clock::now();
    Call& c = calls_[t->call];
    const RetryPolicy& p = options_.retry;

    std::string failure;
    bool retryable = false;
    Millis wait{-1};
    if (result == CURLE_OK) {
      t->status = static_cast<int>(status);
      if (status >= 200 && status < 300) {
        tokens_ = std::min(p.budget_max_tokens, tokens_ + p.budget_token_ratio);
        Complete(*t, "");
        return;
      }
      failure = "HTTP " + std::to_string(status) + (t->reason.empty() ? "" : " " + t->reason);
      retryable = status >= 500 || status == 408 || status == 429;
      if (status == 429 || status == 503) {
        if (const std::string* ra = FindHeader(t->response_headers, "Retry-After")) {
          wait = ParseRetryAfter(*ra, std::chrono::system_clock::now());
          if (wait >= Millis(0)) wait = std::min(wait, p.max_retry_after);
        }
      }
    } else if (result == CURLE_OPERATION_TIMEDOUT) {
      failure = "timed out after " + std::to_string(options_.timeout.count()) + " ms";
      retryable = true;
    } else {
      failure = curl_easy_strerror(result);
      if (t->error[0] != '\0') failure += std::string(": ") + t->error;
      retryable = true;
    }
    tokens_ = std::max(0.0, tokens_ - 1);
    const size_t retry = static_cast<size_t>(c.attempts - 1);  // retries done so far
    std::string stop;
    if (!retryable) {
      stop = "not retried";
    } else if (retry >= p.backoff.size()) {
      stop = "";
    } else if (p.budget_max_tokens > 0 && tokens_ <= p.budget_max_tokens / 2) {
      stop = "retry budget exhausted: most recent calls failed";
    } else {
      if (wait < Millis(0)) {
        std::uniform_real_distribution<double> factor(1 - p.jitter, 1 + p.jitter);
        wait = Millis(static_cast<int64_t>(static_cast<double>(p.backoff[retry].count()) * factor(rng_)));
      }
      if (c.waited + wait > p.max_total_wait) {
        stop = "its next wait (" + std::to_string(wait.count()) + " ms) would pass the total wait allowed";
      } else if (!options_.deadline.is_infinite() && now + wait >= options_.deadline.when()) {
        stop = "its next wait would pass the deadline";
      } else {
        c.waited += wait;
        c.not_before = now + wait;
        retries_.push({c.not_before, t->call});
        return;
      }
    }
    std::string error = failure + " (" + Attempts(c.attempts);
    if (!stop.empty() && stop != "not retried") error += "; " + stop;
    Complete(*t, error + ")");
  }

  void Complete(Transfer& t, std::string error) {
    Response& r = responses_[t.call];
    const Call& c = calls_[t.call];
    r.status = t.status;
    r.reason = std::move(t.reason);
    r.headers = std::move(t.response_headers);
    r.body = std::move(t.body);
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
    for (auto& t : active_) {
      curl_multi_remove_handle(multi_, t->easy);
      curl_slist_free_all(t->headers);
      t->headers = nullptr;
      idle_.push_back(t->easy);
      fail(t->call);
    }
    active_.clear();
    for (size_t call : fresh_) fail(call);
    fresh_.clear();
    for (; !retries_.empty(); retries_.pop()) fail(retries_.top().second);
  }

  std::span<const Request> requests_;
  const ClientOptions& options_;
  std::vector<Call> calls_;
  std::vector<Response> responses_;
  double tokens_;
  std::mt19937_64 rng_;
  CURLM* multi_ = nullptr;
  std::string user_agent_;
  std::deque<size_t> fresh_;
  using Ready = std::pair<Clock::time_point, size_t>;
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> retries_;
  std::vector<std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_;
  size_t done_ = 0;
  Clock::time_point next_start_{};
};

}  // namespace

const std::string& DefaultUserAgent() {
  static const std::string agent = std::string("ember/") + EMBER_VERSION;
  return agent;
}

std::chrono::milliseconds ParseRetryAfter(const std::string& value, std::chrono::system_clock::time_point now) {
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

std::vector<Response> SendAll(std::span<const Request> requests, const ClientOptions& options) {
  return Sender(requests, options).Run();
}

}  // namespace ember::http
