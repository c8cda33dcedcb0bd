#include "ember/serving/linear_scorer.h"

#include <atomic>
#include <cmath>
#include <unordered_map>

#include "ember/core/builder.h"
#include "ember/linear/logistic_regression.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/stages/one_hot_encoder.h"
#include "ember/stages/scalers.h"
#include "ember/stages/string_indexer.h"
#include "ember/stages/vector_assembler.h"

namespace ember::serving {

namespace {

// What a column of the pipeline is, in terms of the request's columns.
struct Symbol {
  enum Kind : uint8_t { kInput, kIndex, kOneHot, kVector } kind = kInput;
  int input = -1;  // the request column it comes from (kInput, kIndex, kOneHot)
  // kIndex and kOneHot: the string indexer's lookup; `unknown` is the index of an unseen
  // value under handleInvalid "keep", -1 when unseen values are an error.
  const StringLookup* lookup = nullptr;
  int64_t unknown = -1;
  // kOneHot: categories, the invalid category under "keep" (-1: an error), vector width.
  int64_t categories = 0;
  int64_t invalid = -1;
  int64_t width = 0;
  // kVector: the assembled parts (symbols of the assembler's inputs) and their offsets,
  // and the scaler's per-slot factors (empty: not scaled).
  std::vector<Symbol> parts;
  std::vector<int64_t> offsets;
  std::vector<double> scale;
};

// One part of the feature vector as the compiled loop reads it.
struct Part {
  enum Kind : uint8_t { kCategory, kFloat64, kFloat32, kInt32, kInt64 } kind;
  int input;
  int64_t offset;
  const StringLookup* lookup;
  int64_t unknown, categories, invalid, width;
  // kCategory: the margins' increments of category c at contrib[c * rows .. c * rows + rows).
  std::vector<double> contrib;
};

// Where a reply column comes from: an output of the model, or a request column.
struct ReplySource {
  enum Kind : uint8_t { kRaw, kProbability, kPrediction, kInput } kind;
  int input = -1;
};

std::vector<std::pair<std::string, std::string>> ColumnPairs(const std::string& in, const std::string& out,
                                                             const std::vector<std::string>& ins,
                                                             const std::vector<std::string>& outs) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!ins.empty()) {
    for (size_t k = 0; k < ins.size() && k < outs.size(); ++k) pairs.emplace_back(ins[k], outs[k]);
  } else {
    pairs.emplace_back(in, out);
  }
  return pairs;
}

class CompiledLinearScorer final : public BoundTransform {
 public:
  CompiledLinearScorer(std::unique_ptr<BoundTransform> general, std::vector<Part> parts, std::vector<double> coef,
                       std::vector<double> intercepts, std::vector<double> scale, int64_t d, int k,
                       double threshold, std::vector<ReplySource> reply)
      : general_(std::move(general)), parts_(std::move(parts)), coef_(std::move(coef)),
        intercepts_(std::move(intercepts)), scale_(std::move(scale)), d_(d), k_(k), threshold_(threshold),
        reply_(std::move(reply)) {}

  const SchemaPtr& output_schema() const override { return general_->output_schema(); }
  bool blocking() const override { return general_->blocking(); }
  int64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const int64_t n = in.num_rows();
    ClassifierOutputs outputs(n, k_);
    const int rows = static_cast<int>(intercepts_.size());
    double stack_margins[8];
    std::vector<double> heap_margins;
    double* m = stack_margins;
    if (rows > 8) {
      heap_margins.resize(static_cast<size_t>(rows));
      m = heap_margins.data();
    }
    for (int64_t r = 0; r < n; ++r) {
      if (!Margins(in, r, m)) {
        fallbacks_.fetch_add(1, std::memory_order_relaxed);
        return general_->Apply(in, scratch);
      }
      outputs.prediction(r) = LogisticOutputs(m, rows, threshold_, outputs.raw(r), outputs.prob(r));
    }
    ColumnPtr made[3];  // rawPrediction, probability, prediction: made once each
    std::vector<ColumnPtr> cols;
    cols.reserve(reply_.size());
    for (const ReplySource& s : reply_) {
      if (s.kind == ReplySource::kInput) {
        cols.push_back(in.column(s.input));
        continue;
      }
      ColumnPtr& out = made[s.kind];
      if (!out) {
        out = s.kind == ReplySource::kRaw           ? outputs.TakeRaw()
              : s.kind == ReplySource::kProbability ? outputs.TakeProbability()
                                                    : outputs.TakePrediction();
      }
      cols.push_back(out);
    }
    return Batch::Make(output_schema(), std::move(cols), n);
  }

 private:
  // Row r's margins, added in the order the stages' kernels add them: the intercepts, then
  // each stored entry of the (scaled) feature vector in slot order. False when the row
  // holds something the general kernel must handle (null, NaN, an invalid category).
  bool Margins(const Batch& in, int64_t r, double* m) const {
    const int rows = static_cast<int>(intercepts_.size());
    for (int c = 0; c < rows; ++c) m[c] = intercepts_[c];
    for (const Part& p : parts_) {
      const Column& col = *in.column(p.input);
      if (col.null_count() > 0 && col.IsNull(r)) return false;
      if (p.kind == Part::kCategory) {
        int64_t cat = p.lookup->Find(col.StringValue(r));
        if (cat < 0) {
          if (p.unknown < 0) return false;
          cat = p.unknown;
        }
        if (cat >= p.categories) {
          if (p.invalid < 0) return false;
          cat = p.invalid;
        }
        if (cat < p.width) {  // else the dropped last category: no entry
          const double* add = p.contrib.data() + cat * rows;
          for (int c = 0; c < rows; ++c) m[c] += add[c];
        }
        continue;
      }
      double v;
      switch (p.kind) {
        case Part::kFloat64: v = col.Values<double>()[r]; break;
        case Part::kFloat32: v = col.Values<float>()[r]; break;
        case Part::kInt32: v = col.Values<int32_t>()[r]; break;
        default: v = static_cast<double>(col.Values<int64_t>()[r]); break;
      }
      if (v == 0.0) continue;        // the assembler stores no zeros
      if (std::isnan(v)) return false;  // an error, a dropped row or a kept NaN
      if (!scale_.empty()) v = v * scale_[p.offset];
      for (int c = 0; c < rows; ++c) m[c] += coef_[c * d_ + p.offset] * v;
    }
    return true;
  }

  std::unique_ptr<BoundTransform> general_;
  std::vector<Part> parts_;
  std::vector<double> coef_;
  std::vector<double> intercepts_;
  std::vector<double> scale_;
  int64_t d_;
  int k_;
  double threshold_;
  std::vector<ReplySource> reply_;
  mutable std::atomic<int64_t> fallbacks_{0};
};

}  // namespace

bool IsCompiledLinearScorer(const BoundTransform& kernel) {
  return dynamic_cast<const CompiledLinearScorer*>(&kernel) != nullptr;
}

int64_t LinearScorerFallbacks(const BoundTransform& kernel) {
  const auto* compiled = dynamic_cast<const CompiledLinearScorer*>(&kernel);
  return compiled ? compiled->fallbacks() : 0;
}

std::unique_ptr<BoundTransform> CompileLinearScorer(const std::vector<std::shared_ptr<const Transformer>>& stages,
                                                    const Schema& input, const std::vector<std::string>& reply_cols,
                                                    std::unique_ptr<BoundTransform> general, std::string* why_not) {
  auto no = [&](std::string why) {
    *why_not = std::move(why);
    return std::move(general);
  };
  if (stages.empty()) return no("the pipeline has no stages");
  std::unordered_map<std::string, Symbol> symbols;
  for (int i = 0; i < input.num_fields(); ++i) symbols[input.field(i).name] = Symbol{Symbol::kInput, i};
  auto find = [&](const std::string& name) -> const Symbol* {
    auto it = symbols.find(name);
    return it == symbols.end() ? nullptr : &it->second;
  };
  // The schema after each stage, for the widths the stages give their vectors.
  Result<SchemaPtr> schema = Schema::Make(input.fields(), input.metadata());
  for (size_t s = 0; s + 1 < stages.size(); ++s) {
    const Transformer& t = *stages[s];
    if (!schema.ok()) return no("the pipeline does not bind");
    Result<SchemaPtr> next = t.TransformSchema(**schema);
    if (!next.ok()) return no("the pipeline does not bind");
    if (const auto* si = dynamic_cast<const StringIndexerModel*>(&t)) {
      const auto& p = si->params();
      if (p.handle_invalid == HandleInvalid::kSkip) return no("a StringIndexer drops rows (handleInvalid 'skip')");
      const auto pairs = ColumnPairs(p.input_col, p.output_col, p.input_cols, p.output_cols);
      for (size_t k = 0; k < pairs.size(); ++k) {
        const Symbol* from = find(pairs[k].first);
        if (!from || from->kind != Symbol::kInput || input.field(from->input).type->id() != TypeId::kString) {
          return no("StringIndexer input '" + pairs[k].first + "' is not a string column of the request");
        }
        Symbol out{Symbol::kIndex, from->input};
        out.lookup = &si->lookup(k);
        out.unknown = p.handle_invalid == HandleInvalid::kKeep ? static_cast<int64_t>(out.lookup->size()) : -1;
        symbols[pairs[k].second] = std::move(out);
      }
    } else if (const auto* ohe = dynamic_cast<const OneHotEncoderModel*>(&t)) {
      const auto& p = ohe->params();
      const auto pairs = ColumnPairs(p.input_col, p.output_col, p.input_cols, p.output_cols);
      for (size_t k = 0; k < pairs.size(); ++k) {
        const Symbol* from = find(pairs[k].first);
        if (!from || from->kind != Symbol::kIndex) {
          return no("OneHotEncoder input '" + pairs[k].first + "' is not a StringIndexer output");
        }
        Symbol out = *from;
        out.kind = Symbol::kOneHot;
        out.categories = ohe->category_sizes()[k];
        out.invalid = p.handle_invalid == HandleInvalid::kKeep ? out.categories : -1;
        out.width = (*next)->field((*next)->FindField(pairs[k].second)).type->vector_size();
        symbols[pairs[k].second] = std::move(out);
      }
    } else if (const auto* va = dynamic_cast<const VectorAssembler*>(&t)) {
      Symbol out{Symbol::kVector};
      int64_t offset = 0;
      bool sparse = false;
      for (const std::string& name : va->params().input_cols) {
        const Symbol* from = find(name);
        if (!from) return no("VectorAssembler input '" + name + "' is not known");
        int64_t width = 1;
        if (from->kind == Symbol::kOneHot) {
          sparse = true;
          width = from->width;
        } else if (from->kind == Symbol::kInput) {
          const TypeId id = input.field(from->input).type->id();
          if (id != TypeId::kFloat64 && id != TypeId::kFloat32 && id != TypeId::kInt32 && id != TypeId::kInt64) {
            return no("VectorAssembler input '" + name + "' is not a numeric column of the request");
          }
        } else {
          return no("VectorAssembler input '" + name + "' is neither one-hot encoded nor a request column");
        }
        out.parts.push_back(*from);
        out.offsets.push_back(offset);
        offset += width;
      }
      if (!sparse) return no("the assembled vector is dense");
      symbols[va->params().output_col] = std::move(out);
    } else if (const auto* sc = dynamic_cast<const ScalerModel*>(&t)) {
      const Symbol* from = find(sc->params().input_col);
      if (!from || from->kind != Symbol::kVector || !from->scale.empty()) {
        return no("the scaler's input is not an assembled vector");
      }
      if (!sc->params().keep_sparse) return no("the scaler shifts (makes the vector dense)");
      Symbol out = *from;
      out.scale = sc->scale();
      symbols[sc->params().output_col] = std::move(out);
    } else {
      return no("stage " + t.Describe() + " is not compiled");
    }
    schema = std::move(next);
  }
  const auto* lr = dynamic_cast<const LogisticRegressionModel*>(stages.back().get());
  if (!lr) return no("the last stage is not a LogisticRegressionModel");
  const auto& lp = lr->params();
  const Symbol* features = find(lp.features_col);
  if (!features || features->kind != Symbol::kVector) return no("the model's features are not an assembled vector");
  const int64_t d = lr->num_features();
  const int k = lr->num_classes();
  const int rows = static_cast<int>(lr->intercepts().size());
  const std::vector<double>& coef = lr->coefficients();
  std::vector<Part> parts;
  for (size_t i = 0; i < features->parts.size(); ++i) {
    const Symbol& s = features->parts[i];
    Part p{Part::kCategory, s.input, features->offsets[i], s.lookup, s.unknown, s.categories, s.invalid, s.width, {}};
    if (s.kind == Symbol::kOneHot) {
      // Category c's entry is 1.0 (times the scale) at slot offset + c; the model adds
      // coefficient * value to each margin.
      p.contrib.resize(static_cast<size_t>(s.width * rows));
      for (int64_t c = 0; c < s.width; ++c) {
        const int64_t slot = p.offset + c;
        const double v = features->scale.empty() ? 1.0 : 1.0 * features->scale[slot];
        for (int row = 0; row < rows; ++row) p.contrib[c * rows + row] = coef[row * d + slot] * v;
      }
    } else {
      switch (input.field(s.input).type->id()) {
        case TypeId::kFloat64: p.kind = Part::kFloat64; break;
        case TypeId::kFloat32: p.kind = Part::kFloat32; break;
        case TypeId::kInt32: p.kind = Part::kInt32; break;
        default: p.kind = Part::kInt64; break;
      }
    }
    parts.push_back(std::move(p));
  }
  std::vector<ReplySource> reply;
  for (const std::string& name : reply_cols) {
    if (!lp.raw_prediction_col.empty() && name == lp.raw_prediction_col) {
      reply.push_back({ReplySource::kRaw});
    } else if (!lp.probability_col.empty() && name == lp.probability_col) {
      reply.push_back({ReplySource::kProbability});
    } else if (!lp.prediction_col.empty() && name == lp.prediction_col) {
      reply.push_back({ReplySource::kPrediction});
    } else if (const int i = input.FindField(name); i >= 0) {
      reply.push_back({ReplySource::kInput, i});
    } else {
      return no("reply column '" + name + "' is an intermediate column");
    }
  }
  return std::make_unique<CompiledLinearScorer>(std::move(general), std::move(parts), coef, lr->intercepts(),
                                                features->scale, d, k, lp.threshold, std::move(reply));
}

}  // namespace ember::serving
