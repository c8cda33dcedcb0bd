#include "ember/io/internal/block_reader.h"

#include <cstring>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/internal/csv_tokenizer.h"

namespace ember::io::internal {

std::vector<std::pair<int64_t, int64_t>> RankBlocks(int64_t begin, int64_t end,
                                                    const ExecContext& ctx, int64_t block_size) {
  const int rank = ctx.comm ? ctx.comm->rank() : 0, n = ctx.comm ? ctx.comm->size() : 1;
  const int64_t len = end - begin;
  const int64_t lo = begin + len * rank / n, hi = begin + len * (rank + 1) / n;
  const int64_t bs = std::max<int64_t>(1, block_size);
  std::vector<std::pair<int64_t, int64_t>> out;
  for (int64_t p = lo; p < hi; p += bs) out.emplace_back(p, std::min(hi, p + bs));
  return out;
}

Status ForEachBlock(const ExecContext& ctx, int64_t n, const std::function<Status(int64_t)>& fn) {
  if (ctx.pool) return ctx.pool->ParallelFor(n, fn, ctx.cancel);
  for (int64_t i = 0; i < n; ++i) EMBER_RETURN_IF_ERROR(fn(i));
  return Status::OK();
}

Result<std::vector<Bytes>> ExchangeWithStatus(Communicator* comm, const Status& local,
                                              Bytes payload, Deadline deadline) {
  Bytes msg = local.ok() ? "O" + payload : "E" + local.message();
  EMBER_ASSIGN_OR_RETURN(auto all, comm->AllGather(std::move(msg), deadline));
  for (size_t r = 0; r < all.size(); ++r) {
    if (all[r].empty() || all[r][0] == 'E') {
      if (!local.ok()) return local;
      return InvalidArgument("rank " + std::to_string(r) + ": " + all[r].substr(1));
    }
    all[r].erase(0, 1);
  }
  return all;
}

int64_t LineCounter::LineOf(int64_t offset) {
  int64_t quotes, newlines;
  CountQuotesAndNewlines(data_.data() + pos_, static_cast<size_t>(offset - pos_), '\0', &quotes,
                         &newlines);
  newlines_ += newlines;
  pos_ = offset;
  return newlines_ + 1;
}

std::string_view RecordText(std::string_view data, int64_t offset) {
  const void* nl = std::memchr(data.data() + offset, '\n', data.size() - offset);
  int64_t stop =
      nl ? static_cast<const char*>(nl) - data.data() : static_cast<int64_t>(data.size());
  stop = std::min(stop, offset + 1024);
  if (stop > offset && data[stop - 1] == '\r') --stop;
  return data.substr(offset, stop - offset);
}

Result<Batch> ApplyBadRowPolicy(const SchemaPtr& schema, std::vector<ColumnPtr> columns,
                                int64_t num_rows, const std::vector<BadRow>& bad,
                                BadRowPolicy policy) {
  if (policy == BadRowPolicy::kKeep) {
    StringBuilder err;
    size_t k = 0;
    for (int64_t r = 0; r < num_rows; ++r) {
      if (k < bad.size() && bad[k].row == r) {
        err.Append(bad[k].message + " | " + std::string(bad[k].raw));
        ++k;
      } else {
        err.AppendNull();
      }
    }
    columns.push_back(err.Finish());
  }
  EMBER_ASSIGN_OR_RETURN(Batch batch, Batch::Make(schema, std::move(columns), num_rows));
  if (policy != BadRowPolicy::kSkip || bad.empty()) return batch;
  std::vector<int64_t> good;
  size_t k = 0;
  for (int64_t r = 0; r < num_rows; ++r) {
    if (k < bad.size() && bad[k].row == r)
      ++k;
    else
      good.push_back(r);
  }
  return TakeRows(batch, good);
}

void AddBadRows(const std::vector<BadRow>& bad, CsvReadStats* stats, std::string* first_error) {
  for (const BadRow& b : bad) {
    if (first_error->empty()) *first_error = b.message;
    if (stats->first_errors.size() < 10) stats->first_errors.push_back(b.message);
  }
  stats->bad_rows += static_cast<int64_t>(bad.size());
}

}  // namespace ember::io::internal
