#include "ember/exec/communicator.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "ember/base/status_macros.h"

namespace ember {

Status Communicator::Send(int dest, int tag, Bytes data, Deadline deadline) {
  return FailedPrecondition("this communicator has no point-to-point messages");
}

Result<Bytes> Communicator::Recv(int source, int tag, Deadline deadline) {
  return FailedPrecondition("this communicator has no point-to-point messages");
}

// The checks every Send and Recv share: a rank of the job and a tag >= 0.
Status CheckPeer(const Communicator& comm, int peer, int tag, const char* op) {
  if (peer < 0 || peer >= comm.size()) {
    return InvalidArgument(std::string(op) + " on rank " + std::to_string(comm.rank()) + ": rank " +
                           std::to_string(peer) + " is not in the job of " +
                           std::to_string(comm.size()));
  }
  if (tag < 0)
    return InvalidArgument(std::string(op) + ": tag " + std::to_string(tag) + " is negative");
  return Status::OK();
}

namespace {

template <typename T>
void ReduceInto(std::span<T> acc, const Bytes& b, ReduceOp op) {
  const T* x = reinterpret_cast<const T*>(b.data());
  for (size_t i = 0; i < acc.size(); ++i) {
    T v;
    std::memcpy(&v, x + i, sizeof(T));
    switch (op) {
      case ReduceOp::kSum:
        acc[i] += v;
        break;
      case ReduceOp::kMin:
        acc[i] = std::min(acc[i], v);
        break;
      case ReduceOp::kMax:
        acc[i] = std::max(acc[i], v);
        break;
    }
  }
}

}  // namespace

RawBytes RawBytes::Of(Bytes b) {
  auto owner = std::make_shared<Bytes>(std::move(b));
  RawBytes out;
  out.size = owner->size();
  out.data = std::shared_ptr<char>(owner, owner->data());
  return out;
}

RawBytes RawBytes::Allocate(size_t size) {
  char* p = static_cast<char*>(std::malloc(std::max<size_t>(size, 1)));
  if (p == nullptr) throw std::bad_alloc();
  RawBytes out;
  out.data = std::shared_ptr<char>(p, [](char* q) { std::free(q); });
  out.size = size;
  return out;
}

Result<std::vector<RawBytes>> Communicator::AllToAllRaw(std::vector<Bytes> to_each,
                                                        Deadline deadline) {
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> in, AllToAllV(std::move(to_each), deadline));
  std::vector<RawBytes> out;
  out.reserve(in.size());
  for (Bytes& b : in) out.push_back(RawBytes::Of(std::move(b)));
  return out;
}

template <typename T>
Status ExchangeCommunicator::AllReduceT(std::span<T> inout, ReduceOp op, Deadline d) {
  if (size() == 1) return Status::OK();
  Bytes mine(reinterpret_cast<const char*>(inout.data()), inout.size() * sizeof(T));
  EMBER_ASSIGN_OR_RETURN(auto all, Exchange("AllReduce", std::vector<Bytes>(size(), mine), d));
  for (const Bytes& b : all) {
    if (b.size() != mine.size()) {
      return InvalidArgument("AllReduce length mismatch: " + std::to_string(b.size() / sizeof(T)) +
                             " vs " + std::to_string(inout.size()) + " values");
    }
  }
  if (!mine.empty()) std::memcpy(inout.data(), all[0].data(), mine.size());
  for (int r = 1; r < size(); ++r) ReduceInto(inout, all[r], op);
  return Status::OK();
}

Status ExchangeCommunicator::AllReduce(std::span<double> inout, ReduceOp op, Deadline d) {
  return AllReduceT(inout, op, d);
}

Status ExchangeCommunicator::AllReduce(std::span<int64_t> inout, ReduceOp op, Deadline d) {
  return AllReduceT(inout, op, d);
}

Result<std::vector<Bytes>> ExchangeCommunicator::AllGather(Bytes mine, Deadline d) {
  if (size() == 1) return std::vector<Bytes>{std::move(mine)};
  return Exchange("AllGather", std::vector<Bytes>(size(), mine), d);
}

Result<std::vector<Bytes>> ExchangeCommunicator::AllToAllV(std::vector<Bytes> to_each, Deadline d) {
  if (static_cast<int>(to_each.size()) != size()) {
    return InvalidArgument("AllToAllV needs one message per rank (" + std::to_string(size()) +
                           "), got " + std::to_string(to_each.size()));
  }
  if (size() == 1) return to_each;
  return Exchange("AllToAllV", std::move(to_each), d);
}

Status ExchangeCommunicator::Broadcast(Bytes* data, int root, Deadline d) {
  if (root < 0 || root >= size()) return InvalidArgument("Broadcast root " + std::to_string(root));
  if (size() == 1) return Status::OK();
  std::vector<Bytes> out(size());
  if (rank() == root) std::fill(out.begin(), out.end(), *data);
  EMBER_ASSIGN_OR_RETURN(auto in,
                         Exchange("Broadcast(" + std::to_string(root) + ")", std::move(out), d));
  *data = std::move(in[root]);
  return Status::OK();
}

Result<std::vector<Bytes>> ExchangeCommunicator::Gather(Bytes mine, int root, Deadline d) {
  if (root < 0 || root >= size()) return InvalidArgument("Gather root " + std::to_string(root));
  if (size() == 1) return std::vector<Bytes>{std::move(mine)};
  std::vector<Bytes> out(size());
  out[root] = std::move(mine);
  EMBER_ASSIGN_OR_RETURN(auto in,
                         Exchange("Gather(" + std::to_string(root) + ")", std::move(out), d));
  if (rank() != root) return std::vector<Bytes>{};
  return in;
}

Status ExchangeCommunicator::Barrier(Deadline d) {
  if (size() == 1) return Status::OK();
  return Exchange("Barrier", std::vector<Bytes>(size()), d).status();
}

Result<std::vector<double>> AllGatherDoubles(Communicator& comm, std::span<const double> mine,
                                             Deadline deadline) {
  Bytes bytes(mine.size() * sizeof(double), '\0');
  if (!mine.empty()) std::memcpy(bytes.data(), mine.data(), bytes.size());
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> all, comm.AllGather(std::move(bytes), deadline));
  std::vector<double> out;
  for (const Bytes& part : all) {
    if (part.size() % sizeof(double) != 0)
      return DataLoss("AllGatherDoubles: a rank sent a partial double");
    const size_t at = out.size(), n = part.size() / sizeof(double);
    out.resize(at + n);
    if (n > 0) std::memcpy(out.data() + at, part.data(), part.size());
  }
  return out;
}

Result<std::vector<std::string>> AllGatherStrings(Communicator& comm,
                                                  const std::vector<std::string_view>& mine,
                                                  Deadline deadline) {
  Bytes bytes;  // each string as a 4-byte length and its bytes
  for (std::string_view v : mine) {
    const uint32_t n = static_cast<uint32_t>(v.size());
    bytes.append(reinterpret_cast<const char*>(&n), sizeof(n));
    bytes.append(v);
  }
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> all, comm.AllGather(std::move(bytes), deadline));
  std::vector<std::string> out;
  for (const Bytes& part : all) {
    for (size_t at = 0; at < part.size();) {
      uint32_t n = 0;
      if (at + sizeof(n) > part.size())
        return DataLoss("AllGatherStrings: a rank sent a truncated length");
      std::memcpy(&n, part.data() + at, sizeof(n));
      at += sizeof(n);
      if (at + n > part.size()) return DataLoss("AllGatherStrings: a rank sent a truncated string");
      out.push_back(part.substr(at, n));
      at += n;
    }
  }
  return out;
}

}  // namespace ember
