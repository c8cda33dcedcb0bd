// Random forests and decision trees (forest.h): Spark ML's params, XGBoost's random-forest
// mode, and the fitted models on the GBDT models' kernels.
#include "ember/gbdt/forest.h"

#include <algorithm>
#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/gbdt/internal/common.h"

namespace ember {

using namespace gbdt::internal;  // NOLINT: the forests are built on the GBDT helpers

namespace {

// The share of distinct rows in a bootstrap sample: 1 - 1/e.
constexpr double kBootstrapShare = 0.6321205588285577;

Validator<std::string> Impurity(const char* supported) {
  return {[supported](const std::string& v) {
            if (v == supported) return Status::OK();
            return InvalidArgument("\"" + v + "\" is not supported: XGBoost's trees split on \"" +
                                   supported + "\" (the only value)");
          },
          std::string("\"") + supported + "\""};
}

// Spark's featureSubsetStrategy as the number of features each node draws from `d`, or an
// error naming the value.
Result<int64_t> FeaturesPerNode(const std::string& s, int64_t d, bool classification,
                                int num_trees) {
  const double n = static_cast<double>(d);
  std::string strategy = s;
  if (strategy == "auto") strategy = num_trees == 1 ? "all" : classification ? "sqrt" : "onethird";
  if (strategy == "all") return d;
  if (strategy == "sqrt") return static_cast<int64_t>(std::ceil(std::sqrt(n)));
  if (strategy == "log2")
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::log2(n))));
  if (strategy == "onethird") return static_cast<int64_t>(std::ceil(n / 3));
  const char* begin = strategy.c_str();
  char* end = nullptr;
  if (strategy.find_first_not_of("0123456789") == std::string::npos && !strategy.empty()) {
    const long long count = std::strtoll(begin, &end, 10);
    if (count >= 1) return std::min<int64_t>(count, d);
  } else {
    const double fraction = std::strtod(begin, &end);
    if (end != begin && *end == '\0' && fraction > 0 && fraction <= 1) {
      return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(fraction * n)));
    }
  }
  return InvalidArgument("\"" + s +
                         "\" is not one of auto, all, onethird, sqrt, log2, a count n >= 1 or a "
                         "fraction in (0, 1]");
}

Validator<std::string> SubsetStrategy() {
  return {[](const std::string& v) { return FeaturesPerNode(v, 100, true, 2).status(); },
          "auto, all, onethird, sqrt, log2, n or a fraction"};
}

// The GBDT params the training helpers read, from a tree estimator's.
GbdtCommonParams CommonOf(const TreeCommonParams& t) {
  GbdtCommonParams c;
  c.features_col = t.features_col;
  c.label_col = t.label_col;
  c.weight_col = t.weight_col;
  c.prediction_col = t.prediction_col;
  c.num_iterations = 1;
  c.learning_rate = 1.0;
  c.max_bin = t.max_bins;
  c.seed = t.seed;
  c.num_threads = t.num_threads;
  return c;
}

void Set(XgbParamList* x, const std::string& key, std::string value) {
  for (auto& [k, v] : *x) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  x->emplace_back(key, std::move(value));
}

// XGBoost's random-forest mode for `trees` and (forests) `forest`; `hessian` is the
// objective's constant hessian at the start, so that minInstancesPerNode rows weigh
// minInstancesPerNode x hessian.
Result<XgbParamList> ForestXgbParams(const TreeCommonParams& t, const ForestParams* forest,
                                     int64_t d, bool classification, double hessian,
                                     XgbParamList objective, const ExecContext& ctx,
                                     const std::string& owner) {
  const GbdtCommonParams c = CommonOf(t);
  EMBER_ASSIGN_OR_RETURN(XgbParamList x, XgbParams(c, ctx, owner, std::move(objective), {}));
  const int num_trees = forest ? forest->num_trees : 1;
  int64_t per_node = d;
  double rows = 1.0;
  if (forest) {
    Result<int64_t> m =
        FeaturesPerNode(forest->feature_subset_strategy, d, classification, num_trees);
    if (!m.ok()) {
      return InvalidArgument(
          owner + " param 'featureSubsetStrategy': " + std::string(m.status().message()));
    }
    per_node = *m;
    rows = forest->subsampling_rate * (forest->bootstrap ? kBootstrapShare : 1.0);
  }
  // XGBoost draws floor(fraction x d) features (at least 1): half a feature more keeps the
  // floor at the count.
  const double fraction = per_node >= d ? 1.0 : (static_cast<double>(per_node) + 0.5) / d;
  Set(&x, "grow_policy", "depthwise");
  Set(&x, "max_leaves", "0");
  Set(&x, "max_depth", std::to_string(t.max_depth));
  Set(&x, "num_parallel_tree", std::to_string(num_trees));
  Set(&x, "eta", "1");
  Set(&x, "lambda", "0");
  Set(&x, "alpha", "0");
  Set(&x, "gamma", "0");
  Set(&x, "min_child_weight", XgbNumber(t.min_instances_per_node * hessian));
  Set(&x, "colsample_bytree", "1");
  Set(&x, "colsample_bynode", XgbNumber(fraction));
  Set(&x, "subsample", XgbNumber(rows));
  return x;
}

Result<SchemaPtr> ClassifierSchema(const Schema& in, const TreeCommonParams& t,
                                   const std::string& raw, const std::string& prob,
                                   const std::string& owner) {
  EMBER_RETURN_IF_ERROR(CheckTrainingColumns(in, CommonOf(t), owner));
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, {raw, prob, t.prediction_col}, owner));
  const auto labels = NominalValues(in.field(in.FindField(t.label_col)));
  const int64_t k = labels && labels->size() > 2 ? static_cast<int64_t>(labels->size()) : 2;
  std::vector<Field> fields = in.fields();
  if (!raw.empty()) fields.push_back(MakeField(raw, DenseVectorType(k)));
  if (!prob.empty()) fields.push_back(MakeField(prob, DenseVectorType(k)));
  fields.push_back(MakeField(t.prediction_col, Float64Type()));
  if (labels) SetNominalValues(&fields.back(), *labels);
  return Schema::Make(std::move(fields), in.metadata());
}

Result<SchemaPtr> RegressorSchema(const Schema& in, const TreeCommonParams& t,
                                  const std::string& owner) {
  EMBER_RETURN_IF_ERROR(CheckTrainingColumns(in, CommonOf(t), owner));
  EMBER_RETURN_IF_ERROR(CheckNewColumns(in, {t.prediction_col}, owner));
  return in.AddField(MakeField(t.prediction_col, Float64Type()));
}

// The vote link of a forest of `trees` trees over `k` classes grown as ForestXgbParams
// grows them (binary: logistic from p = 1/2; more classes: softmax from 1/k, whose hessian
// XGBoost doubles).
VoteLink VotesOf(int k, double trees) {
  if (k == 2) return {.prior = 0.5, .hessian = 0.25, .trees = trees};
  const double prior = 1.0 / k;
  return {.prior = prior, .hessian = 2 * prior * (1 - prior), .trees = trees};
}

int64_t FeatureCount(const DataFrame& in, const std::string& col) {
  return in.schema()->field(in.schema()->FindField(col)).type->vector_size();
}

Result<std::shared_ptr<const Transformer>> FitClassifier(
    const DataFrame& in, const ExecContext& ctx, const TreeCommonParams& t,
    const ForestParams* forest, const std::string& raw, const std::string& prob,
    const std::vector<double>& thresholds, const std::string& uid, const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(auto collective, RankCollective::JoinIfNeeded(ctx, owner));
  const GbdtCommonParams c = CommonOf(t);
  EMBER_ASSIGN_OR_RETURN(
      TrainingData data,
      CollectTrainingData(in, c, owner, {.check_label = CheckClassLabel, .borrow_dense = true}));
  EMBER_ASSIGN_OR_RETURN(const int k, CountClasses(in, data, c.label_col));
  EMBER_RETURN_IF_ERROR(CheckThresholds(thresholds, k, owner));
  const int outputs = k > 2 ? k : 1;
  const VoteLink votes = VotesOf(k, forest ? forest->num_trees : 1);
  XgbParamList objective;
  if (k > 2) {
    objective = {
        {"objective", "multi:softprob"}, {"num_class", std::to_string(k)}, {"base_score", "0"}};
  } else {
    objective = {{"objective", "binary:logistic"}, {"base_score", "0.5"}};
  }
  EMBER_ASSIGN_OR_RETURN(
      auto params, ForestXgbParams(t, forest, FeatureCount(in, t.features_col), true, votes.hessian,
                                   std::move(objective), ctx, owner));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(std::move(data), c, params, outputs, ctx, owner));
  RandomForestClassificationModel::Params mp;
  CopyModelParams(c, &mp.model);
  mp.raw_prediction_col = raw;
  mp.probability_col = prob;
  mp.thresholds = thresholds;
  EMBER_ASSIGN_OR_RETURN(auto model,
                         RandomForestClassificationModel::Make(
                             std::move(mp), std::move(booster), k, uid,
                             NominalValues(in.schema()->field(in.schema()->FindField(t.label_col)))
                                 .value_or(std::vector<std::string>{})));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const Transformer>> FitRegressor(const DataFrame& in, const ExecContext& ctx,
                                                        const TreeCommonParams& t,
                                                        const ForestParams* forest,
                                                        const std::string& uid,
                                                        const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(auto collective, RankCollective::JoinIfNeeded(ctx, owner));
  const GbdtCommonParams c = CommonOf(t);
  EMBER_ASSIGN_OR_RETURN(TrainingData data,
                         CollectTrainingData(in, c, owner, {.borrow_dense = true}));
  EMBER_ASSIGN_OR_RETURN(const double mean, WeightedMean(data.train, owner));
  EMBER_ASSIGN_OR_RETURN(
      auto params,
      ForestXgbParams(t, forest, FeatureCount(in, t.features_col), false, 1.0,
                      {{"objective", "reg:squarederror"}, {"base_score", XgbNumber(mean)}}, ctx,
                      owner));
  EMBER_ASSIGN_OR_RETURN(auto booster, Train(std::move(data), c, params, 1, ctx, owner));
  RandomForestRegressionModel::Params mp;
  CopyModelParams(c, &mp.model);
  EMBER_ASSIGN_OR_RETURN(auto model,
                         RandomForestRegressionModel::Make(std::move(mp), std::move(booster), uid));
  return std::shared_ptr<const Transformer>(std::move(model));
}

}  // namespace

// Params --------------------------------------------------------------------------------------

const ParamSpec<TreeCommonParams>& TreeCommonParams::Spec() {
  using C = TreeCommonParams;
  static const ParamSpec<C> spec = std::move(
      ParamSpec<C>("trees")
          .Add("featuresCol", &C::features_col, "The feature vector column (dense or sparse).",
               NonEmpty<std::string>())
          .Add("labelCol", &C::label_col,
               "The label column: class indices 0, 1, ... (classification) or numbers.",
               NonEmpty<std::string>())
          .Add("weightCol", &C::weight_col, "Instance weights (empty: every row weighs 1).")
          .Add("predictionCol", &C::prediction_col, "The prediction column to add.",
               NonEmpty<std::string>())
          .Add("maxDepth", &C::max_depth, "The depth of the trees (1: one split).",
               InRange<int32_t>(1, 30))
          .Add("maxBins", &C::max_bins, "Bins per feature for finding splits (XGBoost's max_bin).",
               AtLeast<int32_t>(2))
          .Add("minInstancesPerNode", &C::min_instances_per_node,
               "Rows (weight) each child of a split must have at least.", AtLeast<int32_t>(1))
          .Add("seed", &C::seed, "The seed of the row and feature sampling.")
          .Add("numThreads", &C::num_threads, "Training threads (0: the engine's).",
               AtLeast<int32_t>(0)));
  return spec;
}

const ParamSpec<ForestParams>& ForestParams::Spec() {
  using C = ForestParams;
  static const ParamSpec<C> spec = std::move(
      ParamSpec<C>("forest")
          .Add("numTrees", &C::num_trees, "Trees in the forest.", InRange<int32_t>(1, 100000))
          .Add("subsamplingRate", &C::subsampling_rate,
               "The share of the rows each tree is grown on.", Fraction())
          .Add("featureSubsetStrategy", &C::feature_subset_strategy,
               "Features drawn at each node: auto (sqrt for classification, onethird for "
               "regression, all for one tree), all, onethird, sqrt, log2, a count \"n\" or a "
               "fraction \"0.x\".",
               SubsetStrategy())
          .Add("bootstrap", &C::bootstrap,
               "Sample rows as a bootstrap would: each tree takes the 63.2% of "
               "subsamplingRate x rows a bootstrap sample holds distinct (XGBoost samples "
               "without replacement)."));
  return spec;
}

const ParamSpec<RandomForestClassifierParams>& RandomForestClassifierParams::Spec() {
  using P = RandomForestClassifierParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("RandomForestClassifier")
                    .AddGroup(&P::trees, TreeCommonParams::Spec())
                    .AddGroup(&P::forest, ForestParams::Spec())
                    .Add("rawPredictionCol", &P::raw_prediction_col,
                         "The class votes (numTrees x probability; empty: left out).")
                    .Add("probabilityCol", &P::probability_col,
                         "The mean class fractions of the trees' leaves (empty: left out).")
                    .Add("impurity", &P::impurity, "The split criterion.", Impurity("gini"))
                    .Add("thresholds", &P::thresholds,
                         "Per-class thresholds: the prediction maximises probability / threshold.",
                         Each(AtLeast(0.0))));
  return spec;
}

const ParamSpec<RandomForestRegressorParams>& RandomForestRegressorParams::Spec() {
  using P = RandomForestRegressorParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("RandomForestRegressor")
                    .AddGroup(&P::trees, TreeCommonParams::Spec())
                    .AddGroup(&P::forest, ForestParams::Spec())
                    .Add("impurity", &P::impurity, "The split criterion.", Impurity("variance")));
  return spec;
}

const ParamSpec<DecisionTreeClassifierParams>& DecisionTreeClassifierParams::Spec() {
  using P = DecisionTreeClassifierParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("DecisionTreeClassifier")
                    .AddGroup(&P::trees, TreeCommonParams::Spec())
                    .Add("rawPredictionCol", &P::raw_prediction_col,
                         "The leaf's class fractions (empty: left out).")
                    .Add("probabilityCol", &P::probability_col,
                         "The leaf's class fractions (empty: left out).")
                    .Add("impurity", &P::impurity, "The split criterion.", Impurity("gini"))
                    .Add("thresholds", &P::thresholds,
                         "Per-class thresholds: the prediction maximises probability / threshold.",
                         Each(AtLeast(0.0))));
  return spec;
}

const ParamSpec<DecisionTreeRegressorParams>& DecisionTreeRegressorParams::Spec() {
  using P = DecisionTreeRegressorParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("DecisionTreeRegressor")
                    .AddGroup(&P::trees, TreeCommonParams::Spec())
                    .Add("impurity", &P::impurity, "The split criterion.", Impurity("variance")));
  return spec;
}

const ParamSpec<RandomForestClassificationModelParams>&
RandomForestClassificationModelParams::Spec() {
  using P = RandomForestClassificationModelParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("RandomForestClassificationModel")
                    .AddGroup(&P::model, GbdtModelParams::Spec())
                    .Add("rawPredictionCol", &P::raw_prediction_col,
                         "The class votes (trees x probability; empty: left out).")
                    .Add("probabilityCol", &P::probability_col,
                         "The mean class fractions of the trees' leaves (empty: left out).")
                    .Add("thresholds", &P::thresholds,
                         "Per-class thresholds: the prediction maximises probability / threshold.",
                         Each(AtLeast(0.0))));
  return spec;
}

const ParamSpec<RandomForestRegressionModelParams>& RandomForestRegressionModelParams::Spec() {
  using P = RandomForestRegressionModelParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("RandomForestRegressionModel").AddGroup(&P::model, GbdtModelParams::Spec()));
  return spec;
}

// Estimators ----------------------------------------------------------------------------------

Result<SchemaPtr> RandomForestClassifier::TransformSchema(const Schema& in) const {
  return ClassifierSchema(in, params_.trees, params_.raw_prediction_col, params_.probability_col,
                          Describe());
}

Result<std::shared_ptr<const Transformer>> RandomForestClassifier::Fit(
    const DataFrame& in, const ExecContext& ctx) const {
  return FitClassifier(in, ctx, params_.trees, &params_.forest, params_.raw_prediction_col,
                       params_.probability_col, params_.thresholds, uid(), Describe());
}

Result<SchemaPtr> DecisionTreeClassifier::TransformSchema(const Schema& in) const {
  return ClassifierSchema(in, params_.trees, params_.raw_prediction_col, params_.probability_col,
                          Describe());
}

Result<std::shared_ptr<const Transformer>> DecisionTreeClassifier::Fit(
    const DataFrame& in, const ExecContext& ctx) const {
  return FitClassifier(in, ctx, params_.trees, nullptr, params_.raw_prediction_col,
                       params_.probability_col, params_.thresholds, uid(), Describe());
}

Result<SchemaPtr> RandomForestRegressor::TransformSchema(const Schema& in) const {
  return RegressorSchema(in, params_.trees, Describe());
}

Result<std::shared_ptr<const Transformer>> RandomForestRegressor::Fit(
    const DataFrame& in, const ExecContext& ctx) const {
  return FitRegressor(in, ctx, params_.trees, &params_.forest, uid(), Describe());
}

Result<SchemaPtr> DecisionTreeRegressor::TransformSchema(const Schema& in) const {
  return RegressorSchema(in, params_.trees, Describe());
}

Result<std::shared_ptr<const Transformer>> DecisionTreeRegressor::Fit(
    const DataFrame& in, const ExecContext& ctx) const {
  return FitRegressor(in, ctx, params_.trees, nullptr, uid(), Describe());
}

// Models ----------------------------------------------------------------------------------------

RandomForestClassificationModel::RandomForestClassificationModel(
    Params p, std::shared_ptr<const GbdtBooster> b, int k, std::string uid,
    std::vector<std::string> labels)
    : StageBase(std::move(p), std::move(uid)),
      booster_(std::move(b)),
      num_classes_(k),
      labels_(std::move(labels)) {
  const int outputs = k > 2 ? k : 1;
  votes_ =
      VotesOf(k, static_cast<double>(booster_->num_trees()) / outputs);  // a tree per class each
  outputs_.model = params_.model;
  outputs_.raw_prediction_col = params_.raw_prediction_col;
  outputs_.probability_col = params_.probability_col;
  outputs_.thresholds = params_.thresholds;
}

Result<std::shared_ptr<const RandomForestClassificationModel>>
RandomForestClassificationModel::Make(Params p, std::shared_ptr<const GbdtBooster> booster,
                                      int num_classes, std::string uid,
                                      std::vector<std::string> labels) {
  const std::string owner(kTypeName);
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument(owner + ": no booster");
  const int outputs = num_classes > 2 ? num_classes : 1;
  if (num_classes < 2 || booster->num_outputs() != outputs || booster->rounds() != 1) {
    return InvalidArgument(owner + ": the booster has " + std::to_string(booster->num_outputs()) +
                           " outputs over " + std::to_string(booster->rounds()) +
                           " rounds; a forest of " + std::to_string(num_classes) + " classes has " +
                           std::to_string(outputs) + " over one round");
  }
  EMBER_RETURN_IF_ERROR(CheckThresholds(p.thresholds, num_classes, owner));
  return std::shared_ptr<const RandomForestClassificationModel>(new RandomForestClassificationModel(
      std::move(p), std::move(booster), num_classes, std::move(uid), std::move(labels)));
}

Status RandomForestClassificationModel::SaveContents(const std::string& dir) const {
  return SaveBooster(ClassificationState(std::string(kTypeName)), *booster_, num_classes_, dir,
                     labels_);
}

Result<std::shared_ptr<const RandomForestClassificationModel>>
RandomForestClassificationModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  int k = 0;
  std::vector<std::string> labels;
  EMBER_ASSIGN_OR_RETURN(
      auto booster, LoadBooster(ClassificationState(std::string(kTypeName)), ctx, &k, &labels));
  return Make(std::move(p), std::move(booster), k, ctx.uid, std::move(labels));
}

Result<std::unique_ptr<BoundTransform>> RandomForestClassificationModel::Bind(
    const Schema& in) const {
  return BindClassification(in, outputs_, booster_, num_classes_, labels_, votes_,
                            std::string(kTypeName));
}

Result<RowLowering> RandomForestClassificationModel::Lower(const Schema&) const {
  return ClassificationLowering(outputs_, *booster_, num_classes_, &votes_, std::string(kTypeName));
}

Result<std::shared_ptr<const RandomForestRegressionModel>> RandomForestRegressionModel::Make(
    Params p, std::shared_ptr<const GbdtBooster> booster, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!booster) return InvalidArgument("RandomForestRegressionModel: no booster");
  if (booster->num_outputs() != 1 || booster->objective() != "reg:squarederror") {
    return InvalidArgument("RandomForestRegressionModel: the booster has " +
                           std::to_string(booster->num_outputs()) + " outputs and objective " +
                           booster->objective() +
                           "; a forest regressor has one output of reg:squarederror");
  }
  return std::shared_ptr<const RandomForestRegressionModel>(
      new RandomForestRegressionModel(std::move(p), std::move(booster), std::move(uid)));
}

Status RandomForestRegressionModel::SaveContents(const std::string& dir) const {
  return SaveBooster(RegressionState(std::string(kTypeName)), *booster_, 0, dir);
}

Result<std::shared_ptr<const RandomForestRegressionModel>> RandomForestRegressionModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(auto booster, LoadBooster(RegressionState(std::string(kTypeName)), ctx));
  return Make(std::move(p), std::move(booster), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> RandomForestRegressionModel::Bind(const Schema& in) const {
  return BindScores(in, params_.model, booster_, std::string(kTypeName));
}

Result<RowLowering> RandomForestRegressionModel::Lower(const Schema&) const {
  return ScoresLowering(params_.model, *booster_, std::string(kTypeName));
}

const GbdtBooster* BoosterOf(const Transformer& model) {
  if (const auto* c = dynamic_cast<const GBDTClassificationModel*>(&model)) return &c->booster();
  if (const auto* r = dynamic_cast<const GBDTRegressionModel*>(&model)) return &r->booster();
  if (const auto* k = dynamic_cast<const GBDTRankerModel*>(&model)) return &k->booster();
  if (const auto* f = dynamic_cast<const RandomForestClassificationModel*>(&model))
    return &f->booster();
  if (const auto* g = dynamic_cast<const RandomForestRegressionModel*>(&model))
    return &g->booster();
  return nullptr;
}

Status RegisterForestStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<RandomForestClassifier>(
      r, "A random forest for classification (Spark's params; XGBoost's random-forest mode)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<RandomForestClassificationModel>(
      r, "A fitted RandomForestClassifier or DecisionTreeClassifier."));
  EMBER_RETURN_IF_ERROR(RegisterStage<RandomForestRegressor>(
      r, "A random forest for regression (Spark's params; XGBoost's random-forest mode)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<RandomForestRegressionModel>(
      r, "A fitted RandomForestRegressor or DecisionTreeRegressor."));
  EMBER_RETURN_IF_ERROR(
      RegisterStage<DecisionTreeClassifier>(r, "One decision tree for classification."));
  return RegisterStage<DecisionTreeRegressor>(r, "One decision tree for regression.");
}

}  // namespace ember
