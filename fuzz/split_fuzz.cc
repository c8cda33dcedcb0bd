// Fuzzes the shuffle's split (core/batch_codec: EncodeSplit): batches of fuzzed rows and
// destinations, split among 2 to 6 ranks, with and without vector instructions. Every
// destination's rows, decoded (or kept), must be exactly its rows in order; any difference
// aborts. Input: two header bytes (ranks and kept rank; flags: strings of one length, no
// vectors, slicing), then three bytes a row (destination, length, value).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/core/batch_codec.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Whether `got` (batches) holds exactly the rows of `want` (batches), in order.
bool SameRows(const std::vector<ember::Batch>& got, const std::vector<ember::Batch>& want) {
  std::vector<std::string> a, b;
  for (const auto* side : {&got, &want}) {
    std::vector<std::string>& rows = side == &got ? a : b;
    for (const ember::Batch& batch : *side) {
      for (int64_t r = 0; r < batch.num_rows(); ++r) {
        std::string line;
        for (int c = 0; c < batch.num_columns(); ++c)
          line += ember::FormatValue(*batch.column(c), r) + "\x1f";
        rows.push_back(line);
      }
    }
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int n = 2 + data[0] % 5;
  const int keep = (data[0] / 5) % n;
  const bool equal_strings = data[1] & 1, no_vectors = data[1] & 2, sliced = data[1] & 4;
  const int equal_length = data[1] & 8 ? 8 : 4;
  const size_t rows = (size - 2) / 3;
  ember::Int64Builder i64(ember::Int64Type());
  ember::Float32Builder f32(ember::Float32Type());
  ember::StringBuilder str;
  std::vector<std::optional<int32_t>> nullable;
  std::vector<int> dest;
  for (size_t r = 0; r < rows; ++r) {
    const uint8_t* row = data + 2 + 3 * r;
    dest.push_back(row[0] % n);
    i64.Append(static_cast<int64_t>(row[2]) * 1000003 - static_cast<int64_t>(r));
    f32.Append(static_cast<float>(row[2]) / 8);
    const size_t len = equal_strings ? static_cast<size_t>(equal_length) : row[1] % 40;
    str.Append(std::string(len, static_cast<char>('a' + (row[2] + r) % 26)));
    nullable.push_back(row[2] % 7 == 0 ? std::nullopt : std::optional<int32_t>(row[2]));
  }
  auto schema = *ember::Schema::Make(
      {ember::MakeField("i64", ember::Int64Type()), ember::MakeField("f32", ember::Float32Type()),
       ember::MakeField("s", ember::StringType()), ember::MakeField("n", ember::Int32Type())});
  const ember::Batch all = *ember::Batch::Make(
      schema, {i64.Finish(), f32.Finish(), str.Finish(), ember::MakeColumn(nullable)});
  // One batch, or three slices of it (offsets into shared buffers).
  std::vector<ember::Batch> batches;
  std::vector<std::vector<int>> dests;
  const int64_t total = static_cast<int64_t>(rows);
  const std::vector<int64_t> cuts = sliced ? std::vector<int64_t>{0, total / 3, total / 2, total}
                                           : std::vector<int64_t>{0, total};
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    batches.push_back(all.Slice(cuts[i], cuts[i + 1] - cuts[i]));
    dests.emplace_back(dest.begin() + cuts[i], dest.begin() + cuts[i + 1]);
  }
  const bool was = ember::UseVectorSplitting(!no_vectors);
  std::vector<std::string> out(n);
  auto kept = ember::EncodeSplit(batches, dests, keep, &out);
  ember::UseVectorSplitting(was);
  Check(kept.ok());
  for (int d = 0; d < n; ++d) {
    std::vector<ember::Batch> want;
    for (size_t b = 0; b < batches.size(); ++b) {
      std::vector<int64_t> rows_of;
      for (int64_t r = 0; r < batches[b].num_rows(); ++r) {
        if (dests[b][r] == d) rows_of.push_back(r);
      }
      if (!rows_of.empty()) want.push_back(*ember::TakeRows(batches[b], rows_of));
    }
    if (d == keep) {
      Check(out[d].empty());
      Check(SameRows(*kept, want));
      continue;
    }
    auto got = ember::DecodeBatches(std::make_shared<const std::string>(out[d]));
    Check(got.ok());
    Check(SameRows(*got, want));
  }
  return 0;
}
