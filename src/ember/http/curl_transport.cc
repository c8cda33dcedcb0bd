// The libcurl transport: one easy handle per attempt on a multi handle (connections are
// kept alive and reused by the multi handle; HTTP/2 where the server offers it over TLS).
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string_view>

#include "ember/http/transport.h"

namespace ember::http::internal {

namespace {

void InitCurlOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

// One attempt in flight.
struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  Outcome outcome;
  char error[CURL_ERROR_SIZE] = {};
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<Transfer*>(user)->outcome.body.append(data, size * n);
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
  Outcome& o = static_cast<Transfer*>(user)->outcome;
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    o.headers.clear();
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    o.reason = sp2 == std::string::npos ? "" : Trim(line.substr(sp2 + 1));
  } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
    o.headers.push_back({Trim(line.substr(0, colon)), Trim(line.substr(colon + 1))});
  }
  return size * n;
}

class CurlTransport final : public Transport {
 public:
  explicit CurlTransport(std::string user_agent) : user_agent_(std::move(user_agent)) {
    InitCurlOnce();
    multi_ = curl_multi_init();
  }
  ~CurlTransport() override {
    Abandon();
    for (CURL* e : idle_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);
  }

  void Start(size_t call, const Request& r, std::chrono::milliseconds timeout) override {
    auto t = std::make_unique<Transfer>();
    t->outcome.call = call;
    if (!idle_.empty()) {
      t->easy = idle_.back();
      idle_.pop_back();
      curl_easy_reset(t->easy);
    } else {
      t->easy = curl_easy_init();
    }
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
    for (const Header& h : r.headers) {
      if (IEquals(h.name, "Content-Length")) continue;  // libcurl counts the body itself
      // "Name:" with nothing after it removes libcurl's own header of that name.
      t->headers = curl_slist_append(
          t->headers, (h.name + ":" + (h.value.empty() ? "" : " " + h.value)).c_str());
    }
    t->headers = curl_slist_append(t->headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
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

  void Progress(std::vector<Outcome>* ended) override {
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      ended->push_back(End(msg->easy_handle, msg->data.result));
    }
  }

  void Wait(int ms) override {
    long curl_wants = -1;  // libcurl's own timers (connection set-up, timeouts)
    curl_multi_timeout(multi_, &curl_wants);
    if (curl_wants >= 0) ms = static_cast<int>(std::min<long>(ms, curl_wants));
    curl_multi_poll(multi_, nullptr, 0, ms, nullptr);
  }

  size_t active() const override { return active_.size(); }

  std::vector<size_t> Abandon() override {
    std::vector<size_t> calls;
    for (auto& t : active_) {
      curl_multi_remove_handle(multi_, t->easy);
      curl_slist_free_all(t->headers);
      idle_.push_back(t->easy);
      calls.push_back(t->outcome.call);
    }
    active_.clear();
    return calls;
  }

 private:
  Outcome End(CURL* easy, CURLcode result) {
    auto it = std::find_if(active_.begin(), active_.end(),
                           [&](const auto& t) { return t->easy == easy; });
    std::unique_ptr<Transfer> t = std::move(*it);
    active_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    curl_slist_free_all(t->headers);
    Outcome o = std::move(t->outcome);
    if (result == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      o.kind = Outcome::Kind::kResponse;
      o.status = static_cast<int>(status);
    } else if (result == CURLE_OPERATION_TIMEDOUT) {
      o.kind = Outcome::Kind::kTimedOut;
    } else {
      o.kind = Outcome::Kind::kFailed;
      o.error = curl_easy_strerror(result);
      if (t->error[0] != '\0') o.error += std::string(": ") + t->error;
    }
    idle_.push_back(easy);
    return o;
  }

  std::string user_agent_;
  CURLM* multi_ = nullptr;
  std::vector<std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport(const std::string& user_agent) {
  return std::make_unique<CurlTransport>(user_agent);
}

}  // namespace ember::http::internal
