// Pieces shared by the parallel text readers (CSV, JSON Lines, LibSVM): cutting a rank's
// share of the bytes into blocks, running work per block, exchanging status with the other
// ranks at each collective, turning byte offsets into line numbers, and applying the
// bad-row policy to a block. Internal to io/.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"
#include "ember/io/csv.h"

namespace ember::io::internal {

// The byte ranges, of at most `block_size` bytes, that cover this rank's share of
// [begin, end) (rank r of n gets the r-th n-th).
std::vector<std::pair<int64_t, int64_t>> RankBlocks(int64_t begin, int64_t end,
                                                    const ExecContext& ctx, int64_t block_size);

// Runs fn(0..n-1) on ctx.pool, or inline without one.
Status ForEachBlock(const ExecContext& ctx, int64_t n, const std::function<Status(int64_t)>& fn);

// AllGathers `payload` together with this rank's status; if any rank failed, every rank
// returns that failure ("rank r: message"), so ranks stay in step.
Result<std::vector<Bytes>> ExchangeWithStatus(Communicator* comm, const Status& local,
                                              Bytes payload, Deadline deadline);

// Turns increasing byte offsets into 1-based physical line numbers, counting newlines from
// a known (offset, line) starting point.
class LineCounter {
 public:
  LineCounter(std::string_view data, int64_t offset, int64_t newlines_before)
      : data_(data), pos_(offset), newlines_(newlines_before) {}
  // Precondition: `offset` is not before the previous call's.
  int64_t LineOf(int64_t offset);

 private:
  std::string_view data_;
  int64_t pos_;
  int64_t newlines_;
};

// The text of the record starting at `offset`, up to its newline or 1 KiB.
std::string_view RecordText(std::string_view data, int64_t offset);

struct BadRow {
  int64_t row;          // within the block, increasing
  std::string message;  // with its location
  std::string_view raw;
};

// One block's batch under `policy`: kSkip drops the bad rows; kKeep appends a string column
// (the last field of `schema`) holding "message | raw text" for bad rows and null for good
// ones; kError keeps the rows (the caller fails the read).
Result<Batch> ApplyBadRowPolicy(const SchemaPtr& schema, std::vector<ColumnPtr> columns,
                                int64_t num_rows, const std::vector<BadRow>& bad,
                                BadRowPolicy policy);

// Collects the first messages and the count of bad rows over blocks.
void AddBadRows(const std::vector<BadRow>& bad, CsvReadStats* stats, std::string* first_error);

}  // namespace ember::io::internal
