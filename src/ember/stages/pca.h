// PCA (an Estimator) and PCAModel, with Spark ML's semantics: the k principal components of
// a vector column (the eigenvectors of its covariance matrix, corrected by n - 1, with the
// largest eigenvalues) and the share of the variance each explains. The model projects each
// row onto them as Spark does, without centering it first (scikit-learn's PCA.transform
// subtracts the mean: the outputs differ from it by the constant mean x components). Each
// component's sign is fixed so that its entry of largest magnitude is positive. Fitting is two
// exact passes (the mean, then the centred cross-products) combined over partitions and
// ranks, and a Jacobi eigendecomposition of the d x d covariance (d at most 1,000).
// Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct PCAParams {
  std::string input_col;
  std::string output_col;
  int32_t k = 0;
  static const ParamSpec<PCAParams>& Spec();
};

class PCAModel final : public StageBase<PCAModel, Transformer, PCAParams> {
 public:
  static constexpr std::string_view kTypeName = "PCAModel";
  // `components`: k rows of d values (row j is the j-th principal component).
  static Result<std::shared_ptr<const PCAModel>> Make(Params params,
                                                      std::vector<std::vector<double>> components,
                                                      std::vector<double> explained_variance,
                                                      std::string uid = {});
  static Result<std::shared_ptr<const PCAModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<std::vector<double>>& components() const { return components_; }
  const std::vector<double>& explained_variance() const { return explained_variance_; }

 private:
  PCAModel(Params p, std::vector<std::vector<double>> c, std::vector<double> v, std::string uid)
      : StageBase(std::move(p), std::move(uid)),
        components_(std::move(c)),
        explained_variance_(std::move(v)) {}
  std::vector<std::vector<double>> components_;
  std::vector<double> explained_variance_;
};

class PCA final : public StageBase<PCA, Estimator, PCAParams> {
 public:
  static constexpr std::string_view kTypeName = "PCA";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// The eigenvalues (descending) and eigenvectors (rows, matching) of the symmetric d x d
// matrix `a` (row-major), by cyclic Jacobi rotations. Exposed for tests.
void SymmetricEigen(std::vector<double> a, int64_t d, std::vector<double>* values,
                    std::vector<std::vector<double>>* vectors);

Status RegisterPCAStages(StageRegistry* registry);

}  // namespace ember
