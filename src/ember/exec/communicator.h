// Communicator: this rank's view of an SPMD job. Every collective is called by all ranks in
// the same order and carries a deadline; a rank that does not arrive in time makes the
// collective fail with DeadlineExceeded naming the missing ranks, never hang. Estimators
// and shuffles are written once against this interface; on one rank every call is a cheap
// no-op. LocalCommunicator runs one rank, or N ranks as threads of one process for tests;
// the MPI implementation lives in its own module.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/exec/cancellation.h"

namespace ember {

using Bytes = std::string;

// Bytes received into memory that was not zero-filled first (a shuffle's tens of MB): the
// `size` bytes at data.get(), alive while `data` is.
struct RawBytes {
  std::shared_ptr<char> data;
  size_t size = 0;
  std::string_view view() const { return {data.get(), size}; }
  // `b`'s bytes, moved (no copy).
  static RawBytes Of(Bytes b);
  // `size` bytes of uninitialized memory (std::bad_alloc when there is none).
  static RawBytes Allocate(size_t size);
};

enum class ReduceOp { kSum, kMin, kMax };

// One instance per rank; not shared between threads of different ranks.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Element-wise reduction of `inout` over all ranks; every rank gets the result. All ranks
  // pass the same length. Reduction order is by rank, so results are identical everywhere.
  virtual Status AllReduce(std::span<double> inout, ReduceOp op, Deadline deadline) = 0;
  virtual Status AllReduce(std::span<int64_t> inout, ReduceOp op, Deadline deadline) = 0;
  // Every rank's bytes, indexed by rank, on every rank.
  virtual Result<std::vector<Bytes>> AllGather(Bytes mine, Deadline deadline) = 0;
  // `to_each[r]` goes to rank r; returns what each rank sent to this one, indexed by sender.
  virtual Result<std::vector<Bytes>> AllToAllV(std::vector<Bytes> to_each, Deadline deadline) = 0;
  // AllToAllV into memory that is not zero-filled before the bytes land (a shuffle's way).
  // By default AllToAllV's strings, moved.
  virtual Result<std::vector<RawBytes>> AllToAllRaw(std::vector<Bytes> to_each, Deadline deadline);
  // Replaces `*data` on every rank with root's bytes.
  virtual Status Broadcast(Bytes* data, int root, Deadline deadline) = 0;
  // On root: every rank's bytes indexed by rank; elsewhere an empty vector.
  virtual Result<std::vector<Bytes>> Gather(Bytes mine, int root, Deadline deadline) = 0;
  virtual Status Barrier(Deadline deadline) = 0;

  // Point to point, beside the collectives (a routed reply, streaming state): only the two
  // ranks take part. Send hands `data` to rank `dest` under `tag` (>= 0) and returns without
  // waiting for a matching Recv (the bytes are buffered); Recv returns the next message
  // from rank `source` with `tag`, in the order that rank sent them, or DeadlineExceeded
  // naming the rank and tag when none arrives in time. Sending to oneself works. The
  // defaults say the communicator has no point-to-point messages.
  virtual Status Send(int dest, int tag, Bytes data, Deadline deadline);
  virtual Result<Bytes> Recv(int source, int tag, Deadline deadline);
};

// InvalidArgument unless `peer` is a rank of `comm`'s job and `tag` >= 0 (for the
// implementations of Send and Recv; `op` names the call).
Status CheckPeer(const Communicator& comm, int peer, int tag, const char* op);

// A Communicator whose every collective is one all-to-all exchange (LocalCommunicator's
// groups, MpiCommunicator): subclasses move the bytes, this class builds the collectives on
// them, with reductions in rank order (bit-identical results on every rank).
class ExchangeCommunicator : public Communicator {
 public:
  Status AllReduce(std::span<double> inout, ReduceOp op, Deadline deadline) override;
  Status AllReduce(std::span<int64_t> inout, ReduceOp op, Deadline deadline) override;
  Result<std::vector<Bytes>> AllGather(Bytes mine, Deadline deadline) override;
  Result<std::vector<Bytes>> AllToAllV(std::vector<Bytes> to_each, Deadline deadline) override;
  Status Broadcast(Bytes* data, int root, Deadline deadline) override;
  Result<std::vector<Bytes>> Gather(Bytes mine, int root, Deadline deadline) override;
  Status Barrier(Deadline deadline) override;

 protected:
  // `out[r]` goes to rank r (one entry per rank); returns what each rank sent to this one,
  // indexed by sender. `op` names the collective in errors; every rank must call the same.
  // Called only when size() > 1.
  virtual Result<std::vector<Bytes>> Exchange(const std::string& op, std::vector<Bytes> out,
                                              Deadline deadline) = 0;

 private:
  template <typename T>
  Status AllReduceT(std::span<T> inout, ReduceOp op, Deadline deadline);
};

// Every rank's `mine`, concatenated in rank order, on every rank (AllGather of doubles).
Result<std::vector<double>> AllGatherDoubles(Communicator& comm, std::span<const double> mine,
                                             Deadline deadline);
// Every rank's strings, concatenated in rank order, on every rank.
Result<std::vector<std::string>> AllGatherStrings(Communicator& comm,
                                                  const std::vector<std::string_view>& mine,
                                                  Deadline deadline);

class LocalCommunicator {
 public:
  // A one-rank communicator.
  static std::unique_ptr<Communicator> Single();
  // `n` communicators, rank 0 .. n-1, that talk to each other in memory. Give each to its
  // own thread. Once a collective times out the group is broken: later calls fail at once.
  static std::vector<std::unique_ptr<Communicator>> MakeGroup(int n);
};

}  // namespace ember
