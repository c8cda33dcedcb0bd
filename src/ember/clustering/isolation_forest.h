// IsolationForest (an Estimator) and IsolationForestModel with the params SynapseML takes
// from LinkedIn's isolation-forest library: numEstimators trees, each grown on maxSamples rows
// (a count when > 1, else a share of the rows) and maxFeatures features (likewise) by random
// splits (a random feature, a split drawn uniformly between its smallest and largest value
// in the node) down to depth ceil(log2(maxSamples)), as Liu, Ting and Zhou's paper.
// outlierScore is 2^(-E[h(x)] / c(maxSamples)), h the path length plus c(leaf size) and c
// the average path length of an unsuccessful search in a binary tree; scores near 1 are
// outliers. With contamination > 0, predictedLabel is 1 for scores at or above the
// (1 - contamination) quantile of the training rows' scores (within contaminationError of
// its rank), else 0; with contamination 0 every row is 0.
//
// Rows are drawn for each tree by seeded draws on each row's values (a hash), so the same
// rows give the same forest on any number of ranks and partitions (the draws of every rank
// are merged). bootstrap draws each tree's rows with replacement from its sample. Immutable
// and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct IsolationForestParams {
  std::string features_col = "features";
  std::string prediction_col = "predictedLabel";
  std::string score_col = "outlierScore";
  int32_t num_estimators = 100;
  double max_samples = 256;
  double max_features = 1.0;
  bool bootstrap = false;
  double contamination = 0.0;
  double contamination_error = 0.0;
  int64_t random_seed = 1;
  static const ParamSpec<IsolationForestParams>& Spec();
};

// One isolation tree: node i splits on feature[i] at value[i] (x < value goes left), or is a
// leaf (left[i] < 0) of size[i] training rows.
struct IsolationTree {
  std::vector<int32_t> feature, left, right;
  std::vector<double> value, size;
};

class IsolationForestModel final
    : public StageBase<IsolationForestModel, Transformer, IsolationForestParams> {
 public:
  static constexpr std::string_view kTypeName = "IsolationForestModel";
  static Result<std::shared_ptr<const IsolationForestModel>> Make(
      Params params, int64_t num_features, double samples_per_tree,
      std::vector<IsolationTree> trees, double threshold, std::string uid = {});
  static Result<std::shared_ptr<const IsolationForestModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // The score of one row of num_features values.
  double Score(const double* x) const;
  // Scores at or above it are outliers (infinite with contamination 0).
  double outlier_score_threshold() const { return threshold_; }
  const std::vector<IsolationTree>& trees() const { return trees_; }

 private:
  IsolationForestModel(Params p, int64_t d, double psi, std::vector<IsolationTree> trees,
                       double threshold, std::string uid)
      : StageBase(std::move(p), std::move(uid)),
        num_features_(d),
        samples_per_tree_(psi),
        trees_(std::move(trees)),
        threshold_(threshold) {}
  int64_t num_features_;
  double samples_per_tree_;
  std::vector<IsolationTree> trees_;
  double threshold_;
};

class IsolationForest final : public StageBase<IsolationForest, Estimator, IsolationForestParams> {
 public:
  static constexpr std::string_view kTypeName = "IsolationForest";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterIsolationForestStages(StageRegistry* registry);

}  // namespace ember
