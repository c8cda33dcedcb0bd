// Operations that move rows between ranks. On N ranks every rank holds a share of one
// distributed table (its DataFrame); each operation is a collective (every rank calls it,
// in the same order) and returns this rank's share of the result. Rows travel in the binary
// batch format (core/batch_codec.h) through one Communicator::AllToAllV. On one rank every
// operation still computes its result (a join joins, a sort sorts) without any exchange.
//
// Results are the same whatever the number of ranks: the union of every rank's share is
// the one-rank result (same rows; for SortBy, the shares in rank order are the sorted
// table). Errors name the column or param and are the same on every rank.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember::frame {

// How long each exchange waits for the other ranks (the communicator may cap it lower).
inline constexpr std::chrono::minutes kExchangeTimeout{30};

// Rows to ranks: row r of partition p goes to rank (its global position) % N, so shares
// differ by at most one row. Each rank's rows keep their relative order.
Result<DataFrame> RepartitionRoundRobin(const DataFrame& in, const ExecContext& ctx);
// Rows with equal `keys` values meet on one rank (a hash of the values, the same on every
// rank). Nulls hash alike.
Result<DataFrame> RepartitionByHash(const DataFrame& in, const std::vector<std::string>& keys,
                                    const ExecContext& ctx);

// Every rank gets `root`'s frame (the others' frames give only the schema check).
Result<DataFrame> BroadcastFrame(const DataFrame& in, int root, const ExecContext& ctx);
// Every rank gets every rank's rows, in rank order.
Result<DataFrame> AllGatherFrame(const DataFrame& in, const ExecContext& ctx);
// `root` gets every rank's rows in rank order; the others get an empty frame.
Result<DataFrame> CollectToRank(const DataFrame& in, int root, const ExecContext& ctx);

enum class JoinType { kInner, kLeft };

struct JoinOptions {
  JoinType type = JoinType::kInner;
  std::vector<std::string> keys;  // in both frames, of the same types
  // A right side with at most this many rows in all is sent whole to every rank (broadcast
  // join; the left side stays where it is); larger ones are hash-partitioned by the keys
  // together with the left side.
  int64_t broadcast_max_rows = 100000;
};

// SQL's equi-join: the left columns, then the right columns but the keys. Null keys match
// nothing; a left join keeps unmatched left rows with nulls on the right. A right column
// whose name the left side has too is an error naming it.
Result<DataFrame> Join(const DataFrame& left, const DataFrame& right, const JoinOptions& options,
                       const ExecContext& ctx);

struct Aggregate {
  enum class Kind { kCount, kSum, kMean, kMin, kMax, kCollect };
  Kind kind = Kind::kCount;
  std::string column;  // kCount: empty counts rows, a column counts its non-null values
  std::string output;  // the result column's name
};

// One row per distinct value of `keys` (nulls form one group): the keys, then each
// aggregate. count: int64. sum, mean, min, max over a numeric column: float64, nulls
// skipped, null when the group has no value; sum and mean over a vector column: a dense
// vector of the slot sums / means of the non-null rows. collect: list of the column's
// non-null values, in row order.
Result<DataFrame> GroupBy(const DataFrame& in, const std::vector<std::string>& keys,
                          const std::vector<Aggregate>& aggregates, const ExecContext& ctx);

// The first row of each distinct value of `cols` (all columns when empty); "first" in the
// order of ranks, partitions and rows.
Result<DataFrame> Distinct(const DataFrame& in, const std::vector<std::string>& cols,
                           const ExecContext& ctx);

// Sorted by `key` (numeric, bool or string; nulls first), stably: rank 0 gets the smallest
// keys, rank N-1 the largest, at about equal shares (split at quantiles of a sample of the
// keys).
Result<DataFrame> SortBy(const DataFrame& in, const std::string& key, bool ascending,
                         const ExecContext& ctx);
struct SortKey {
  std::string column;
  bool ascending = true;  // descending puts nulls last
};
// Sorted by several keys, the first deciding first (SQL's ORDER BY a, b DESC), stably.
Result<DataFrame> SortBy(const DataFrame& in, const std::vector<SortKey>& keys,
                         const ExecContext& ctx);
// The first `n` rows, in the order of ranks, partitions and rows (SQL's LIMIT after ORDER
// BY): each rank keeps its share of them.
Result<DataFrame> Limit(const DataFrame& in, int64_t n, const ExecContext& ctx);

}  // namespace ember::frame
