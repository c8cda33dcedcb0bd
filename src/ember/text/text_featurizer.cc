#include "ember/text/text_featurizer.h"

#include "ember/base/status_macros.h"
#include "ember/pipeline/pipeline.h"
#include "ember/stages/column_stages.h"
#include "ember/text/idf.h"
#include "ember/text/text_stages.h"

namespace ember {

const ParamSpec<TextFeaturizerParams>& TextFeaturizerParams::Spec() {
  using P = TextFeaturizerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("TextFeaturizer")
          .Add("inputCol", &P::input_col, "The text (string) or token (list<string>) column.",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The feature vector column to add.",
               NonEmpty<std::string>())
          .Add("useTokenizer", &P::use_tokenizer, "Split the text with a regular expression.")
          .Add("tokenizerGaps", &P::tokenizer_gaps,
               "The pattern matches separators (true) or tokens (false).")
          .Add("tokenizerPattern", &P::tokenizer_pattern, "The tokenizer's regular expression.",
               NonEmpty<std::string>())
          .Add("minTokenLength", &P::min_token_length, "Shorter tokens are dropped.",
               AtLeast<int32_t>(0))
          .Add("toLowercase", &P::to_lowercase, "Lower-case the text first.")
          .Add("useStopWordsRemover", &P::use_stop_words_remover, "Remove stop words.")
          .Add("caseSensitiveStopWords", &P::case_sensitive_stop_words,
               "Match stop words case-sensitively.")
          .Add("stopWords", &P::stop_words, "The stop words; empty for the default English list.")
          .Add("useNGram", &P::use_ngram, "Turn tokens into n-grams.")
          .Add("nGramLength", &P::ngram_length, "Tokens per n-gram.", AtLeast<int32_t>(1))
          .Add("binary", &P::binary, "Term presence (1) instead of counts.")
          .Add("numFeatures", &P::num_features, "Slots of the hashed vector.", AtLeast<int32_t>(1))
          .Add("useIDF", &P::use_idf, "Weight terms by inverse document frequency.")
          .Add("minDocFreq", &P::min_doc_freq,
               "With useIDF: terms in fewer documents get weight 0.", AtLeast<int32_t>(0)));
  return spec;
}

Status TextFeaturizer::Check(const Params& p) {
  EMBER_RETURN_IF_ERROR(
      RegexTokenizer::Make({.input_col = "in", .output_col = "out", .pattern = p.tokenizer_pattern})
          .status()
          .WithContext("TextFeaturizer param 'tokenizerPattern'"));
  return Status::OK();
}

Result<SchemaPtr> TextFeaturizer::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(
      int col, in.GetFieldIndexOfType(
                   params_.input_col,
                   [](const DataType& t) {
                     return t.id() == TypeId::kString ||
                            (t.id() == TypeId::kList && t.value_type()->id() == TypeId::kString);
                   },
                   "a string or list<string> column"));
  (void)col;
  if (in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("output column '" + params_.output_col + "' already exists");
  }
  return in.AddField(MakeField(params_.output_col, SparseVectorType(params_.num_features)));
}

Result<std::shared_ptr<const Transformer>> TextFeaturizer::Fit(const DataFrame& in,
                                                               const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  const Params& p = params_;
  const bool tokens_in =
      in.schema()->field(in.schema()->FindField(p.input_col)).type->id() == TypeId::kList;
  std::vector<std::shared_ptr<const Stage>> stages;
  std::vector<std::string> temporaries;
  std::string current = p.input_col;
  // Intermediate columns are named after this stage's uid, so they cannot clash.
  auto next = [&](const std::string& what) {
    std::string name = "__" + uid() + "_" + what;
    temporaries.push_back(name);
    return name;
  };
  if (p.use_tokenizer && !tokens_in) {
    std::string out = next("tokens");
    EMBER_ASSIGN_OR_RETURN(auto s, RegexTokenizer::Make({.input_col = current,
                                                         .output_col = out,
                                                         .pattern = p.tokenizer_pattern,
                                                         .gaps = p.tokenizer_gaps,
                                                         .min_token_length = p.min_token_length,
                                                         .to_lowercase = p.to_lowercase}));
    stages.push_back(s);
    current = out;
  } else if (!tokens_in) {
    return InvalidArgument(
        "TextFeaturizer param 'useTokenizer': column '" + p.input_col +
        "' is a string, so it must be tokenized (or pass a list<string> column)");
  }
  if (p.use_stop_words_remover) {
    std::string out = next("filtered");
    EMBER_ASSIGN_OR_RETURN(auto s,
                           StopWordsRemover::Make({.input_col = current,
                                                   .output_col = out,
                                                   .stop_words = p.stop_words,
                                                   .case_sensitive = p.case_sensitive_stop_words}));
    stages.push_back(s);
    current = out;
  }
  if (p.use_ngram) {
    std::string out = next("ngrams");
    EMBER_ASSIGN_OR_RETURN(
        auto s, NGram::Make({.input_col = current, .output_col = out, .n = p.ngram_length}));
    stages.push_back(s);
    current = out;
  }
  {
    std::string out = p.use_idf ? next("tf") : p.output_col;
    EMBER_ASSIGN_OR_RETURN(auto s, HashingTF::Make({.input_col = current,
                                                    .output_col = out,
                                                    .num_features = p.num_features,
                                                    .binary = p.binary}));
    stages.push_back(s);
    current = out;
  }
  if (p.use_idf) {
    EMBER_ASSIGN_OR_RETURN(auto s, IDF::Make({.input_col = current,
                                              .output_col = p.output_col,
                                              .min_doc_freq = p.min_doc_freq}));
    stages.push_back(s);
  }
  if (!temporaries.empty()) {
    EMBER_ASSIGN_OR_RETURN(auto drop, DropColumns::Make({.cols = temporaries}));
    stages.push_back(drop);
  }
  EMBER_ASSIGN_OR_RETURN(auto pipeline, Pipeline::Make(std::move(stages), uid()));
  return pipeline->Fit(in, ctx);
}

Status RegisterTextFeaturizer(StageRegistry* r) {
  return RegisterStage<TextFeaturizer>(
      r, "Text to TF-IDF vectors: tokenize, stop words, n-grams, hashing, IDF.");
}

}  // namespace ember
