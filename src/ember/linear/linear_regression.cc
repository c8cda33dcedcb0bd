#include "ember/linear/linear_regression.h"

#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/linear/internal/training.h"
#include "ember/linear/lbfgs.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

using P = LinearRegressionParams;

Result<SchemaPtr> PredictionSchema(const Schema& in, const P& p) {
  if (in.FindField(p.prediction_col) >= 0) {
    return AlreadyExists("output column '" + p.prediction_col + "' already exists");
  }
  return in.AddField(MakeField(p.prediction_col, Float64Type()));
}

}  // namespace

const ParamSpec<LinearRegressionParams>& LinearRegressionParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("LinearRegression")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("labelCol", &P::label_col, "The numeric label column.", NonEmpty<std::string>())
          .Add("weightCol", &P::weight_col, "Instance weights (empty: every row weighs 1).")
          .Add("predictionCol", &P::prediction_col, "The prediction column to add.",
               NonEmpty<std::string>())
          .Add("maxIter", &P::max_iter, "Maximum optimizer iterations.", AtLeast<int32_t>(0))
          .Add("regParam", &P::reg_param, "Regularisation strength.", AtLeast(0.0))
          .Add("elasticNetParam", &P::elastic_net_param,
               "L1 share of the penalty: 0 is L2, 1 is L1.", InRange(0.0, 1.0))
          .Add("tol", &P::tol, "Convergence tolerance on the objective's relative change.",
               AtLeast(0.0))
          .Add("fitIntercept", &P::fit_intercept, "Fit an (unpenalised) intercept.")
          .Add("standardization", &P::standardization, "Penalise standardised coefficients."));
  return spec;
}

Result<SchemaPtr> LinearRegression::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(linear::internal::BindTrainingColumns(in, params_.features_col,
                                                              params_.label_col, params_.weight_col)
                            .status());
  return PredictionSchema(in, params_);
}

Result<std::shared_ptr<const Transformer>> LinearRegression::Fit(const DataFrame& in,
                                                                 const ExecContext& ctx) const {
  const P& p = params_;
  const std::string owner = "LinearRegression";
  EMBER_ASSIGN_OR_RETURN(auto x, linear::internal::BindTrainingColumns(*in.schema(), p.features_col,
                                                                       p.label_col, p.weight_col));
  auto check_label = [&](double y) {
    return std::isfinite(y)
               ? Status::OK()
               : InvalidArgument(owner + ": NaN or infinite label in column '" + p.label_col + "'");
  };
  // Half the squared residual.
  auto squared = [](double y, double m, double* slope) {
    *slope = m - y;
    return 0.5 * *slope * *slope;
  };
  EMBER_ASSIGN_OR_RETURN(linear::internal::MarginFit fit,
                         linear::internal::FitMarginLoss(in, ctx, x, owner, check_label,
                                                         {.reg_param = p.reg_param,
                                                          .elastic_net_param = p.elastic_net_param,
                                                          .standardization = p.standardization,
                                                          .fit_intercept = p.fit_intercept,
                                                          .max_iter = p.max_iter,
                                                          .tol = p.tol},
                                                         squared));
  EMBER_ASSIGN_OR_RETURN(
      auto model, LinearRegressionModel::Make(p, std::move(fit.coefficients), fit.intercept, uid(),
                                              std::move(fit.summary)));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const LinearRegressionModel>> LinearRegressionModel::Make(
    Params p, std::vector<double> coef, double icpt, std::string uid,
    std::optional<TrainingSummary> summary) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  return std::shared_ptr<const LinearRegressionModel>(new LinearRegressionModel(
      std::move(p), std::move(coef), icpt, std::move(uid), std::move(summary)));
}

namespace {

// LinearRegressionModel's learned state. Version 2 added the training summary (null for
// models saved by version 1).
struct LinearState {
  std::vector<double> coefficients;
  double intercept = 0;
  std::optional<TrainingSummary> summary;
  static const StateSpec<LinearState>& Spec() {
    static const StateSpec<LinearState> spec =
        std::move(StateSpec<LinearState>("LinearRegressionModel", "model.json", 2)
                      .Field("coefficients", &LinearState::coefficients)
                      .Field("intercept", &LinearState::intercept)
                      .Field("trainingSummary", &LinearState::summary)
                      .Upgrade(linear::internal::AddEmptySummary));
    return spec;
  }
};

}  // namespace

Status LinearRegressionModel::SaveContents(const std::string& dir) const {
  return LinearState::Spec().Save({coefficients_, intercept_, summary_}, dir);
}

Result<std::shared_ptr<const LinearRegressionModel>> LinearRegressionModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(LinearState s, LinearState::Spec().Load(ctx));
  return Make(std::move(p), std::move(s.coefficients), s.intercept, ctx.uid, std::move(s.summary));
}

Result<std::unique_ptr<BoundTransform>> LinearRegressionModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto x,
                         linear::internal::BindTrainingColumns(in, params_.features_col, "", ""));
  if (x.d != static_cast<int64_t>(coefficients_.size())) {
    return InvalidArgument("LinearRegressionModel: column '" + params_.features_col + "' has " +
                           std::to_string(x.d) + " features but the model was fitted on " +
                           std::to_string(coefficients_.size()));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, PredictionSchema(in, params_));
  const auto coef = coefficients_;
  const double icpt = intercept_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, x, coef, icpt](const Batch& b) -> Result<Batch> {
        const Column& f = *b.column(x.features);
        Float64Builder pred(Float64Type());
        pred.Reserve(b.num_rows());
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (f.IsNull(r)) {
            pred.AppendNull();
            continue;
          }
          double v = icpt;
          ForEachVectorEntry(f, r, [&](int64_t j, double value) { v += coef[j] * value; });
          pred.Append(v);
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(pred.Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

}  // namespace ember
