// TextFeaturizer (an Estimator), as SynapseML's: text to a TF-IDF feature vector in one
// stage, chaining RegexTokenizer -> StopWordsRemover -> NGram -> HashingTF -> IDF, each
// switched on or off by a param. A list<string> input skips the tokenizer. Fitting gives a
// PipelineModel of the chosen stages that drops the intermediate columns, so the output is
// the input plus `outputCol`. Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct TextFeaturizerParams {
  std::string input_col;
  std::string output_col;
  bool use_tokenizer = true;
  bool tokenizer_gaps = true;
  std::string tokenizer_pattern = "\\s+";
  int32_t min_token_length = 0;
  bool to_lowercase = true;
  bool use_stop_words_remover = false;
  bool case_sensitive_stop_words = false;
  std::vector<std::string> stop_words;  // empty: the English list
  bool use_ngram = false;
  int32_t ngram_length = 2;
  bool binary = false;
  int32_t num_features = 1 << 18;
  bool use_idf = true;
  int32_t min_doc_freq = 1;
  static const ParamSpec<TextFeaturizerParams>& Spec();
};

class TextFeaturizer final : public StageBase<TextFeaturizer, Estimator, TextFeaturizerParams> {
 public:
  static constexpr std::string_view kTypeName = "TextFeaturizer";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterTextFeaturizer(StageRegistry* registry);

}  // namespace ember
