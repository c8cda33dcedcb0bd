// SynapseML's ValueIndexer (an Estimator), ValueIndexerModel and IndexToValue: StringIndexer
// for values of any scalar type, ordered by the values themselves (numbers numerically,
// strings by their UTF-8 bytes, false before true), with the inverse restoring the original
// type. The fitted levels are the distinct non-null values (NaN counts as null), merged over
// partitions and ranks. The model maps level k to k, a null (or NaN) to numLevels and a value
// not seen in fitting to numLevels, or numLevels + 1 when the fitting data had nulls (as
// SynapseML); the output is int32 with the levels as its nominal ML attribute and the input
// type recorded beside them, so IndexToValue turns indices back into values of that type.
// Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/base/string_lookup.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct ValueIndexerParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<ValueIndexerParams>& Spec();
};

class ValueIndexerModel final
    : public StageBase<ValueIndexerModel, Transformer, ValueIndexerParams> {
 public:
  static constexpr std::string_view kTypeName = "ValueIndexerModel";
  // `levels`: the values as StringIndexer's label text (LabelText), in index order;
  // `value_type`: the input column's type; `has_null`: the fitting data had nulls.
  static Result<std::shared_ptr<const ValueIndexerModel>> Make(Params params,
                                                               std::vector<std::string> levels,
                                                               TypePtr value_type, bool has_null,
                                                               std::string uid = {});
  static Result<std::shared_ptr<const ValueIndexerModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<std::string>& levels() const { return levels_; }

 private:
  ValueIndexerModel(Params p, std::vector<std::string> levels, TypePtr type, bool has_null,
                    std::string uid);
  std::vector<std::string> levels_;
  TypePtr value_type_;
  bool has_null_;
  std::shared_ptr<const StringLookup> lookup_;
};

class ValueIndexer final : public StageBase<ValueIndexer, Estimator, ValueIndexerParams> {
 public:
  static constexpr std::string_view kTypeName = "ValueIndexer";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct IndexToValueParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<IndexToValueParams>& Spec();
};

// Indices (int32, int64 or a whole float) back to the values recorded on the input column
// by a ValueIndexerModel, in their original type; a null, or the null or unseen index
// (numLevels and above), gives null; a negative or fractional index is an error naming it.
class IndexToValue final : public StageBase<IndexToValue, Transformer, IndexToValueParams> {
 public:
  static constexpr std::string_view kTypeName = "IndexToValue";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterValueIndexerStages(StageRegistry* registry);

}  // namespace ember
