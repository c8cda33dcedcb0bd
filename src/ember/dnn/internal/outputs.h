// The kernel that runs a net over batches, shared by ONNXModel and ImageFeaturizer: inputs
// filled row by row into mini-batch blobs, outputs split back into columns, softmax and argmax
// columns after. Internal to dnn/.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ember/dnn/internal/net.h"

namespace ember::dnn::internal {

// Writes row r's input (row_size floats) to `out`; false for a null row (no output).
using RowFill = std::function<Result<bool>(const Batch& in, int64_t r, float* out)>;

struct PlannedFeed {
  std::string input;
  std::vector<int64_t> row_dims;
  int64_t row_size = 1;
  RowFill fill;
};

// The fill of a column feed (CopyRow; a null cell is a null row).
PlannedFeed ColumnFeed(const Feed& feed);

struct Fetch {
  std::string column;
  std::string layer;              // the net's layer
  std::vector<int64_t> row_dims;  // per-row output dims, learned by a dry run
  int64_t row_size = 1;
  bool flatten = false;  // always one dense vector of row_size
};

struct NetPlan {
  std::vector<PlannedFeed> feeds;
  std::vector<Fetch> fetches;
  // The smallest batch axis an input declares as a number (0: every batch axis is dynamic).
  // Graphs exported with a fixed batch (PaddleOCR's, for one) often reshape by it, so the
  // kernel never runs more rows than this at once.
  int64_t fixed_batch = 0;
};

// Makes a net, resolves each (column, name) fetch to a layer and runs the net once on zeros
// to learn each output's per-row dims. Errors are prefixed with `who`.
Result<NetPlan> PlanNet(const OnnxBytes& model, std::vector<PlannedFeed> feeds,
                        const std::vector<std::pair<std::string, std::string>>& fetches,
                        const std::string& who, bool flatten = false);

// `in` with the fetch columns, then the softmax and argmax columns.
Result<SchemaPtr> OutputSchema(const Schema& in, const NetPlan& plan,
                               const std::map<std::string, std::string>& soft_max,
                               const std::map<std::string, std::string>& arg_max,
                               const std::string& who);

// The kernel: per-thread nets, mini-batches of `mini_batch` rows (at most the plan's
// fixed_batch). With `drop_null_rows`, rows
// whose inputs are null are left out of the output (ImageFeaturizer's dropNa).
std::unique_ptr<BoundTransform> MakeNetKernel(SchemaPtr out, std::shared_ptr<const OnnxBytes> model,
                                              NetPlan plan,
                                              std::map<std::string, std::string> soft_max,
                                              std::map<std::string, std::string> arg_max,
                                              int mini_batch, bool drop_null_rows);

}  // namespace ember::dnn::internal
