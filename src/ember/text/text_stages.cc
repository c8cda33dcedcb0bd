#include "ember/text/text_stages.h"

#include <algorithm>
#include <functional>
// GCC 12's std::regex internals trip -Wmaybe-uninitialized (a known false positive,
// GCC bug 105562) when instantiated with optimisation and sanitizers.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif
#include <unordered_set>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"

namespace ember {

namespace {

bool IsString(const DataType& t) { return t.id() == TypeId::kString; }
bool IsStringList(const DataType& t) {
  return t.id() == TypeId::kList && t.value_type()->id() == TypeId::kString;
}

TypePtr StringListType() { return ListType(StringType()); }

// Binds a stage that maps column `input` (accepted by `accept`) to a new column `output` of
// `out_type`; `fill(column, builder)` builds the whole output column of one batch.
using FillFn = std::function<Status(const Column&, ColumnBuilder*)>;
Result<std::unique_ptr<BoundTransform>> BindUnary(const Schema& in, const std::string& input,
                                                  const std::string& output,
                                                  bool (*accept)(const DataType&),
                                                  std::string_view expected, TypePtr out_type,
                                                  FillFn fill) {
  EMBER_ASSIGN_OR_RETURN(int col, in.GetFieldIndexOfType(input, accept, expected));
  if (in.FindField(output) >= 0)
    return AlreadyExists("output column '" + output + "' already exists");
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(MakeField(output, out_type)));
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, col, out_type, fill](const Batch& b) -> Result<Batch> {
        std::unique_ptr<ColumnBuilder> builder = MakeBuilder(out_type);
        EMBER_RETURN_IF_ERROR(fill(*b.column(col), builder.get()));
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(builder->Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

// Calls fn(row, tokens) for each non-null row of a list<string> column, appending null rows
// of `builder` itself; `fn` appends the row.
template <typename Fn>
void ForEachTokenRow(const Column& c, ColumnBuilder* builder, std::vector<std::string_view>* tokens,
                     Fn&& fn) {
  const int32_t* off = c.Offsets();
  const Column& words = *c.child(0);
  for (int64_t r = 0; r < c.length(); ++r) {
    if (c.IsNull(r)) {
      builder->AppendNull();
      continue;
    }
    tokens->clear();
    for (int32_t k = off[r]; k < off[r + 1]; ++k) {
      tokens->push_back(words.IsNull(k) ? std::string_view() : words.StringValue(k));
    }
    fn(r, *tokens);
  }
}

void AppendTokens(ListBuilder* lb, const std::vector<std::string>& tokens) {
  lb->Append();
  auto* values = static_cast<StringBuilder*>(lb->value_builder());
  for (const auto& t : tokens) values->Append(t);
}

// A set of strings that string_views look up without a copy.
struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
using WordSet = std::unordered_set<std::string, ViewHash, std::equal_to<>>;

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::string LowerText(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + 32);
    } else if (c == 0xC3 && i + 1 < out.size()) {  // Latin-1 capitals U+00C0..U+00DE but not U+00D7
      const unsigned char d = static_cast<unsigned char>(out[i + 1]);
      if (d >= 0x80 && d <= 0x9E && d != 0x97) out[i + 1] = static_cast<char>(d + 0x20);
      ++i;
    }
  }
  return out;
}

uint32_t Murmur3X86_32(std::string_view data, uint32_t seed) {
  constexpr uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const size_t n = data.size();
  uint32_t h = seed;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t k = uint32_t(p[i]) | uint32_t(p[i + 1]) << 8 | uint32_t(p[i + 2]) << 16 |
                 uint32_t(p[i + 3]) << 24;
    k *= c1;
    k = rotl(k, 15);
    k *= c2;
    h ^= k;
    h = rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  uint32_t k = 0;
  switch (n & 3) {
    case 3:
      k ^= uint32_t(p[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      k ^= uint32_t(p[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      k ^= p[i];
      k *= c1;
      k = rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<uint32_t>(n);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

const std::vector<std::string>& EnglishStopWords() {
  static const auto* words = new std::vector<std::string>{
      "i",          "me",      "my",        "myself",  "we",       "our",        "ours",
      "ourselves",  "you",     "your",      "yours",   "yourself", "yourselves", "he",
      "him",        "his",     "himself",   "she",     "her",      "hers",       "herself",
      "it",         "its",     "itself",    "they",    "them",     "their",      "theirs",
      "themselves", "what",    "which",     "who",     "whom",     "this",       "that",
      "these",      "those",   "am",        "is",      "are",      "was",        "were",
      "be",         "been",    "being",     "have",    "has",      "had",        "having",
      "do",         "does",    "did",       "doing",   "a",        "an",         "the",
      "and",        "but",     "if",        "or",      "because",  "as",         "until",
      "while",      "of",      "at",        "by",      "for",      "with",       "about",
      "against",    "between", "into",      "through", "during",   "before",     "after",
      "above",      "below",   "to",        "from",    "up",       "down",       "in",
      "out",        "on",      "off",       "over",    "under",    "again",      "further",
      "then",       "once",    "here",      "there",   "when",     "where",      "why",
      "how",        "all",     "any",       "both",    "each",     "few",        "more",
      "most",       "other",   "some",      "such",    "no",       "nor",        "not",
      "only",       "own",     "same",      "so",      "than",     "too",        "very",
      "s",          "t",       "can",       "will",    "just",     "don",        "should",
      "now",        "i'll",    "you'll",    "he'll",   "she'll",   "we'll",      "they'll",
      "i'd",        "you'd",   "he'd",      "she'd",   "we'd",     "they'd",     "i'm",
      "you're",     "he's",    "she's",     "it's",    "we're",    "they're",    "i've",
      "we've",      "you've",  "they've",   "isn't",   "aren't",   "wasn't",     "weren't",
      "haven't",    "hasn't",  "hadn't",    "don't",   "doesn't",  "didn't",     "won't",
      "wouldn't",   "shan't",  "shouldn't", "mustn't", "can't",    "couldn't",   "cannot",
      "could",      "here's",  "how's",     "let's",   "ought",    "that's",     "there's",
      "what's",     "when's",  "where's",   "who's",   "why's",    "would"};
  return *words;
}

// Tokenizer ----------------------------------------------------------------------------------

const ParamSpec<TokenizerParams>& TokenizerParams::Spec() {
  using P = TokenizerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Tokenizer")
          .Add("inputCol", &P::input_col, "The string column to split.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The list<string> column of tokens to add.",
               NonEmpty<std::string>()));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> Tokenizer::Bind(const Schema& in) const {
  return BindUnary(in, params_.input_col, params_.output_col, IsString, "a string column",
                   StringListType(), [](const Column& c, ColumnBuilder* b) {
                     auto* lb = static_cast<ListBuilder*>(b);
                     auto* values = static_cast<StringBuilder*>(lb->value_builder());
                     for (int64_t r = 0; r < c.length(); ++r) {
                       if (c.IsNull(r)) {
                         lb->AppendNull();
                         continue;
                       }
                       const std::string text = LowerText(c.StringValue(r));
                       lb->Append();
                       // Java's split: every separator ends a token; trailing empties dropped.
                       std::vector<std::string_view> parts;
                       size_t start = 0;
                       for (size_t i = 0; i <= text.size(); ++i) {
                         if (i == text.size() || IsSpace(text[i])) {
                           parts.push_back(std::string_view(text).substr(start, i - start));
                           start = i + 1;
                         }
                       }
                       while (!parts.empty() && parts.back().empty()) parts.pop_back();
                       for (auto t : parts) values->Append(t);
                     }
                     return Status::OK();
                   });
}

// RegexTokenizer -----------------------------------------------------------------------------

const ParamSpec<RegexTokenizerParams>& RegexTokenizerParams::Spec() {
  using P = RegexTokenizerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("RegexTokenizer")
          .Add("inputCol", &P::input_col, "The string column to split.", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The list<string> column of tokens to add.",
               NonEmpty<std::string>())
          .Add("pattern", &P::pattern, "The regular expression (ECMAScript syntax).",
               Validator<std::string>{[](const std::string& s) -> Status {
                                        try {
                                          std::regex re(s);
                                        } catch (const std::regex_error& e) {
                                          return InvalidArgument(
                                              std::string("not a valid regular expression: ") +
                                              e.what());
                                        }
                                        return Status::OK();
                                      },
                                      "a valid regular expression"})
          .Add("gaps", &P::gaps,
               "The pattern matches separators (true) or the tokens themselves (false).")
          .Add("minTokenLength", &P::min_token_length, "Shorter tokens are dropped.",
               AtLeast<int32_t>(0))
          .Add("toLowercase", &P::to_lowercase, "Lower-case the text before splitting."));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> RegexTokenizer::Bind(const Schema& in) const {
  const Params p = params_;
  // The default pattern runs without std::regex.
  const bool whitespace = p.gaps && p.pattern == "\\s+";
  auto re =
      std::make_shared<const std::regex>(p.pattern, std::regex::ECMAScript | std::regex::optimize);
  return BindUnary(in, p.input_col, p.output_col, IsString, "a string column", StringListType(),
                   [p, whitespace, re](const Column& c, ColumnBuilder* b) {
                     auto* lb = static_cast<ListBuilder*>(b);
                     auto* values = static_cast<StringBuilder*>(lb->value_builder());
                     const size_t min_len = static_cast<size_t>(p.min_token_length);
                     for (int64_t r = 0; r < c.length(); ++r) {
                       if (c.IsNull(r)) {
                         lb->AppendNull();
                         continue;
                       }
                       const std::string text = p.to_lowercase ? LowerText(c.StringValue(r))
                                                               : std::string(c.StringValue(r));
                       lb->Append();
                       auto emit = [&](std::string_view t) {
                         if (t.size() >= min_len && !(p.gaps && t.empty())) values->Append(t);
                       };
                       if (whitespace) {
                         size_t i = 0;
                         while (i < text.size()) {
                           while (i < text.size() && IsSpace(text[i])) ++i;
                           size_t j = i;
                           while (j < text.size() && !IsSpace(text[j])) ++j;
                           if (j > i) emit(std::string_view(text).substr(i, j - i));
                           i = j;
                         }
                       } else if (p.gaps) {
                         std::sregex_token_iterator it(text.begin(), text.end(), *re, -1), end;
                         for (; it != end; ++it) emit(std::string_view(&*it->first, it->length()));
                       } else {
                         std::sregex_iterator it(text.begin(), text.end(), *re), end;
                         for (; it != end; ++it)
                           emit(std::string_view(text).substr(it->position(), it->length()));
                       }
                     }
                     return Status::OK();
                   });
}

// StopWordsRemover ---------------------------------------------------------------------------

const ParamSpec<StopWordsRemoverParams>& StopWordsRemoverParams::Spec() {
  using P = StopWordsRemoverParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("StopWordsRemover")
          .Add("inputCol", &P::input_col, "The list<string> column of tokens.",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The filtered list<string> column to add.",
               NonEmpty<std::string>())
          .Add("stopWords", &P::stop_words,
               "The words to remove; empty for the default English list.")
          .Add("caseSensitive", &P::case_sensitive, "Match stop words case-sensitively."));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> StopWordsRemover::Bind(const Schema& in) const {
  const bool cs = params_.case_sensitive;
  auto words = std::make_shared<WordSet>();
  for (const auto& w : params_.stop_words.empty() ? EnglishStopWords() : params_.stop_words) {
    words->insert(cs ? w : LowerText(w));
  }
  return BindUnary(in, params_.input_col, params_.output_col, IsStringList, "a list<string> column",
                   StringListType(), [cs, words](const Column& c, ColumnBuilder* b) {
                     auto* lb = static_cast<ListBuilder*>(b);
                     std::vector<std::string_view> tokens;
                     std::vector<std::string> kept;
                     ForEachTokenRow(c, lb, &tokens,
                                     [&](int64_t, const std::vector<std::string_view>& ts) {
                                       kept.clear();
                                       for (auto t : ts) {
                                         // Case-sensitive lookups take the token as it is, with no
                                         // copy.
                                         if (!(cs ? words->count(t) : words->count(LowerText(t))))
                                           kept.emplace_back(t);
                                       }
                                       AppendTokens(lb, kept);
                                     });
                     return Status::OK();
                   });
}

// NGram --------------------------------------------------------------------------------------

const ParamSpec<NGramParams>& NGramParams::Spec() {
  using P = NGramParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("NGram")
                    .Add("inputCol", &P::input_col, "The list<string> column of tokens.",
                         NonEmpty<std::string>())
                    .Add("outputCol", &P::output_col, "The list<string> column of n-grams to add.",
                         NonEmpty<std::string>())
                    .Add("n", &P::n, "Tokens per n-gram.", AtLeast<int32_t>(1)));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> NGram::Bind(const Schema& in) const {
  const size_t n = static_cast<size_t>(params_.n);
  return BindUnary(in, params_.input_col, params_.output_col, IsStringList, "a list<string> column",
                   StringListType(), [n](const Column& c, ColumnBuilder* b) {
                     auto* lb = static_cast<ListBuilder*>(b);
                     std::vector<std::string_view> tokens;
                     std::vector<std::string> grams;
                     ForEachTokenRow(c, lb, &tokens,
                                     [&](int64_t, const std::vector<std::string_view>& ts) {
                                       grams.clear();
                                       for (size_t i = 0; i + n <= ts.size(); ++i) {
                                         std::string g(ts[i]);
                                         for (size_t k = 1; k < n; ++k) (g += ' ') += ts[i + k];
                                         grams.push_back(std::move(g));
                                       }
                                       AppendTokens(lb, grams);
                                     });
                     return Status::OK();
                   });
}

// HashingTF ----------------------------------------------------------------------------------

const ParamSpec<HashingTFParams>& HashingTFParams::Spec() {
  using P = HashingTFParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("HashingTF")
          .Add("inputCol", &P::input_col, "The list<string> column of terms.",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The sparse vector column of term frequencies to add.",
               NonEmpty<std::string>())
          .Add("numFeatures", &P::num_features,
               "Slots of the output vector (terms are hashed into them).", AtLeast<int32_t>(1))
          .Add("binary", &P::binary, "1 for a present term instead of its count."));
  return spec;
}

namespace {
int32_t HashIndex(std::string_view term, int32_t num_features) {
  const int32_t h = static_cast<int32_t>(Murmur3X86_32(term, 42));
  const int32_t m = h % num_features;
  return m < 0 ? m + num_features : m;
}
}  // namespace

int32_t HashingTF::IndexOf(std::string_view term) const {
  return HashIndex(term, params_.num_features);
}

Result<std::unique_ptr<BoundTransform>> HashingTF::Bind(const Schema& in) const {
  const int32_t num_features = params_.num_features;
  const bool binary = params_.binary;
  return BindUnary(in, params_.input_col, params_.output_col, IsStringList, "a list<string> column",
                   SparseVectorType(params_.num_features),
                   [num_features, binary](const Column& c, ColumnBuilder* b) {
                     auto* vb = static_cast<SparseVectorBuilder*>(b);
                     std::vector<std::string_view> tokens;
                     std::vector<int32_t> idx;
                     std::vector<int32_t> uniq;
                     std::vector<double> val;
                     Status st;
                     ForEachTokenRow(c, vb, &tokens,
                                     [&](int64_t, const std::vector<std::string_view>& ts) {
                                       idx.clear();
                                       for (auto t : ts) idx.push_back(HashIndex(t, num_features));
                                       std::sort(idx.begin(), idx.end());
                                       uniq.clear();
                                       val.clear();
                                       for (size_t i = 0; i < idx.size();) {
                                         size_t j = i;
                                         while (j < idx.size() && idx[j] == idx[i]) ++j;
                                         uniq.push_back(idx[i]);
                                         val.push_back(binary ? 1.0 : static_cast<double>(j - i));
                                         i = j;
                                       }
                                       if (st.ok()) st = vb->Append(uniq, val);
                                     });
                     return st;
                   });
}

Status RegisterTextStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<Tokenizer>(r, "Lower-cases text and splits it on whitespace."));
  EMBER_RETURN_IF_ERROR(RegisterStage<RegexTokenizer>(r, "Splits text with a regular expression."));
  EMBER_RETURN_IF_ERROR(RegisterStage<StopWordsRemover>(r, "Removes stop words from token lists."));
  EMBER_RETURN_IF_ERROR(RegisterStage<NGram>(r, "Turns token lists into lists of n-grams."));
  return RegisterStage<HashingTF>(r, "Hashes terms into a sparse term-frequency vector.");
}

}  // namespace ember
