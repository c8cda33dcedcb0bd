// Ember Serving against hostile clients: the probes that took servers down (readers that
// never read, pipelined requests ending in a malformed one, bodies too large or without the
// API key, bodies held across connections, absurd deadlines and framings, descriptor
// exhaustion), each replayed against a real server. bench/serving/soak.sh runs them for
// minutes.
#include <sys/resource.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "ember/serving/server_test_util.h"

namespace ember::serving {
namespace {

using ::ember::testing::IsOk;
using test_util::Client;
using test_util::ServerTest;

// The probes that took servers down, replayed (a short soak; bench/serving/soak.sh runs the
// long one): every request gets exactly one reply, and no client holds the server.
TEST_F(ServerTest, HostileClientsCannotTakeTheServerDown) {
  auto server = Start({.max_body_bytes = 200000,
                       .max_buffered_bytes = 450000,
                       .max_in_flight = 4,
                       .max_rows = 6000,
                       .max_connections = 64,
                       .write_timeout_ms = 300});
  ASSERT_TRUE(server);
  const int port = server->port();
  std::string rows = "[";
  for (int i = 0; i < 3000; ++i) rows += std::string(i ? "," : "") + R"({"x":1.5,"color":"red"})";
  rows += "]";
  // Readers that never read: each sends big requests and takes no reply. Before, with
  // max_in_flight 4, four of them turned every request into a 503 for as long as they stayed.
  {
    std::vector<std::unique_ptr<Client>> stalled;
    std::vector<std::thread> senders;
    for (int i = 0; i < 4; ++i) {
      stalled.push_back(std::make_unique<Client>(port));
      const int small = 4096;
      setsockopt(stalled.back()->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
      // Sends until the server closes the connection (send then fails).
      senders.emplace_back([c = stalled.back().get(), &rows] {
        for (int k = 0; k < 40; ++k) c->Post(rows);
      });
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (server->metrics().stalled_closed.load() < 4 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GE(server->metrics().stalled_closed.load(), 4);
    Client fresh(port);
    EXPECT_EQ(fresh.Request("POST", "/predict", R"({"x": 1, "color": "red"})").status, 200);
    for (auto& c : stalled) shutdown(c->fd(), SHUT_RDWR);  // unblocks a sender still sending
    for (auto& t : senders) t.join();
  }
  // 200 pipelined requests then a malformed one: all 201 replies, in order, then the end.
  {
    Client c(port);
    std::string burst;
    for (int i = 0; i < 200; ++i)
      burst += "POST /predict HTTP/1.1\r\nContent-Length: 24\r\n\r\n{\"x\": 1, \"color\": \"red\"}";
    burst += "GARBAGE\r\n\r\n";
    c.SendRaw(burst);
    int ok = 0;
    for (int i = 0; i < 200; ++i) ok += c.Read().status == 200;
    EXPECT_EQ(ok, 200);
    EXPECT_EQ(c.Read().status, 400);
    EXPECT_TRUE(c.ClosedWithin(3000));
  }
  // A body too large, still being sent: the client reads the 413 (no reset).
  {
    Client c(port);
    c.SendRaw("POST /predict HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n" +
              std::string(200000, ' '));
    EXPECT_EQ(c.Read().status, 413);
  }
  // Bodies held across connections are bounded: headers announcing bodies that never come.
  {
    std::vector<std::unique_ptr<Client>> holders;
    int refused = 0;
    for (int i = 0; i < 4; ++i) {
      holders.push_back(std::make_unique<Client>(port));
      holders.back()->SendRaw("POST /predict HTTP/1.1\r\nContent-Length: 150000\r\n\r\n{");
    }
    for (auto& h : holders) {
      auto r = h->Read(300);
      refused += r.status == 503;
    }
    EXPECT_EQ(refused, 1);  // 450000 bytes hold three bodies of 150000, not four
    EXPECT_EQ(server->metrics().body_bytes_refused.load(), 1);
  }
  Client c(port);
  // The holders are gone, but the server learns so only when their event loop reads the
  // closes: wait until it holds no body bytes, or the next big request would meet the bound
  // they still took (a 503, seen in CI).
  for (int i = 0; i < 200; ++i) {
    if (c.Request("GET", "/metrics").body.find("\nember_body_bytes_buffered 0\n") !=
        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Too many rows: 413 naming the limit.
  std::string many = "[";
  for (int i = 0; i < 6001; ++i) many += std::string(i ? "," : "") + R"({"x":1,"color":"red"})";
  auto rows413 = c.Request("POST", "/predict", many + "]");
  EXPECT_EQ(rows413.status, 413);
  EXPECT_NE(rows413.body.find("has 6001 rows; this server takes at most 6000"), std::string::npos)
      << rows413.body;
  // Deadlines past any sense are the longest allowed, not an overflow into a 504.
  for (const char* huge : {"10000000000000", "99999999999999999999999"}) {
    EXPECT_EQ(c.Request("POST", "/predict", R"({"x": 1, "color": "red"})",
                        std::string("X-Ember-Deadline-Ms: ") + huge + "\r\n")
                  .status,
              200)
        << huge;
  }
  // Transfer-Encoding other than exactly chunked, or beside a Content-Length: 400.
  for (const char* te : {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, chunked\r\n",
                         "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                         "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"}) {
    Client t(port);
    t.SendRaw(std::string("POST /predict HTTP/1.1\r\n") + te + "\r\n0\r\n\r\n");
    auto r = t.Read();
    EXPECT_EQ(r.status, 400) << te << r.body;
    EXPECT_TRUE(t.ClosedWithin(3000)) << te;
  }
  // A 404 never echoes invalid UTF-8 or a huge path back.
  Client p(port);
  auto nowhere = p.Request("GET", "/\xff\xfe" + std::string(20000, 'a'));
  EXPECT_EQ(nowhere.status, 404);
  EXPECT_LT(nowhere.body.size(), 5000u);
  EXPECT_THAT(Json::Parse(nowhere.body), IsOk());
  EXPECT_NE(nowhere.body.find("\xEF\xBF\xBD"), std::string::npos);
  // Still serving.
  Client last(port);
  EXPECT_EQ(last.Request("POST", "/predict", R"({"x": 1, "color": "red"})").status, 200);
}

// Past the connection limit a connection gets a 503 and is closed; an unauthenticated body
// is never read; a deadline past a day is refused at start.
TEST_F(ServerTest, ConnectionLimitKeyOnHeadersAndBoundedDeadlines) {
  auto server = Start({.max_connections = 2, .api_key = "k"});
  ASSERT_TRUE(server);
  Client a(server->port()), b(server->port());
  EXPECT_EQ(a.Request("GET", "/health").status, 200);
  EXPECT_EQ(b.Request("GET", "/health").status, 200);
  Client third(server->port());
  auto refused = third.Read();
  EXPECT_EQ(refused.status, 503);
  EXPECT_TRUE(third.ClosedWithin(2000));
  EXPECT_EQ(server->metrics().connections_refused.load(), 1);
  // Without the key, a large body is refused on its headers and never buffered.
  a.SendRaw("POST /predict HTTP/1.1\r\nContent-Length: 10000000\r\n\r\n");
  auto denied = a.Read();
  EXPECT_EQ(denied.status, 401);
  EXPECT_TRUE(a.ClosedWithin(3000));
  EXPECT_EQ(server->metrics().body_bytes.load(), 0);
  ServerOptions late;
  late.deadline_ms = int64_t{10000000000000};
  late.routes = {{.path = "/predict", .model_dir = dir_}};
  late.registry = &DefaultRegistry();
  auto refused_start = Server::Start(std::move(late));
  ASSERT_FALSE(refused_start.ok());
  EXPECT_NE(refused_start.status().message().find("past the longest allowed, one day"),
            std::string::npos)
      << refused_start.status();
}

// Out of file descriptors: the loop backs off instead of spinning on accept, answers the
// waiting connections 503 (with its reserve descriptor), keeps serving its open connections,
// counts it, and takes new ones again once descriptors are free.
TEST_F(ServerTest, RunningOutOfDescriptorsIsABackoffNotASpin) {
  auto server = Start({.threads = 1});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client open_before(port);
  ASSERT_EQ(open_before.Request("GET", "/health").status, 200);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int used = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    used += e.exists() ? 1 : 0;
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(used) + 16;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 40; ++i) {
    auto c = std::make_unique<Client>(port);
    if (!c->connected() || c->fd() < 0) break;
    clients.push_back(std::move(c));
  }
  // Let the loop meet the limit; meanwhile it must not burn a core.
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  getrusage(RUSAGE_SELF, &after);
  auto cpu = [](const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  const double busy = cpu(after) - cpu(before);
  const int64_t exhausted = server->metrics().fd_exhausted.load();
  // The connection made before keeps being served.
  const int status = open_before.Request("GET", "/health").status;
  clients.clear();
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_GT(exhausted, 0);
  EXPECT_LT(busy, 0.3) << "the accept loop spun";
  EXPECT_EQ(status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Client after_limit(port);
  EXPECT_EQ(after_limit.Request("GET", "/health").status, 200);
}

}  // namespace
}  // namespace ember::serving
