// The conformance suite every registered stage passes: save/load round trip with equal
// output, TransformSchema equal to the schema Transform produces, invalid params rejected
// with a message naming them, empty input (no rows out of a partition-local stage),
// determinism, and concurrent Transform from
// several threads. Reports failures through GoogleTest.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"

namespace ember::testing {

struct ConformanceCase {
  std::string type_name;  // the registry name this case covers
  // A configured stage (Transformer or Estimator) of that type.
  std::function<Result<std::shared_ptr<const Stage>>()> make;
  // Input to fit on and transform; several partitions exercise the parallel path.
  std::function<DataFrame()> input;
  // Params (JSON name, bad value) that loading must reject with the name in the message.
  std::vector<std::pair<std::string, Json>> invalid_params;
  // Estimators: whether fitting on 2 and 3 thread ranks is checked against one rank. Off
  // only for stages whose training is process-wide (XGBoost's collective: one process per
  // rank; checked by the multi-process and mpirun tests instead).
  bool fit_on_thread_ranks = true;
};

// Runs every check; failures are reported with the stage type in the message.
void CheckConformance(const ConformanceCase& c, const StageRegistry& registry);

// Empty when `a` and `b` have the same schema and rows, numbers (and vector entries)
// equal within `tolerance` (relative above 1); else the first difference.
std::string DescribeDifferenceWithin(const DataFrame& a, const DataFrame& b, double tolerance);

// A frame of 3 partitions with int64, float64, string, bool and vector columns, some nulls.
DataFrame MixedFrame();

// Three partitions of "id" (int64) and "tags" (list<string>): lists of 0 to 3 tags, one null
// list and one null tag among them.
DataFrame ListFrame();

// Rows `x` (all of one width) as a "features" vector column (sparse when `sparse`: only the
// non-zero entries stored) and `y` as a float64 "label", in `parts` partitions of near-equal
// size in row order: the frame of the estimators' differential tests.
DataFrame LabeledVectors(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                         int parts = 3, bool sparse = false);

// Fits `estimator` SPMD-style on `ranks` thread-ranks of a LocalCommunicator group, rank r
// holding partitions r, r + ranks, ...; returns each rank's model (or error).
std::vector<Result<std::shared_ptr<const Transformer>>> FitOnRanks(const DataFrame& all,
                                                                   const Estimator& estimator,
                                                                   int ranks);

// A fresh empty directory under the test's temp dir.
std::string NewTempDir(const std::string& name);

}  // namespace ember::testing
