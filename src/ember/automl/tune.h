// Model selection, as SynapseML's and SparkML's: TuneHyperparameters (grid or random search
// over several models' param spaces, scored by k-fold cross-validation), TrainValidationSplit
// (the same with one held-out split) and FindBestModel (best_model.h). Each trial fits a
// model spec with one setting of its hyperparameters on the training rows of every fold and
// scores the held-out rows; the setting with the best mean metric is refitted on every row.
//
// Folds are a function of the seed and each row's global position (its rank's offset plus
// its index there): FoldOf below, so the folds, and with converged fits the trials' metrics,
// are the same on 1 and N ranks and for any partitioning. On one rank the trials run
// `parallelism` at a time, each fit on one thread (fits scale better side by side than
// inside); on several ranks they run one after another, every fit over all ranks.
// Immutable and thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ember/automl/evaluate.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

// The values one hyperparameter takes: a list (grid or random search), or a range (random
// search only), written in JSON as [v1, v2, ...] or {"min": a, "max": b, "scale":
// "linear"|"log", "type": "double"|"int"}.
struct Hyperparam {
  // Where the param sits in the model spec: a param of the spec's stage ("regParam"), of a
  // nested stage spec ("model.regParam": TrainClassifier's model), or of a pipeline's stage
  // ("stages.2.maxDepth": stages count from 1, as in error messages).
  std::string path;
  std::vector<Json> values;  // a list; empty for a range
  double min = 0, max = 0;
  bool log_scale = false;
  bool integer = false;
  // From the JSON of one paramSpace entry; errors name the path.
  static Result<Hyperparam> FromJson(std::string path, const Json& j);
};

// One model and the hyperparameters searched for it.
struct ModelSpace {
  Json model;  // an estimator spec {"type": ..., "params": {...}}
  std::vector<Hyperparam> params;
  std::string name;  // how trials name the model (empty: the type of the stage tuned)
};

enum class SearchKind { kGrid, kRandom };

struct TuneOptions {
  std::vector<ModelSpace> models;
  SearchKind search = SearchKind::kGrid;
  int32_t num_runs = 10;     // random search: settings drawn per model
  int32_t num_folds = 3;     // k-fold cross-validation (>= 2) ...
  double train_ratio = 0.0;  // ... or, when > 0, one split: this share of rows trains
  std::string label_col = "label";
  std::string metric = "auto";  // evaluate.h's names; auto: accuracy or r2
  int32_t parallelism = 0;      // trials at once on one rank; 0: the pool's threads
  int64_t seed = 0;
};

// One setting of one model, scored on every fold.
struct Trial {
  int32_t model = 0;       // index into TuneOptions::models
  std::string model_type;  // the spec's type, or the type of the stage it tunes
  Json setting;            // {path: value} of this trial
  std::vector<double> fold_metrics;
  double mean = 0;                  // mean of fold_metrics (NaN when a fold failed)
  double stddev = 0;                // their standard deviation
  std::string error;                // why a fold failed; the trial is then never chosen
  int32_t folds_not_converged = 0;  // folds whose fit warned that it did not converge
  double seconds = 0;               // fit and evaluation time, over the folds
  // "LogisticRegression regParam=0.01 elasticNetParam=0" (each path's last name).
  std::string Describe() const;
};

struct TuneResult {
  SelectionMetric metric;
  std::vector<Trial> trials;
  int32_t best = -1;                              // index into trials
  std::shared_ptr<const Transformer> best_model;  // the best trial refitted on every row
};

// Called as each trial finishes (calls do not overlap), with the number of trials done and
// their total.
using TrialCallback = std::function<void(const Trial&, int done, int total)>;

// One trial to run: a model's spec with one setting applied, built.
struct TrialPlan {
  int32_t model = 0;
  std::string model_type;
  Json setting;
  std::shared_ptr<const Estimator> estimator;
};
// Every setting of every model, built: a value a param refuses, a path that leads nowhere or a
// spec that is not an estimator is an error naming the model, the path and the value.
Result<std::vector<TrialPlan>> PlanTrials(const TuneOptions& options,
                                          const StageRegistry& registry);
// Runs the planned trials on `data` and refits the best on every row. An error when no trial
// succeeds (the first trial's error).
Result<TuneResult> RunTrials(const std::vector<TrialPlan>& plans, const TuneOptions& options,
                             const DataFrame& data, const ExecContext& ctx,
                             const TrialCallback& on_trial = {});
// PlanTrials, then RunTrials.
Result<TuneResult> Tune(const TuneOptions& options, const DataFrame& data,
                        const StageRegistry& registry, const ExecContext& ctx,
                        const TrialCallback& on_trial = {});

// The settings a search tries for one model, each {path: value}, in order: the grid's
// cartesian product (the last path varying fastest), or num_runs random draws.
Result<std::vector<Json>> Settings(const ModelSpace& space, SearchKind search, int32_t num_runs,
                                   uint64_t seed);
// `spec` with `setting` applied; errors name the path.
Result<Json> ApplySetting(const Json& spec, const Json& setting);

// The fold, 0..k-1, of the row at global index `row`: splitmix64(splitmix64(seed) + row)
// mod k (so a script can reproduce the folds).
int32_t FoldOf(uint64_t seed, int64_t row, int32_t k);
// Whether that row trains in a train/validation split with `train_ratio`: the top 53 bits
// of the same hash, as a fraction, below the ratio.
bool TrainsInSplit(uint64_t seed, int64_t row, double train_ratio);

// The stages' params: TuneOptions as JSON, SynapseML's names.
struct ModelSearchParams {
  Json models = Json::MakeArray();       // estimator specs
  Json param_space = Json::MakeArray();  // one object per model: {path: values or range}
  SearchKind search = SearchKind::kGrid;
  int32_t num_runs = 10;
  int32_t num_folds = 3;
  double train_ratio = 0.75;
  std::string evaluation_metric = "auto";
  std::string label_col = "label";
  int32_t parallelism = 0;
  int64_t seed = 0;
};
struct TuneHyperparametersParams : ModelSearchParams {
  static constexpr std::string_view kStageName = "TuneHyperparameters";
  static constexpr std::string_view kModelName = "TuneHyperparametersModel";
  static constexpr bool kOneSplit = false;  // numFolds folds
  static const ParamSpec<TuneHyperparametersParams>& Spec();
};
struct TrainValidationSplitParams : ModelSearchParams {
  static constexpr std::string_view kStageName = "TrainValidationSplit";
  static constexpr std::string_view kModelName = "TrainValidationSplitModel";
  static constexpr bool kOneSplit = true;  // trainRatio
  static const ParamSpec<TrainValidationSplitParams>& Spec();
};

// The estimators, TuneHyperparameters and TrainValidationSplit (P names them). Make plans
// every trial (so bad settings fail when the stage is made); Fit runs them and returns a
// SelectedModel (selected_model.h): the refitted best model, which it transforms as, and the
// trials.
template <typename P>
class ModelSearch final : public StageBase<ModelSearch<P>, Estimator, P> {
 public:
  static constexpr std::string_view kTypeName = P::kStageName;
  static Result<std::shared_ptr<const ModelSearch>> Make(P params, const StageRegistry& registry,
                                                         std::string uid = {});
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  ModelSearch(P p, TuneOptions o, std::vector<TrialPlan> plans, std::string uid)
      : StageBase<ModelSearch<P>, Estimator, P>(std::move(p), std::move(uid)),
        options_(std::move(o)),
        plans_(std::move(plans)) {}
  TuneOptions options_;
  std::vector<TrialPlan> plans_;
};
using TuneHyperparameters = ModelSearch<TuneHyperparametersParams>;
using TrainValidationSplit = ModelSearch<TrainValidationSplitParams>;
extern template class ModelSearch<TuneHyperparametersParams>;
extern template class ModelSearch<TrainValidationSplitParams>;

// The trials as a table, one row per trial: model, type, setting (JSON), the mean and
// standard deviation of the metric, its value per fold, seconds, error.
Result<Batch> TrialsTable(const TuneResult& result);

Status RegisterTuneStages(StageRegistry* registry);

}  // namespace ember
