// BisectingKMeans (an Estimator) and its model, with Spark ML's params and algorithm: a
// divisive hierarchical k-means. All rows start in one cluster; at each level every
// divisible leaf (at least minDivisibleClusterSize rows, a count when >= 1 and a share of
// the rows otherwise, and a non-zero cost) is split in two by `maxIter` Lloyd iterations
// between two children started at its centre -/+ a small seeded perturbation, the largest
// leaves first when fewer splits are needed to reach `k` leaves. The model keeps the tree:
// a row goes down it to the nearer child at each split (as Spark predicts, which is not
// always the nearest leaf centre), and `predictionCol` (int32) is its leaf, leaves numbered
// left to right. Euclidean distance; Spark's cosine measure is not offered. Sums go over
// partitions and ranks, and the perturbations depend only on the seed and the node, so 1 or
// N ranks give the same tree. The perturbation is 1e-4 x max(|centre|, the cluster's RMS
// radius) (Spark's is 1e-4 |centre| alone, which cannot split a cluster centred at 0).
// Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct BisectingKMeansParams {
  std::string features_col = "features";
  std::string prediction_col = "prediction";
  std::string weight_col;
  int32_t k = 4;
  int32_t max_iter = 20;
  int64_t seed = 0;
  double min_divisible_cluster_size = 1.0;
  std::string distance_measure = "euclidean";
  static const ParamSpec<BisectingKMeansParams>& Spec();
};

// A node of the fitted tree: its centre, weighted size and cost (sum of squared distances
// of its rows to the centre), and its children (-1 for a leaf).
struct BisectingNode {
  std::vector<double> center;
  double size = 0;
  double cost = 0;
  int32_t left = -1, right = -1;
};

class BisectingKMeansModel final
    : public StageBase<BisectingKMeansModel, Transformer, BisectingKMeansParams> {
 public:
  static constexpr std::string_view kTypeName = "BisectingKMeansModel";
  // `nodes[0]` is the root; every other node is the child of one node.
  static Result<std::shared_ptr<const BisectingKMeansModel>> Make(Params params,
                                                                  std::vector<BisectingNode> nodes,
                                                                  std::string uid = {});
  static Result<std::shared_ptr<const BisectingKMeansModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

  const std::vector<BisectingNode>& nodes() const { return nodes_; }
  // The leaves' centres, in leaf order (the prediction's values).
  std::vector<std::vector<double>> cluster_centers() const;
  // The sum of the leaves' costs.
  double training_cost() const;

 private:
  BisectingKMeansModel(Params p, std::vector<BisectingNode> nodes, std::vector<int32_t> leaves,
                       std::string uid)
      : StageBase(std::move(p), std::move(uid)),
        nodes_(std::move(nodes)),
        leaves_(std::move(leaves)) {}
  std::vector<BisectingNode> nodes_;
  std::vector<int32_t> leaves_;  // the leaf nodes, left to right
};

class BisectingKMeans final : public StageBase<BisectingKMeans, Estimator, BisectingKMeansParams> {
 public:
  static constexpr std::string_view kTypeName = "BisectingKMeans";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterBisectingKMeansStages(StageRegistry* registry);

}  // namespace ember
