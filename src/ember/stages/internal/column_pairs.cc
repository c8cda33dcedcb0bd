#include "ember/stages/internal/column_pairs.h"

#include <set>

namespace ember::stages::internal {

Result<std::vector<ColumnPair>> ResolveColumnPairs(const std::string& owner,
                                                   const std::string& input_col,
                                                   const std::string& output_col,
                                                   const std::vector<std::string>& input_cols,
                                                   const std::vector<std::string>& output_cols) {
  auto error = [&](const std::string& param, const std::string& what) {
    return InvalidArgument(owner + " param '" + param + "': " + what);
  };
  const bool single = !input_col.empty(), multi = !input_cols.empty();
  if (single && multi) return error("inputCols", "set inputCol or inputCols, not both");
  if (!single && !multi) return error("inputCol", "set inputCol or inputCols");
  std::vector<ColumnPair> pairs;
  if (single) {
    if (output_col.empty()) return error("outputCol", "required with inputCol");
    if (!output_cols.empty()) return error("outputCols", "use outputCol with inputCol");
    pairs.push_back({input_col, output_col});
  } else {
    if (output_cols.size() != input_cols.size()) {
      return error("outputCols", std::to_string(output_cols.size()) + " names for " +
                                     std::to_string(input_cols.size()) + " inputCols");
    }
    for (size_t i = 0; i < input_cols.size(); ++i) pairs.push_back({input_cols[i], output_cols[i]});
  }
  std::set<std::string> outs;
  for (const auto& p : pairs) {
    if (p.out.empty()) return error("outputCols", "empty column name");
    if (!outs.insert(p.out).second) return error("outputCols", "'" + p.out + "' is listed twice");
  }
  return pairs;
}

}  // namespace ember::stages::internal
