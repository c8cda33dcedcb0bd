// VectorAssembler, with SparkML's semantics: concatenates numeric, boolean and vector
// columns into one feature vector. The output is dense unless an input is sparse. Slot
// names are kept as ML attributes ("col" for scalars, "col_slot" or "col_i" for vector
// slots). Invalid values (null, NaN) are an error (default), drop the row ("skip"), or are
// kept as NaN ("keep"). Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"
#include "ember/stages/string_indexer.h"

namespace ember {

struct VectorAssemblerParams {
  std::vector<std::string> input_cols;
  std::string output_col = "features";
  HandleInvalid handle_invalid = HandleInvalid::kError;
  static const ParamSpec<VectorAssemblerParams>& Spec();
};

class VectorAssembler final
    : public StageBase<VectorAssembler, Transformer, VectorAssemblerParams> {
 public:
  static constexpr std::string_view kTypeName = "VectorAssembler";
  static Result<std::shared_ptr<const VectorAssembler>> Make(Params params, std::string uid = {});
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Fusable: see pipeline/fusion.h.
  Result<RowLowering> Lower(const Schema& in) const override;

 private:
  VectorAssembler(Params p, std::string uid) : StageBase(std::move(p), std::move(uid)) {}
};

}  // namespace ember
