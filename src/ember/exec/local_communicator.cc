// In-memory communicator: every collective is one all-to-all exchange through a shared hub.
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

#include "ember/base/status_macros.h"
#include "ember/exec/communicator.h"

namespace ember {
namespace {

// The meeting point of one group. A round fills (every rank deposits one message per
// destination), then drains (every rank takes its column), then resets for the next round.
class Hub {
 public:
  explicit Hub(int n) : n_(n), deposits_(n), ops_(n), present_(n, false) {}

  Result<std::vector<Bytes>> Exchange(int rank, const std::string& op, std::vector<Bytes> out,
                                      Deadline deadline) {
    std::unique_lock<std::mutex> lk(mu_);
    auto wait = [&](auto pred) {
      if (deadline.is_infinite()) {
        cv_.wait(lk, pred);
        return true;
      }
      return cv_.wait_until(lk, deadline.when(), pred);
    };
    if (!wait([&] { return !draining_ || !broken_.ok(); })) {
      return Fail("rank " + std::to_string(rank) + " timed out in " + op +
                  " waiting for the previous collective to finish");
    }
    if (!broken_.ok()) return broken_;
    const uint64_t gen = generation_;
    deposits_[rank] = std::move(out);
    ops_[rank] = op;
    present_[rank] = true;
    if (++arrived_ == n_) {
      draining_ = true;
      cv_.notify_all();
    } else if (!wait([&] { return (draining_ && generation_ == gen) || !broken_.ok(); })) {
      std::string missing;
      for (int r = 0; r < n_; ++r) {
        if (!present_[r]) missing += (missing.empty() ? "" : ", ") + std::to_string(r);
      }
      return Fail(op + " on rank " + std::to_string(rank) + " timed out: rank(s) " + missing +
                  " did not arrive");
    }
    if (!broken_.ok()) return broken_;
    for (int r = 0; r < n_; ++r) {
      if (ops_[r] != ops_[0]) {
        Status s = FailedPrecondition("collective mismatch: rank 0 called " + ops_[0] +
                                      " while rank " + std::to_string(r) + " called " + ops_[r]);
        Depart();
        return s;
      }
    }
    std::vector<Bytes> in(n_);
    for (int r = 0; r < n_; ++r) in[r] = std::move(deposits_[r][rank]);
    Depart();
    return in;
  }

 private:
  void Depart() {
    if (++departed_ == n_) {
      arrived_ = departed_ = 0;
      draining_ = false;
      std::fill(present_.begin(), present_.end(), false);
      ++generation_;
      cv_.notify_all();
    }
  }
  Status Fail(std::string message) {
    if (broken_.ok()) broken_ = DeadlineExceeded(std::move(message));
    cv_.notify_all();
    return broken_;
  }

  const int n_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::vector<Bytes>> deposits_;
  std::vector<std::string> ops_;
  std::vector<bool> present_;
  int arrived_ = 0, departed_ = 0;
  bool draining_ = false;
  uint64_t generation_ = 0;
  Status broken_;
};

// Point-to-point messages of one group: a queue per (sender, receiver, tag).
class Mailboxes {
 public:
  void Put(int from, int to, int tag, Bytes data) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      boxes_[{from, to, tag}].push_back(std::move(data));
    }
    cv_.notify_all();
  }
  Result<Bytes> Take(int from, int to, int tag, Deadline deadline) {
    std::unique_lock<std::mutex> lk(mu_);
    auto& box = boxes_[{from, to, tag}];
    auto ready = [&] { return !box.empty(); };
    if (deadline.is_infinite()) {
      cv_.wait(lk, ready);
    } else if (!cv_.wait_until(lk, deadline.when(), ready)) {
      return DeadlineExceeded("Recv on rank " + std::to_string(to) + ": no message from rank " +
                              std::to_string(from) + " with tag " + std::to_string(tag) +
                              " before the deadline");
    }
    Bytes out = std::move(box.front());
    box.pop_front();
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::tuple<int, int, int>, std::deque<Bytes>> boxes_;
};

class LocalComm final : public ExchangeCommunicator {
 public:
  LocalComm(std::shared_ptr<Hub> hub, std::shared_ptr<Mailboxes> mail, int rank, int size)
      : hub_(std::move(hub)), mail_(std::move(mail)), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status Send(int dest, int tag, Bytes data, Deadline) override {
    EMBER_RETURN_IF_ERROR(CheckPeer(*this, dest, tag, "Send"));
    mail_->Put(rank_, dest, tag, std::move(data));
    return Status::OK();
  }
  Result<Bytes> Recv(int source, int tag, Deadline deadline) override {
    EMBER_RETURN_IF_ERROR(CheckPeer(*this, source, tag, "Recv"));
    return mail_->Take(source, rank_, tag, deadline);
  }

 protected:
  Result<std::vector<Bytes>> Exchange(const std::string& op, std::vector<Bytes> out,
                                      Deadline d) override {
    return hub_->Exchange(rank_, op, std::move(out), d);
  }

 private:
  std::shared_ptr<Hub> hub_;
  std::shared_ptr<Mailboxes> mail_;
  int rank_, size_;
};

}  // namespace

std::unique_ptr<Communicator> LocalCommunicator::Single() {
  return std::make_unique<LocalComm>(nullptr, std::make_shared<Mailboxes>(), 0, 1);
}

std::vector<std::unique_ptr<Communicator>> LocalCommunicator::MakeGroup(int n) {
  auto hub = std::make_shared<Hub>(n);
  auto mail = std::make_shared<Mailboxes>();
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < n; ++r) out.push_back(std::make_unique<LocalComm>(hub, mail, r, n));
  return out;
}

}  // namespace ember
