// What every explainer shares (SynapseML's LIMEBase / KernelSHAPBase params, C/explainers):
//   model             the fitted pipeline to explain: in a spec, the directory it was saved to;
//                     saved inside the explainer's own directory (model/), so a saved
//                     explainer is self-contained.
//   targetCol         the model output explained: a number, a vector or a list of numbers
//                     (default "probability").
//   targetClasses     the elements of a vector or list target to explain, one explanation
//                     each; empty: every element (a number target has one).
//   targetClassesCol  a column of per-row class lists (list<int>), overriding targetClasses.
//   outputCol         one explanation per class (a list, in class order).
//   metricsCol        the R^2 of each class's surrogate regression (list<float64>).
//   errorCol          why a row could not be explained (its outputs are then null); the other
//                     rows are explained.
//   numSamples        perturbed samples per row; 0: the method's default.
//   seed              every row's samples come from a generator seeded by this and a hash of
//                     the row's own explained values, so an explanation does not depend on
//                     partitioning, thread count or rank count.
// Samples are scored through the model's bound kernel in blocks of about 4,096 rows: never a
// model call per sample.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "ember/core/batch.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {
class PipelineModel;
}  // namespace ember

namespace ember::explain {

// The explainers' param validators: a number above 0 (weights, widths), and a chance
// strictly between 0 and 1 (sampling fractions).
Validator<double> Positive();
Validator<double> OpenFraction();

struct ExplainParams {
  std::string model;
  std::string target_col = "probability";
  std::vector<int32_t> target_classes;
  std::string target_classes_col;
  std::string output_col = "explanation";
  std::string metrics_col = "r2";
  std::string error_col = "explanationError";
  int32_t num_samples = 0;
  int64_t seed = 0;
  static const ParamSpec<ExplainParams>& Spec();
};

// LIME's surrogate: a weighted Lasso on samples weighted by their distance to the row.
struct LimeParams {
  double regularization = 0.0;  // the Lasso's alpha; 0: weighted least squares
  double kernel_width = 0.75;   // weight = sqrt(exp(-(distance / kernelWidth)^2))
  static const ParamSpec<LimeParams>& Spec();
};

// The model bound to the explainer's input, and how its target is read.
class ModelScorer {
 public:
  // Binds `model` to `in` and finds the target column in its output; errors name `who`.
  static Result<std::unique_ptr<ModelScorer>> Bind(std::shared_ptr<const Transformer> model,
                                                   const Schema& in, const ExplainParams& p,
                                                   const std::string& who);
  bool blocking() const { return bound_->blocking(); }

  // Scores `rows` (of the schema bound) and appends, for each group of `group` consecutive
  // rows, the mean over the group of each class's target value (classes.size() values per
  // group) to `out`. A null or missing target is an error naming the class.
  Status Score(const Batch& rows, int64_t group, std::span<const int> classes,
               KernelScratch& scratch, std::vector<double>* out) const;
  // The classes to explain for row `r` of `in`: targetClassesCol's list, else targetClasses,
  // else every element of the row's own target (the row is scored alone); each checked
  // against the length of the row's target.
  Result<std::vector<int>> Classes(const Batch& in, int64_t r, KernelScratch& scratch) const;

 private:
  ModelScorer() = default;
  // The input's columns the target needs (RequiredColumns), and them alone.
  Batch Needed(const Batch& rows) const;

  std::shared_ptr<const PipelineModel> pipeline_;  // the model, bound for its target alone
  std::vector<int> required_;
  SchemaPtr needed_schema_;
  std::unique_ptr<BoundTransform> bound_;
  int target_ = -1;
  TypeId target_type_ = TypeId::kFloat64;
  int classes_col_ = -1;
  std::vector<int> fixed_classes_;
  std::string who_;
  std::string target_name_;
};

// The columns of `in` (indices) the model cannot make `target` without: those whose absence
// makes binding the stages that lead to it fail. A label that only training read is not one.
std::vector<int> RequiredColumns(const PipelineModel& model, const Schema& in,
                                 const std::string& target);

// One row's explanation: a vector per class and the R^2 of each class's fit.
struct RowExplanation {
  std::vector<std::vector<double>> per_class;
  std::vector<double> r2;
  // What the features were, for explainers that make them: the text's tokens, or each
  // pixel's superpixel (row-major).
  std::vector<std::string> tokens;
  std::vector<int32_t> superpixels;
};

// The column of a row's features, for explainers that make them (text: tokensCol,
// list<string>; images: superpixelCol, list<int32>).
struct PartsColumn {
  std::string name;  // empty: none
  TypePtr type;
};

// Builds the model-input rows of samples [from, to) of one row.
using SampleRows = std::function<Result<Batch>(int64_t from, int64_t to)>;

// Scores `count` samples built by `build`, `group` rows each (averaged), in blocks of about
// 4,096 rows; returns count x classes values, sample-major.
Result<std::vector<double>> ScoreSamples(const ModelScorer& scorer, KernelScratch& scratch,
                                         int64_t count, int64_t group, const SampleRows& build,
                                         std::span<const int> classes);

// InvalidArgument naming numSamples when it is set (> 0) below Kernel SHAP's minimum for m
// features (m + 2).
Status CheckShapSamples(int64_t num_samples, int m);

// Kernel SHAP of one row over m features: coalitions from `rng` (the budget clamped to
// [m + 2, 2^m]), each scored by `build` (a mask per sample: 1 = the row's value), and the
// regression per class. Each vector is [base, phi_1 .. phi_m].
Result<RowExplanation> ExplainShap(
    const ModelScorer& scorer, KernelScratch& scratch, int m, int64_t num_samples,
    double inf_weight, int64_t group, std::mt19937_64& rng,
    const std::function<Result<Batch>(const uint8_t* masks, int64_t count)>& build,
    std::span<const int> classes);

// LIME's fit of one row: `states` (count x m, the regression's inputs) with their
// distances to the row, the samples scored by `build`; one coefficient vector per class.
Result<RowExplanation> FitLime(const ModelScorer& scorer, KernelScratch& scratch,
                               const LimeParams& lime, int m, int64_t count,
                               const std::vector<double>& states,
                               const std::vector<double>& distances, const SampleRows& build,
                               std::span<const int> classes);

// LIME's on/off samples of m features (text tokens, superpixels): sample 0 all on, the others
// on with probability `on`; states (count x m) are the masks, the distance of a sample is
// |1 - mask| / sqrt(m).
void LimeMasks(int m, int64_t count, double on, std::mt19937_64& rng, std::vector<double>* states,
               std::vector<double>* distances);

// Row `r` of `in` repeated `n` times, column by column; column `skip` (when >= 0) is left
// empty for the caller to fill with the samples' own values.
Result<std::vector<ColumnPtr>> RepeatRow(const Batch& in, int64_t r, int64_t n, int skip = -1);

// The generator of row `r`: the seed mixed with a hash of `columns`' values in that row.
std::mt19937_64 RowGenerator(int64_t seed, const Batch& in, int64_t r,
                             std::span<const int> columns);

// A kernel that explains each row of its input with `explain_row`, adding outputCol
// (list<vector[width]>, or list<list<float64>> when width is 0: sizes vary by row),
// metricsCol and errorCol (and `parts` before them when named). A row whose explanation
// fails gets nulls and the reason.
using ExplainRowFn = std::function<Result<RowExplanation>(
    const Batch& in, int64_t r, const ModelScorer& scorer, KernelScratch& scratch)>;
Result<std::unique_ptr<BoundTransform>> MakeExplainKernel(
    const Schema& in, const ExplainParams& p, int width, std::unique_ptr<ModelScorer> scorer,
    ExplainRowFn explain_row, const std::string& who, PartsColumn parts = {});

// The model of a spec (p.model: a saved directory) or of a saved explainer (dir/model).
Result<std::shared_ptr<const Transformer>> LoadExplainedModel(const LoadContext& ctx,
                                                              const std::string& model_path,
                                                              const std::string& who);
// Saves the model into stage_dir/model.
Status SaveExplainedModel(const Transformer& model, const std::string& stage_dir);

// A table param (backgroundData): read from `path` in a spec, from dir/data/<name>.jsonl
// (with its schema) in a saved explainer; collected into one batch. Errors name `who`.
Result<Batch> LoadTableParam(const LoadContext& ctx, const std::string& path,
                             const std::string& name, const std::string& who);
Status SaveTableParam(const Batch& table, const std::string& stage_dir, const std::string& name);

// The scaffolding of an explainer that holds a model (and, for the tabular and vector ones,
// a background table): Make from objects, MakeOrLoad from a spec or a saved directory, and
// saving both inside the explainer's directory. Self declares `Status Check() const` (run
// once model and background are set) and `static constexpr bool kBackground`.
template <typename Self, typename P>
class ModelExplainer : public StageBase<Self, Transformer, P> {
 public:
  static Result<std::shared_ptr<const Self>> Make(P p, std::shared_ptr<const Transformer> model,
                                                  std::optional<Batch> background = {},
                                                  std::string uid = {}) {
    EMBER_RETURN_IF_ERROR(P::Spec().Validate(p));
    const std::string who(Self::kTypeName);
    if (model == nullptr) return InvalidArgument(who + ": param 'model': no model");
    if constexpr (Self::kBackground) {
      if (!background) return InvalidArgument(who + ": param 'backgroundData' is required");
      if (background->num_rows() == 0) {
        return InvalidArgument(who + ": param 'backgroundData' has no rows");
      }
    }
    std::shared_ptr<Self> self(new Self(std::move(p), std::move(uid)));
    self->model_ = std::move(model);
    self->background_ = std::move(background);
    EMBER_RETURN_IF_ERROR(self->Check());
    return std::shared_ptr<const Self>(std::move(self));
  }
  static Result<std::shared_ptr<const Self>> MakeOrLoad(const LoadContext& ctx) {
    const std::string who(Self::kTypeName);
    EMBER_ASSIGN_OR_RETURN(P p, P::Spec().FromJson(ctx.params));
    EMBER_RETURN_IF_ERROR(P::Spec().Validate(p));
    EMBER_ASSIGN_OR_RETURN(auto model, LoadExplainedModel(ctx, p.explain.model, who));
    std::optional<Batch> background;
    if constexpr (Self::kBackground) {
      EMBER_ASSIGN_OR_RETURN(background,
                             LoadTableParam(ctx, p.background_data, "backgroundData", who));
    }
    return Make(std::move(p), std::move(model), std::move(background), ctx.uid);
  }
  Status SaveContents(const std::string& stage_dir) const override {
    EMBER_RETURN_IF_ERROR(SaveExplainedModel(*model_, stage_dir));
    if (background_) return SaveTableParam(*background_, stage_dir, "backgroundData");
    return Status::OK();
  }
  const Transformer& model() const { return *model_; }

 protected:
  using StageBase<Self, Transformer, P>::StageBase;
  std::shared_ptr<const Transformer> model_;
  std::optional<Batch> background_;
};

}  // namespace ember::explain
