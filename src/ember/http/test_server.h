// A real HTTP/1.1 server on 127.0.0.1 for the HTTP tests: keep-alive, one thread per
// connection, and a handler that decides each reply (status, headers, body, a delay, or a
// connection reset), so faults are injected by path. Records every request it saw.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ember/http/http_client.h"

namespace ember::http::testing_server {

using Clock = std::chrono::steady_clock;

// What the server does with one request.
struct Action {
  int status = 200;
  std::string reason = "OK";
  std::vector<Header> headers;
  std::string body;
  std::chrono::milliseconds delay{0};
  bool reset = false;        // close the connection without replying
  std::string raw;           // non-empty: these bytes are the reply, as they are
  bool close_after = false;  // close the connection (FIN) after replying
};

struct Seen {
  std::string method, path, body, user_agent;
  std::vector<Header> headers;
  int on_connection = 0;  // 1 for a connection's first request, 2 for its second, ...
  Clock::time_point at;
};

// A threaded keep-alive HTTP/1.1 server on 127.0.0.1; `handler` decides each reply.
class TestServer {
 public:
  explicit TestServer(std::function<Action(const Seen&, int count_for_path)> handler)
      : handler_(std::move(handler)) {
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
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
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
    for (int served = 1;; ++served) {
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
      s.on_connection = served;
      size_t line_end = head.find("\r\n");
      const std::string first = head.substr(0, line_end);
      s.method = first.substr(0, first.find(' '));
      s.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
      while (line_end != std::string::npos && line_end < head.size()) {
        const size_t next = head.find("\r\n", line_end + 2);
        const std::string line = head.substr(
            line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          for (char& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const std::string value = line.substr(colon + 2);
          if (name == "content-length") length = std::stoul(value);
          if (name == "user-agent") s.user_agent = value;
          s.headers.push_back({line.substr(0, colon), value});
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
      std::string out = a.raw;
      if (out.empty()) {
        out = "HTTP/1.1 " + std::to_string(a.status) + " " + a.reason + "\r\n";
        for (const Header& h : a.headers) out += h.name + ": " + h.value + "\r\n";
        out += "Content-Length: " + std::to_string(a.body.size()) + "\r\n\r\n" + a.body;
      }
      if (send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0) return close(c), void();
      if (a.close_after) return close(c), void();
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

}  // namespace ember::http::testing_server
