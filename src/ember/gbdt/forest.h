// Random forests and decision trees under Spark ML's API, grown by XGBoost's random-forest
// mode: one round of `numTrees` parallel trees, grown depth-wise without shrinkage or L2,
// each on a sample of the rows and a sample of the features at every node, and averaged.
//
//   RandomForestClassifier -> RandomForestClassificationModel   adds rawPrediction,
//   DecisionTreeClassifier -> RandomForestClassificationModel   probability and prediction
//   RandomForestRegressor  -> RandomForestRegressionModel       adds prediction
//   DecisionTreeRegressor  -> RandomForestRegressionModel
//
// A decision tree is a forest of one tree on every row and feature, so both fit the same
// model types (Spark has a DecisionTree*Model of its own; its outputs are the same).
//
// What the trees compute, and how it relates to Spark's and scikit-learn's trees:
// - Classification: trees are grown from a uniform prior with a constant hessian (binary
//   logistic or softmax objective at the first round), so XGBoost's split gain is the Gini
//   decrease of a split (exactly, for one class against the rest) and each leaf holds its
//   class fraction, shifted and scaled. The model maps the averaged margins back (VoteLink):
//   probability is the mean over the trees of the leaves' class fractions, as in Spark and
//   scikit-learn, and rawPrediction numTrees times it. With more than two classes XGBoost
//   grows one tree per class (each splitting on that class against the rest) where Spark
//   grows one tree for all classes.
// - Regression: the split gain is the variance decrease and a leaf holds its mean label.
// - Sampling: XGBoost samples rows without replacement. With `bootstrap` (Spark's default)
//   each tree takes subsamplingRate x 63.2% of the rows, the share of distinct rows a
//   bootstrap sample holds; without it subsamplingRate of them. Features are sampled at every
//   node (featureSubsetStrategy), as in Spark.
// - Left out rather than faked: Spark's minInfoGain (its gain is per row, XGBoost's summed
//   over the node's rows: no fixed threshold maps one onto the other), impurity "entropy",
//   minWeightFractionPerNode, and the JVM's checkpointInterval, cacheNodeIds and
//   maxMemoryInMB.
//
// The fitted models keep XGBoost's model bytes (data/model.ubj) and score through the
// compiled trees of the GBDT models, with leaf indices and SHAP values on request.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/gbdt/gbdt.h"
#include "ember/pipeline/classifier_outputs.h"

namespace ember {

// The params every tree estimator has: a param group, the member `trees` of each
// estimator's params.
struct TreeCommonParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string weight_col;
  std::string prediction_col = "prediction";
  int32_t max_depth = 5;
  int32_t max_bins = 32;
  int32_t min_instances_per_node = 1;
  int32_t seed = 0;
  int32_t num_threads = 0;
  static const ParamSpec<TreeCommonParams>& Spec();
};

// A forest's sampling: the member `forest` of the forest estimators' params.
struct ForestParams {
  int32_t num_trees = 20;
  double subsampling_rate = 1.0;
  // "auto" (sqrt for classification, onethird for regression, all for one tree), "all",
  // "onethird", "sqrt", "log2", a count "n" or a fraction "0.x" of the features.
  std::string feature_subset_strategy = "auto";
  bool bootstrap = true;
  static const ParamSpec<ForestParams>& Spec();
};

struct RandomForestClassifierParams {
  TreeCommonParams trees;
  ForestParams forest;
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  std::string impurity = "gini";
  std::vector<double> thresholds;
  static const ParamSpec<RandomForestClassifierParams>& Spec();
};

struct RandomForestRegressorParams {
  TreeCommonParams trees;
  ForestParams forest;
  std::string impurity = "variance";
  static const ParamSpec<RandomForestRegressorParams>& Spec();
};

struct DecisionTreeClassifierParams {
  TreeCommonParams trees;
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  std::string impurity = "gini";
  std::vector<double> thresholds;
  static const ParamSpec<DecisionTreeClassifierParams>& Spec();
};

struct DecisionTreeRegressorParams {
  TreeCommonParams trees;
  std::string impurity = "variance";
  static const ParamSpec<DecisionTreeRegressorParams>& Spec();
};

struct RandomForestClassificationModelParams {
  GbdtModelParams model;
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  std::vector<double> thresholds;
  static const ParamSpec<RandomForestClassificationModelParams>& Spec();
};

struct RandomForestRegressionModelParams {
  GbdtModelParams model;
  static const ParamSpec<RandomForestRegressionModelParams>& Spec();
};

class RandomForestClassificationModel final
    : public StageBase<RandomForestClassificationModel, Transformer,
                       RandomForestClassificationModelParams> {
 public:
  static constexpr std::string_view kTypeName = "RandomForestClassificationModel";
  // `booster`: one round of parallel trees grown as this file's header says.
  static Result<std::shared_ptr<const RandomForestClassificationModel>> Make(
      Params params, std::shared_ptr<const GbdtBooster> booster, int num_classes,
      std::string uid = {}, std::vector<std::string> labels = {});
  static Result<std::shared_ptr<const RandomForestClassificationModel>> Load(
      const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<RowLowering> Lower(const Schema& in) const override;
  const GbdtBooster& booster() const { return *booster_; }
  std::shared_ptr<const GbdtBooster> shared_booster() const { return booster_; }
  Result<std::vector<double>> FeatureImportances(const std::string& type) const override {
    return booster_->FeatureImportances(type);
  }
  int num_classes() const { return num_classes_; }
  int num_trees() const { return static_cast<int>(votes_.trees); }
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  RandomForestClassificationModel(Params p, std::shared_ptr<const GbdtBooster> b, int k,
                                  std::string uid, std::vector<std::string> labels);
  std::shared_ptr<const GbdtBooster> booster_;
  int num_classes_;
  std::vector<std::string> labels_;
  VoteLink votes_;
  GBDTClassificationModelParams outputs_;  // the params as the shared kernel takes them
};

class RandomForestRegressionModel final : public StageBase<RandomForestRegressionModel, Transformer,
                                                           RandomForestRegressionModelParams> {
 public:
  static constexpr std::string_view kTypeName = "RandomForestRegressionModel";
  static Result<std::shared_ptr<const RandomForestRegressionModel>> Make(
      Params params, std::shared_ptr<const GbdtBooster> booster, std::string uid = {});
  static Result<std::shared_ptr<const RandomForestRegressionModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<RowLowering> Lower(const Schema& in) const override;
  const GbdtBooster& booster() const { return *booster_; }
  std::shared_ptr<const GbdtBooster> shared_booster() const { return booster_; }
  Result<std::vector<double>> FeatureImportances(const std::string& type) const override {
    return booster_->FeatureImportances(type);
  }
  int num_trees() const { return booster_->num_trees(); }

 private:
  RandomForestRegressionModel(Params p, std::shared_ptr<const GbdtBooster> b, std::string uid)
      : StageBase(std::move(p), std::move(uid)), booster_(std::move(b)) {}
  std::shared_ptr<const GbdtBooster> booster_;
};

class RandomForestClassifier final
    : public StageBase<RandomForestClassifier, Estimator, RandomForestClassifierParams> {
 public:
  static constexpr std::string_view kTypeName = "RandomForestClassifier";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

class RandomForestRegressor final
    : public StageBase<RandomForestRegressor, Estimator, RandomForestRegressorParams> {
 public:
  static constexpr std::string_view kTypeName = "RandomForestRegressor";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

class DecisionTreeClassifier final
    : public StageBase<DecisionTreeClassifier, Estimator, DecisionTreeClassifierParams> {
 public:
  static constexpr std::string_view kTypeName = "DecisionTreeClassifier";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

class DecisionTreeRegressor final
    : public StageBase<DecisionTreeRegressor, Estimator, DecisionTreeRegressorParams> {
 public:
  static constexpr std::string_view kTypeName = "DecisionTreeRegressor";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterForestStages(StageRegistry* registry);

}  // namespace ember
