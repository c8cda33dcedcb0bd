// The inputCol/outputCol or inputCols/outputCols convention of SparkML's multi-column
// stages (StringIndexer, OneHotEncoder): resolves the pairs and reports mistakes naming the
// param. Internal to stages/.
#pragma once

#include <string>
#include <vector>

#include "ember/base/result.h"

namespace ember::stages::internal {

struct ColumnPair {
  std::string in, out;
};

// Exactly one of `input_col` / `input_cols` must be set, with the matching output(s);
// output names must be distinct. Errors read "<owner> param '<name>': ...".
Result<std::vector<ColumnPair>> ResolveColumnPairs(const std::string& owner,
                                                   const std::string& input_col,
                                                   const std::string& output_col,
                                                   const std::vector<std::string>& input_cols,
                                                   const std::vector<std::string>& output_cols);

}  // namespace ember::stages::internal
