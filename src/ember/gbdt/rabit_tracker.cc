#include "ember/gbdt/rabit_tracker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "ember/base/status_macros.h"

namespace ember::gbdt {

namespace {

constexpr int32_t kMagic = 0xff99;
// Ember's watch connections (not part of dmlc's protocol): this magic, the worker's rank
// and task id; later one byte 'F' when the worker finished, 'E' and a string when its
// collective call failed, or the connection's end when it died. The tracker sends news of
// dead and failed workers back as a length-prefixed string.
constexpr int32_t kWatchMagic = 0xe3be;
constexpr char kFinished = 'F';
constexpr char kFailed = 'E';

// One worker connection with a deadline on every read and write.
class Conn {
 public:
  Conn(int fd, std::string host, std::chrono::steady_clock::time_point deadline)
      : fd_(fd), host_(std::move(host)), deadline_(deadline) {}
  Conn(Conn&& o) noexcept : fd_(o.fd_), host_(std::move(o.host_)), deadline_(o.deadline_) {
    o.fd_ = -1;
  }
  Conn& operator=(Conn&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(host_, o.host_);
    std::swap(deadline_, o.deadline_);
    return *this;
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  const std::string& host() const { return host_; }
  int Release() { return std::exchange(fd_, -1); }

  Status Read(void* buf, size_t n) {
    char* p = static_cast<char*>(buf);
    while (n > 0) {
      EMBER_RETURN_IF_ERROR(WaitFor(POLLIN));
      const ssize_t got = recv(fd_, p, n, 0);
      if (got <= 0) return Unavailable("a worker at " + host_ + " closed the connection");
      p += got;
      n -= static_cast<size_t>(got);
    }
    return Status::OK();
  }
  Status Write(const void* buf, size_t n) {
    const char* p = static_cast<const char*>(buf);
    while (n > 0) {
      EMBER_RETURN_IF_ERROR(WaitFor(POLLOUT));
      const ssize_t put = send(fd_, p, n, MSG_NOSIGNAL);
      if (put <= 0) return Unavailable("a worker at " + host_ + " closed the connection");
      p += put;
      n -= static_cast<size_t>(put);
    }
    return Status::OK();
  }
  Result<int32_t> ReadInt() {
    int32_t v;
    EMBER_RETURN_IF_ERROR(Read(&v, sizeof(v)));
    return v;
  }
  Status WriteInt(int32_t v) { return Write(&v, sizeof(v)); }
  Result<std::string> ReadString() {
    EMBER_ASSIGN_OR_RETURN(int32_t n, ReadInt());
    if (n < 0 || n > (1 << 20))
      return InvalidArgument("a worker sent a string of length " + std::to_string(n));
    std::string s(static_cast<size_t>(n), '\0');
    EMBER_RETURN_IF_ERROR(Read(s.data(), s.size()));
    return s;
  }
  Status WriteString(const std::string& s) {
    EMBER_RETURN_IF_ERROR(WriteInt(static_cast<int32_t>(s.size())));
    return Write(s.data(), s.size());
  }

 private:
  Status WaitFor(short events) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return DeadlineExceeded("a worker at " + host_ + " did not answer in time");
    pollfd p{fd_, events, 0};
    const int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r == 0) return DeadlineExceeded("a worker at " + host_ + " did not answer in time");
    if (r < 0) return Unavailable(std::string("poll: ") + std::strerror(errno));
    return Status::OK();
  }
  int fd_;
  std::string host_;
  std::chrono::steady_clock::time_point deadline_;
};

// The tree (binary heap) and ring of dmlc's tracker, relabelled so that the ring is
// 0, 1, ..., n - 1.
struct LinkMap {
  std::map<int, std::vector<int>> tree;
  std::map<int, int> parent;
  std::map<int, std::pair<int, int>> ring;
};

std::vector<int> Neighbours(int rank, int n) {
  std::vector<int> out;
  const int r = rank + 1;
  if (r > 1) out.push_back(r / 2 - 1);
  if (r * 2 - 1 < n) out.push_back(r * 2 - 1);
  if (r * 2 < n) out.push_back(r * 2);
  return out;
}

// The order in which a depth-first walk shares the ring (tracker.py's find_share_ring).
std::vector<int> ShareRing(const std::map<int, std::vector<int>>& tree,
                           const std::map<int, int>& parent, int r) {
  std::set<int> children(tree.at(r).begin(), tree.at(r).end());
  children.erase(parent.at(r));
  std::vector<int> out = {r};
  size_t count = 0;
  for (int child : children) {
    std::vector<int> sub = ShareRing(tree, parent, child);
    if (++count == children.size()) std::reverse(sub.begin(), sub.end());
    out.insert(out.end(), sub.begin(), sub.end());
  }
  return out;
}

LinkMap MakeLinkMap(int n) {
  std::map<int, std::vector<int>> tree;
  std::map<int, int> parent;
  for (int r = 0; r < n; ++r) {
    tree[r] = Neighbours(r, n);
    parent[r] = (r + 1) / 2 - 1;
  }
  const std::vector<int> order = ShareRing(tree, parent, 0);
  std::map<int, std::pair<int, int>> ring;
  for (int i = 0; i < n; ++i) ring[order[i]] = {order[(i + n - 1) % n], order[(i + 1) % n]};
  std::map<int, int> relabel = {{0, 0}};
  int k = 0;
  for (int i = 0; i < n - 1; ++i) {
    k = ring[k].second;
    relabel[k] = i + 1;
  }
  LinkMap m;
  for (const auto& [r, link] : ring)
    m.ring[relabel[r]] = {relabel[link.first], relabel[link.second]};
  for (const auto& [r, ns] : tree) {
    for (int x : ns) m.tree[relabel[r]].push_back(relabel[x]);
    if (ns.empty()) m.tree[relabel[r]];
  }
  for (const auto& [r, p] : parent) m.parent[relabel[r]] = r == 0 ? -1 : relabel[p];
  return m;
}

struct Pending {
  Conn conn;
  std::string task_id;
};

// A worker waiting for peers to connect to it.
struct Waiting {
  std::string host;
  int port = 0;
  int wait_accept = 0;
};

// tracker.py's assign_rank: the worker's rank, parent, world size, neighbours and ring
// links, then rounds of "connect to these peers" until it reports no error; returns how
// many peers must still connect to it (and its listening port).
Result<std::pair<int, int>> AssignRank(Conn& c, int rank, const LinkMap& links,
                                       std::map<int, Waiting>& wait_conn, int n) {
  std::set<int> neighbours(links.tree.at(rank).begin(), links.tree.at(rank).end());
  const auto [prev, next] = links.ring.at(rank);
  EMBER_RETURN_IF_ERROR(c.WriteInt(rank));
  EMBER_RETURN_IF_ERROR(c.WriteInt(links.parent.at(rank)));
  EMBER_RETURN_IF_ERROR(c.WriteInt(n));
  EMBER_RETURN_IF_ERROR(c.WriteInt(static_cast<int32_t>(neighbours.size())));
  for (int r : neighbours) EMBER_RETURN_IF_ERROR(c.WriteInt(r));
  for (int link : {prev, next}) {
    if (link != -1 && link != rank) {
      neighbours.insert(link);
      EMBER_RETURN_IF_ERROR(c.WriteInt(link));
    } else {
      EMBER_RETURN_IF_ERROR(c.WriteInt(-1));
    }
  }
  for (;;) {
    EMBER_ASSIGN_OR_RETURN(int32_t ngood, c.ReadInt());
    if (ngood < 0 || ngood > n)
      return InvalidArgument("a worker reported " + std::to_string(ngood) + " links");
    std::set<int> good;
    for (int i = 0; i < ngood; ++i) {
      EMBER_ASSIGN_OR_RETURN(int32_t r, c.ReadInt());
      good.insert(r);
    }
    std::vector<int> bad, connect;
    for (int r : neighbours) {
      if (!good.count(r)) bad.push_back(r);
    }
    for (int r : bad) {
      if (wait_conn.count(r)) connect.push_back(r);
    }
    EMBER_RETURN_IF_ERROR(c.WriteInt(static_cast<int32_t>(connect.size())));
    EMBER_RETURN_IF_ERROR(c.WriteInt(static_cast<int32_t>(bad.size() - connect.size())));
    for (int r : connect) {
      EMBER_RETURN_IF_ERROR(c.WriteString(wait_conn[r].host));
      EMBER_RETURN_IF_ERROR(c.WriteInt(wait_conn[r].port));
      EMBER_RETURN_IF_ERROR(c.WriteInt(r));
    }
    EMBER_ASSIGN_OR_RETURN(int32_t nerr, c.ReadInt());
    if (nerr != 0) continue;
    EMBER_ASSIGN_OR_RETURN(int32_t port, c.ReadInt());
    for (int r : connect) {
      if (--wait_conn[r].wait_accept == 0) wait_conn.erase(r);
    }
    return std::make_pair(static_cast<int>(bad.size() - connect.size()), static_cast<int>(port));
  }
}

}  // namespace

Result<std::unique_ptr<RabitTracker>> RabitTracker::Start(int workers, const std::string& host,
                                                          std::chrono::milliseconds timeout,
                                                          std::chrono::seconds peer_timeout) {
  if (workers < 1) return InvalidArgument("a Rabit tracker needs at least one worker");
  if (peer_timeout.count() < 1)
    return InvalidArgument("a Rabit tracker's peer timeout must be at least 1 s");
  auto t = std::unique_ptr<RabitTracker>(new RabitTracker());
  t->workers_ = workers;
  t->peer_timeout_ = peer_timeout;
  t->host_ = host;
  t->deadline_ = std::chrono::steady_clock::now() + timeout;
  t->listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (t->listen_fd_ < 0) return Unavailable(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(t->listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("Rabit tracker host '" + host + "' is not an IPv4 address");
  }
  if (bind(t->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(t->listen_fd_, 256) != 0) {
    return Unavailable("Rabit tracker cannot listen on " + host + ": " + std::strerror(errno));
  }
  socklen_t len = sizeof(addr);
  getsockname(t->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  t->port_ = ntohs(addr.sin_port);
  t->thread_ = std::thread([raw = t.get()] { raw->Run(); });
  return t;
}

RabitTracker::~RabitTracker() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  for (const Watch& w : watches_) close(w.fd);
}

std::string RabitTracker::WorkerConfig(int task_id) const {
  return R"({"rabit_tracker_uri": ")" + host_ + R"(", "rabit_tracker_port": )" +
         std::to_string(port_) + R"(, "rabit_task_id": ")" + std::to_string(task_id) +
         R"(", "rabit_world_size": )" + std::to_string(workers_) +
         R"(, "rabit_timeout": "true", "rabit_timeout_sec": ")" +
         std::to_string(peer_timeout_.count()) + R"(", "ember_watch": ")" + host_ + ":" +
         std::to_string(port_) + R"("})";
}

std::string RabitTracker::OnWatch(size_t i) {
  char byte = 0;
  const ssize_t got = recv(watches_[i].fd, &byte, 1, 0);
  const Watch w = watches_[i];
  std::string failure;
  if (got == 1 && byte == kFailed) {
    Conn c(dup(w.fd), host_, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    failure = c.ReadString().value_or("(no reason given)");
  }
  close(w.fd);
  watches_.erase(watches_.begin() + static_cast<std::ptrdiff_t>(i));
  const std::string who =
      "XGBoost worker task " + w.task + " (rank " + std::to_string(w.rank) + ")";
  if (!failure.empty()) return who + " failed: " + failure;
  std::lock_guard<std::mutex> lock(mu_);
  if ((got == 1 && byte == kFinished) || finished_.count(w.task)) return "";
  // The connection ended without a goodbye: the worker process is gone.
  return who + " died before it finished";
}

void RabitTracker::Tell(const std::string& news) {
  for (const Watch& w : watches_) {
    Conn c(dup(w.fd), host_, std::chrono::steady_clock::now() + std::chrono::seconds(1));
    c.WriteString(news).IgnoreError();  // a worker that is gone too is named by its own watch
  }
}

void RabitTracker::Run() {
  Status s = Serve();
  std::lock_guard<std::mutex> lock(mu_);
  result_ = std::move(s);
  done_ = true;
}

Status RabitTracker::Wait() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return result_;
}

Status RabitTracker::Serve() {
  const LinkMap links = MakeLinkMap(workers_);
  std::map<int, Waiting> wait_conn;
  std::vector<Pending> pending;
  std::vector<int> free_ranks;
  for (int r = 0; r < workers_; ++r) free_ranks.push_back(r);
  std::map<std::string, int> rank_of_task;
  std::set<int> shut_down;
  auto missing = [&](const std::set<std::string>& seen) {
    std::string out;
    for (int i = 0; i < workers_; ++i) {
      if (!seen.count(std::to_string(i))) out += (out.empty() ? "" : ", ") + std::to_string(i);
    }
    return out;
  };
  // After a worker died the tracker serves on for a moment, so that the others' watches,
  // even ones still connecting, hear which one it was; then Wait() fails naming it.
  std::string death;
  std::chrono::steady_clock::time_point death_grace_end;
  while (static_cast<int>(shut_down.size()) < workers_) {
    if (stop_) return Cancelled("the Rabit tracker was stopped");
    const auto now = std::chrono::steady_clock::now();
    if (!death.empty() && now >= death_grace_end) return Unavailable(death);
    if (now >= deadline_) {
      std::lock_guard<std::mutex> lock(mu_);
      if (static_cast<int>(started_.size()) < workers_) {
        return DeadlineExceeded("XGBoost workers (task ids) " + missing(started_) +
                                " did not start within the timeout");
      }
      return DeadlineExceeded("XGBoost workers (task ids) " + missing(finished_) +
                              " did not finish within the timeout");
    }
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
    for (const Watch& w : watches_) fds.push_back({w.fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (size_t i = fds.size() - 1; i >= 1; --i) {
      if (fds[i].revents == 0) continue;
      std::string news = OnWatch(i - 1);
      if (news.empty() || !death.empty()) continue;
      death = std::move(news);
      death_grace_end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      Tell(death);
    }
    if (fds[0].revents == 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    const int fd = accept(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len);
    if (fd < 0) continue;
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    Conn c(fd, ip, deadline_);
    EMBER_ASSIGN_OR_RETURN(int32_t magic, c.ReadInt());
    if (magic == kWatchMagic) {
      EMBER_ASSIGN_OR_RETURN(int32_t rank, c.ReadInt());
      EMBER_ASSIGN_OR_RETURN(std::string task, c.ReadString());
      watches_.push_back({c.Release(), task, rank});
      if (!death.empty()) Tell(death);  // again to the others: harmless, they read it once
      continue;
    }
    if (magic != kMagic)
      return InvalidArgument(std::string("a connection from ") + ip + " is not an XGBoost worker");
    EMBER_RETURN_IF_ERROR(c.WriteInt(kMagic));
    EMBER_ASSIGN_OR_RETURN(int32_t rank, c.ReadInt());
    EMBER_ASSIGN_OR_RETURN(int32_t world, c.ReadInt());
    EMBER_ASSIGN_OR_RETURN(std::string task, c.ReadString());
    EMBER_ASSIGN_OR_RETURN(std::string cmd, c.ReadString());
    if (cmd == "print") {
      EMBER_ASSIGN_OR_RETURN(std::string msg, c.ReadString());
      (void)msg;  // XGBoost's progress lines; Ember logs its own
      continue;
    }
    if (cmd == "shutdown") {
      if (rank < 0 || rank >= workers_ || shut_down.count(rank)) {
        return InvalidArgument("XGBoost worker " + task + " shut down with rank " +
                               std::to_string(rank));
      }
      shut_down.insert(rank);
      std::lock_guard<std::mutex> lock(mu_);
      finished_.insert(task);
      continue;
    }
    if (cmd != "start" && cmd != "recover")
      return InvalidArgument("XGBoost worker sent unknown command '" + cmd + "'");
    if (world != -1 && world != workers_) {
      return InvalidArgument("XGBoost worker " + task + " expects " + std::to_string(world) +
                             " workers, not " + std::to_string(workers_));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_.insert(task);
    }
    if (rank < 0 && rank_of_task.count(task)) rank = rank_of_task[task];
    if (rank >= 0) {  // a recovering worker keeps its rank
      EMBER_ASSIGN_OR_RETURN(auto accept_port, AssignRank(c, rank, links, wait_conn, workers_));
      if (accept_port.first > 0)
        wait_conn[rank] = {c.host(), accept_port.second, accept_port.first};
      continue;
    }
    pending.push_back({std::move(c), task});
    if (pending.size() < free_ranks.size()) continue;
    // Everyone has arrived: ranks by task id (numerically when they are numbers).
    std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
      const bool an =
          !a.task_id.empty() && std::all_of(a.task_id.begin(), a.task_id.end(), ::isdigit);
      const bool bn =
          !b.task_id.empty() && std::all_of(b.task_id.begin(), b.task_id.end(), ::isdigit);
      if (an && bn) return std::stoll(a.task_id) < std::stoll(b.task_id);
      return a.task_id < b.task_id;
    });
    for (Pending& w : pending) {
      const int r = free_ranks.front();
      free_ranks.erase(free_ranks.begin());
      if (w.task_id != "NULL") rank_of_task[w.task_id] = r;
      EMBER_ASSIGN_OR_RETURN(auto accept_port, AssignRank(w.conn, r, links, wait_conn, workers_));
      if (accept_port.first > 0)
        wait_conn[r] = {w.conn.host(), accept_port.second, accept_port.first};
    }
    pending.clear();
  }
  return Status::OK();
}

}  // namespace ember::gbdt

// The worker's side of the watch -----------------------------------------------------------

namespace ember::gbdt::tracker_watch {

namespace {

std::mutex watch_mu;
int watch_fd = -1;

// The string value of `"key": "value"` in the config WorkerConfig made (empty if absent).
std::string ConfigValue(const std::string& config, const std::string& key) {
  const std::string start = "\"" + key + "\": \"";
  const size_t at = config.find(start);
  if (at == std::string::npos) return "";
  const size_t from = at + start.size();
  const size_t end = config.find('"', from);
  return end == std::string::npos ? "" : config.substr(from, end - from);
}

}  // namespace

Status Open(const std::string& config, int rank) {
  const std::string where = ConfigValue(config, "ember_watch");
  if (where.empty()) return Status::OK();  // not an Ember tracker
  const size_t colon = where.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(where.c_str() + colon + 1)));
  if (colon == std::string::npos ||
      inet_pton(AF_INET, where.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("the tracker's watch address '" + where + "' is not IPv4 host:port");
  }
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unavailable(std::string("socket: ") + std::strerror(errno));
  timeval tv{10, 0};  // bounds connect() too
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    return Unavailable("cannot reach the Rabit tracker's watch at " + where + ": " + error);
  }
  Conn c(fd, where, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  EMBER_RETURN_IF_ERROR(c.WriteInt(kWatchMagic));
  EMBER_RETURN_IF_ERROR(c.WriteInt(rank));
  EMBER_RETURN_IF_ERROR(c.WriteString(ConfigValue(config, "rabit_task_id")));
  std::lock_guard<std::mutex> lock(watch_mu);
  if (watch_fd >= 0) close(watch_fd);
  watch_fd = c.Release();
  return Status::OK();
}

void Close() {
  std::lock_guard<std::mutex> lock(watch_mu);
  if (watch_fd < 0) return;
  send(watch_fd, &kFinished, 1, MSG_NOSIGNAL);
  close(watch_fd);
  watch_fd = -1;
}

void ReportFailure(const std::string& error) {
  std::lock_guard<std::mutex> lock(watch_mu);
  if (watch_fd < 0) return;
  Conn c(watch_fd, "the tracker", std::chrono::steady_clock::now() + std::chrono::seconds(1));
  if (c.Write(&kFailed, 1).ok()) c.WriteString(error).IgnoreError();
  watch_fd = -1;  // c closes it: one report per watch
}

std::string News(std::chrono::milliseconds wait) {
  std::lock_guard<std::mutex> lock(watch_mu);
  if (watch_fd < 0) return "";
  Conn c(dup(watch_fd), "the tracker", std::chrono::steady_clock::now() + wait);
  auto news = c.ReadString();
  return news.ok() ? *news : "";
}

}  // namespace ember::gbdt::tracker_watch
