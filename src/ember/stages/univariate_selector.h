// Spark's UnivariateFeatureSelector (an Estimator): keeps the slots of a feature vector that
// a univariate test against the label finds most related to it. The test follows from
// `featureType` and `labelType` (both required, as in Spark):
//   - categorical features, categorical label: Pearson's chi-squared test of independence
//     on each feature's contingency table (scipy's chi2_contingency without correction);
//   - continuous features, categorical label: the ANOVA F-test (scikit-learn's f_classif);
//   - continuous features, continuous label: the F-test of the correlation (f_regression).
// `selectionMode` numTopFeatures (the `selectionThreshold` features of smallest p-value,
// default 50), percentile (that share of them, default 0.1), fpr (p below the threshold,
// default 0.05), fdr (Benjamini-Hochberg at the threshold) or fwe (p below threshold / d).
// Ties in p-value go to the lower index. The fitted stage is a VectorSlicer of the kept
// slots in index order (Spark has a UnivariateFeatureSelectorModel that does the same).
// Statistics are exact: sums in two passes over partitions and ranks (contingency counts
// merged over ranks); a NaN statistic (a constant feature) has p-value 1. Immutable and
// thread-safe.
#pragma once

#include <optional>
#include <string>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct UnivariateFeatureSelectorParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string output_col = "selectedFeatures";
  std::string feature_type;  // categorical | continuous (required)
  std::string label_type;    // categorical | continuous (required)
  std::string selection_mode = "numTopFeatures";
  std::optional<double> selection_threshold;  // default by mode (see above)
  static const ParamSpec<UnivariateFeatureSelectorParams>& Spec();
};

class UnivariateFeatureSelector final
    : public StageBase<UnivariateFeatureSelector, Estimator, UnivariateFeatureSelectorParams> {
 public:
  static constexpr std::string_view kTypeName = "UnivariateFeatureSelector";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// The p-value of each slot of `featuresCol` by the test the params choose (what Fit ranks).
Result<std::vector<double>> UnivariatePValues(const DataFrame& in,
                                              const UnivariateFeatureSelectorParams& p,
                                              const ExecContext& ctx);

}  // namespace ember
