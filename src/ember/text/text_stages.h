// SparkML's text featurizers, with its semantics: Tokenizer, RegexTokenizer,
// StopWordsRemover, NGram, HashingTF (transformers) and IDF (an estimator; idf.h). Text
// stages map a null row to a null row. Lower-casing covers ASCII and Latin-1 letters
// (Spark's covers all of Unicode); regular expressions are ECMAScript (std::regex), which
// agrees with Java's for the usual patterns (\s, \w, \W, classes, alternation,
// quantifiers). Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

// Lower-cases ASCII and Latin-1 letters of UTF-8 text.
std::string LowerText(std::string_view s);
// MurmurHash3_x86_32 of `data` (the hash of Spark's HashingTF, seed 42).
uint32_t Murmur3X86_32(std::string_view data, uint32_t seed);
// The default stop words of StopWordsRemover: an English list like SparkML's.
const std::vector<std::string>& EnglishStopWords();

struct TokenizerParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<TokenizerParams>& Spec();
};

// Lower-cases and splits on each whitespace character, as SparkML's Tokenizer (Java's
// String.split("\\s"): runs of spaces give empty tokens, trailing ones are dropped).
class Tokenizer final : public StageBase<Tokenizer, Transformer, TokenizerParams> {
 public:
  static constexpr std::string_view kTypeName = "Tokenizer";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct RegexTokenizerParams {
  std::string input_col;
  std::string output_col;
  std::string pattern = "\\s+";
  bool gaps = true;  // the pattern matches separators (true) or tokens (false)
  int32_t min_token_length = 1;
  bool to_lowercase = true;
  static const ParamSpec<RegexTokenizerParams>& Spec();
};

class RegexTokenizer final : public StageBase<RegexTokenizer, Transformer, RegexTokenizerParams> {
 public:
  static constexpr std::string_view kTypeName = "RegexTokenizer";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct StopWordsRemoverParams {
  std::string input_col;
  std::string output_col;
  std::vector<std::string> stop_words;  // empty: EnglishStopWords()
  bool case_sensitive = false;
  static const ParamSpec<StopWordsRemoverParams>& Spec();
};

class StopWordsRemover final
    : public StageBase<StopWordsRemover, Transformer, StopWordsRemoverParams> {
 public:
  static constexpr std::string_view kTypeName = "StopWordsRemover";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct NGramParams {
  std::string input_col;
  std::string output_col;
  int32_t n = 2;
  static const ParamSpec<NGramParams>& Spec();
};

// Each run of n consecutive tokens joined by a space; fewer than n tokens give none.
class NGram final : public StageBase<NGram, Transformer, NGramParams> {
 public:
  static constexpr std::string_view kTypeName = "NGram";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct HashingTFParams {
  std::string input_col;
  std::string output_col;
  int32_t num_features = 1 << 18;
  bool binary = false;
  static const ParamSpec<HashingTFParams>& Spec();
};

// Term counts in a sparse vector of numFeatures slots; a term's slot is
// murmur3_x86_32(utf8, seed 42) mod numFeatures (non-negative), as SparkML's, so vectors
// agree with Spark's for the same terms.
class HashingTF final : public StageBase<HashingTF, Transformer, HashingTFParams> {
 public:
  static constexpr std::string_view kTypeName = "HashingTF";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  int32_t IndexOf(std::string_view term) const;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterTextStages(StageRegistry* registry);

}  // namespace ember
