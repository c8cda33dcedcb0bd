// Stateless transformers of one vector column into another, with Spark ML's semantics:
// Normalizer (each row scaled to unit p-norm; a zero row stays zero), VectorSlicer (the
// slots chosen by index and by slot name, indices first, in the order given) and
// PolynomialExpansion. Sparse input stays sparse. Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct NormalizerParams {
  std::string input_col;
  std::string output_col;
  double p = 2.0;
  static const ParamSpec<NormalizerParams>& Spec();
};

class Normalizer final : public StageBase<Normalizer, Transformer, NormalizerParams> {
 public:
  static constexpr std::string_view kTypeName = "Normalizer";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct VectorSlicerParams {
  std::string input_col;
  std::string output_col;
  std::vector<int64_t> indices;
  std::vector<std::string> names;
  static const ParamSpec<VectorSlicerParams>& Spec();
};

class VectorSlicer final : public StageBase<VectorSlicer, Transformer, VectorSlicerParams> {
 public:
  static constexpr std::string_view kTypeName = "VectorSlicer";
  // Checks beyond the spec (StageBase::Make calls it): something selected, no duplicates.
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// Spark's PolynomialExpansion: every product of the input's slots up to `degree` factors,
// in Spark's order ([x, y] at degree 2: x, x*x, y, x*y, y*y), C(n + degree, degree) - 1
// slots. Sparse input gives sparse output (products of stored entries only).
struct PolynomialExpansionParams {
  std::string input_col;
  std::string output_col;
  int32_t degree = 2;
  static const ParamSpec<PolynomialExpansionParams>& Spec();
};

class PolynomialExpansion final
    : public StageBase<PolynomialExpansion, Transformer, PolynomialExpansionParams> {
 public:
  static constexpr std::string_view kTypeName = "PolynomialExpansion";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// SynapseML's CountSelector: an Estimator that keeps the slots of a vector column that are
// non-zero in some row of the data it is fitted on (over every partition and rank). Its model
// is a VectorSlicer of those slots (SynapseML has a CountSelectorModel of its own that does
// the same).
struct CountSelectorParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<CountSelectorParams>& Spec();
};

class CountSelector final : public StageBase<CountSelector, Estimator, CountSelectorParams> {
 public:
  static constexpr std::string_view kTypeName = "CountSelector";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterVectorStages(StageRegistry* registry);

}  // namespace ember
