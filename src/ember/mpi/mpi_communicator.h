// MpiCommunicator: the Communicator of an SPMD job launched by mpirun or srun (Open MPI).
//
// Every collective is one all-to-all exchange of point-to-point messages (a header with the
// operation and its sequence number, then the payload), driven by non-blocking MPI calls
// and polled against the deadline. So a rank that does not arrive in time is known by
// name: the collective fails with DeadlineExceeded "... rank(s) 2 did not arrive", never
// hangs, and the communicator is broken from then on (later calls fail at once). Reductions
// run in rank order on every rank, so every rank gets bit-identical results, as on
// LocalCommunicator.
//
// MPI is process-wide: World() initializes it once; Duplicate() gives independent
// communicators over the same ranks (message spaces of their own); Finish() ends it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ember/exec/communicator.h"

namespace ember {

struct MpiOptions {
  // The longest any collective waits for the other ranks, whatever deadline its caller
  // gives (the job's "configured timeout").
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  // Payloads travel in messages of at most this many bytes (MPI counts are int).
  int64_t max_message_bytes = int64_t{1} << 30;
};

class MpiCommunicator final : public ExchangeCommunicator {
 public:
  // Whether this process was started as one rank of an MPI job (mpirun / mpiexec of Open
  // MPI, or srun with PMIx / PMI), from the environment the launcher sets.
  static bool LaunchedAsRank();
  // Initializes MPI (once per process) and returns a communicator over all ranks.
  static Result<std::unique_ptr<MpiCommunicator>> World(const MpiOptions& options = {});
  // Ends MPI for this process: MPI_Finalize when every collective succeeded and every rank
  // reached Finish() within the world's timeout (a barrier), MPI_Abort with `exit_code` (1
  // if 0) otherwise (a dead or stuck rank would block MPI_Finalize, and aborting ends the
  // whole job, which must exit non-zero anyway). Returns `exit_code` when it returns at all.
  static int Finish(int exit_code);

  ~MpiCommunicator() override;

  // A communicator over the same ranks whose messages never mix with this one's (a
  // collective call: every rank calls it).
  Result<std::unique_ptr<MpiCommunicator>> Duplicate() const { return Duplicate(options_); }
  // The same, with options of its own.
  Result<std::unique_ptr<MpiCommunicator>> Duplicate(const MpiOptions& options) const;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const MpiOptions& options() const { return options_; }
  // The host this rank runs on.
  const std::string& host() const { return host_; }

  Result<std::vector<RawBytes>> AllToAllRaw(std::vector<Bytes> to_each, Deadline deadline) override;
  // Over a communicator of their own (no tag of theirs meets a collective's). Send returns
  // once MPI has the bytes: at once for small messages, when the receiver starts receiving
  // for large ones (up to the deadline; then DeadlineExceeded naming the rank).
  Status Send(int dest, int tag, Bytes data, Deadline deadline) override;
  Result<Bytes> Recv(int source, int tag, Deadline deadline) override;

 protected:
  Result<std::vector<Bytes>> Exchange(const std::string& op, std::vector<Bytes> out,
                                      Deadline deadline) override;

 private:
  // Exchange received into strings (Bytes) or into memory that is not zero-filled (RawBytes).
  template <typename In>
  Result<std::vector<In>> ExchangeInto(const std::string& op, std::vector<Bytes> out,
                                       Deadline deadline);

  // Drops the pending Sends that MPI is done with.
  void ProgressSends();

  struct Impl;
  MpiCommunicator(std::unique_ptr<Impl> impl, const MpiOptions& options);

  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int size_ = 1;
  std::string host_;
  MpiOptions options_;
  uint64_t sequence_ = 0;  // collectives done
  Status broken_;          // the failure that broke this communicator
  bool p2p_ok_ = true;     // no Send was abandoned in flight (else the p2p communicator is kept)
};

}  // namespace ember
