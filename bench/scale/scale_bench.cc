// bench/scale's measuring program (run.sh drives it):
//   ember_bench_scale memcpy MB              one process: memcpy bandwidth, GB/s (median of 21)
//   mpirun -np N ember_bench_scale shuffle ROWS [ITERATIONS]   shuffle throughput per rank: each
//   rank
//       holds ROWS rows (int64 id, two float64, a string of 8 bytes) and repartitions them by a
//       hash of id (an all-to-all exchange of binary batches); the time from a
//       barrier to the last rank's end (median of 11 by default); bytes per rank = the rank's rows
//       in memory.
//   ember_bench_scale split ROWS             one process: the shuffle's split of ROWS rows alone
//   (a last argument "varied" to shuffle or split: strings of 1 to 15 bytes, 8 on average;
//   "equal", the default: all of 8 bytes)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ember/core/batch_codec.h"
#include "ember/core/builder.h"
#include "ember/exec/allocator.h"
#include "ember/frame/frame_ops.h"
#include "ember/mpi/mpi_communicator.h"

namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Memcpy(int64_t mb) {
  const size_t n = static_cast<size_t>(mb) << 20;
  std::vector<char> a(n, 1), b(n, 2);
  std::vector<double> secs;
  for (int i = 0; i < 21; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    std::memcpy(b.data(), a.data(), n);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    a[i] = b[n - 1 - i];  // keep the copies observable
  }
  std::printf("memcpy bytes=%zu seconds=%.6f gbps=%.3f\n", n, Median(secs),
              static_cast<double>(n) / Median(secs) / 1e9);
  return 0;
}

// Rank `rank` of `ranks`' rows: ids rank, rank + ranks, ... (int64 id, two float64, a
// string of 8 bytes, or with `varied` of 1 to 15 bytes, 8 on average), as eight partitions,
// as a reader would give.
ember::DataFrame MakeRows(int64_t rows, int rank, int ranks, bool varied) {
  ember::Int64Builder id(ember::Int64Type());
  ember::Float64Builder x(ember::Float64Type()), y(ember::Float64Type());
  ember::StringBuilder s;
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t v = i * ranks + rank;
    id.Append(v);
    x.Append(static_cast<double>(v) * 0.5);
    y.Append(static_cast<double>(v % 1000));
    char text[24];
    std::snprintf(text, sizeof(text), "%015lld", static_cast<long long>(v % 1000000000000000));
    s.Append(varied ? std::string_view(text, static_cast<size_t>(1 + v * 7 % 15))
                    : std::string_view(text + 7, 8));
  }
  auto schema = *ember::Schema::Make(
      {ember::MakeField("id", ember::Int64Type()), ember::MakeField("x", ember::Float64Type()),
       ember::MakeField("y", ember::Float64Type()), ember::MakeField("s", ember::StringType())});
  ember::Batch all = *ember::Batch::Make(schema, {id.Finish(), x.Finish(), y.Finish(), s.Finish()});
  std::vector<ember::Batch> parts;
  for (int p = 0; p < 8; ++p)
    parts.push_back(all.Slice(rows * p / 8, rows * (p + 1) / 8 - rows * p / 8));
  return *ember::DataFrame::Make(schema, parts);
}

// The shuffle's split alone, in one process: the rows put into one message for another rank
// and a kept half, by random destinations (0 or 1); median and best of 41.
int Split(int64_t rows, bool varied) {
  const ember::DataFrame frame = MakeRows(rows, 0, 2, varied);
  std::vector<std::vector<int>> dests;
  uint64_t h = 88172645463325252ull;
  for (const ember::Batch& b : frame.partitions()) {
    dests.emplace_back();
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      h ^= h << 13;
      h ^= h >> 7;
      h ^= h << 17;
      dests.back().push_back(static_cast<int>(h >> 63));
    }
  }
  std::vector<double> secs;
  for (int i = 0; i < 41; ++i) {
    std::vector<std::string> out(2);
    const auto t0 = std::chrono::steady_clock::now();
    auto kept = ember::EncodeSplit(frame.partitions(), dests, 0, &out);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!kept.ok()) return 1;
  }
  std::printf("split rows=%lld strings=%s seconds=%.6f best=%.6f\n", static_cast<long long>(rows),
              varied ? "varied" : "equal", Median(secs),
              *std::min_element(secs.begin(), secs.end()));
  return 0;
}

int Shuffle(int64_t rows, int iterations, bool varied) {
  auto world = ember::MpiCommunicator::World();
  if (!world.ok()) {
    std::fprintf(stderr, "%s\n", world.status().ToString().c_str());
    return 1;
  }
  ember::MpiCommunicator& comm = **world;
  const ember::DataFrame frame = MakeRows(rows, comm.rank(), comm.size(), varied);
  // Bytes per rank: the rows as they are in memory (values, string offsets and characters).
  double bytes = static_cast<double>(rows) * (8 + 8 + 8 + 4);
  for (const ember::Batch& b : frame.partitions()) {
    const int32_t* off = b.column(3)->Offsets();
    bytes += off[b.num_rows()] - off[0];
  }
  ember::ExecContext ctx;
  ctx.comm = &comm;
  std::vector<double> secs;
  int64_t received = 0;
  for (int i = 0; i < iterations; ++i) {
    if (!comm.Barrier(ember::Deadline::In(std::chrono::minutes(5))).ok()) return 1;
    const auto t0 = std::chrono::steady_clock::now();
    auto out = ember::frame::RepartitionByHash(frame, {"id"}, ctx);
    if (!out.ok()) {
      std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
      return ember::MpiCommunicator::Finish(1);
    }
    if (!comm.Barrier(ember::Deadline::In(std::chrono::minutes(5))).ok()) return 1;
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    received = out->num_rows();
  }
  std::vector<int64_t> total = {received};
  if (!comm.AllReduce(std::span<int64_t>(total), ember::ReduceOp::kSum,
                      ember::Deadline::In(std::chrono::minutes(5)))
           .ok()) {
    return 1;
  }
  if (comm.rank() == 0) {
    std::printf(
        "shuffle ranks=%d strings=%s rows_per_rank=%lld bytes_per_rank=%.0f seconds=%.6f gbps=%.3f "
        "rows_total=%lld\n",
        comm.size(), varied ? "varied" : "equal", static_cast<long long>(rows), bytes, Median(secs),
        bytes / Median(secs) / 1e9, static_cast<long long>(total[0]));
  }
  world->reset();
  return ember::MpiCommunicator::Finish(total[0] == rows * comm.size() ? 0 : 1);
}

}  // namespace

int main(int argc, char** argv) {
  ember::RetainFreedMemory();  // as the ember program does
  const std::string mode = argc > 1 ? argv[1] : "";
  // A last argument "varied": strings of 1 to 15 bytes instead of 8 ("equal", the default).
  const bool varied = argc > 3 && std::strcmp(argv[argc - 1], "varied") == 0;
  const bool equal = argc > 3 && std::strcmp(argv[argc - 1], "equal") == 0;
  const int args = argc - (varied || equal ? 1 : 0);
  if (mode == "memcpy" && args == 3) return Memcpy(std::atoll(argv[2]));
  if (mode == "split" && args == 3) return Split(std::atoll(argv[2]), varied);
  if (mode == "shuffle" && (args == 3 || args == 4)) {
    return Shuffle(std::atoll(argv[2]), args == 4 ? std::max(1, std::atoi(argv[3])) : 11, varied);
  }
  std::fprintf(stderr,
               "usage: ember_bench_scale memcpy MB | shuffle ROWS_PER_RANK [ITERATIONS=11] "
               "[equal|varied] | split ROWS [equal|varied]\n");
  return 2;
}
