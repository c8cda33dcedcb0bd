#include "ember/mpi/mpi_communicator.h"

#include <mpi.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "ember/base/memory.h"
#include "ember/base/status_macros.h"

namespace ember {

namespace {

// Set once a collective of any MpiCommunicator failed: Finish() must abort, not finalize.
std::atomic<bool> collective_failed{false};
// The world's timeout (World()'s options): how long Finish() waits for the other ranks.
std::atomic<int64_t> finish_timeout_ms{std::chrono::milliseconds(MpiOptions{}.timeout).count()};

// The header every rank sends every other rank at the start of a collective.
struct Header {
  uint64_t sequence;  // the collective's number on this communicator
  int64_t size;       // payload bytes that follow
  char op[48];        // the collective's name, NUL-terminated
};

// Tags: (sequence % kTagSpan) * 2 for headers, + 1 for payloads. MPI guarantees tags up to
// 32767, and ranks are never more than one collective apart.
constexpr uint64_t kTagSpan = 8192;

Status MpiCheck(int rc, const std::string& what) {
  if (rc == MPI_SUCCESS) return Status::OK();
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  return Unavailable("MPI " + what + ": " + std::string(text, static_cast<size_t>(len)));
}

// Outstanding non-blocking calls, each with the rank at the other end.
struct Requests {
  std::vector<MPI_Request> requests;
  std::vector<int> peers;
  void Add(MPI_Request r, int peer) {
    requests.push_back(r);
    peers.push_back(peer);
  }
};

// Polls until every request completed (returns no ranks) or the deadline passed (returns
// the ranks at the other end of the unfinished ones, sorted, each once).
std::vector<int> PollAll(Requests& rs, Deadline deadline) {
  std::vector<char> done(rs.requests.size(), 0);
  size_t left = rs.requests.size();
  for (int round = 0;; ++round) {
    for (size_t i = 0; i < rs.requests.size(); ++i) {
      if (done[i]) continue;
      int flag = 0;
      MPI_Test(&rs.requests[i], &flag, MPI_STATUS_IGNORE);
      if (flag) {
        done[i] = 1;
        --left;
      }
    }
    if (left == 0) return {};
    if (deadline.expired()) {
      std::vector<int> missing;
      for (size_t i = 0; i < done.size(); ++i) {
        if (!done[i]) missing.push_back(rs.peers[i]);
      }
      std::sort(missing.begin(), missing.end());
      missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
      return missing;
    }
    // Spin briefly (messages between ranks of one host take microseconds), then back off
    // to at most 200 µs between polls so that idle waits do not burn a core.
    if (round < 200) {
      sched_yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(std::min(200, (round - 200) / 10 + 5)));
    }
  }
}

std::string RankList(const std::vector<int>& ranks, const std::vector<std::string>& hosts) {
  std::string out;
  for (int r : ranks) {
    out += (out.empty() ? "" : ", ") + std::to_string(r);
    if (r < static_cast<int>(hosts.size()) && !hosts[r].empty()) out += " (" + hosts[r] + ")";
  }
  return out;
}

std::string Seconds(std::chrono::steady_clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

namespace {

// What a failed collective left in flight: a late rank's messages may still land in these
// buffers, so they outlive the communicator, to the end of the process.
struct Abandoned {
  std::vector<Bytes> out, in;
  std::vector<RawBytes> raw_in;
  std::vector<Header> headers_out, headers_in;
  Requests requests;
};

void Abandon(std::unique_ptr<Abandoned> a) {
  static std::mutex mu;
  static auto* kept = new std::vector<std::unique_ptr<Abandoned>>();  // never freed, on purpose
  std::lock_guard<std::mutex> lock(mu);
  kept->push_back(std::move(a));
}

}  // namespace

struct MpiCommunicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm p2p = MPI_COMM_NULL;  // point-to-point messages, apart from the collectives' tags
  std::vector<std::unique_ptr<Abandoned>> pending_sends;  // Isends MPI is not done with
  std::vector<std::string> hosts;                         // by rank
};

bool MpiCommunicator::LaunchedAsRank() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (std::getenv(var) != nullptr) return true;
  }
  return false;
}

namespace {

// MPI_Comm_idup polled against a deadline (a blocking MPI_Comm_dup could hang on a dead rank).
Result<MPI_Comm> DuplicateComm(MPI_Comm from, Deadline deadline) {
  MPI_Comm out = MPI_COMM_NULL;
  MPI_Request req = MPI_REQUEST_NULL;
  EMBER_RETURN_IF_ERROR(MpiCheck(MPI_Comm_idup(from, &out, &req), "Comm_idup"));
  Requests rs;
  rs.Add(req, -1);
  if (!PollAll(rs, deadline).empty()) {
    collective_failed = true;
    return DeadlineExceeded("MPI: duplicating a communicator timed out: not every rank took part");
  }
  MPI_Comm_set_errhandler(out, MPI_ERRORS_RETURN);
  return out;
}

}  // namespace

namespace {

// Whether an Open MPI parameter file names an include list for `pml` ("pml = cm"; an
// exclusion such as Debian's "pml = ^ucx" leaves the choice to Open MPI).
bool FileChoosesPml(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t key = line.find_first_not_of(" \t");
    if (key == std::string::npos || line.compare(key, 3, "pml") != 0) continue;
    size_t at = line.find_first_not_of(" \t", key + 3);
    if (at == std::string::npos || line[at] != '=') continue;
    at = line.find_first_not_of(" \t", at + 1);
    if (at != std::string::npos && line[at] != '^') return true;
  }
  return false;
}

// Open MPI 4.1 opens every point-to-point layer it has before it picks one: on a host
// without InfiniBand, Omni-Path or EFA (nothing in /sys/class/infiniband) it always ends
// with ob1, after loading and probing the PSM libraries (about 0.2 s of every rank's start).
// Where the user chose nothing, choose ob1 for it. Open MPI reads OMPI_MCA_* at MPI_Init.
void PreferOb1WithoutFabric() {
  if (std::getenv("OMPI_MCA_pml") != nullptr) return;
  std::error_code ec;
  std::filesystem::directory_iterator devices("/sys/class/infiniband", ec);
  if (!ec && devices != std::filesystem::directory_iterator()) return;
  const char* home = std::getenv("HOME");
  if (FileChoosesPml("/etc/openmpi/openmpi-mca-params.conf") ||
      (home != nullptr && FileChoosesPml(std::string(home) + "/.openmpi/mca-params.conf"))) {
    return;
  }
  setenv("OMPI_MCA_pml", "ob1", 0);
}

}  // namespace

Result<std::unique_ptr<MpiCommunicator>> MpiCommunicator::World(const MpiOptions& options) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    PreferOb1WithoutFabric();
    int provided = 0;
    EMBER_RETURN_IF_ERROR(
        MpiCheck(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "Init"));
    if (provided < MPI_THREAD_SERIALIZED) {
      return FailedPrecondition(
          "this MPI library cannot be called from more than one thread (MPI_THREAD_SERIALIZED)");
    }
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  finish_timeout_ms = options.timeout.count();
  auto impl = std::make_unique<Impl>();
  EMBER_ASSIGN_OR_RETURN(impl->comm, DuplicateComm(MPI_COMM_WORLD, Deadline::In(options.timeout)));
  EMBER_ASSIGN_OR_RETURN(impl->p2p, DuplicateComm(MPI_COMM_WORLD, Deadline::In(options.timeout)));
  auto comm = std::unique_ptr<MpiCommunicator>(new MpiCommunicator(std::move(impl), options));
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int len = 0;
  MPI_Get_processor_name(name, &len);
  comm->host_.assign(name, static_cast<size_t>(len));
  EMBER_ASSIGN_OR_RETURN(comm->impl_->hosts,
                         comm->AllGather(comm->host_, Deadline::In(options.timeout)));
  return comm;
}

MpiCommunicator::MpiCommunicator(std::unique_ptr<Impl> impl, const MpiOptions& options)
    : impl_(std::move(impl)), options_(options) {
  MPI_Comm_rank(impl_->comm, &rank_);
  MPI_Comm_size(impl_->comm, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  // A communicator with requests in flight is left to the process's end (freeing it would
  // be a collective the others may never join).
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (impl_->comm != MPI_COMM_NULL && broken_.ok() && !finalized) MPI_Comm_free(&impl_->comm);
  if (!finalized) ProgressSends();
  if (!impl_->pending_sends.empty()) {  // undelivered: MPI may still read their bytes
    p2p_ok_ = false;
    for (auto& a : impl_->pending_sends) Abandon(std::move(a));
  }
  if (impl_->p2p != MPI_COMM_NULL && p2p_ok_ && !finalized) MPI_Comm_free(&impl_->p2p);
}

void MpiCommunicator::ProgressSends() {
  auto& pending = impl_->pending_sends;
  for (size_t i = 0; i < pending.size();) {
    int flag = 0;
    MPI_Test(&pending[i]->requests.requests[0], &flag, MPI_STATUS_IGNORE);
    if (flag) {
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

Status MpiCommunicator::Send(int dest, int tag, Bytes data, Deadline) {
  EMBER_RETURN_IF_ERROR(CheckPeer(*this, dest, tag, "Send"));
  if (data.size() > static_cast<size_t>(INT32_MAX)) {
    return InvalidArgument("Send: a message of " + std::to_string(data.size()) +
                           " bytes is over MPI's 2 GiB limit");
  }
  // Never waits for the receiver: the request and its bytes stay pending until MPI is done
  // with them (checked at every Send and Recv; a ring of large Sends cannot deadlock).
  auto a = std::make_unique<Abandoned>();
  a->out.push_back(std::move(data));
  MPI_Request req = MPI_REQUEST_NULL;
  EMBER_RETURN_IF_ERROR(MpiCheck(MPI_Isend(a->out[0].data(), static_cast<int>(a->out[0].size()),
                                           MPI_BYTE, dest, tag, impl_->p2p, &req),
                                 "Isend"));
  a->requests.Add(req, dest);
  impl_->pending_sends.push_back(std::move(a));
  ProgressSends();
  return Status::OK();
}

Result<Bytes> MpiCommunicator::Recv(int source, int tag, Deadline deadline) {
  EMBER_RETURN_IF_ERROR(CheckPeer(*this, source, tag, "Recv"));
  auto late = [&] {
    return DeadlineExceeded("Recv on rank " + std::to_string(rank_) + ": no message from rank " +
                            RankList({source}, impl_->hosts) + " with tag " + std::to_string(tag) +
                            " before the deadline");
  };
  MPI_Status status;
  for (int round = 0;; ++round) {
    ProgressSends();
    int flag = 0;
    EMBER_RETURN_IF_ERROR(MpiCheck(MPI_Iprobe(source, tag, impl_->p2p, &flag, &status), "Iprobe"));
    if (flag) break;
    if (deadline.expired()) return late();
    if (round < 200) {
      sched_yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(std::min(200, (round - 200) / 10 + 5)));
    }
  }
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  auto a = std::make_unique<Abandoned>();
  a->in.emplace_back(static_cast<size_t>(count), '\0');
  MPI_Request req = MPI_REQUEST_NULL;
  EMBER_RETURN_IF_ERROR(MpiCheck(
      MPI_Irecv(a->in[0].data(), count, MPI_BYTE, source, tag, impl_->p2p, &req), "Irecv"));
  a->requests.Add(req, source);
  if (!PollAll(a->requests, deadline).empty()) {  // the rest of a large message never came
    p2p_ok_ = false;
    Abandon(std::move(a));
    return late();
  }
  return std::move(a->in[0]);
}

Result<std::unique_ptr<MpiCommunicator>> MpiCommunicator::Duplicate(
    const MpiOptions& options) const {
  if (!broken_.ok()) return broken_;
  auto impl = std::make_unique<Impl>();
  EMBER_ASSIGN_OR_RETURN(impl->comm, DuplicateComm(impl_->comm, Deadline::In(options_.timeout)));
  EMBER_ASSIGN_OR_RETURN(impl->p2p, DuplicateComm(impl_->comm, Deadline::In(options_.timeout)));
  impl->hosts = impl_->hosts;
  auto comm = std::unique_ptr<MpiCommunicator>(new MpiCommunicator(std::move(impl), options));
  comm->host_ = host_;
  return comm;
}

int MpiCommunicator::Finish(int exit_code) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return exit_code;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (!collective_failed && size > 1) {
    // Every rank must be here before any finalizes. A rank that was stopped (a debugger,
    // SIGSTOP, a swapped-out host) can come back while the others are aborting the job;
    // MPI_Finalize then races Open MPI's teardown, and mpirun 4.1 was seen to crash or hang
    // on it. So: a barrier against the world's timeout; if the others never come, abort.
    MPI_Request request = MPI_REQUEST_NULL;
    Requests rs;
    if (MPI_Ibarrier(MPI_COMM_WORLD, &request) == MPI_SUCCESS) {
      rs.Add(request, -1);
      if (!PollAll(rs, Deadline::In(std::chrono::milliseconds(finish_timeout_ms.load()))).empty()) {
        std::fprintf(stderr,
                     "rank %d: MPI: the other ranks did not finish within %s; aborting the job\n",
                     rank, Seconds(std::chrono::milliseconds(finish_timeout_ms.load())).c_str());
        collective_failed = true;
      }
    } else {
      collective_failed = true;
    }
  }
  if (collective_failed) MPI_Abort(MPI_COMM_WORLD, exit_code == 0 ? 1 : exit_code);
  MPI_Finalize();
  return exit_code;
}

namespace {

// Room for `size` received bytes in `in`; where they go.
// (Huge pages where the room is large: the kernel copies another rank's bytes into it.)
char* MakeRoom(Bytes& in, size_t size) {
  in.reserve(size);
  AdviseHugePages(in.data(), in.capacity());
  in.resize(size);
  return in.data();
}
char* MakeRoom(RawBytes& in, size_t size) {
  in = RawBytes::Allocate(size);
  AdviseHugePages(in.data.get(), size);
  // One byte written per page: the kernel's copy between processes (Open MPI's CMA) into
  // pages this process has not written since the allocator reused them was measured 15%
  // slower than into touched ones; touching is a fraction of zero-filling them all.
  for (size_t i = 0; i < size; i += 4096) in.data.get()[i] = 0;
  return in.data.get();
}
size_t SizeOf(const Bytes& b) { return b.size(); }
size_t SizeOf(const RawBytes& b) { return b.size; }
Bytes Own(Bytes b, Bytes*) { return b; }
RawBytes Own(Bytes b, RawBytes*) { return RawBytes::Of(std::move(b)); }
void KeepIn(Abandoned& a, std::vector<Bytes> in) { a.in = std::move(in); }
void KeepIn(Abandoned& a, std::vector<RawBytes> in) { a.raw_in = std::move(in); }

}  // namespace

Result<std::vector<Bytes>> MpiCommunicator::Exchange(const std::string& op, std::vector<Bytes> out,
                                                     Deadline deadline) {
  return ExchangeInto<Bytes>(op, std::move(out), deadline);
}

Result<std::vector<RawBytes>> MpiCommunicator::AllToAllRaw(std::vector<Bytes> to_each,
                                                           Deadline deadline) {
  if (static_cast<int>(to_each.size()) != size())
    return AllToAllV(std::move(to_each), deadline).status();
  if (size() == 1) return Communicator::AllToAllRaw(std::move(to_each), deadline);
  return ExchangeInto<RawBytes>("AllToAllV", std::move(to_each), deadline);
}

template <typename In>
Result<std::vector<In>> MpiCommunicator::ExchangeInto(const std::string& op, std::vector<Bytes> out,
                                                      Deadline deadline) {
  if (!broken_.ok()) return broken_;
  const auto start = std::chrono::steady_clock::now();
  const Deadline cap = Deadline::In(options_.timeout);
  if (deadline.is_infinite() || cap.when() < deadline.when()) deadline = cap;
  const uint64_t sequence = ++sequence_;
  const int tag = static_cast<int>((sequence % kTagSpan) * 2);
  const MPI_Comm comm = impl_->comm;

  // Anything that fails from here on breaks the communicator; what is in flight stays alive.
  std::vector<Header> headers_out(size_), headers_in(size_);
  std::vector<In> in(size_);
  Requests requests;
  auto fail = [&](Status s) {
    broken_ = s;
    collective_failed = true;
    auto a = std::make_unique<Abandoned>();
    a->out = std::move(out);
    KeepIn(*a, std::move(in));
    a->headers_out = std::move(headers_out);
    a->headers_in = std::move(headers_in);
    a->requests = std::move(requests);
    Abandon(std::move(a));
    return s;
  };
  auto timed_out = [&](const std::vector<int>& missing, const char* what) {
    return fail(DeadlineExceeded(op + " (collective #" + std::to_string(sequence) + ") on rank " +
                                 std::to_string(rank_) + " timed out after " +
                                 Seconds(std::chrono::steady_clock::now() - start) + ": rank(s) " +
                                 RankList(missing, impl_->hosts) + " " + what));
  };

  // 1. Headers: the operation, its number and the payload size, to and from every rank.
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    Header& h = headers_out[r];
    h.sequence = sequence;
    h.size = static_cast<int64_t>(out[r].size());
    std::memset(h.op, 0, sizeof(h.op));
    std::strncpy(h.op, op.c_str(), sizeof(h.op) - 1);
    MPI_Request recv = MPI_REQUEST_NULL, send = MPI_REQUEST_NULL;
    Status s =
        MpiCheck(MPI_Irecv(&headers_in[r], sizeof(Header), MPI_BYTE, r, tag, comm, &recv), "Irecv");
    if (s.ok()) s = MpiCheck(MPI_Isend(&h, sizeof(Header), MPI_BYTE, r, tag, comm, &send), "Isend");
    if (!s.ok()) return fail(s);
    requests.Add(recv, r);
    requests.Add(send, r);
  }
  if (auto missing = PollAll(requests, deadline); !missing.empty())
    return timed_out(missing, "did not arrive");
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    const Header& h = headers_in[r];
    const std::string their_op(h.op, strnlen(h.op, sizeof(h.op)));
    if (h.sequence != sequence || their_op != op.substr(0, sizeof(h.op) - 1)) {
      return fail(FailedPrecondition("collective mismatch: rank " + std::to_string(rank_) +
                                     " called " + op + " (collective #" + std::to_string(sequence) +
                                     ") while rank " + std::to_string(r) + " called " + their_op +
                                     " (collective #" + std::to_string(h.sequence) + ")"));
    }
    if (h.size < 0)
      return fail(DataLoss("rank " + std::to_string(r) + " announced a negative payload"));
  }
  std::vector<char*> room(size_, nullptr);
  for (int r = 0; r < size_; ++r) {
    if (r != rank_) room[r] = MakeRoom(in[r], static_cast<size_t>(headers_in[r].size));
  }

  // 2. Payloads, in messages of at most max_message_bytes (MPI counts are int).
  requests = Requests();
  const int64_t chunk = std::clamp<int64_t>(options_.max_message_bytes, 1, INT32_MAX);
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    const int64_t in_size = static_cast<int64_t>(SizeOf(in[r]));
    for (int64_t at = 0; at < in_size; at += chunk) {
      const int n = static_cast<int>(std::min<int64_t>(chunk, in_size - at));
      MPI_Request req = MPI_REQUEST_NULL;
      if (Status s =
              MpiCheck(MPI_Irecv(room[r] + at, n, MPI_BYTE, r, tag + 1, comm, &req), "Irecv");
          !s.ok()) {
        return fail(s);
      }
      requests.Add(req, r);
    }
    for (int64_t at = 0; at < static_cast<int64_t>(out[r].size()); at += chunk) {
      const int n =
          static_cast<int>(std::min<int64_t>(chunk, static_cast<int64_t>(out[r].size()) - at));
      MPI_Request req = MPI_REQUEST_NULL;
      if (Status s =
              MpiCheck(MPI_Isend(out[r].data() + at, n, MPI_BYTE, r, tag + 1, comm, &req), "Isend");
          !s.ok()) {
        return fail(s);
      }
      requests.Add(req, r);
    }
  }
  if (auto missing = PollAll(requests, deadline); !missing.empty()) {
    return timed_out(missing, "did not finish exchanging their data");
  }
  in[rank_] = Own(std::move(out[rank_]), static_cast<In*>(nullptr));
  return in;
}

}  // namespace ember
