// SqlPlan: a SELECT that looks across rows (DISTINCT, GROUP BY with count / sum / avg /
// min / max, HAVING, aggregates over the whole frame, ORDER BY, LIMIT), run over a whole
// frame on 1..N ranks. It is a chain of row-local SqlQuery projections around the frame
// operations of frame/frame_ops.h:
//
//   WHERE and the group keys and aggregate arguments (SqlQuery, per partition)
//   -> GroupBy -> the SELECT list and HAVING over the groups (SqlQuery)
//   -> Distinct -> SortBy (the ORDER BY keys) -> Limit -> the SELECT list's columns
//
// Results are the same on any number of ranks (frame_ops.h): with ORDER BY, the shares in
// rank order are the sorted result. Immutable and thread-safe once compiled.
#pragma once

#include <memory>
#include <string_view>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/exec/exec_context.h"

namespace ember {

class SqlPlan {
 public:
  // Parses `statement` and checks it against `in`; errors name positions in the statement.
  static Result<std::shared_ptr<const SqlPlan>> Compile(std::string_view statement,
                                                        const Schema& in);
  // Whether `statement` (which must parse) looks across rows and so needs a plan; a
  // statement that does not runs row by row as SqlQuery.
  static bool AcrossRows(std::string_view statement);
  ~SqlPlan();
  const SchemaPtr& output_schema() const;
  // Every rank calls it (a collective when ctx.comm has several ranks).
  Result<DataFrame> Run(const DataFrame& in, const ExecContext& ctx) const;

 private:
  struct Impl;
  explicit SqlPlan(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ember
