// LIME and Kernel SHAP over the tokens of a text, as SynapseML's TextLIME and TextSHAP, with
// the params of explainer.h and:
//   inputCol          the explained text (a string column the model reads).
//   tokensCol         the text's tokens (list<string>), added to the output: each a feature,
//                     in order. Tokens are the text split on white space, kept as written (the
//                     model's own Tokenizer lower-cases them if it does); a sample's text is its
//                     tokens that are on, joined by single spaces.
//   samplingFraction  (LIME) the chance that a token is on in a sample (0.7).
//   infWeight         (SHAP) the weight of the empty and full coalitions (1e8).
// SHAP's base is the model's output for the empty text. No background. A text with no token
// is that row's error.
#pragma once

#include <string>

#include "ember/explain/explainer.h"

namespace ember::explain {

struct TextSHAPParams {
  ExplainParams explain;
  std::string input_col = "text";
  std::string tokens_col = "tokens";
  double inf_weight = 1e8;
  static const ParamSpec<TextSHAPParams>& Spec();
};

struct TextLIMEParams {
  ExplainParams explain;
  LimeParams lime;
  std::string input_col = "text";
  std::string tokens_col = "tokens";
  double sampling_fraction = 0.7;
  static const ParamSpec<TextLIMEParams>& Spec();
};

class TextSHAP final : public ModelExplainer<TextSHAP, TextSHAPParams> {
 public:
  static constexpr std::string_view kTypeName = "TextSHAP";
  static constexpr bool kBackground = false;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const { return Status::OK(); }
};

class TextLIME final : public ModelExplainer<TextLIME, TextLIMEParams> {
 public:
  static constexpr std::string_view kTypeName = "TextLIME";
  static constexpr bool kBackground = false;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend ModelExplainer;
  using ModelExplainer::ModelExplainer;
  Status Check() const { return Status::OK(); }
};

}  // namespace ember::explain
