// The measuring tools of bench/serving.
//
//   ember_bench_serving latency PORT PATH BODY_FILE [WARMUP=200] [N=2000]
//                       [CONTENT_TYPE=application/json]
//     One keep-alive connection to 127.0.0.1:PORT, N sequential POSTs of BODY_FILE to PATH
//     after WARMUP untimed ones. Prints: mean_us=.. std_us=.. p50_us=.. p99_us=.. p999_us=..
//     errors=.. (errors: replies other than 200, or no reply). LAT_SPIN=1 busy-polls.
//   ember_bench_serving work MODEL_DIR BODY_FILE [N=200000]
//     The server's per-request work in process, no sockets: decode the body, run the bound
//     pipeline, encode the reply. Prints: work_ns=.. (as served) stages_work_ns=.. (with
//     compiled scoring off: every stage run), each the median of 5 rounds of N.
//   ember_bench_serving ready PORT PATH START_NS
//     Polls GET PATH on 127.0.0.1:PORT every 0.5 ms until it answers 200; prints the
//     milliseconds since START_NS (wall clock, `date +%s%N`). Fails after 10 s.
//   ember_bench_serving rss PID
//     Prints the process's resident set in kB.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ember/base/file_util.h"
#include "ember/exec/allocator.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/model.h"

namespace {

using Clock = std::chrono::steady_clock;

int Die(const std::string& what) {
  std::fprintf(stderr, "ember_bench_serving: %s\n", what.c_str());
  return 1;
}

// A keep-alive connection to 127.0.0.1:port (-1 on failure).
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// Sends `request` and reads one Content-Length-framed response; returns its status (0 on
// a broken connection). `*closing` is set when the server said "Connection: close"
// (gunicorn's sync workers do after every request).
int RoundTrip(int fd, const std::string& request, std::string* pending, bool* closing) {
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return 0;
    sent += static_cast<size_t>(n);
  }
  char buf[65536];
  size_t end;
  // LAT_SPIN=1: poll without sleeping, so the client's own wake-up (a third of the floor on
  // an idle VM) is not in the figure; for comparing sub-100 µs servers only.
  static const bool spin =
      std::getenv("LAT_SPIN") != nullptr && std::string(std::getenv("LAT_SPIN")) == "1";
  auto receive = [&]() -> ssize_t {
    if (!spin) return recv(fd, buf, sizeof(buf), 0);
    for (;;) {
      const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return n;
    }
  };
  while ((end = pending->find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = receive();
    if (n <= 0) return 0;
    pending->append(buf, static_cast<size_t>(n));
  }
  const int status = std::atoi(pending->c_str() + 9);
  *closing = false;
  for (const char* key : {"Connection: close", "connection: close", "Connection: Close"}) {
    const size_t at = pending->find(key);
    if (at != std::string::npos && at < end) *closing = true;
  }
  size_t length = 0;
  for (const char* key : {"Content-Length: ", "content-length: "}) {
    const size_t at = pending->find(key);
    if (at != std::string::npos && at < end)
      length = std::strtoul(pending->c_str() + at + 16, nullptr, 10);
  }
  while (pending->size() < end + 4 + length) {
    const ssize_t n = receive();
    if (n <= 0) return 0;
    pending->append(buf, static_cast<size_t>(n));
  }
  pending->erase(0, end + 4 + length);
  return status;
}

int Latency(int port, const std::string& path, const std::string& body, int warmup, int n,
            const std::string& content_type) {
  int fd = Connect(port);
  if (fd < 0) return Die("cannot connect");
  const std::string request =
      "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string pending;
  std::vector<double> us;
  int errors = 0;
  for (int i = 0; i < warmup + n; ++i) {
    const auto t = Clock::now();
    if (fd < 0)
      fd = Connect(port);  // the server closed the last one: reconnecting is part of its latency
    bool closing = false;
    const int status = fd < 0 ? 0 : RoundTrip(fd, request, &pending, &closing);
    const double micros = std::chrono::duration<double, std::micro>(Clock::now() - t).count();
    if (status != 200) ++errors;
    if (status == 0) break;
    if (i >= warmup) us.push_back(micros);
    if (closing) {
      close(fd);
      fd = -1;
      pending.clear();
    }
  }
  if (fd >= 0) close(fd);
  if (us.empty()) return Die("no replies");
  double mean = 0;
  for (double v : us) mean += v;
  mean /= static_cast<double>(us.size());
  double var = 0;
  for (double v : us) var += (v - mean) * (v - mean);
  const double std_dev = std::sqrt(var / static_cast<double>(us.size()));
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))];
  };
  std::printf("mean_us=%.1f std_us=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f errors=%d\n", mean,
              std_dev, pct(0.5), pct(0.99), pct(0.999), errors);
  return 0;
}

// The median ns per request over 5 rounds of n (after one warm-up round); -1 on error.
double WorkNs(const std::string& dir, const std::string& body, int n, bool compile,
              std::string* reply) {
  using namespace ember;
  auto model = serving::LoadedModel::Load(
      {.path = "/predict", .model_dir = dir, .compile = compile}, ember::DefaultRegistry(), 1);
  if (!model.ok()) {
    Die(model.status().ToString());
    return -1;
  }
  KernelScratch scratch;
  std::vector<double> rounds;
  for (int round = 0; round < 6; ++round) {
    const auto t = Clock::now();
    for (int i = 0; i < n; ++i) {
      bool array = false;
      serving::DecodeProblem problem;
      Result<Batch> rows = (*model)->decoder().Decode(body, &array, &problem);
      if (!rows.ok()) {
        Die(rows.status().ToString());
        return -1;
      }
      Result<Batch> out = (*model)->kernel().Apply(*rows, scratch);
      if (!out.ok()) {
        Die(out.status().ToString());
        return -1;
      }
      reply->clear();
      (*model)->encoder().Encode(*out, 0, 1, array, reply);
    }
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t).count() / n;
    if (round > 0) rounds.push_back(ns);  // round 0 warms up
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

// As served, and with every stage run (compiled scoring off); the replies must agree.
int Work(const std::string& dir, const std::string& body, int n) {
  std::string reply, stages_reply;
  const double served = WorkNs(dir, body, n, true, &reply);
  const double stages = WorkNs(dir, body, n, false, &stages_reply);
  if (served < 0 || stages < 0) return 1;
  if (reply != stages_reply)
    return Die("compiled and staged replies differ: " + reply + " vs " + stages_reply);
  std::printf("work_ns=%.0f stages_work_ns=%.0f reply=%s\n", served, stages, reply.c_str());
  return 0;
}

int Ready(int port, const std::string& path, int64_t start_ns) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: bench\r\n\r\n";
  for (int attempt = 0; attempt < 20000; ++attempt) {
    const int fd = Connect(port);
    std::string pending;
    bool closing = false;
    const int status = fd < 0 ? 0 : RoundTrip(fd, request, &pending, &closing);
    if (fd >= 0) close(fd);
    if (status == 200) {
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      std::printf("%.0f\n", static_cast<double>(now - start_ns) / 1e6);
      return 0;
    }
    usleep(500);
  }
  return Die("port " + std::to_string(port) + " did not answer 200 on " + path);
}

int Rss(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::printf("%ld\n", std::strtol(line.c_str() + 6, nullptr, 10));
      return 0;
    }
  }
  return Die("no process " + pid);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "latency" && argc >= 5) {
    auto body = ember::ReadFileToString(argv[4]);
    if (!body.ok()) return Die(body.status().ToString());
    return Latency(std::atoi(argv[2]), argv[3], *body, argc > 5 ? std::atoi(argv[5]) : 200,
                   argc > 6 ? std::atoi(argv[6]) : 2000, argc > 7 ? argv[7] : "application/json");
  }
  if (mode == "work" && argc >= 4) {
    ember::RetainFreedMemory();
    auto body = ember::ReadFileToString(argv[3]);
    if (!body.ok()) return Die(body.status().ToString());
    return Work(argv[2], *body, argc > 4 ? std::atoi(argv[4]) : 200000);
  }
  if (mode == "rss" && argc == 3) return Rss(argv[2]);
  if (mode == "ready" && argc == 5) return Ready(std::atoi(argv[2]), argv[3], std::atoll(argv[4]));
  std::fprintf(stderr,
               "usage: ember_bench_serving latency PORT PATH BODY_FILE [WARMUP] [N] "
               "[CONTENT_TYPE]\n"
               "       ember_bench_serving work MODEL_DIR BODY_FILE [N]\n"
               "       ember_bench_serving ready PORT PATH START_NS\n"
               "       ember_bench_serving rss PID\n");
  return 2;
}
