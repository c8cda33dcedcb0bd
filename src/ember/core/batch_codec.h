// The binary form of a batch that moves between ranks (shuffles, broadcasts, collects):
// the schema, then each column's Arrow buffers as they are in memory. Encoding copies each
// buffer once; decoding copies nothing (the columns point into the received bytes) and
// validates every column as Column::Make does, so bad bytes are an error, never a crash.
// The layout is documented in docs/data_model.md ("Binary batch format"). It is for ranks
// of one job (same build, same byte order), not for storage.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"

namespace ember {

// Appends `batch` to `*out`, as one length-prefixed message.
void EncodeBatch(const Batch& batch, std::string* out);
// The rows of `batch` split by destination: the rows r with dest[r] == d, in order, are
// appended as one message to (*out)[d] for every d but `keep` (none when there are no such
// rows); the rows for `keep` are returned as a batch instead. Columns without nulls of
// fixed width or strings go straight into the messages (one copy: for 2 to 4 destinations
// packed by bitmask, with AVX2 where the CPU has it, strings of one length 4 or 8 as
// fixed-width values); others are taken, then encoded. `dest` has one entry per row, each
// in [0, out->size()).
Result<Batch> EncodeSplit(const Batch& batch, std::span<const int> dest, int keep,
                          std::vector<std::string>* out);
// The rows of a batch by destination. For 2 to 4 destinations a bitmask per destination:
// bit r of bits_of(d) is set when row r goes to d; beyond, `order`: destination d's rows,
// ascending, are order[start[d] .. start[d] + count[d]).
struct Routing {
  std::vector<int64_t> count;
  std::vector<uint64_t> bits;
  int64_t words = 0;  // per destination
  std::vector<int32_t> order;
  std::vector<int64_t> start;
  const uint64_t* bits_of(int d) const {
    return bits.data() + static_cast<size_t>(d) * static_cast<size_t>(words);
  }
};
// The routing of rows to `n` destinations (dest[r] in [0, n), at most 2^31 - 1 rows).
Routing Route(std::span<const int> dest, int n);
// Whether splitting uses the CPU's vector instructions (AVX2) where it has them (the
// default); returns the previous setting. For tests of the portable form.
bool UseVectorSplitting(bool on);
// Whether it does now.
bool VectorSplitting();
// EncodeSplit with the rows already routed (routing.count.size() == out->size()).
Result<Batch> EncodeRouted(const Batch& batch, const Routing& routing, int keep,
                           std::vector<std::string>* out);
// EncodeSplit of each of `batches` (dest[b] for batch b) into the same messages, with room
// for all of them reserved first; returns the kept rows' batches (the non-empty ones).
Result<std::vector<Batch>> EncodeSplit(std::span<const Batch> batches,
                                       std::span<const std::vector<int>> dest, int keep,
                                       std::vector<std::string>* out);
// EncodeSplit of many batches with their rows already routed (routings[b] for batch b).
Result<std::vector<Batch>> EncodeRouted(std::span<const Batch> batches,
                                        std::span<const Routing> routings, int keep,
                                        std::vector<std::string>* out);
// The batches of `bytes` (messages appended by EncodeBatch). The batches keep `bytes`
// alive. DataLoss naming the message and column when the bytes are not such messages.
Result<std::vector<Batch>> DecodeBatches(std::shared_ptr<const std::string> bytes);
// The same over `bytes` that `owner` keeps alive (8-aligned in memory, as malloc gives).
Result<std::vector<Batch>> DecodeBatches(std::string_view bytes, std::shared_ptr<const void> owner);

}  // namespace ember
