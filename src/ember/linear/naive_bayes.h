// NaiveBayes (an Estimator) and its model, with Spark ML's params and outputs. modelType:
//
//   multinomial  (default) counts: theta_cj = log((N_cj + smoothing) / (N_c + d smoothing)),
//                N_cj the weighted sum of feature j over class c; features must be >= 0
//   bernoulli    0/1 features: theta_cj = log((N_cj + smoothing) / (W_c + 2 smoothing)),
//                W_c the class's weight; absent features count through log(1 - p)
//   complement   Rennie et al.'s complement NB as scikit-learn's ComplementNB (norm off):
//                weights -log of the smoothed shares of feature j outside class c; no prior
//   gaussian     per class and feature the weighted mean and (population) variance plus
//                1e-9 x the largest variance of any feature (scikit-learn's var_smoothing);
//                smoothing does not apply
//
// The prior is Spark's smoothed log((W_c + smoothing) / (W + k smoothing)) for multinomial
// and bernoulli, and the plain class share log(W_c / W) for gaussian (as scikit-learn's).
// rawPrediction is the joint log-likelihood per class, probability its softmax, prediction
// the most probable class (or thresholds). The feature log-probabilities equal
// scikit-learn's MultinomialNB, BernoulliNB, ComplementNB and GaussianNB (tested). Fitting
// is one or two passes of per-partition sums combined over ranks, so every rank gets the
// same model. Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class NaiveBayesType { kMultinomial, kBernoulli, kComplement, kGaussian };

struct NaiveBayesParams {
  std::string features_col = "features";
  std::string label_col = "label";
  std::string weight_col;
  std::string prediction_col = "prediction";
  std::string raw_prediction_col = "rawPrediction";
  std::string probability_col = "probability";
  double smoothing = 1.0;
  NaiveBayesType model_type = NaiveBayesType::kMultinomial;
  std::vector<double> thresholds;
  static const ParamSpec<NaiveBayesParams>& Spec();
};

class NaiveBayesModel final : public StageBase<NaiveBayesModel, Transformer, NaiveBayesParams> {
 public:
  static constexpr std::string_view kTypeName = "NaiveBayesModel";
  // `pi`: k log-priors; `theta`: k x d (row-major) feature log-probabilities (gaussian: the
  // means); `sigma`: k x d variances (gaussian only, else empty).
  static Result<std::shared_ptr<const NaiveBayesModel>> Make(
      Params params, int64_t num_features, std::vector<double> pi, std::vector<double> theta,
      std::vector<double> sigma, std::string uid = {}, std::vector<std::string> labels = {});
  static Result<std::shared_ptr<const NaiveBayesModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

  int num_classes() const { return static_cast<int>(pi_.size()); }
  int64_t num_features() const { return num_features_; }
  const std::vector<double>& pi() const { return pi_; }
  const std::vector<double>& theta() const { return theta_; }
  const std::vector<double>& sigma() const { return sigma_; }
  const std::vector<std::string>& labels() const { return labels_; }

 private:
  NaiveBayesModel(Params p, int64_t d, std::vector<double> pi, std::vector<double> theta,
                  std::vector<double> sigma, std::string uid, std::vector<std::string> labels);
  int64_t num_features_;
  std::vector<double> pi_, theta_, sigma_;
  std::vector<std::string> labels_;
  // The joint log-likelihood as intercept_c + sum_j coef_cj x_j (not gaussian).
  std::vector<double> coef_, intercept_;
};

class NaiveBayes final : public StageBase<NaiveBayes, Estimator, NaiveBayesParams> {
 public:
  static constexpr std::string_view kTypeName = "NaiveBayes";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterNaiveBayesStages(StageRegistry* registry);

}  // namespace ember
