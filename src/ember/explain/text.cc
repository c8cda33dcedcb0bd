#include "ember/explain/text.h"

#include <cctype>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember::explain {

namespace {

std::vector<std::string> Tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

// The text column of `in` named `name`; the error names the param.
Result<int> TextColumn(const Schema& in, const std::string& name, const std::string& who) {
  const int c = in.FindField(name);
  if (c < 0) return InvalidArgument(who + ": param 'inputCol': no column '" + name + "'");
  if (in.field(c).type->id() != TypeId::kString) {
    return InvalidArgument(who + ": param 'inputCol': '" + name + "' is " +
                           in.field(c).type->ToString() + ", not a string");
  }
  return c;
}

// Rows of `in`'s row r repeated, the text column replaced by each sample's kept tokens.
Result<Batch> TextSamples(const Batch& in, int64_t r, int col, const std::vector<std::string>& tok,
                          const double* states, int64_t count) {
  const int m = static_cast<int>(tok.size());
  EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> cols, RepeatRow(in, r, count, col));
  StringBuilder text;
  std::string s;
  for (int64_t i = 0; i < count; ++i) {
    s.clear();
    for (int j = 0; j < m; ++j) {
      if (states[i * m + j] == 0) continue;
      if (!s.empty()) s += ' ';
      s += tok[j];
    }
    text.Append(s);
  }
  cols[col] = text.Finish();
  return Batch::Make(in.schema(), std::move(cols), count);
}

}  // namespace

const ParamSpec<TextSHAPParams>& TextSHAPParams::Spec() {
  using P = TextSHAPParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("TextSHAP")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .Add("inputCol", &P::input_col, "The explained text column.", NonEmpty<std::string>())
          .Add("tokensCol", &P::tokens_col, "The text's tokens (the features), added.",
               NonEmpty<std::string>())
          .Add("infWeight", &P::inf_weight,
               "The weight of the empty and the full coalition in the regression.", Positive()));
  return spec;
}

const ParamSpec<TextLIMEParams>& TextLIMEParams::Spec() {
  using P = TextLIMEParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("TextLIME")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .AddGroup(&P::lime, LimeParams::Spec())
          .Add("inputCol", &P::input_col, "The explained text column.", NonEmpty<std::string>())
          .Add("tokensCol", &P::tokens_col, "The text's tokens (the features), added.",
               NonEmpty<std::string>())
          .Add("samplingFraction", &P::sampling_fraction,
               "The chance that a token is kept in a sample.", OpenFraction()));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> TextSHAP::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(int col, TextColumn(in, params_.input_col, who));
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const TextSHAPParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    const Column& c = *batch.column(col);
    if (c.IsNull(r)) return InvalidArgument("'" + p.input_col + "' is null");
    std::vector<std::string> tok = Tokens(c.StringValue(r));
    if (tok.empty()) return InvalidArgument("'" + p.input_col + "' has no tokens");
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    const int m = static_cast<int>(tok.size());
    std::vector<double> states;
    auto build = [&](const uint8_t* masks, int64_t count) -> Result<Batch> {
      states.assign(masks, masks + count * m);
      return TextSamples(batch, r, col, tok, states.data(), count);
    };
    const int hashed[] = {col};
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, hashed);
    EMBER_ASSIGN_OR_RETURN(RowExplanation e, ExplainShap(scorer, scratch, m, p.explain.num_samples,
                                                         p.inf_weight, 1, rng, build, classes));
    e.tokens = std::move(tok);
    return e;
  };
  return MakeExplainKernel(in, params_.explain, 0, std::move(scorer), explain, who,
                           {params_.tokens_col, ListType(StringType())});
}

Result<std::unique_ptr<BoundTransform>> TextLIME::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(int col, TextColumn(in, params_.input_col, who));
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const TextLIMEParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    const Column& c = *batch.column(col);
    if (c.IsNull(r)) return InvalidArgument("'" + p.input_col + "' is null");
    std::vector<std::string> tok = Tokens(c.StringValue(r));
    if (tok.empty()) return InvalidArgument("'" + p.input_col + "' has no tokens");
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    const int m = static_cast<int>(tok.size());
    const int64_t n = p.explain.num_samples > 0 ? p.explain.num_samples : 1000;
    const int hashed[] = {col};
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, hashed);
    std::vector<double> states, distances;
    LimeMasks(m, n, p.sampling_fraction, rng, &states, &distances);
    auto build = [&](int64_t from, int64_t to) {
      return TextSamples(batch, r, col, tok, states.data() + from * m, to - from);
    };
    EMBER_ASSIGN_OR_RETURN(RowExplanation e, FitLime(scorer, scratch, p.lime, m, n, states,
                                                     distances, build, classes));
    e.tokens = std::move(tok);
    return e;
  };
  return MakeExplainKernel(in, params_.explain, 0, std::move(scorer), explain, who,
                           {params_.tokens_col, ListType(StringType())});
}

}  // namespace ember::explain
