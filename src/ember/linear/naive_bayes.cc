#include "ember/linear/naive_bayes.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/linear/internal/training.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/partition_reduce.h"

namespace ember {

namespace {

using P = NaiveBayesParams;
using linear::internal::TrainingColumns;
using T = NaiveBayesType;

const std::vector<std::pair<std::string, NaiveBayesType>>& TypeNames() {
  static const std::vector<std::pair<std::string, NaiveBayesType>> names = {
      {"multinomial", T::kMultinomial},
      {"bernoulli", T::kBernoulli},
      {"complement", T::kComplement},
      {"gaussian", T::kGaussian}};
  return names;
}

std::string TypeName(NaiveBayesType t) {
  for (const auto& [name, v] : TypeNames()) {
    if (v == t) return name;
  }
  return "";
}

// A feature value the model type cannot take: counts must be >= 0, bernoulli's 0 or 1.
Status CheckFeature(NaiveBayesType t, double v, const std::string& col) {
  if (!std::isfinite(v)) {
    return InvalidArgument("NaiveBayes: column '" + col + "' has a NaN or infinite value");
  }
  if ((t == T::kMultinomial || t == T::kComplement) && v < 0) {
    return InvalidArgument("NaiveBayes (" + TypeName(t) + "): column '" + col +
                           "' has the negative value " + Json(v).Dump() +
                           "; this model type needs counts >= 0");
  }
  if (t == T::kBernoulli && v != 0 && v != 1) {
    return InvalidArgument("NaiveBayes (bernoulli): column '" + col + "' has the value " +
                           Json(v).Dump() + "; bernoulli needs 0 or 1");
  }
  return Status::OK();
}

// The learned state (format version 1).
struct NaiveBayesState {
  int64_t num_features = 0;
  std::vector<double> pi, theta, sigma;
  std::vector<std::string> labels;
  static const StateSpec<NaiveBayesState>& Spec() {
    static const StateSpec<NaiveBayesState> spec =
        std::move(StateSpec<NaiveBayesState>("NaiveBayesModel", "model.json", 1)
                      .Field("numFeatures", &NaiveBayesState::num_features, AtLeast<int64_t>(1))
                      .Field("pi", &NaiveBayesState::pi)
                      .Field("theta", &NaiveBayesState::theta)
                      .Field("sigma", &NaiveBayesState::sigma)
                      .Field("labels", &NaiveBayesState::labels));
    return spec;
  }
};

}  // namespace

const ParamSpec<NaiveBayesParams>& NaiveBayesParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("NaiveBayes")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("labelCol", &P::label_col, "The label column: class indices 0, 1, ...",
               NonEmpty<std::string>())
          .Add("weightCol", &P::weight_col, "Instance weights (empty: every row weighs 1).")
          .Add("predictionCol", &P::prediction_col,
               "The predicted class index column (empty: left out).")
          .Add("rawPredictionCol", &P::raw_prediction_col,
               "The joint log-likelihood of each class (empty: left out).")
          .Add("probabilityCol", &P::probability_col, "The class probabilities (empty: left out).")
          .Add("smoothing", &P::smoothing,
               "Additive (Laplace) smoothing of the counts (not for gaussian).", AtLeast(0.0))
          .AddEnum("modelType", &P::model_type, TypeNames(),
                   "multinomial (counts), bernoulli (0/1), complement (counts, Rennie et al.) "
                   "or gaussian.")
          .Add("thresholds", &P::thresholds,
               "Per-class thresholds: the prediction maximises probability / threshold.",
               Each(AtLeast(0.0))));
  return spec;
}

// NaiveBayes --------------------------------------------------------------------------------

Result<SchemaPtr> NaiveBayes::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(linear::internal::BindTrainingColumns(in, params_.features_col,
                                                              params_.label_col, params_.weight_col)
                            .status());
  auto labels = NominalValues(in.field(in.FindField(params_.label_col)));
  const int k = labels ? std::max<int>(2, static_cast<int>(labels->size())) : 0;
  return ClassifierOutputSchema(in, params_.raw_prediction_col, params_.probability_col,
                                params_.prediction_col, k,
                                labels ? *labels : std::vector<std::string>{});
}

Result<std::shared_ptr<const Transformer>> NaiveBayes::Fit(const DataFrame& in,
                                                           const ExecContext& ctx) const {
  const P& p = params_;
  const std::string owner = "NaiveBayes";
  EMBER_ASSIGN_OR_RETURN(TrainingColumns x,
                         linear::internal::BindTrainingColumns(*in.schema(), p.features_col,
                                                               p.label_col, p.weight_col));
  const int64_t d = x.d;
  const std::string& fcol = p.features_col;
  // The classes: the largest label over partitions and ranks (or the label's nominal values).
  std::vector<double> max_label;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
      in, ctx, 1, ReduceOp::kMax, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double y;
          EMBER_RETURN_IF_ERROR(linear::internal::RowWeight(b, x, r, owner, &y).status());
          if (!(y >= 0) || std::floor(y) != y || y > 1e6) {
            return InvalidArgument(owner + ": label " + Json(y).Dump() + " in column '" +
                                   p.label_col + "' is not a class index (0, 1, 2, ...)");
          }
          acc[0] = std::max(acc[0], y);
        }
        return Status::OK();
      },
      &max_label));
  int k = static_cast<int>(max_label[0]) + 1;
  if (auto names = NominalValues(in.schema()->field(x.label)))
    k = std::max<int>(k, static_cast<int>(names->size()));
  k = std::max(k, 2);
  // Per class: its weight, then the weighted sum of each feature.
  const size_t stride = static_cast<size_t>(d) + 1;
  std::vector<double> sums;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
      in, ctx, stride * k, ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        const Column& f = *b.column(x.features);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          double y;
          EMBER_ASSIGN_OR_RETURN(double w, linear::internal::RowWeight(b, x, r, owner, &y));
          double* a = acc.data() + static_cast<size_t>(y) * stride;
          a[0] += w;
          Status bad;
          ForEachVectorEntry(f, r, [&](int64_t j, double v) {
            if (bad.ok()) bad = CheckFeature(p.model_type, v, fcol);
            a[1 + j] += w * v;
          });
          EMBER_RETURN_IF_ERROR(bad);
        }
        return Status::OK();
      },
      &sums));
  double total = 0;
  for (int c = 0; c < k; ++c) total += sums[c * stride];
  if (!(total > 0)) return InvalidArgument(owner + ": no rows (or all weights 0) to fit on");
  const double lambda = p.smoothing;
  std::vector<double> pi(k), theta(static_cast<size_t>(k * d)), sigma;
  auto count = [&](int c) { return sums[c * stride]; };
  auto feature = [&](int c, int64_t j) { return sums[c * stride + 1 + j]; };
  if (p.model_type != T::kGaussian) {
    const double log_denom = std::log(total + k * lambda);
    for (int c = 0; c < k; ++c) pi[c] = std::log(count(c) + lambda) - log_denom;
  }
  switch (p.model_type) {
    case T::kMultinomial:
      for (int c = 0; c < k; ++c) {
        double sum = 0;
        for (int64_t j = 0; j < d; ++j) sum += feature(c, j);
        const double log_denom = std::log(sum + d * lambda);
        for (int64_t j = 0; j < d; ++j)
          theta[c * d + j] = std::log(feature(c, j) + lambda) - log_denom;
      }
      break;
    case T::kBernoulli:
      for (int c = 0; c < k; ++c) {
        const double log_denom = std::log(count(c) + 2 * lambda);
        for (int64_t j = 0; j < d; ++j)
          theta[c * d + j] = std::log(feature(c, j) + lambda) - log_denom;
      }
      break;
    case T::kComplement: {
      // Feature j outside class c: its sum over every class but c.
      std::vector<double> all(static_cast<size_t>(d), 0.0);
      for (int c = 0; c < k; ++c) {
        for (int64_t j = 0; j < d; ++j) all[j] += feature(c, j);
      }
      for (int c = 0; c < k; ++c) {
        double sum = 0;
        for (int64_t j = 0; j < d; ++j) sum += all[j] - feature(c, j) + lambda;
        for (int64_t j = 0; j < d; ++j)
          theta[c * d + j] = -std::log((all[j] - feature(c, j) + lambda) / sum);
      }
      break;
    }
    case T::kGaussian: {
      for (int c = 0; c < k; ++c) {
        pi[c] = count(c) > 0 ? std::log(count(c) / total) : -INFINITY;
        for (int64_t j = 0; j < d; ++j)
          theta[c * d + j] = count(c) > 0 ? feature(c, j) / count(c) : 0.0;
      }
      // A second pass for the squared deviations from the class means (no cancellation).
      std::vector<double> squares;
      EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
          in, ctx, static_cast<size_t>(k * d), ReduceOp::kSum, 0.0,
          [&](const Batch& b, std::span<double> acc) -> Status {
            const Column& f = *b.column(x.features);
            std::vector<double> row(static_cast<size_t>(d));
            for (int64_t r = 0; r < b.num_rows(); ++r) {
              double y;
              EMBER_ASSIGN_OR_RETURN(double w, linear::internal::RowWeight(b, x, r, owner, &y));
              const int64_t c = static_cast<int64_t>(y);
              std::fill(row.begin(), row.end(), 0.0);
              ForEachVectorEntry(f, r, [&](int64_t j, double v) { row[j] = v; });
              for (int64_t j = 0; j < d; ++j) {
                const double dev = row[j] - theta[c * d + j];
                acc[c * d + j] += w * dev * dev;
              }
            }
            return Status::OK();
          },
          &squares));
      // scikit-learn's var_smoothing: 1e-9 x the largest variance of a feature over all
      // rows (from the classes' by the law of total variance).
      sigma.assign(static_cast<size_t>(k * d), 0.0);
      double largest = 0;
      for (int64_t j = 0; j < d; ++j) {
        double mean = 0;
        for (int c = 0; c < k; ++c) mean += feature(c, j);
        mean /= total;
        double var = 0;
        for (int c = 0; c < k; ++c) {
          const double shift = theta[c * d + j] - mean;
          var += squares[c * d + j] + (count(c) > 0 ? count(c) * shift * shift : 0.0);
        }
        largest = std::max(largest, var / total);
      }
      const double epsilon = 1e-9 * largest;
      for (int c = 0; c < k; ++c) {
        for (int64_t j = 0; j < d; ++j) {
          sigma[c * d + j] = (count(c) > 0 ? squares[c * d + j] / count(c) : 0.0) + epsilon;
          if (!(sigma[c * d + j] > 0)) sigma[c * d + j] = 1.0;  // a constant feature everywhere
        }
      }
      break;
    }
  }
  EMBER_ASSIGN_OR_RETURN(
      auto model,
      NaiveBayesModel::Make(
          p, d, std::move(pi), std::move(theta), std::move(sigma), uid(),
          NominalValues(in.schema()->field(x.label)).value_or(std::vector<std::string>{})));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// NaiveBayesModel ---------------------------------------------------------------------------

NaiveBayesModel::NaiveBayesModel(Params p, int64_t d, std::vector<double> pi,
                                 std::vector<double> theta, std::vector<double> sigma,
                                 std::string uid, std::vector<std::string> labels)
    : StageBase(std::move(p), std::move(uid)),
      num_features_(d),
      pi_(std::move(pi)),
      theta_(std::move(theta)),
      sigma_(std::move(sigma)),
      labels_(std::move(labels)) {
  const int k = num_classes();
  switch (params_.model_type) {
    case T::kMultinomial:
      coef_ = theta_;
      intercept_ = pi_;
      break;
    case T::kComplement:  // no prior with two or more classes (scikit-learn's ComplementNB)
      coef_ = theta_;
      intercept_.assign(static_cast<size_t>(k), 0.0);
      break;
    case T::kBernoulli:
      // x log p + (1 - x) log(1 - p) = x (log p - log(1 - p)) + log(1 - p).
      coef_.resize(theta_.size());
      intercept_ = pi_;
      for (int c = 0; c < k; ++c) {
        for (int64_t j = 0; j < d; ++j) {
          const double log_not = std::log1p(-std::exp(theta_[c * d + j]));
          coef_[c * d + j] = theta_[c * d + j] - log_not;
          intercept_[c] += log_not;
        }
      }
      break;
    case T::kGaussian:
      // -1/2 sum_j log(2 pi sigma_cj) folds into the intercept.
      intercept_ = pi_;
      for (int c = 0; c < k; ++c) {
        for (int64_t j = 0; j < d; ++j)
          intercept_[c] -= 0.5 * std::log(2 * std::numbers::pi * sigma_[c * d + j]);
      }
      break;
  }
}

Result<std::shared_ptr<const NaiveBayesModel>> NaiveBayesModel::Make(
    Params p, int64_t d, std::vector<double> pi, std::vector<double> theta,
    std::vector<double> sigma, std::string uid, std::vector<std::string> labels) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  const size_t k = pi.size();
  const bool gaussian = p.model_type == T::kGaussian;
  if (k < 2 || d < 1 || theta.size() != k * static_cast<size_t>(d) ||
      sigma.size() != (gaussian ? theta.size() : 0)) {
    return InvalidArgument(
        "NaiveBayesModel: " + std::to_string(k) + " priors, " + std::to_string(theta.size()) +
        " theta and " + std::to_string(sigma.size()) + " sigma values do not fit " +
        std::to_string(d) + " features of a " + TypeName(p.model_type) + " model");
  }
  for (double s : sigma) {
    if (!(s > 0)) return InvalidArgument("NaiveBayesModel: variances must be > 0");
  }
  if (!p.thresholds.empty() && p.thresholds.size() != k) {
    return InvalidArgument("NaiveBayesModel param 'thresholds': has " +
                           std::to_string(p.thresholds.size()) + " values for " +
                           std::to_string(k) + " classes");
  }
  return std::shared_ptr<const NaiveBayesModel>(
      new NaiveBayesModel(std::move(p), d, std::move(pi), std::move(theta), std::move(sigma),
                          std::move(uid), std::move(labels)));
}

Status NaiveBayesModel::SaveContents(const std::string& dir) const {
  return NaiveBayesState::Spec().Save({.num_features = num_features_,
                                       .pi = pi_,
                                       .theta = theta_,
                                       .sigma = sigma_,
                                       .labels = labels_},
                                      dir);
}

Result<std::shared_ptr<const NaiveBayesModel>> NaiveBayesModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(NaiveBayesState s, NaiveBayesState::Spec().Load(ctx));
  return Make(std::move(p), s.num_features, std::move(s.pi), std::move(s.theta), std::move(s.sigma),
              ctx.uid, std::move(s.labels));
}

Result<std::unique_ptr<BoundTransform>> NaiveBayesModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(TrainingColumns x,
                         linear::internal::BindTrainingColumns(in, params_.features_col, "", ""));
  if (x.d != num_features_) {
    return InvalidArgument("NaiveBayesModel: column '" + params_.features_col + "' has " +
                           std::to_string(x.d) + " features but the model was fitted on " +
                           std::to_string(num_features_));
  }
  const int k = num_classes();
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr out, ClassifierOutputSchema(in, params_.raw_prediction_col, params_.probability_col,
                                            params_.prediction_col, k, labels_));
  const int64_t d = num_features_;
  const P p = params_;
  const auto coef = coef_, intercept = intercept_, theta = theta_, sigma = sigma_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [=](const Batch& b) -> Result<Batch> {
        const Column& f = *b.column(x.features);
        const int64_t n = b.num_rows();
        ClassifierOutputs outputs(n, k);
        std::vector<double> row(static_cast<size_t>(d));
        for (int64_t r = 0; r < n; ++r) {
          double* raw = outputs.raw(r);
          double* prob = outputs.prob(r);
          if (f.IsNull(r)) {  // null outputs
            std::fill(raw, raw + k, 0.0);
            std::fill(prob, prob + k, 0.0);
            outputs.prediction(r) = 0;
            continue;
          }
          std::fill(row.begin(), row.end(), 0.0);
          Status bad;
          ForEachVectorEntry(f, r, [&](int64_t j, double v) {
            if (bad.ok()) bad = CheckFeature(p.model_type, v, p.features_col);
            row[j] = v;
          });
          EMBER_RETURN_IF_ERROR(bad);
          for (int c = 0; c < k; ++c) {
            double s = intercept[c];
            if (p.model_type == T::kGaussian) {
              for (int64_t j = 0; j < d; ++j) {
                const double dev = row[j] - theta[c * d + j];
                s -= 0.5 * dev * dev / sigma[c * d + j];
              }
            } else {
              for (int64_t j = 0; j < d; ++j) s += coef[c * d + j] * row[j];
            }
            raw[c] = s;
          }
          // Probabilities: the softmax of the joint log-likelihoods.
          const double top = *std::max_element(raw, raw + k);
          double z = 0;
          for (int c = 0; c < k; ++c) z += prob[c] = std::exp(raw[c] - top);
          int best = 0;
          for (int c = 0; c < k; ++c) {
            prob[c] /= z;
            if (raw[c] > raw[best]) best = c;
          }
          outputs.prediction(r) =
              p.thresholds.empty() ? best : ThresholdedPrediction(prob, p.thresholds);
        }
        std::vector<ColumnPtr> cols = b.columns();
        outputs.AppendColumns(p.raw_prediction_col, p.probability_col, p.prediction_col, f, &cols);
        return Batch::Make(out, std::move(cols), n);
      }));
}

Status RegisterNaiveBayesStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<NaiveBayes>(
      r, "Naive Bayes classification: multinomial, bernoulli, complement or gaussian."));
  return RegisterStage<NaiveBayesModel>(r, "A fitted NaiveBayes.");
}

}  // namespace ember
