// Featurize (an Estimator), as SynapseML's: turns any mix of numeric, boolean, string,
// text and vector columns into one feature vector, choosing per column:
//   numeric          -> missing values imputed with the mean (imputeMissing), as is
//   boolean          -> 0 / 1, missing imputed with the mean
//   string           -> categorical: indexed by frequency and one-hot encoded
//                       (oneHotEncodeCategoricals; else the index itself), null and unseen
//                       values get their own slot
//   text             -> TF-IDF over numFeatures hashed slots (a string column listed in
//                       textCols, or with more than maxCategories distinct values in the
//                       training data; list<string> columns are tokens already); null is ""
//   vector           -> as is
// then assembles them in inputCols order (slot names kept). Fitting gives a PipelineModel
// of those stages that drops its intermediate columns. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"
#include "ember/stages/string_indexer.h"

namespace ember {

struct FeaturizeParams {
  std::vector<std::string> input_cols;
  std::string output_col = "features";
  bool one_hot_encode_categoricals = true;
  int32_t num_features = 1 << 18;
  bool impute_missing = true;
  int32_t max_categories = 100;
  std::vector<std::string> text_cols;
  HandleInvalid vector_assembler_handle_invalid = HandleInvalid::kError;
  static const ParamSpec<FeaturizeParams>& Spec();
};

class Featurize final : public StageBase<Featurize, Estimator, FeaturizeParams> {
 public:
  static constexpr std::string_view kTypeName = "Featurize";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterFeaturize(StageRegistry* registry);

}  // namespace ember
