#include "ember/gbdt/rabit_tracker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "ember/base/status_macros.h"

namespace ember::gbdt {

namespace {

constexpr int32_t kMagic = 0xff99;

// One worker connection with a deadline on every read and write.
class Conn {
 public:
  Conn(int fd, std::string host, std::chrono::steady_clock::time_point deadline)
      : fd_(fd), host_(std::move(host)), deadline_(deadline) {}
  Conn(Conn&& o) noexcept : fd_(o.fd_), host_(std::move(o.host_)), deadline_(o.deadline_) { o.fd_ = -1; }
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
    if (n < 0 || n > (1 << 20)) return InvalidArgument("a worker sent a string of length " + std::to_string(n));
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
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) return DeadlineExceeded("a worker at " + host_ + " did not answer in time");
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
std::vector<int> ShareRing(const std::map<int, std::vector<int>>& tree, const std::map<int, int>& parent, int r) {
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
  for (const auto& [r, link] : ring) m.ring[relabel[r]] = {relabel[link.first], relabel[link.second]};
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
Result<std::pair<int, int>> AssignRank(Conn& c, int rank, const LinkMap& links, std::map<int, Waiting>& wait_conn,
                                       int n) {
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
    if (ngood < 0 || ngood > n) return InvalidArgument("a worker reported " + std::to_string(ngood) + " links");
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
                                                          std::chrono::milliseconds timeout) {
  if (workers < 1) return InvalidArgument("a Rabit tracker needs at least one worker");
  auto t = std::unique_ptr<RabitTracker>(new RabitTracker());
  t->workers_ = workers;
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
  if (bind(t->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(t->listen_fd_, 256) != 0) {
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
}

std::string RabitTracker::WorkerConfig(int task_id) const {
  return R"({"rabit_tracker_uri": ")" + host_ + R"(", "rabit_tracker_port": )" + std::to_string(port_) +
         R"(, "rabit_task_id": ")" + std::to_string(task_id) + R"(", "rabit_world_size": )" +
         std::to_string(workers_) + "}";
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
  while (static_cast<int>(shut_down.size()) < workers_) {
    if (stop_) return Cancelled("the Rabit tracker was stopped");
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline_) {
      std::lock_guard<std::mutex> lock(mu_);
      if (static_cast<int>(started_.size()) < workers_) {
        return DeadlineExceeded("XGBoost workers (task ids) " + missing(started_) + " did not start within the timeout");
      }
      return DeadlineExceeded("XGBoost workers (task ids) " + missing(finished_) +
                              " did not finish within the timeout");
    }
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof(peer);
    const int fd = accept(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len);
    if (fd < 0) continue;
    char ip[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
    Conn c(fd, ip, deadline_);
    EMBER_ASSIGN_OR_RETURN(int32_t magic, c.ReadInt());
    if (magic != kMagic) return InvalidArgument(std::string("a connection from ") + ip + " is not an XGBoost worker");
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
        return InvalidArgument("XGBoost worker " + task + " shut down with rank " + std::to_string(rank));
      }
      shut_down.insert(rank);
      std::lock_guard<std::mutex> lock(mu_);
      finished_.insert(task);
      continue;
    }
    if (cmd != "start" && cmd != "recover") return InvalidArgument("XGBoost worker sent unknown command '" + cmd + "'");
    if (world != -1 && world != workers_) {
      return InvalidArgument("XGBoost worker " + task + " expects " + std::to_string(world) + " workers, not " +
                             std::to_string(workers_));
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      started_.insert(task);
    }
    if (rank < 0 && rank_of_task.count(task)) rank = rank_of_task[task];
    if (rank >= 0) {  // a recovering worker keeps its rank
      EMBER_ASSIGN_OR_RETURN(auto accept_port, AssignRank(c, rank, links, wait_conn, workers_));
      if (accept_port.first > 0) wait_conn[rank] = {c.host(), accept_port.second, accept_port.first};
      continue;
    }
    pending.push_back({std::move(c), task});
    if (pending.size() < free_ranks.size()) continue;
    // Everyone has arrived: ranks by task id (numerically when they are numbers).
    std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
      const bool an = !a.task_id.empty() && std::all_of(a.task_id.begin(), a.task_id.end(), ::isdigit);
      const bool bn = !b.task_id.empty() && std::all_of(b.task_id.begin(), b.task_id.end(), ::isdigit);
      if (an && bn) return std::stoll(a.task_id) < std::stoll(b.task_id);
      return a.task_id < b.task_id;
    });
    for (Pending& w : pending) {
      const int r = free_ranks.front();
      free_ranks.erase(free_ranks.begin());
      if (w.task_id != "NULL") rank_of_task[w.task_id] = r;
      EMBER_ASSIGN_OR_RETURN(auto accept_port, AssignRank(w.conn, r, links, wait_conn, workers_));
      if (accept_port.first > 0) wait_conn[r] = {w.conn.host(), accept_port.second, accept_port.first};
    }
    pending.clear();
  }
  return Status::OK();
}

}  // namespace ember::gbdt
