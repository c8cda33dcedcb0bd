// SendAll against a real local HTTP/1.1 server started by the test, with faults injected
// by path: every test checks that no call is lost, duplicated or reordered.
#include "ember/http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace ember::http {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What the server does with one request.
struct Action {
  int status = 200;
  std::string reason = "OK";
  std::vector<Header> headers;
  std::string body;
  milliseconds delay{0};
  bool reset = false;  // close the connection without replying
};

struct Seen {
  std::string method, path, body, user_agent;
  Clock::time_point at;
};

// A threaded keep-alive HTTP/1.1 server on 127.0.0.1; `handler` decides each reply.
class TestServer {
 public:
  explicit TestServer(std::function<Action(const Seen&, int count_for_path)> handler) : handler_(std::move(handler)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 128);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (int c : conns_) shutdown(c, SHUT_RDWR);
    for (auto& t : threads_) t.join();
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  int connections() const { return connections_; }

 private:
  void AcceptLoop() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      conns_.push_back(c);
      threads_.emplace_back([this, c] { Serve(c); });
    }
  }
  void Serve(int c) {
    std::string buf;
    char chunk[65536];
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t n = recv(c, chunk, sizeof(chunk), 0);
        if (n <= 0) return close(c), void();
        buf.append(chunk, static_cast<size_t>(n));
      }
      const std::string head = buf.substr(0, end);
      size_t length = 0;
      Seen s;
      s.at = Clock::now();
      size_t line_end = head.find("\r\n");
      const std::string first = head.substr(0, line_end);
      s.method = first.substr(0, first.find(' '));
      s.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      while (line_end != std::string::npos && line_end < head.size()) {
        const size_t next = head.find("\r\n", line_end + 2);
        const std::string line = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const std::string value = line.substr(colon + 2);
          if (name == "content-length") length = std::stoul(value);
          if (name == "user-agent") s.user_agent = value;
        }
        line_end = next;
      }
      buf.erase(0, end + 4);
      while (buf.size() < length) {
        const ssize_t n = recv(c, chunk, sizeof(chunk), 0);
        if (n <= 0) return close(c), void();
        buf.append(chunk, static_cast<size_t>(n));
      }
      s.body = buf.substr(0, length);
      buf.erase(0, length);
      int count;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.push_back(s);
        count = ++per_path_[s.path];
      }
      const Action a = handler_(s, count);
      if (a.delay.count() > 0) std::this_thread::sleep_for(a.delay);
      if (a.reset) {
        linger l{1, 0};  // RST, not FIN
        setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        close(c);
        return;
      }
      std::string out = "HTTP/1.1 " + std::to_string(a.status) + " " + a.reason + "\r\n";
      for (const Header& h : a.headers) out += h.name + ": " + h.value + "\r\n";
      out += "Content-Length: " + std::to_string(a.body.size()) + "\r\n\r\n" + a.body;
      if (send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0) return close(c), void();
    }
  }

  std::function<Action(const Seen&, int)> handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> conns_;
  std::vector<std::thread> threads_;
  std::vector<Seen> seen_;
  std::map<std::string, int> per_path_;
};

// Echoes the method, path and body.
Action Echo(const Seen& s, int) { return {.body = s.method + " " + s.path + " " + s.body}; }

ClientOptions Quick(int concurrency = 4) {
  ClientOptions o;
  o.concurrency = concurrency;
  o.timeout = milliseconds(5000);
  o.retry.backoff = {milliseconds(10), milliseconds(20), milliseconds(30)};
  return o;
}

TEST(HttpClientTest, ManyCallsComeBackInOrderOverFewConnections) {
  TestServer server(Echo);
  std::vector<Request> requests;
  for (int i = 0; i < 300; ++i) {
    Request r;
    r.method = i % 2 ? "POST" : "GET";
    r.url = server.Url("/item/" + std::to_string(i));
    if (i % 2) r.body = "{\"i\": " + std::to_string(i) + "}";
    r.headers = {{"Content-Type", "application/json"}};
    requests.push_back(r);
  }
  const auto responses = SendAll(requests, Quick(8));
  ASSERT_EQ(responses.size(), requests.size());
  for (int i = 0; i < 300; ++i) {
    const Response& r = responses[i];
    EXPECT_TRUE(r.ok()) << i << ": " << r.error;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.reason, "OK");
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.body, requests[i].method + " /item/" + std::to_string(i) + " " + requests[i].body) << i;
  }
  EXPECT_EQ(server.seen().size(), 300u);  // none sent twice
  EXPECT_LE(server.connections(), 8);     // kept alive and reused
  EXPECT_EQ(server.seen()[0].user_agent, DefaultUserAgent());
  EXPECT_EQ(DefaultUserAgent().rfind("ember/", 0), 0u);
}

TEST(HttpClientTest, ServerErrorsAreRetriedUntilTheyPass) {
  TestServer server([](const Seen& s, int n) {
    if (s.path == "/flaky" && n <= 2) return Action{.status = 503, .reason = "Service Unavailable"};
    if (s.path == "/timeout408" && n <= 1) return Action{.status = 408, .reason = "Request Timeout"};
    return Echo(s, n);
  });
  std::vector<Request> requests = {{.url = server.Url("/flaky")}, {.url = server.Url("/timeout408")},
                                   {.url = server.Url("/fine")}};
  const auto r = SendAll(requests, Quick());
  EXPECT_TRUE(r[0].ok()) << r[0].error;
  EXPECT_EQ(r[0].attempts, 3);
  EXPECT_TRUE(r[1].ok()) << r[1].error;
  EXPECT_EQ(r[1].attempts, 2);
  EXPECT_EQ(r[2].attempts, 1);
}

TEST(HttpClientTest, ClientErrorsAreNotRetriedAndExhaustedRetriesSayWhy) {
  TestServer server([](const Seen& s, int n) {
    if (s.path == "/missing") return Action{.status = 404, .reason = "Not Found", .body = "no such thing"};
    return Action{.status = 500, .reason = "Internal Server Error"};
  });
  std::vector<Request> requests = {{.url = server.Url("/missing")}, {.url = server.Url("/broken")}};
  const auto r = SendAll(requests, Quick());
  EXPECT_EQ(r[0].status, 404);
  EXPECT_EQ(r[0].attempts, 1);
  EXPECT_EQ(r[0].body, "no such thing");
  EXPECT_EQ(r[0].error, "HTTP 404 Not Found (1 attempt)");
  EXPECT_EQ(r[1].status, 500);
  EXPECT_EQ(r[1].attempts, 4);  // the first and 3 retries
  EXPECT_EQ(r[1].error, "HTTP 500 Internal Server Error (4 attempts)");
  EXPECT_EQ(server.seen().size(), 5u);
}

TEST(HttpClientTest, RetryAfterIsHonouredNoRequestBeforeItExpires) {
  TestServer server([](const Seen& s, int n) {
    if (n == 1) return Action{.status = 429, .reason = "Too Many Requests", .headers = {{"Retry-After", "1"}}};
    return Echo(s, n);
  });
  const auto r = SendAll(std::vector<Request>{{.url = server.Url("/limited")}}, Quick());
  EXPECT_TRUE(r[0].ok()) << r[0].error;
  EXPECT_EQ(r[0].attempts, 2);
  const auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GE(seen[1].at - seen[0].at, milliseconds(1000));  // not the 10 ms backoff
  EXPECT_GE(r[0].elapsed_ms, 1000);
}

TEST(HttpClientTest, RetryAfterParsesSecondsAndHttpDates) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), milliseconds(30000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now), milliseconds(0));  // past: at once
  EXPECT_LT(ParseRetryAfter("soon", now).count(), 0);
  EXPECT_LT(ParseRetryAfter("", now).count(), 0);
}

TEST(HttpClientTest, ARetryAfterPastTheTotalWaitGivesUp) {
  TestServer server([](const Seen&, int) {
    return Action{.status = 503, .reason = "Service Unavailable", .headers = {{"Retry-After", "30"}}};
  });
  ClientOptions o = Quick();
  o.retry.max_total_wait = milliseconds(2000);
  const auto t0 = Clock::now();
  const auto r = SendAll(std::vector<Request>{{.url = server.Url("/down")}}, o);
  EXPECT_LT(Clock::now() - t0, milliseconds(1500));
  EXPECT_EQ(r[0].attempts, 1);
  EXPECT_NE(r[0].error.find("would pass the total wait allowed"), std::string::npos) << r[0].error;
}

TEST(HttpClientTest, SlowRepliesTimeOut) {
  TestServer server([](const Seen&, int) { return Action{.body = "late", .delay = milliseconds(1000)}; });
  ClientOptions o = Quick();
  o.timeout = milliseconds(300);
  o.retry.backoff = {};
  const auto t0 = Clock::now();
  const auto r = SendAll(std::vector<Request>{{.url = server.Url("/slow")}, {.url = server.Url("/slow")}}, o);
  EXPECT_LT(Clock::now() - t0, milliseconds(900));
  for (const Response& x : r) {
    EXPECT_EQ(x.error, "timed out after 300 ms (1 attempt)");
    EXPECT_EQ(x.status, 0);
  }
}

TEST(HttpClientTest, ResetAndRefusedConnectionsAreRetriedThenReported) {
  TestServer server([](const Seen& s, int n) {
    if (s.path == "/reset" && n <= 1) return Action{.reset = true};
    if (s.path == "/always-reset") return Action{.reset = true};
    return Echo(s, n);
  });
  // A port nobody listens on: bind one, close it.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  const std::string refused = "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/";
  std::vector<Request> requests = {{.url = server.Url("/reset")}, {.url = server.Url("/always-reset")}, {.url = refused}};
  ClientOptions o = Quick(1);
  o.retry.budget_max_tokens = 100;  // these failures alone must not exhaust it
  const auto r = SendAll(requests, o);
  EXPECT_TRUE(r[0].ok()) << r[0].error;
  EXPECT_EQ(r[0].attempts, 2);
  EXPECT_EQ(r[1].attempts, 4);
  EXPECT_FALSE(r[1].ok());
  EXPECT_EQ(r[2].attempts, 4);
  EXPECT_NE(r[2].error.find("Couldn't connect"), std::string::npos) << r[2].error;
  EXPECT_NE(r[2].error.find("(4 attempts)"), std::string::npos) << r[2].error;
}

TEST(HttpClientTest, TheRetryBudgetStopsARetryStorm) {
  TestServer server([](const Seen&, int) { return Action{.status = 503, .reason = "Service Unavailable"}; });
  std::vector<Request> requests(20, Request{.url = server.Url("/down")});
  const auto r = SendAll(requests, Quick(1));
  int stopped = 0;
  for (const Response& x : r) {
    EXPECT_FALSE(x.ok());
    stopped += x.error.find("retry budget exhausted") != std::string::npos;
  }
  // 10 tokens: after 5 failures no call retries any more.
  EXPECT_GT(stopped, 10);
  EXPECT_LT(server.seen().size(), 30u);  // not 20 x 4
}

TEST(HttpClientTest, TheDeadlineEndsEveryCallNotAHang) {
  TestServer server([](const Seen&, int) { return Action{.delay = milliseconds(1500)}; });
  ClientOptions o = Quick(2);
  o.deadline = Deadline::In(milliseconds(400));
  const auto t0 = Clock::now();
  const auto r = SendAll(std::vector<Request>(5, Request{.url = server.Url("/slow")}), o);
  EXPECT_LT(Clock::now() - t0, milliseconds(1500));
  ASSERT_EQ(r.size(), 5u);
  for (const Response& x : r) EXPECT_NE(x.error.find("deadline passed"), std::string::npos) << x.error;
  EXPECT_EQ(r[0].attempts, 1);
  EXPECT_EQ(r[4].attempts, 0);  // never started
}

TEST(HttpClientTest, TheRateLimitSpacesAttempts) {
  TestServer server(Echo);
  ClientOptions o = Quick(4);
  o.max_requests_per_second = 20;
  const auto t0 = Clock::now();
  const auto r = SendAll(std::vector<Request>(10, Request{.url = server.Url("/x")}), o);
  EXPECT_GE(Clock::now() - t0, milliseconds(430));  // 10 starts at 50 ms spacing
  for (const Response& x : r) EXPECT_TRUE(x.ok()) << x.error;
}

TEST(HttpClientTest, RequestsThatCannotBeSentFailWithoutTouchingTheNetwork) {
  std::vector<Request> requests = {{.method = "FETCH", .url = "http://127.0.0.1:1/"},
                                   {.method = "GET", .url = "http://127.0.0.1:1/", .body = "x"},
                                   {.method = "GET", .url = ""}};
  const auto r = SendAll(requests, Quick());
  EXPECT_EQ(r[0].error, "unsupported HTTP method 'FETCH' (GET, HEAD, DELETE, OPTIONS, POST, PUT or PATCH)");
  EXPECT_EQ(r[1].error, "a GET request cannot carry a body (only POST, PUT and PATCH)");
  EXPECT_EQ(r[2].error, "the request has no URL");
  for (const Response& x : r) EXPECT_EQ(x.attempts, 0);
  EXPECT_TRUE(SendAll(std::vector<Request>{}, Quick()).empty());
}

}  // namespace
}  // namespace ember::http
