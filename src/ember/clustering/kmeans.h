// KMeans (an Estimator) and its model, with Spark ML's params: k centres by Lloyd's
// iterations from a k-means|| (default) or random start, Euclidean distance, optional row
// weights. Each iteration is exact Lloyd (every row to its nearest centre, every centre to
// the weighted mean of its rows; a centre without rows stays where it is) computed with
// Hamerly's bounds, which skip the rows whose nearest centre cannot have changed; it stops
// when no centre moves more than `tol` or after `maxIter` iterations.
//
// k-means|| (Bahmani et al., as Spark): a first centre drawn uniformly, then `initSteps`
// rounds that keep each row with probability min(1, 2k w d^2 / cost), the candidates
// weighted by the rows nearest to them and reduced to k by greedy k-means++ and Lloyd on the
// candidates. Every draw depends only on `seed` and the row's values (a hash of them; the
// first centre and a random start are the rows of the smallest draws), never on where the
// row is, so the same rows give the same centres on 1 or N ranks, in any order and
// partitioning (up to the last bits of the sums). Fewer distinct rows than k give fewer
// centres, as Spark.
//
// The model adds `predictionCol` (int32, the nearest centre) and keeps the centres, the
// training cost (the weighted sum of squared distances to the nearest centre: scikit-learn's
// inertia) and the iterations run. Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class KMeansInit { kParallel, kRandom };

struct KMeansParams {
  std::string features_col = "features";
  std::string prediction_col = "prediction";
  std::string weight_col;
  int32_t k = 2;
  int32_t max_iter = 20;
  double tol = 1e-4;
  int64_t seed = 0;
  KMeansInit init_mode = KMeansInit::kParallel;
  int32_t init_steps = 2;
  static const ParamSpec<KMeansParams>& Spec();
};

class KMeansModel final : public StageBase<KMeansModel, Transformer, KMeansParams> {
 public:
  static constexpr std::string_view kTypeName = "KMeansModel";
  // `centers`: one row of num_features values per centre.
  static Result<std::shared_ptr<const KMeansModel>> Make(Params params,
                                                         std::vector<std::vector<double>> centers,
                                                         double training_cost, int32_t num_iter,
                                                         std::string uid = {});
  static Result<std::shared_ptr<const KMeansModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

  const std::vector<std::vector<double>>& centers() const { return centers_; }
  double training_cost() const { return training_cost_; }
  int32_t num_iter() const { return num_iter_; }

 private:
  KMeansModel(Params p, std::vector<std::vector<double>> centers, double cost, int32_t iter,
              std::string uid)
      : StageBase(std::move(p), std::move(uid)),
        centers_(std::move(centers)),
        training_cost_(cost),
        num_iter_(iter) {}
  std::vector<std::vector<double>> centers_;
  double training_cost_;
  int32_t num_iter_;
};

class KMeans final : public StageBase<KMeans, Estimator, KMeansParams> {
 public:
  static constexpr std::string_view kTypeName = "KMeans";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterClusteringStages(StageRegistry* registry);

}  // namespace ember
