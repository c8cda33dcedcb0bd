// In-memory communicator: every collective is one all-to-all exchange through a shared hub.
#include <condition_variable>
#include <cstring>
#include <mutex>

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

template <typename T>
Bytes ToBytes(std::span<const T> v) {
  return Bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
void Reduce(std::span<T> acc, const Bytes& b, ReduceOp op) {
  const T* x = reinterpret_cast<const T*>(b.data());
  for (size_t i = 0; i < acc.size(); ++i) {
    T v;
    std::memcpy(&v, x + i, sizeof(T));
    switch (op) {
      case ReduceOp::kSum: acc[i] += v; break;
      case ReduceOp::kMin: acc[i] = std::min(acc[i], v); break;
      case ReduceOp::kMax: acc[i] = std::max(acc[i], v); break;
    }
  }
}

class LocalComm final : public Communicator {
 public:
  LocalComm(std::shared_ptr<Hub> hub, int rank, int size)
      : hub_(std::move(hub)), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  Status AllReduce(std::span<double> inout, ReduceOp op, Deadline d) override {
    return AllReduceT(inout, op, d);
  }
  Status AllReduce(std::span<int64_t> inout, ReduceOp op, Deadline d) override {
    return AllReduceT(inout, op, d);
  }
  Result<std::vector<Bytes>> AllGather(Bytes mine, Deadline d) override {
    if (size_ == 1) return std::vector<Bytes>{std::move(mine)};
    return hub_->Exchange(rank_, "AllGather", std::vector<Bytes>(size_, mine), d);
  }
  Result<std::vector<Bytes>> AllToAllV(std::vector<Bytes> to_each, Deadline d) override {
    if (static_cast<int>(to_each.size()) != size_) {
      return InvalidArgument("AllToAllV needs one message per rank (" + std::to_string(size_) +
                             "), got " + std::to_string(to_each.size()));
    }
    if (size_ == 1) return to_each;
    return hub_->Exchange(rank_, "AllToAllV", std::move(to_each), d);
  }
  Status Broadcast(Bytes* data, int root, Deadline d) override {
    if (root < 0 || root >= size_) return InvalidArgument("Broadcast root " + std::to_string(root));
    if (size_ == 1) return Status::OK();
    std::vector<Bytes> out(size_);
    if (rank_ == root) std::fill(out.begin(), out.end(), *data);
    EMBER_ASSIGN_OR_RETURN(auto in, hub_->Exchange(rank_, "Broadcast(" + std::to_string(root) + ")",
                                                   std::move(out), d));
    *data = std::move(in[root]);
    return Status::OK();
  }
  Result<std::vector<Bytes>> Gather(Bytes mine, int root, Deadline d) override {
    if (root < 0 || root >= size_) return InvalidArgument("Gather root " + std::to_string(root));
    if (size_ == 1) return std::vector<Bytes>{std::move(mine)};
    std::vector<Bytes> out(size_);
    out[root] = std::move(mine);
    EMBER_ASSIGN_OR_RETURN(auto in, hub_->Exchange(rank_, "Gather(" + std::to_string(root) + ")",
                                                   std::move(out), d));
    if (rank_ != root) return std::vector<Bytes>{};
    return in;
  }
  Status Barrier(Deadline d) override {
    if (size_ == 1) return Status::OK();
    return hub_->Exchange(rank_, "Barrier", std::vector<Bytes>(size_), d).status();
  }

 private:
  template <typename T>
  Status AllReduceT(std::span<T> inout, ReduceOp op, Deadline d) {
    if (size_ == 1) return Status::OK();
    Bytes mine = ToBytes<T>(inout);
    EMBER_ASSIGN_OR_RETURN(auto all, hub_->Exchange(rank_, "AllReduce", std::vector<Bytes>(size_, mine), d));
    for (const Bytes& b : all) {
      if (b.size() != mine.size()) {
        return InvalidArgument("AllReduce length mismatch: " + std::to_string(b.size() / sizeof(T)) +
                               " vs " + std::to_string(inout.size()) + " values");
      }
    }
    std::memcpy(inout.data(), all[0].data(), mine.size());
    for (int r = 1; r < size_; ++r) Reduce(inout, all[r], op);
    return Status::OK();
  }

  std::shared_ptr<Hub> hub_;
  int rank_, size_;
};

}  // namespace

std::unique_ptr<Communicator> LocalCommunicator::Single() {
  return std::make_unique<LocalComm>(nullptr, 0, 1);
}

std::vector<std::unique_ptr<Communicator>> LocalCommunicator::MakeGroup(int n) {
  auto hub = std::make_shared<Hub>(n);
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < n; ++r) out.push_back(std::make_unique<LocalComm>(hub, r, n));
  return out;
}

}  // namespace ember
