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
#include "ember/pipeline/stage_base.h"

namespace ember::explain {

// The scaffolding of an explainer that holds a model (and, for the tabular and vector ones,
// a background table): Make from objects, MakeOrLoad from a spec or a saved directory, and
// saving both inside the explainer's directory. Self declares `Status Check() const` (run
// once model and background are set) and `static constexpr bool kBackground`.
template <typename Self, typename P>
class ModelExplainer : public StageBase<Self, Transformer, P> {
 public:
  static Result<std::shared_ptr<const Self>> Make(P p, std::shared_ptr<const Transformer> model,
                                                  std::optional<Batch> background = {},
                                                  std::string uid = {}) {
    EMBER_RETURN_IF_ERROR(P::Spec().Validate(p));
    const std::string who(Self::kTypeName);
    if (model == nullptr) return InvalidArgument(who + ": param 'model': no model");
    if constexpr (Self::kBackground) {
      if (!background) return InvalidArgument(who + ": param 'backgroundData' is required");
      if (background->num_rows() == 0) {
        return InvalidArgument(who + ": param 'backgroundData' has no rows");
      }
    }
    std::shared_ptr<Self> self(new Self(std::move(p), std::move(uid)));
    self->model_ = std::move(model);
    self->background_ = std::move(background);
    EMBER_RETURN_IF_ERROR(self->Check());
    return std::shared_ptr<const Self>(std::move(self));
  }
  static Result<std::shared_ptr<const Self>> MakeOrLoad(const LoadContext& ctx) {
    const std::string who(Self::kTypeName);
    EMBER_ASSIGN_OR_RETURN(P p, P::Spec().FromJson(ctx.params));
    EMBER_RETURN_IF_ERROR(P::Spec().Validate(p));
    EMBER_ASSIGN_OR_RETURN(auto model, LoadExplainedModel(ctx, p.explain.model, who));
    std::optional<Batch> background;
    if constexpr (Self::kBackground) {
      EMBER_ASSIGN_OR_RETURN(background,
                             LoadTableParam(ctx, p.background_data, "backgroundData", who));
    }
    return Make(std::move(p), std::move(model), std::move(background), ctx.uid);
  }
  Status SaveContents(const std::string& stage_dir) const override {
    EMBER_RETURN_IF_ERROR(SaveExplainedModel(*model_, stage_dir));
    if (background_) return SaveTableParam(*background_, stage_dir, "backgroundData");
    return Status::OK();
  }
  const Transformer& model() const { return *model_; }

 protected:
  using StageBase<Self, Transformer, P>::StageBase;
  std::shared_ptr<const Transformer> model_;
  std::optional<Batch> background_;
};

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
