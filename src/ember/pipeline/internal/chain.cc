#include "ember/pipeline/internal/chain.h"

namespace ember::pipeline::internal {

Result<std::unique_ptr<ChainBound>> BindChain(
    std::span<const std::shared_ptr<const Transformer>> stages, const Schema& in) {
  std::vector<std::unique_ptr<BoundTransform>> parts;
  SchemaPtr cur;
  EMBER_ASSIGN_OR_RETURN(cur, Schema::Make(in.fields(), in.metadata()));
  for (const auto& s : stages) {
    Result<std::unique_ptr<BoundTransform>> b = s->Bind(*cur);
    if (!b.ok()) return b.status().WithContext(s->Describe());
    cur = (*b)->output_schema();
    parts.push_back(std::move(*b));
  }
  return std::make_unique<ChainBound>(std::move(parts), cur);
}

}  // namespace ember::pipeline::internal
