// LIME and Kernel SHAP over columns of a table or slots of a vector, as SynapseML's
// TabularLIME, TabularSHAP, VectorLIME and VectorSHAP (C/explainers), with the params of
// explainer.h and:
//   inputCols / inputCol  the explained columns (any type the model takes) or the explained
//                         vector column (each slot a feature).
//   backgroundData        rows of the model's input (a CSV or JSON Lines file in a spec; saved
//                         inside the explainer): SHAP's "feature absent" values; LIME's
//                         standard deviations (numeric) and value frequencies (categorical).
//   infWeight (SHAP)      the weight of the empty and full coalitions (1e8).
//   categoricalFeatures (TabularLIME)  inputCols sampled from the background's values rather
//                         than around the row's value.
//   regularization, kernelWidth (LIME)  the surrogate (explainer.h).
// SHAP's output per class is [base, phi_1 .. phi_m] (base: the mean model output over the
// background); LIME's the surrogate's m coefficients. SHAP samples are evaluated against every
// background row and averaged, in blocks, without materialising the row x background cross join.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/explain/explainer.h"

namespace ember::explain {

struct TabularSHAPParams {
  ExplainParams explain;
  std::vector<std::string> input_cols;
  std::string background_data;
  double inf_weight = 1e8;
  static const ParamSpec<TabularSHAPParams>& Spec();
};

struct TabularLIMEParams {
  ExplainParams explain;
  LimeParams lime;
  std::vector<std::string> input_cols;
  std::vector<std::string> categorical_features;
  std::string background_data;
  static const ParamSpec<TabularLIMEParams>& Spec();
};

struct VectorSHAPParams {
  ExplainParams explain;
  std::string input_col;
  std::string background_data;
  double inf_weight = 1e8;
  static const ParamSpec<VectorSHAPParams>& Spec();
};

struct VectorLIMEParams {
  ExplainParams explain;
  LimeParams lime;
  std::string input_col;
  std::string background_data;
  static const ParamSpec<VectorLIMEParams>& Spec();
};

class TabularSHAP final : public ModelExplainer<TabularSHAP, TabularSHAPParams> {
 public:
  static constexpr std::string_view kTypeName = "TabularSHAP";
  static constexpr bool kBackground = true;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const;
};

class TabularLIME final : public ModelExplainer<TabularLIME, TabularLIMEParams> {
 public:
  static constexpr std::string_view kTypeName = "TabularLIME";
  static constexpr bool kBackground = true;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const;
};

class VectorSHAP final : public ModelExplainer<VectorSHAP, VectorSHAPParams> {
 public:
  static constexpr std::string_view kTypeName = "VectorSHAP";
  static constexpr bool kBackground = true;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const;
};

class VectorLIME final : public ModelExplainer<VectorLIME, VectorLIMEParams> {
 public:
  static constexpr std::string_view kTypeName = "VectorLIME";
  static constexpr bool kBackground = true;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const;
};

// Registers the explainers of this module.
Status RegisterExplainStages(StageRegistry* registry);

}  // namespace ember::explain
