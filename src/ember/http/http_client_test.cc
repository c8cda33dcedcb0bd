// SendAll against a real local HTTP/1.1 server started by the test, with faults injected
// by path: every test checks that no call is lost, duplicated or reordered.
#include "ember/http/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ember/http/test_server.h"

namespace ember::http {
namespace {

using std::chrono::milliseconds;
using testing_server::Action;
using testing_server::Clock;
using testing_server::Seen;
using testing_server::TestServer;

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
