// OneHotEncoder (an Estimator) and its model, with SparkML's semantics: numeric columns of
// category indices (as StringIndexer makes them) become sparse vectors with a single 1.0.
// The number of categories comes from the column's nominal ML attribute, else from the
// largest index in the data (over all ranks). With dropLast (default) the last category is
// all zeros. Invalid indices (null, negative, fractional, too large) are an error
// (default) or, with handleInvalid "keep", one extra category. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"
#include "ember/stages/string_indexer.h"

namespace ember {

struct OneHotEncoderParams {
  std::string input_col;
  std::string output_col;
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  bool drop_last = true;
  HandleInvalid handle_invalid = HandleInvalid::kError;  // kSkip is not offered, as in SparkML
  static const ParamSpec<OneHotEncoderParams>& Spec();
};

class OneHotEncoderModel final
    : public StageBase<OneHotEncoderModel, Transformer, OneHotEncoderParams> {
 public:
  static constexpr std::string_view kTypeName = "OneHotEncoderModel";
  // `category_sizes[k]`: the number of categories of the k-th input column.
  static Result<std::shared_ptr<const OneHotEncoderModel>> Make(Params params,
                                                                std::vector<int64_t> category_sizes,
                                                                std::string uid = {});
  static Result<std::shared_ptr<const OneHotEncoderModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Fusable: see pipeline/fusion.h.
  Result<RowLowering> Lower(const Schema& in) const override;
  const std::vector<int64_t>& category_sizes() const { return sizes_; }

 private:
  OneHotEncoderModel(Params p, std::vector<int64_t> sizes, std::string uid)
      : StageBase(std::move(p), std::move(uid)), sizes_(std::move(sizes)) {}
  std::vector<int64_t> sizes_;
};

class OneHotEncoder final : public StageBase<OneHotEncoder, Estimator, OneHotEncoderParams> {
 public:
  static constexpr std::string_view kTypeName = "OneHotEncoder";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterOneHotEncoderStages(StageRegistry* registry);

}  // namespace ember
