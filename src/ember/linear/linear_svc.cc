#include "ember/linear/linear_svc.h"

#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/linear/internal/training.h"
#include "ember/linear/lbfgs.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/learned_state.h"

namespace ember {

namespace {

using P = LinearSVCParams;

std::vector<std::string> LabelNames(const Schema& in, const std::string& label_col) {
  const int i = in.FindField(label_col);
  if (i < 0) return {};
  auto names = NominalValues(in.field(i));
  return names ? *names : std::vector<std::string>{};
}

Result<SchemaPtr> OutputSchema(const Schema& in, const P& p,
                               const std::vector<std::string>& labels) {
  return ClassifierOutputSchema(in, p.raw_prediction_col, "", p.prediction_col, 2, labels);
}

// LinearSVCModel's learned state.
struct SvcState {
  std::vector<double> coefficients;
  double intercept = 0;
  std::optional<TrainingSummary> summary;
  std::vector<std::string> labels;
  static const StateSpec<SvcState>& Spec() {
    static const StateSpec<SvcState> spec =
        std::move(StateSpec<SvcState>("LinearSVCModel", "model.json", 1)
                      .Field("coefficients", &SvcState::coefficients)
                      .Field("intercept", &SvcState::intercept)
                      .Field("trainingSummary", &SvcState::summary)
                      .Field("labels", &SvcState::labels));
    return spec;
  }
};

}  // namespace

const ParamSpec<LinearSVCParams>& LinearSVCParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("LinearSVC")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("labelCol", &P::label_col, "The label column: 0 or 1.", NonEmpty<std::string>())
          .Add("weightCol", &P::weight_col, "Instance weights (empty: every row weighs 1).")
          .Add("predictionCol", &P::prediction_col, "The prediction column (empty: none).")
          .Add("rawPredictionCol", &P::raw_prediction_col,
               "The [-margin, margin] column (empty: none).")
          .Add("maxIter", &P::max_iter, "Maximum optimizer iterations.", AtLeast<int32_t>(0))
          .Add("regParam", &P::reg_param, "L2 regularisation strength.", AtLeast(0.0))
          .Add("tol", &P::tol, "Convergence tolerance on the objective's relative change.",
               AtLeast(0.0))
          .Add("fitIntercept", &P::fit_intercept, "Fit an (unpenalised) intercept.")
          .Add("standardization", &P::standardization, "Penalise standardised coefficients.")
          .Add("threshold", &P::threshold, "Predict 1 when the margin is above this.")
          .Add("aggregationDepth", &P::aggregation_depth,
               "Spark's tree-aggregation depth; accepted for compatibility, changes nothing.",
               AtLeast<int32_t>(2))
          .Add("maxBlockSizeInMB", &P::max_block_size_in_mb,
               "Spark's stacking block size; accepted for compatibility, changes nothing.",
               AtLeast(0.0)));
  return spec;
}

Result<SchemaPtr> LinearSVC::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(linear::internal::BindTrainingColumns(in, params_.features_col,
                                                              params_.label_col, params_.weight_col)
                            .status());
  return OutputSchema(in, params_, LabelNames(in, params_.label_col));
}

Result<std::shared_ptr<const Transformer>> LinearSVC::Fit(const DataFrame& in,
                                                          const ExecContext& ctx) const {
  const P& p = params_;
  const std::string owner = "LinearSVC";
  EMBER_ASSIGN_OR_RETURN(auto x, linear::internal::BindTrainingColumns(*in.schema(), p.features_col,
                                                                       p.label_col, p.weight_col));
  auto check_label = [&](double y) {
    return y == 0 || y == 1 ? Status::OK()
                            : InvalidArgument(owner + ": label " + Json(y).Dump() + " in column '" +
                                              p.label_col +
                                              "'; LinearSVC is binary: labels must be 0 or 1 "
                                              "(index other labels with StringIndexer)");
  };
  // The hinge loss of labels 0 / 1 read as -1 / +1.
  auto hinge = [](double label, double m, double* slope) {
    const double y = 2 * label - 1;
    const double loss = 1 - y * m;
    *slope = loss > 0 ? -y : 0.0;
    return std::max(loss, 0.0);
  };
  EMBER_ASSIGN_OR_RETURN(linear::internal::MarginFit fit,
                         linear::internal::FitMarginLoss(in, ctx, x, owner, check_label,
                                                         {.reg_param = p.reg_param,
                                                          .standardization = p.standardization,
                                                          .fit_intercept = p.fit_intercept,
                                                          .max_iter = p.max_iter,
                                                          .tol = p.tol},
                                                         hinge));
  EMBER_ASSIGN_OR_RETURN(
      auto model,
      LinearSVCModel::Make(p, std::move(fit.coefficients), fit.intercept, uid(),
                           std::move(fit.summary), LabelNames(*in.schema(), p.label_col)));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const LinearSVCModel>> LinearSVCModel::Make(
    Params p, std::vector<double> coef, double icpt, std::string uid,
    std::optional<TrainingSummary> summary, std::vector<std::string> labels) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  for (double c : coef) {
    if (!std::isfinite(c)) return InvalidArgument("LinearSVCModel: a coefficient is not finite");
  }
  return std::shared_ptr<const LinearSVCModel>(new LinearSVCModel(
      std::move(p), std::move(coef), icpt, std::move(uid), std::move(summary), std::move(labels)));
}

Status LinearSVCModel::SaveContents(const std::string& dir) const {
  return SvcState::Spec().Save({coefficients_, intercept_, summary_, labels_}, dir);
}

Result<std::shared_ptr<const LinearSVCModel>> LinearSVCModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(SvcState s, SvcState::Spec().Load(ctx));
  return Make(std::move(p), std::move(s.coefficients), s.intercept, ctx.uid, std::move(s.summary),
              std::move(s.labels));
}

Result<std::unique_ptr<BoundTransform>> LinearSVCModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto x,
                         linear::internal::BindTrainingColumns(in, params_.features_col, "", ""));
  if (x.d != static_cast<int64_t>(coefficients_.size())) {
    return InvalidArgument("LinearSVCModel: column '" + params_.features_col + "' has " +
                           std::to_string(x.d) + " features but the model was fitted on " +
                           std::to_string(coefficients_.size()));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, OutputSchema(in, params_, labels_));
  const auto coef = coefficients_;
  const double icpt = intercept_;
  const P p = params_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, x, coef, icpt, p](const Batch& b) -> Result<Batch> {
        const Column& f = *b.column(x.features);
        ClassifierOutputs outputs(b.num_rows(), 2);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double m = icpt;
          if (!f.IsNull(r)) {
            ForEachVectorEntry(f, r, [&](int64_t j, double value) { m += coef[j] * value; });
          }
          outputs.raw(r)[0] = -m;
          outputs.raw(r)[1] = m;
          outputs.prob(r)[0] = outputs.prob(r)[1] = 0;
          outputs.prediction(r) = m > p.threshold ? 1.0 : 0.0;
        }
        std::vector<ColumnPtr> cols = b.columns();
        outputs.AppendColumns(p.raw_prediction_col, "", p.prediction_col, f, &cols);
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterLinearSVCStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<LinearSVC>(
      r, "A binary linear support vector machine (hinge loss, L2), as SparkML's."));
  return RegisterStage<LinearSVCModel>(r, "A fitted LinearSVC: coefficients and intercept.");
}

}  // namespace ember
