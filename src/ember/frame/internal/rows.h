// The helpers frame_ops.cc and sort.cc share (internal to frame/).
#pragma once

#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/exec/exec_context.h"
#include "ember/frame/frame_ops.h"

namespace ember::frame::internal {

// A row of a frame: its partition and its row there.
struct RowRef {
  int part;
  int64_t row;
};

// The ranks of `ctx` (1 without a communicator).
int Ranks(const ExecContext& ctx);
// The one shuffle: row r of partition p goes to rank dest[p][r]. This rank's result holds
// the rows it received, senders in rank order, each sender's rows in its order.
Result<DataFrame> SendRows(const DataFrame& in, const std::vector<std::vector<int>>& dest,
                           const ExecContext& ctx);
// Column indexes of `names` in `schema`; InvalidArgument naming the missing one.
Result<std::vector<int>> Columns(const Schema& schema, const std::vector<std::string>& names,
                                 const char* what);

}  // namespace ember::frame::internal
