#include "ember/stages/internal/vector_columns.h"

#include "ember/base/status_macros.h"

namespace ember::stages::internal {

Result<int> VectorInput(const Schema& in, const std::string& input, const std::string& output) {
  EMBER_ASSIGN_OR_RETURN(
      int i,
      in.GetFieldIndexOfType(
          input, [](const DataType& t) { return t.id() == TypeId::kVector; }, "a vector column"));
  if (in.FindField(output) >= 0)
    return AlreadyExists("output column '" + output + "' already exists");
  return i;
}

Result<std::pair<int, SchemaPtr>> BindVector(const Schema& in, const std::string& input,
                                             const std::string& output, bool sparse_out) {
  EMBER_ASSIGN_OR_RETURN(int i, VectorInput(in, input, output));
  const int64_t n = in.field(i).type->vector_size();
  const bool sparse = sparse_out && in.field(i).type->sparse();
  Field f = MakeField(output, sparse ? SparseVectorType(n) : DenseVectorType(n));
  if (auto slots = SlotNames(in.field(i))) SetSlotNames(&f, *slots);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(std::move(f)));
  return std::make_pair(i, out);
}

}  // namespace ember::stages::internal
