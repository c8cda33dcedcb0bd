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
  EMBER_ASSIGN_OR_RETURN(
      auto scaling, linear::internal::ComputeFeatureScaling(in, ctx, x, owner, [&](double y) {
        return std::isfinite(y) ? Status::OK()
                                : InvalidArgument(owner + ": NaN or infinite label in column '" +
                                                  p.label_col + "'");
      }));
  const int64_t d = x.d;
  const int64_t stride = d + (p.fit_intercept ? 1 : 0);
  std::vector<double> l2w, l1w;
  linear::internal::PenaltyWeights(scaling, p.reg_param, p.elastic_net_param, p.standardization, 1,
                                   stride, &l2w, &l1w);
  const std::vector<double>& inv_sigma = scaling.inv_sigma;
  auto row_terms = [&](std::span<const double> beta, const Batch& b,
                       std::span<double> acc) -> Status {
    const Column& f = *b.column(x.features);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      double y;
      EMBER_ASSIGN_OR_RETURN(double w, linear::internal::RowWeight(b, x, r, owner, &y));
      if (w == 0) continue;
      double pred = p.fit_intercept ? beta[d] : 0.0;
      ForEachVectorEntry(f, r, [&](int64_t j, double v) { pred += beta[j] * v * inv_sigma[j]; });
      const double residual = pred - y;
      acc[stride] += 0.5 * w * residual * residual;
      if (p.fit_intercept) acc[d] += w * residual;
      ForEachVectorEntry(f, r,
                         [&](int64_t j, double v) { acc[j] += w * residual * v * inv_sigma[j]; });
    }
    return Status::OK();
  };
  EMBER_ASSIGN_OR_RETURN(
      LbfgsResult fit,
      linear::internal::FitRegularized(
          in, ctx, scaling.weight_sum, l2w, l1w, std::vector<double>(stride, 0.0), p.max_iter,
          p.tol, row_terms, linear::internal::CenteringFor(scaling, 1, p.fit_intercept)));
  TrainingSummary summary =
      linear::internal::Summarize(fit, p.max_iter, p.tol, std::string(kTypeName), ctx);
  std::vector<double> coef(d);
  for (int64_t j = 0; j < d; ++j) coef[j] = fit.x[j] * inv_sigma[j];
  EMBER_ASSIGN_OR_RETURN(
      auto model, LinearRegressionModel::Make(p, std::move(coef), p.fit_intercept ? fit.x[d] : 0.0,
                                              uid(), std::move(summary)));
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
