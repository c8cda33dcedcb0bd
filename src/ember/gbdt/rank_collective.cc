// XGBoost's collective on the ranks of an SPMD job (see RankCollective in internal/common.h).
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <cstdlib>

#include "ember/base/status_macros.h"
#include "ember/gbdt/internal/common.h"

namespace ember::gbdt::internal {

namespace {

// How long the tracker waits for the workers to arrive and to finish the whole fit, and how
// long one worker waits on another inside a collective call.
constexpr auto kTrackerTimeout = std::chrono::hours(24);
constexpr auto kPeerTimeout = std::chrono::minutes(10);

std::string HostName() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  return name;
}

// The IPv4 address the other hosts reach rank 0's tracker at.
Result<std::string> TrackerHost(const std::vector<std::string>& hosts) {
  if (const char* forced = std::getenv("EMBER_TRACKER_HOST"); forced && *forced)
    return std::string(forced);
  bool one_host = true;
  for (const std::string& h : hosts) one_host = one_host && h == hosts[0];
  if (one_host) return std::string("127.0.0.1");
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  if (getaddrinfo(hosts[0].c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return Unavailable("cannot resolve host '" + hosts[0] +
                       "' (rank 0) for XGBoost's tracker; set EMBER_TRACKER_HOST");
  }
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, ip, sizeof(ip));
  freeaddrinfo(found);
  if (std::string(ip).rfind("127.", 0) == 0) {
    return Unavailable(
        "host '" + hosts[0] + "' (rank 0) resolves to " + ip +
        ", which the other hosts cannot reach; set EMBER_TRACKER_HOST to its network address");
  }
  return std::string(ip);
}

}  // namespace

Result<std::unique_ptr<RankCollective>> RankCollective::JoinIfNeeded(const ExecContext& ctx,
                                                                     const std::string& owner) {
  Communicator* comm = ctx.comm;
  if (comm == nullptr || comm->size() == 1) return std::unique_ptr<RankCollective>();
  const int joined = gbdt::XgboostCollectiveSize();
  if (joined == comm->size()) return std::unique_ptr<RankCollective>();
  if (joined > 1) {
    return FailedPrecondition(owner + ": this process is a worker of an XGBoost collective of " +
                              std::to_string(joined) + " workers, but the job has " +
                              std::to_string(comm->size()) + " ranks");
  }
  const Deadline deadline = Deadline::In(std::chrono::minutes(10));
  const std::string host = HostName();
  EMBER_ASSIGN_OR_RETURN(auto hosts, AllGatherStrings(*comm, {host}, deadline));
  auto collective = std::unique_ptr<RankCollective>(new RankCollective());
  // Rank 0 starts the tracker and sends each rank its worker config ("O" + config), or its
  // error ("E" + message) so that every rank fails alike.
  std::vector<Bytes> out(comm->size());
  if (comm->rank() == 0) {
    Result<std::string> tracker_host = TrackerHost(hosts);
    Result<std::unique_ptr<gbdt::RabitTracker>> tracker =
        tracker_host.ok()
            ? gbdt::RabitTracker::Start(comm->size(), *tracker_host, kTrackerTimeout, kPeerTimeout)
            : Result<std::unique_ptr<gbdt::RabitTracker>>(tracker_host.status());
    for (int r = 0; r < comm->size(); ++r) {
      out[r] = tracker.ok() ? "O" + (*tracker)->WorkerConfig(r) : "E" + tracker.status().message();
    }
    if (tracker.ok()) collective->tracker_ = std::move(*tracker);
  }
  EMBER_ASSIGN_OR_RETURN(auto in, comm->AllToAllV(std::move(out), deadline));
  const Bytes& mine = in[0];
  if (mine.empty() || mine[0] != 'O') {
    return Unavailable(
        owner + ": starting XGBoost's tracker on rank 0: " + (mine.empty() ? "" : mine.substr(1)));
  }
  Status s = gbdt::JoinXgboostCollective(mine.substr(1));
  if (!s.ok())
    return s.WithContext(owner + ": joining XGBoost's collective on rank " +
                         std::to_string(comm->rank()));
  if (gbdt::XgboostCollectiveRank() != comm->rank()) {
    return Internal(owner + ": rank " + std::to_string(comm->rank()) + " became XGBoost worker " +
                    std::to_string(gbdt::XgboostCollectiveRank()));
  }
  return collective;
}

RankCollective::~RankCollective() {
  gbdt::LeaveXgboostCollective().IgnoreError();
  if (tracker_) tracker_->Wait().IgnoreError();  // failures already reached the workers' Fit
}

}  // namespace ember::gbdt::internal
