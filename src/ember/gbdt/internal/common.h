// What the GBDT stages share: params helpers (params.cc), collecting training data and
// boosting (training.cc), and scoring (models.cc). Only gbdt/ includes this.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/gbdt/gbdt.h"
#include "ember/gbdt/rabit_tracker.h"
#include "ember/gbdt/xgboost_api.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/row_lowering.h"

namespace ember::gbdt::internal {

using XgbParamList = std::vector<std::pair<std::string, std::string>>;

// Params ------------------------------------------------------------------------------------

// The XGBoost params for `p`: the common ones, then `objective` (the kind's own), then
// evaluation metrics (`metrics`, XGBoost's names), then passThroughArgs, which win.
Result<XgbParamList> XgbParams(const GbdtCommonParams& p, const ExecContext& ctx,
                               const std::string& owner, XgbParamList objective,
                               const std::vector<std::string>& metrics);

// XGBoost's names for the closed sets (params.cc holds the one table), and LightGBM's
// name of an objective (for messages). XgbMetric of kDefault is "".
const char* XgbMetric(GbdtMetric m);
const char* XgbObjective(GbdtClassifierObjective o);
const char* XgbObjective(GbdtRegressorObjective o);
const char* XgbObjective(GbdtRankerObjective o);
const char* ObjectiveName(GbdtClassifierObjective o);
const char* ObjectiveName(GbdtRegressorObjective o);
const char* ObjectiveName(GbdtRankerObjective o);

// A param validator: a share in (0, 1].
Validator<double> Fraction();

// A number as XGBoost reads it from a param string, with every digit a double has.
std::string XgbNumber(double v);

// The model params every estimator hands to its model.
void CopyModelParams(const GbdtCommonParams& from, GbdtModelParams* to);

// Ranks -------------------------------------------------------------------------------------

// XGBoost's collective over the ranks of ctx.comm for the length of one fit: rank 0 starts
// a RabitTracker, its workers' configs travel over the communicator, every rank joins as
// the worker of its own rank; the destructor leaves (and rank 0 waits for its tracker).
// The tracker listens on 127.0.0.1 when all ranks share a host, else on the address of
// rank 0's host name (EMBER_TRACKER_HOST overrides it). Null when there is nothing to join:
// one rank, or the caller already joined a collective of the ranks' size.
class RankCollective {
 public:
  static Result<std::unique_ptr<RankCollective>> JoinIfNeeded(const ExecContext& ctx,
                                                              const std::string& owner);
  ~RankCollective();

 private:
  std::unique_ptr<gbdt::RabitTracker> tracker_;  // on rank 0
};

// Training ----------------------------------------------------------------------------------

// Rows as XGBoost takes them: dense row-major floats (NaN missing) or CSR (absent entries
// missing).
struct Rows {
  int64_t rows = 0;
  int64_t features = 0;
  bool sparse = false;
  std::vector<float> dense;
  std::vector<size_t> indptr = {0};
  std::vector<uint32_t> indices;
  std::vector<float> values;
  std::vector<float> labels;
  std::vector<float> weights;       // empty: unweighted
  std::vector<float> init_scores;   // empty, or rows x init_score_width
  std::vector<std::string> groups;  // the ranker's group of each row (empty otherwise)
  // Instead of `dense`: the frame's own row-major doubles, one span per partition (the
  // frame must outlive training). XGBoost then bins them batch by batch, with no copy.
  std::vector<std::pair<const double*, int64_t>> borrowed;
};

// The training rows and the validation rows (validationIndicatorCol true).
struct TrainingData {
  Rows train, valid;
  int init_score_width = 0;
  // XGBoost's type of each feature ("q" numeric, "c" categorical); empty when all numeric.
  std::vector<std::string> feature_types;
};

// Checks one label; the message of an error is prefixed with the column and row.
using LabelCheck = std::function<Status(double label)>;

struct CollectOptions {
  std::string group_col;  // the ranker's group column (empty otherwise)
  LabelCheck check_label;
  // Dense features of a frame without validation rows or groups are borrowed, not copied
  // (for training from the histogram bins alone; not with a custom objective, which needs
  // predictions on the training matrix).
  bool borrow_dense = false;
};

// Collects every partition's rows. Errors name `owner`, the column and the row (counted
// over the whole frame).
Result<TrainingData> CollectTrainingData(const DataFrame& in, const GbdtCommonParams& p,
                                         const std::string& owner,
                                         const CollectOptions& options = {});

// TransformSchema's checks for the training columns.
Status CheckTrainingColumns(const Schema& in, const GbdtCommonParams& p, const std::string& owner,
                            const std::string& group_col = "");

// Reorders `rows` so that each group's rows are contiguous (groups in order of first
// appearance, rows in order within a group).
void GroupRows(Rows* rows);

// Boosts `p.num_iterations` rounds (from `custom`'s gradients when set), with early
// stopping on the validation rows when `p.early_stopping_round` > 0. `outputs`: margins per
// row (1, or the class count). Takes the data to free its feature copies once XGBoost has
// its matrices.
Result<std::shared_ptr<const GbdtBooster>> Train(TrainingData data, const GbdtCommonParams& p,
                                                 const XgbParamList& params, int outputs,
                                                 const ExecContext& ctx, const std::string& owner,
                                                 const GbdtObjective& custom = {});

// The weighted mean of the training labels over every worker of XGBoost's collective (this
// process's alone outside one); errors when the weights sum to 0.
Result<double> WeightedMean(const Rows& rows, const std::string& owner);
// The q-quantile of the training labels (unweighted) over every worker, as a float.
Result<double> LabelQuantile(const Rows& rows, double q);

// Scoring -----------------------------------------------------------------------------------

// The schema `in` plus the optional leaf and SHAP columns of `p` (checked not to exist).
Result<SchemaPtr> AddExtraOutputs(const Schema& in, const GbdtModelParams& p,
                                  const GbdtBooster& booster, const std::string& owner);

// Appends the leaf and SHAP columns of `p` for a batch's feature column (when named).
Status AppendExtraOutputs(const GbdtModelParams& p, const GbdtBooster& booster,
                          const Column& features, int64_t n, std::vector<ColumnPtr>* cols);

// Margins (rows x outputs) for a batch's feature column; rows whose features are null are
// scored on zeros (their outputs are null).
Result<std::vector<float>> Margins(const GbdtBooster& booster, const Column& features, int64_t n);

// The features column of `in`, checked to be a vector of the booster's width.
Result<int> FeaturesIndex(const Schema& in, const std::string& col, int64_t d,
                          const std::string& owner);

// An error naming the first of `cols` (non-empty names) that `in` already has.
Status CheckNewColumns(const Schema& in, const std::vector<std::string>& cols,
                       const std::string& owner);

// A model's learned state (pipeline/learned_state.h): XGBoost's own model bytes as a blob
// (data/model.ubj, loadable by any XGBoost 1.7+) and, for classification, the class count
// and the label's nominal values. ClassificationState(name) is the state of a classifier
// model type; RegressionState(name) of any other.
struct BoosterState {
  int32_t num_classes = 0;
  std::vector<std::string> labels;
  std::string format = "ubj";
  std::string xgboost_version;
  std::string bytes;
};
StateSpec<BoosterState> ClassificationState(const std::string& type_name);
StateSpec<BoosterState> RegressionState(const std::string& type_name);
Status SaveBooster(const StateSpec<BoosterState>& spec, const GbdtBooster& b, int num_classes,
                   const std::string& dir, std::vector<std::string> labels = {});
// The booster of the model being loaded, and its class count and labels (classification).
Result<std::shared_ptr<const GbdtBooster>> LoadBooster(const StateSpec<BoosterState>& spec,
                                                       const LoadContext& ctx,
                                                       int* num_classes = nullptr,
                                                       std::vector<std::string>* labels = nullptr);

// A classifier model's kernel and row lowering: the outputs of GBDTClassificationModel's
// params from the booster's margins, logistic (boosted trees) or a forest's votes (`votes`
// not null). Errors name `owner`.
Status CheckThresholds(const std::vector<double>& t, int k, const std::string& owner);
Result<std::unique_ptr<BoundTransform>> BindClassification(
    const Schema& in, const GBDTClassificationModelParams& params,
    std::shared_ptr<const GbdtBooster> booster, int k, const std::vector<std::string>& labels,
    std::optional<VoteLink> votes, const std::string& owner);
Result<RowLowering> ClassificationLowering(const GBDTClassificationModelParams& params,
                                           const GbdtBooster& booster, int k, const VoteLink* votes,
                                           const std::string& owner);
// A regressor or ranker's: the prediction is the margin through the objective's link.
Result<std::unique_ptr<BoundTransform>> BindScores(const Schema& in, const GbdtModelParams& params,
                                                   std::shared_ptr<const GbdtBooster> booster,
                                                   const std::string& owner);
Result<RowLowering> ScoresLowering(const GbdtModelParams& params, const GbdtBooster& booster,
                                   const std::string& owner);

// Training helpers the estimators share (gbdt.cc).
// Classes are numbered 0, 1, 2, ... as SparkML's indexers make them.
Status CheckClassLabel(double y);
// The class count: from the label's nominal attribute or the largest label, at least 2.
// Over every worker of XGBoost's collective.
Result<int> CountClasses(const DataFrame& in, const TrainingData& data,
                         const std::string& label_col);

}  // namespace ember::gbdt::internal
