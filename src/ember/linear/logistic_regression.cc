#include "ember/linear/logistic_regression.h"

#include <algorithm>
#include <cmath>

#include "ember/base/file_util.h"
#include "ember/base/memory.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/linear/internal/training.h"
#include "ember/linear/lbfgs.h"
#include "ember/linear/linear_regression.h"
#include "ember/linear/linear_svc.h"
#include "ember/linear/naive_bayes.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/partition_reduce.h"
#include "ember/pipeline/row_lowering.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

using P = LogisticRegressionParams;

using linear::internal::TrainingColumns;
using Inputs = TrainingColumns;

Result<Inputs> BindInputs(const Schema& in, const P& p, bool need_label) {
  return linear::internal::BindTrainingColumns(in, p.features_col, need_label ? p.label_col : "",
                                               p.weight_col);
}

Status CheckClassLabel(double y, const P& p) {
  if (!(y >= 0) || std::floor(y) != y || y > 1e6) {
    return InvalidArgument("LogisticRegression: label " + std::to_string(y) + " in column '" +
                           p.label_col + "' is not a class index (0, 1, 2, ...)");
  }
  return Status::OK();
}

// `labels`: the label's nominal values, put on the prediction column (empty: none).
Result<SchemaPtr> OutputSchema(const Schema& in, const P& p, int k,
                               const std::vector<std::string>& labels) {
  return ClassifierOutputSchema(in, p.raw_prediction_col, p.probability_col, p.prediction_col, k,
                                labels);
}

}  // namespace

const ParamSpec<LogisticRegressionParams>& LogisticRegressionParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("LogisticRegression")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("labelCol", &P::label_col, "The label column: class indices 0, 1, ...",
               NonEmpty<std::string>())
          .Add("weightCol", &P::weight_col, "Instance weights (empty: every row weighs 1).")
          .Add("predictionCol", &P::prediction_col,
               "The predicted class index column (empty: left out).")
          .Add("rawPredictionCol", &P::raw_prediction_col,
               "The margins vector column (empty: left out).")
          .Add("probabilityCol", &P::probability_col,
               "The class probability vector column (empty: left out).")
          .Add("maxIter", &P::max_iter, "Maximum optimizer iterations.", AtLeast<int32_t>(0))
          .Add("regParam", &P::reg_param, "Regularisation strength.", AtLeast(0.0))
          .Add("elasticNetParam", &P::elastic_net_param,
               "L1 share of the penalty: 0 is L2, 1 is L1.", InRange(0.0, 1.0))
          .Add("tol", &P::tol, "Convergence tolerance on the objective's relative change.",
               AtLeast(0.0))
          .Add("fitIntercept", &P::fit_intercept, "Fit an (unpenalised) intercept.")
          .Add("standardization", &P::standardization, "Penalise standardised coefficients.")
          .AddEnum("family", &P::family,
                   {{"auto", LogisticFamily::kAuto},
                    {"binomial", LogisticFamily::kBinomial},
                    {"multinomial", LogisticFamily::kMultinomial}},
                   "auto: binomial for two classes, else multinomial.")
          .Add("threshold", &P::threshold, "Binomial: predict 1 when P(1) exceeds this.",
               InRange(0.0, 1.0)));
  return spec;
}

// LogisticRegression -----------------------------------------------------------------------

Result<std::shared_ptr<const LogisticRegression>> LogisticRegression::Make(Params p,
                                                                           std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  return std::shared_ptr<const LogisticRegression>(
      new LogisticRegression(std::move(p), std::move(uid)));
}

Result<SchemaPtr> LogisticRegression::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(BindInputs(in, params_, true).status());
  // The number of classes is known after fitting; the vectors' width is 0 until then
  // (unless the label column records its classes as an ML attribute).
  const int li = in.FindField(params_.label_col);
  auto labels = NominalValues(in.field(li));
  const int k = labels ? std::max<int>(2, static_cast<int>(labels->size())) : 0;
  return OutputSchema(in, params_, k, labels ? *labels : std::vector<std::string>{});
}

Result<std::shared_ptr<const Transformer>> LogisticRegression::Fit(const DataFrame& in,
                                                                   const ExecContext& ctx) const {
  const P& p = params_;
  EMBER_ASSIGN_OR_RETURN(Inputs x, BindInputs(*in.schema(), p, true));
  const int64_t d = x.d;
  const std::string owner = "LogisticRegression";
  EMBER_ASSIGN_OR_RETURN(linear::internal::FeatureScaling scaling,
                         linear::internal::ComputeFeatureScaling(
                             in, ctx, x, owner, [&](double y) { return CheckClassLabel(y, p); }));
  const double wsum = scaling.weight_sum;
  const std::vector<double>& inv_sigma = scaling.inv_sigma;
  // The number of classes: the largest label over partitions and ranks.
  double max_label = 0;
  for (const Batch& b : in.partitions()) {
    const Column& lc = *b.column(x.label);
    for (int64_t r = 0; r < b.num_rows(); ++r) max_label = std::max(max_label, NumericValue(lc, r));
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<double> m = {max_label};
    EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<double>(m), ReduceOp::kMax,
                                              Deadline::In(std::chrono::minutes(30))));
    max_label = m[0];
  }
  int k = static_cast<int>(max_label) + 1;
  if (auto names = NominalValues(in.schema()->field(x.label)))
    k = std::max<int>(k, static_cast<int>(names->size()));
  k = std::max(k, 2);
  const bool multinomial =
      p.family == LogisticFamily::kMultinomial || (p.family == LogisticFamily::kAuto && k > 2);
  if (!multinomial && k > 2) {
    return InvalidArgument(
        "LogisticRegression param 'family': binomial needs labels 0 and 1, found " +
        std::to_string(k) + " classes");
  }
  // Class weights, for the starting intercepts.
  std::vector<double> class_weight;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, static_cast<size_t>(k), ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double y;
          EMBER_ASSIGN_OR_RETURN(double w, linear::internal::RowWeight(b, x, r, owner, &y));
          acc[static_cast<int64_t>(y)] += w;
        }
        return Status::OK();
      },
      &class_weight));
  // Variables: `rows` blocks of d scaled coefficients then the intercept.
  const int rows = multinomial ? k : 1;
  const int64_t stride = d + (p.fit_intercept ? 1 : 0);
  const size_t nvars = static_cast<size_t>(rows * stride);
  std::vector<double> l2w, l1w;
  linear::internal::PenaltyWeights(scaling, p.reg_param, p.elastic_net_param, p.standardization,
                                   rows, stride, &l2w, &l1w);
  std::vector<double> x0(nvars, 0.0);
  if (p.fit_intercept) {
    if (!multinomial) {
      const double p1 = class_weight[1] / wsum;
      if (p1 > 0 && p1 < 1) x0[d] = std::log(p1 / (1 - p1));
    } else {
      double mean_log = 0;
      for (int c = 0; c < k; ++c) mean_log += std::log(std::max(class_weight[c], 1e-12) / wsum) / k;
      for (int c = 0; c < k; ++c)
        x0[c * stride + d] = std::log(std::max(class_weight[c], 1e-12) / wsum) - mean_log;
    }
  }
  auto row_terms = [&](std::span<const double> beta, const Batch& b,
                       std::span<double> acc) -> Status {
    const Column& f = *b.column(x.features);
    if (!multinomial && !f.type()->sparse()) {
      // Binary over dense vectors: the scaled coefficients once per batch, then per row one
      // dot product and one axpy over contiguous memory (vectorized), the gradient scaled at
      // the end. The same sums as the general loop below, in another association.
      std::vector<double> coef(static_cast<size_t>(d)), grad(static_cast<size_t>(d), 0.0);
      for (int64_t j = 0; j < d; ++j) coef[j] = beta[j] * inv_sigma[j];
      const double b0 = p.fit_intercept ? beta[d] : 0.0;
      double loss = 0, grad0 = 0;
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        double y;
        EMBER_ASSIGN_OR_RETURN(double w, linear::internal::RowWeight(b, x, r, owner, &y));
        if (w == 0) continue;
        const double* v = f.DenseRow(r).data();
        double m = b0;
        for (int64_t j = 0; j < d; ++j) m += coef[j] * v[j];
        loss += w * ((m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m))) - y * m);
        const double g = w * (1.0 / (1.0 + std::exp(-m)) - y);
        grad0 += g;
        for (int64_t j = 0; j < d; ++j) grad[j] += g * v[j];
      }
      acc[nvars] += loss;
      if (p.fit_intercept) acc[d] += grad0;
      for (int64_t j = 0; j < d; ++j) acc[j] += grad[j] * inv_sigma[j];
      return Status::OK();
    }
    // Written for every row, by every thread at once: memory of this thread's own.
    IsolatedVector<double> margin(rows), prob(rows);
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      double y;
      EMBER_ASSIGN_OR_RETURN(double w, linear::internal::RowWeight(b, x, r, owner, &y));
      if (w == 0) continue;
      for (int c = 0; c < rows; ++c) margin[c] = p.fit_intercept ? beta[c * stride + d] : 0.0;
      ForEachVectorEntry(f, r, [&](int64_t j, double v) {
        const double s = v * inv_sigma[j];
        if (s != 0) {
          for (int c = 0; c < rows; ++c) margin[c] += beta[c * stride + j] * s;
        }
      });
      const int yi = static_cast<int>(y);
      if (!multinomial) {
        const double m = margin[0];
        // log(1 + e^m) - y m, computed without overflow.
        acc[nvars] +=
            w * ((m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m))) - y * m);
        prob[0] = w * (1.0 / (1.0 + std::exp(-m)) - y);
      } else {
        double mx = margin[0];
        for (int c = 1; c < rows; ++c) mx = std::max(mx, margin[c]);
        double z = 0;
        for (int c = 0; c < rows; ++c) z += std::exp(margin[c] - mx);
        acc[nvars] += w * (mx + std::log(z) - margin[yi]);
        for (int c = 0; c < rows; ++c)
          prob[c] = w * (std::exp(margin[c] - mx) / z - (c == yi ? 1.0 : 0.0));
      }
      for (int c = 0; c < rows; ++c) {
        if (p.fit_intercept) acc[c * stride + d] += prob[c];
      }
      ForEachVectorEntry(f, r, [&](int64_t j, double v) {
        const double s = v * inv_sigma[j];
        if (s != 0) {
          for (int c = 0; c < rows; ++c) acc[c * stride + j] += prob[c] * s;
        }
      });
    }
    return Status::OK();
  };
  EMBER_ASSIGN_OR_RETURN(LbfgsResult fit,
                         linear::internal::FitRegularized(
                             in, ctx, wsum, l2w, l1w, x0, p.max_iter, p.tol, row_terms,
                             linear::internal::CenteringFor(scaling, rows, p.fit_intercept)));
  TrainingSummary summary =
      linear::internal::Summarize(fit, p.max_iter, p.tol, std::string(kTypeName), ctx);
  std::vector<double> coef(static_cast<size_t>(rows * d)), icpt(rows, 0.0);
  for (int c = 0; c < rows; ++c) {
    for (int64_t j = 0; j < d; ++j) coef[c * d + j] = fit.x[c * stride + j] * inv_sigma[j];
    if (p.fit_intercept) icpt[c] = fit.x[c * stride + d];
  }
  if (multinomial && p.fit_intercept) {  // intercepts are defined up to a constant: center them
    double m = 0;
    for (double v : icpt) m += v / rows;
    for (double& v : icpt) v -= m;
  }
  EMBER_ASSIGN_OR_RETURN(auto model,
                         LogisticRegressionModel::Make(
                             p, k, d, std::move(coef), std::move(icpt), uid(), std::move(summary),
                             NominalValues(in.schema()->field(in.schema()->FindField(p.label_col)))
                                 .value_or(std::vector<std::string>{})));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// LogisticRegressionModel ------------------------------------------------------------------

Result<std::shared_ptr<const LogisticRegressionModel>> LogisticRegressionModel::Make(
    Params p, int k, int64_t d, std::vector<double> coef, std::vector<double> icpt, std::string uid,
    std::optional<TrainingSummary> summary, std::vector<std::string> labels) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  const int rows = (k == 2 && p.family != LogisticFamily::kMultinomial) ? 1 : k;
  if (k < 2 || d < 0 || coef.size() != static_cast<size_t>(rows * d) ||
      icpt.size() != static_cast<size_t>(rows)) {
    return InvalidArgument("LogisticRegressionModel: coefficients do not match " +
                           std::to_string(k) + " classes and " + std::to_string(d) + " features");
  }
  return std::shared_ptr<const LogisticRegressionModel>(
      new LogisticRegressionModel(std::move(p), k, d, std::move(coef), std::move(icpt),
                                  std::move(uid), std::move(summary), std::move(labels)));
}

namespace {

// LogisticRegressionModel's learned state: coefficients row-major (one row for binary, one
// per class for multinomial), intercepts one per row. Version 2 added the training summary
// (null for models saved by version 1) and the label's nominal values (empty).
struct LogisticState {
  int32_t num_classes = 2;
  int64_t num_features = 0;
  std::vector<double> coefficients, intercepts;
  std::optional<TrainingSummary> summary;
  std::vector<std::string> labels;
  static const StateSpec<LogisticState>& Spec() {
    static const StateSpec<LogisticState> spec = std::move(
        StateSpec<LogisticState>("LogisticRegressionModel", "model.json", 2)
            .Field("numClasses", &LogisticState::num_classes, InRange<int32_t>(2, 1000000))
            .Field("numFeatures", &LogisticState::num_features,
                   InRange<int64_t>(0, int64_t{1} << 31))
            .Field("coefficients", &LogisticState::coefficients)
            .Field("intercepts", &LogisticState::intercepts)
            .Field("trainingSummary", &LogisticState::summary)
            .Field("labels", &LogisticState::labels)
            .Upgrade([](int from, Json* fields) {
              if (from == 1) fields->Set("labels", Json::MakeArray());  // none were kept
              return linear::internal::AddEmptySummary(from, fields);
            }));
    return spec;
  }
};

}  // namespace

Status LogisticRegressionModel::SaveContents(const std::string& dir) const {
  return LogisticState::Spec().Save(
      {num_classes_, num_features_, coefficients_, intercepts_, summary_, labels_}, dir);
}

Result<std::shared_ptr<const LogisticRegressionModel>> LogisticRegressionModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(LogisticState s, LogisticState::Spec().Load(ctx));
  auto m = Make(std::move(p), s.num_classes, s.num_features, std::move(s.coefficients),
                std::move(s.intercepts), ctx.uid, std::move(s.summary), std::move(s.labels));
  if (!m.ok()) return m.status().WithContext(ctx.dir + "/data/model.json");
  return m;
}

Result<RowLowering> LogisticRegressionModel::Lower(const Schema&) const {
  return RowLowering{.kind = RowLowering::Kind::kLogistic,
                     .input = params_.features_col,
                     .coefficients = &coefficients_,
                     .intercepts = &intercepts_,
                     .num_features = num_features_,
                     .num_classes = num_classes_,
                     .threshold = params_.threshold,
                     .raw_prediction_col = params_.raw_prediction_col,
                     .probability_col = params_.probability_col,
                     .prediction_col = params_.prediction_col};
}

Result<std::unique_ptr<BoundTransform>> LogisticRegressionModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(Inputs x, BindInputs(in, params_, false));
  if (x.d != num_features_) {
    return InvalidArgument("LogisticRegressionModel: column '" + params_.features_col + "' has " +
                           std::to_string(x.d) + " features but the model was fitted on " +
                           std::to_string(num_features_));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, OutputSchema(in, params_, num_classes_, labels_));
  const int k = num_classes_;
  const int rows = static_cast<int>(intercepts_.size());
  const int64_t d = num_features_;
  const auto coef = coefficients_, icpt = intercepts_;
  const P p = params_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [=](const Batch& b) -> Result<Batch> {
        const Column& f = *b.column(x.features);
        const int64_t n = b.num_rows();
        // Outputs are written in place; a null features row gives null outputs (zeros under
        // the validity bit).
        ClassifierOutputs outputs(n, k);
        std::vector<double> m(rows);
        const bool nulls = f.null_count() > 0;
        const bool sparse = f.type()->sparse();
        const int32_t* f_off = sparse ? f.Offsets() : nullptr;
        const int32_t* f_idx = sparse ? f.child(0)->Values<int32_t>() : nullptr;
        const double* f_val = sparse ? f.child(1)->Values<double>() : nullptr;
        const double* w = coef.data();
        for (int64_t r = 0; r < n; ++r) {
          double* rv = outputs.raw(r);
          double* pv = outputs.prob(r);
          if (nulls && f.IsNull(r)) {
            std::fill(rv, rv + k, 0.0);
            std::fill(pv, pv + k, 0.0);
            outputs.prediction(r) = 0.0;
            continue;
          }
          if (rows == 1) {  // binary: one margin
            double margin = icpt[0];
            if (sparse) {
              for (int32_t e = f_off[r]; e < f_off[r + 1]; ++e) margin += w[f_idx[e]] * f_val[e];
            } else {
              const double* xr = f.DenseRow(r).data();
              for (int64_t j = 0; j < d; ++j) margin += w[j] * xr[j];
            }
            outputs.prediction(r) = LogisticOutputs(&margin, 1, p.threshold, rv, pv);
            continue;
          }
          for (int c = 0; c < rows; ++c) m[c] = icpt[c];
          if (sparse) {  // the CSR arrays directly
            for (int32_t e = f_off[r]; e < f_off[r + 1]; ++e) {
              for (int c = 0; c < rows; ++c) m[c] += w[c * d + f_idx[e]] * f_val[e];
            }
          } else {
            const double* xr = f.DenseRow(r).data();
            for (int c = 0; c < rows; ++c) {
              const double* wc = w + c * d;
              double acc = 0;
              for (int64_t j = 0; j < d; ++j) acc += wc[j] * xr[j];
              m[c] += acc;
            }
          }
          outputs.prediction(r) = LogisticOutputs(m.data(), rows, p.threshold, rv, pv);
        }
        std::vector<ColumnPtr> cols = b.columns();
        outputs.AppendColumns(p.raw_prediction_col, p.probability_col, p.prediction_col, f, &cols);
        return Batch::Make(out, std::move(cols), n);
      }));
}

Status RegisterLinearStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<LinearRegression>(
      r, "Least-squares linear regression with L2 / L1 / elastic-net regularisation."));
  EMBER_RETURN_IF_ERROR(RegisterStage<LinearRegressionModel>(r, "A fitted linear regression."));
  EMBER_RETURN_IF_ERROR(RegisterStage<LogisticRegression>(
      r, "Binomial or multinomial logistic regression with L2 / L1 / elastic-net regularisation."));
  EMBER_RETURN_IF_ERROR(RegisterStage<LogisticRegressionModel>(
      r, "A fitted logistic regression: coefficients and intercepts."));
  EMBER_RETURN_IF_ERROR(RegisterLinearSVCStages(r));
  return RegisterNaiveBayesStages(r);
}

}  // namespace ember
