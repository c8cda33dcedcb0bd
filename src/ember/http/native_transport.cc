// The native transport: HTTP/1.1 over non-blocking TCP sockets and one epoll set, for
// plain http:// URLs. Each attempt takes an idle keep-alive connection to its host (or opens
// one), writes the request at once, and parses the reply as it arrives: Content-Length,
// chunked, or until the server closes. A kept-alive connection the server closed meanwhile
// is detected while idle (it becomes readable) and dropped; if the server closes it just as
// a request goes out, the request is sent again on a fresh connection, once, as libcurl
// does, without counting an attempt.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "ember/http/reply_parser.h"
#include "ember/http/transport.h"

namespace ember::http::internal {

namespace {

using Clock = std::chrono::steady_clock;

// Where an http:// URL points.
struct Target {
  std::string host;         // as resolved (no brackets)
  std::string port;         // "80" by default
  std::string host_header;  // host[:port] as written
  std::string path;         // path and query, "/" at least
};

std::optional<Target> ParseHttpUrl(const std::string& url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size() ||
      !IEquals(std::string_view(url).substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  for (unsigned char ch : url) {
    if (ch <= ' ' || ch >= 0x7f) return std::nullopt;  // libcurl's to judge (and reject)
  }
  const size_t start = kScheme.size();
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string::npos) end = url.size();
  const std::string authority = url.substr(start, end - start);
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  Target t;
  t.host_header = authority;
  std::string port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    t.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.find(':');
    t.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (t.host.empty()) return std::nullopt;
  if (port.empty()) {
    t.port = "80";
  } else {
    if (port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char ch) { return std::isdigit(ch); }) ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      return std::nullopt;
    }
    t.port = port;
  }
  std::string rest = url.substr(end);
  if (const size_t hash = rest.find('#'); hash != std::string::npos) rest.resize(hash);
  t.path = rest.empty() || rest.front() != '/' ? "/" + rest : rest;
  return t;
}

// One connection, and the attempt on it while there is one.
struct Conn {
  int fd = -1;
  std::string key;  // host:port, for the idle pool
  Target target;
  size_t address = 0;  // which of the target's addresses
  bool connecting = false;
  bool reused = false;  // it carried a response before this attempt
  bool busy = false;    // an attempt is on it
  // The attempt.
  size_t call = 0;
  const Request* request = nullptr;
  Clock::time_point deadline;
  bool replayed = false;  // sent again after a kept-alive connection closed under it
  std::string out;
  size_t sent = 0;
  ReplyParser reply;
};

class NativeTransport final : public Transport {
 public:
  explicit NativeTransport(std::string user_agent) : user_agent_(std::move(user_agent)) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
  }
  ~NativeTransport() override {
    for (auto& [fd, c] : conns_) close(fd);
    if (epoll_ >= 0) close(epoll_);
  }

  void Start(size_t call, const Request& r, std::chrono::milliseconds timeout) override {
    const std::optional<Target> target = ParseHttpUrl(r.url);
    std::string key = target ? target->host + ":" + target->port : "";
    Conn* c = nullptr;
    if (auto it = idle_.find(key); it != idle_.end() && !it->second.empty()) {
      c = it->second.back();
      it->second.pop_back();
    }
    std::string error;
    if (c == nullptr && target) c = Open(*target, key, &error);
    if (c == nullptr) {
      Outcome o;
      o.call = call;
      o.kind = Outcome::Kind::kFailed;
      o.error = target ? error : "not a plain http:// URL: " + r.url;
      ended_.push_back(std::move(o));
      return;
    }
    c->busy = true;
    c->call = call;
    c->request = &r;
    c->deadline = Clock::now() + timeout;
    c->replayed = false;
    WriteRequest(*target, r, &c->out);
    ++busy_;
    Begin(c);
  }

  void Progress(std::vector<Outcome>* ended) override {
    Poll(0);
    const Clock::time_point now = Clock::now();
    if (busy_ > 0) {
      std::vector<Conn*> late;
      for (auto& [fd, c] : conns_) {
        if (c->busy && now >= c->deadline) late.push_back(c.get());
      }
      for (Conn* c : late) End(c, Outcome::Kind::kTimedOut, "");
    }
    for (Outcome& o : ended_) ended->push_back(std::move(o));
    ended_.clear();
  }

  void Wait(int ms) override {
    if (!ended_.empty()) return;
    if (busy_ > 0) {
      Clock::time_point first = Clock::time_point::max();
      for (auto& [fd, c] : conns_) {
        if (c->busy) first = std::min(first, c->deadline);
      }
      const auto until = std::chrono::ceil<std::chrono::milliseconds>(first - Clock::now()).count();
      ms = static_cast<int>(std::clamp<int64_t>(until, 0, ms));
    }
    Poll(ms);
  }

  size_t active() const override { return busy_ + ended_.size(); }

  std::vector<size_t> Abandon() override {
    std::vector<size_t> calls;
    for (const Outcome& o : ended_) calls.push_back(o.call);
    ended_.clear();
    std::vector<Conn*> busy;
    for (auto& [fd, c] : conns_) {
      if (c->busy) busy.push_back(c.get());
    }
    for (Conn* c : busy) {
      calls.push_back(c->call);
      --busy_;
      Close(c);
    }
    return calls;
  }

 private:
  // A new connection to `target` (connecting), trying its addresses from `first` on until
  // one accepts the connect call; null with *error when none does.
  Conn* Open(const Target& target, const std::string& key, std::string* error, size_t first = 0) {
    auto found = addresses_.find(key);
    if (found == addresses_.end()) {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      const int rc = getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &list);
      if (rc != 0 || list == nullptr) {
        *error = "Couldn't resolve host name: " + target.host + " (" + gai_strerror(rc) + ")";
        return nullptr;
      }
      std::vector<Address> all;
      for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
        Address a;
        std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
        a.length = ai->ai_addrlen;
        a.family = ai->ai_family;
        all.push_back(a);
      }
      freeaddrinfo(list);
      found = addresses_.emplace(key, std::move(all)).first;
    }
    const std::vector<Address>& all = found->second;
    for (size_t i = first; i < all.size(); ++i) {
      const Address& a = all[i];
      const int fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        *error = std::string("Couldn't connect to server: socket: ") + std::strerror(errno);
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&a.storage), a.length);
      if (rc != 0 && errno != EINPROGRESS) {
        *error = ConnectError(target.host, target.port, errno);
        close(fd);
        continue;
      }
      auto conn = std::make_unique<Conn>();
      Conn* c = conn.get();
      c->fd = fd;
      c->key = key;
      c->target = target;
      c->address = i;
      c->connecting = rc != 0;
      conns_.emplace(fd, std::move(conn));
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.ptr = c;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
      return c;
    }
    return nullptr;
  }

  // Moves the attempt on `from` (a connection that failed before any byte of the reply) to
  // a fresh connection, trying addresses from `first` on; it keeps its deadline. False (and
  // the attempt failed with *error) when no connection opens.
  bool MoveAttempt(Conn* from, size_t first, bool replayed, std::string* error) {
    const size_t call = from->call;
    const Request* r = from->request;
    const Clock::time_point deadline = from->deadline;
    std::string out = std::move(from->out);
    const Target target = from->target;
    const std::string key = from->key;
    Close(from);
    Conn* fresh = Open(target, key, error, first);
    if (fresh == nullptr) {
      --busy_;
      Outcome o;
      o.call = call;
      o.kind = Outcome::Kind::kFailed;
      o.error = *error;
      ended_.push_back(std::move(o));
      return false;
    }
    fresh->busy = true;
    fresh->call = call;
    fresh->request = r;
    fresh->deadline = deadline;
    fresh->replayed = replayed;
    fresh->out = std::move(out);
    Begin(fresh);
    return true;
  }

  static std::string ConnectError(const std::string& host, const std::string& port, int err) {
    return "Couldn't connect to server: connect to " + host + " port " + port + ": " +
           std::strerror(err);
  }

  // The request's bytes: libcurl's defaults (Host, User-Agent, Accept, a form content type
  // for bodies) unless the request sets them; a header with an empty value only removes the
  // default of that name.
  void WriteRequest(const Target& t, const Request& r, std::string* out) const {
    out->clear();
    out->append(r.method).append(" ").append(t.path).append(" HTTP/1.1\r\n");
    auto given = [&](std::string_view name) {
      return std::any_of(r.headers.begin(), r.headers.end(),
                         [&](const Header& h) { return IEquals(h.name, name); });
    };
    if (!given("Host")) out->append("Host: ").append(t.host_header).append("\r\n");
    if (!given("User-Agent")) out->append("User-Agent: ").append(user_agent_).append("\r\n");
    if (!given("Accept")) out->append("Accept: */*\r\n");
    const bool body = r.method == "POST" || r.method == "PUT" || r.method == "PATCH";
    for (const Header& h : r.headers) {
      if (h.value.empty() || IEquals(h.name, "Content-Length")) continue;
      out->append(h.name).append(": ").append(h.value).append("\r\n");
    }
    if (body) {
      if (!given("Content-Type"))
        out->append("Content-Type: application/x-www-form-urlencoded\r\n");
      out->append("Content-Length: ")
          .append(std::to_string(r.body.size()))
          .append("\r\n\r\n")
          .append(r.body);
    } else {
      out->append("\r\n");
    }
  }

  // Puts the attempt on its connection in motion: writes (when connected), then reads.
  void Begin(Conn* c) {
    c->sent = 0;
    c->reply.Reset(c->request->method == "HEAD");
    if (c->connecting) {
      Interest(c, EPOLLOUT);
      return;
    }
    Write(c);
  }

  void Interest(Conn* c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c->fd, &ev);
  }

  void Poll(int ms) {
    epoll_event events[256];
    int n = epoll_wait(epoll_, events, 256, ms);
    while (n > 0) {
      for (int i = 0; i < n; ++i) Handle(static_cast<Conn*>(events[i].data.ptr), events[i].events);
      if (n < 256) break;
      n = epoll_wait(epoll_, events, 256, 0);
    }
  }

  void Handle(Conn* c, uint32_t events) {
    if (!c->busy) {  // an idle connection the server closed (or wrote to): drop it
      Close(c);
      return;
    }
    if (c->connecting) {
      int err = 0;
      socklen_t len = sizeof(err);
      getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        // The next address of the host, if it has one (as libcurl does: localhost may be
        // ::1 and 127.0.0.1, and the server listen on one of them).
        std::string error = ConnectError(c->target.host, c->target.port, err);
        const size_t next = c->address + 1;
        if (next < addresses_[c->key].size()) {
          MoveAttempt(c, next, c->replayed, &error);
        } else {
          End(c, Outcome::Kind::kFailed, error);
        }
        return;
      }
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      c->connecting = false;
      Write(c);
      return;
    }
    if (c->sent < c->out.size()) {
      Write(c);
      return;
    }
    Read(c);
  }

  void Write(Conn* c) {
    while (c->sent < c->out.size()) {
      const ssize_t n = send(c->fd, c->out.data() + c->sent, c->out.size() - c->sent, MSG_NOSIGNAL);
      if (n > 0) {
        c->sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Interest(c, EPOLLOUT);
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      Broken(c, std::string("Send failure: ") + std::strerror(errno));
      return;
    }
    Interest(c, EPOLLIN | EPOLLRDHUP);
    Read(c);  // the reply may be there already
  }

  void Read(Conn* c) {
    char buf[65536];
    bool closed = false;
    for (;;) {
      const ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
      if (n > 0) {
        if (c->reply.Feed(std::string_view(buf, static_cast<size_t>(n))) !=
            ReplyParser::State::kMore)
          break;
        continue;
      }
      if (n == 0) {
        if (!c->reply.received_any()) {
          Broken(c, "Empty reply from server");
          return;
        }
        closed = true;
        c->reply.Closed();
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      Broken(c, std::string("Recv failure: ") + std::strerror(errno));
      return;
    }
    if (c->reply.state() == ReplyParser::State::kDone) {
      Complete(c, !closed && c->reply.keep_alive());
    } else {
      End(c, Outcome::Kind::kFailed, c->reply.error());
    }
  }

  // A connection that failed before any byte of the reply: when it was a kept-alive one
  // (the server closed it as the request went out), the request goes again on a fresh
  // connection, once; otherwise the attempt failed.
  void Broken(Conn* c, const std::string& why) {
    if (!c->reused || c->reply.received_any() || c->replayed) {
      End(c, Outcome::Kind::kFailed, why);
      return;
    }
    std::string error;
    MoveAttempt(c, 0, /*replayed=*/true, &error);
  }

  // The reply is whole: the outcome is ready and the connection goes back to the pool (or
  // closes).
  void Complete(Conn* c, bool reusable) {
    Outcome& o = c->reply.reply();
    o.call = c->call;
    o.kind = Outcome::Kind::kResponse;
    ended_.push_back(std::move(o));
    c->busy = false;
    c->request = nullptr;
    --busy_;
    if (!reusable) {
      Close(c);
      return;
    }
    c->reused = true;
    c->out.clear();
    Interest(c, EPOLLIN | EPOLLRDHUP);  // an idle connection that becomes readable was closed
    idle_[c->key].push_back(c);
  }

  // The attempt on `c` failed (or timed out): no reply, and the connection closes.
  void End(Conn* c, Outcome::Kind kind, std::string error) {
    Outcome o;
    o.call = c->call;
    o.kind = kind;
    o.error = std::move(error);
    ended_.push_back(std::move(o));
    --busy_;
    Close(c);
  }

  // Forgets the connection (busy_ is the caller's).
  void Close(Conn* c) {
    if (!c->busy) {  // it may be in the idle pool
      auto it = idle_.find(c->key);
      if (it != idle_.end())
        it->second.erase(std::remove(it->second.begin(), it->second.end(), c), it->second.end());
    }
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    conns_.erase(c->fd);
  }

  struct Address {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
  };

  std::string user_agent_;
  int epoll_ = -1;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
  std::unordered_map<std::string, std::vector<Conn*>> idle_;
  std::map<std::string, std::vector<Address>> addresses_;
  std::vector<Outcome> ended_;
  size_t busy_ = 0;
};

}  // namespace

std::unique_ptr<Transport> MakeNativeTransport(const std::string& user_agent) {
  return std::make_unique<NativeTransport>(user_agent);
}

bool NativeCanSend(const Request& request) { return ParseHttpUrl(request.url).has_value(); }

}  // namespace ember::http::internal
