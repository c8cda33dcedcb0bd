#include "ember/pipeline/fusion.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/internal/chain.h"
#include "ember/pipeline/row_lowering.h"

namespace ember {

namespace {

using pipeline_internal::BindChain;
using pipeline_internal::ChainBound;
using pipeline_internal::SelectingChainBound;
using Kind = RowLowering::Kind;

// What a column of the pipeline is, in terms of the run's input columns.
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

class CompiledLinearScorer final : public BoundTransform {
 public:
  CompiledLinearScorer(std::unique_ptr<BoundTransform> general, std::vector<Part> parts,
                       std::vector<double> coef, std::vector<double> intercepts,
                       std::vector<double> scale, int64_t d, int k, double threshold,
                       std::vector<ReplySource> reply)
      : general_(std::move(general)),
        parts_(std::move(parts)),
        coef_(std::move(coef)),
        intercepts_(std::move(intercepts)),
        scale_(std::move(scale)),
        d_(d),
        k_(k),
        threshold_(threshold),
        reply_(std::move(reply)) {}

  const SchemaPtr& output_schema() const override { return general_->output_schema(); }
  bool blocking() const override { return general_->blocking(); }
  int64_t fallbacks() const { return fallbacks_.load(std::memory_order_relaxed); }

  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const int64_t n = in.num_rows();
    ClassifierOutputs outputs(n, k_);
    const int rows = static_cast<int>(intercepts_.size());
    if (n >= kColumnarRows) {
      // A block of rows: tile by tile (the margins of a tile stay in the first-level cache),
      // column by column within a tile (no per-row dispatch over the parts), then the
      // outputs row by row. Each row's additions are the same, in the same order, as Margins'.
      const int64_t tile = std::min<int64_t>(n, kTileRows);
      std::vector<double> m(static_cast<size_t>(tile * rows));
      for (int64_t begin = 0; begin < n; begin += tile) {
        const int64_t end = std::min(n, begin + tile);
        if (!BlockMargins(in, begin, end, m.data())) {
          fallbacks_.fetch_add(1, std::memory_order_relaxed);
          return general_->Apply(in, scratch);
        }
        for (int64_t r = begin; r < end; ++r) {
          outputs.prediction(r) = LogisticOutputs(m.data() + (r - begin) * rows, rows, threshold_,
                                                  outputs.raw(r), outputs.prob(r));
        }
      }
    } else {
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
        outputs.prediction(r) =
            LogisticOutputs(m, rows, threshold_, outputs.raw(r), outputs.prob(r));
      }
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
  // Adds the contribution of category `value` of part `p` to one row's margins `m`; false
  // when the value is one the general kernel must handle (unseen or invalid under "error").
  static bool AddCategory(const Part& p, std::string_view value, int rows, double* m) {
    int64_t cat = p.lookup->Find(value);
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
    return true;
  }

  // From this many rows on, margins are computed column by column, a tile of rows at a time.
  static constexpr int64_t kColumnarRows = 16;
  static constexpr int64_t kTileRows = 512;

  // The margins of rows [begin, end) (row r's at m[(r - begin) * rows ..]), part by part over
  // the rows: for each row the same additions in the same order as Margins, so the same bits.
  // False when any row holds something the general kernel must handle.
  bool BlockMargins(const Batch& in, int64_t begin, int64_t end, double* m) const {
    const int rows = static_cast<int>(intercepts_.size());
    for (int64_t r = 0; r < end - begin; ++r) {
      for (int c = 0; c < rows; ++c) m[r * rows + c] = intercepts_[c];
    }
    for (const Part& p : parts_) {
      const Column& col = *in.column(p.input);
      if (col.null_count() > 0) return false;
      if (p.kind == Part::kCategory) {
        for (int64_t r = begin; r < end; ++r) {
          if (!AddCategory(p, col.StringValue(r), rows, m + (r - begin) * rows)) return false;
        }
        continue;
      }
      const double factor = scale_.empty() ? 1.0 : scale_[p.offset];
      const bool scaled = !scale_.empty();
      auto numbers = [&](const auto* values) {
        if (rows == 1) {  // binary: one margin per row, a loop the compiler vectorizes
          bool nan = false;
          for (int64_t r = begin; r < end; ++r) nan |= std::isnan(static_cast<double>(values[r]));
          if (nan) return false;
          const double w = coef_[p.offset];
          for (int64_t r = begin; r < end; ++r) {
            double v = static_cast<double>(values[r]);
            if (scaled) v = v * factor;
            const double sum = m[r - begin] + w * v;
            m[r - begin] = v == 0.0 ? m[r - begin] : sum;  // the assembler stores no zeros
          }
          return true;
        }
        for (int64_t r = begin; r < end; ++r) {
          double v = static_cast<double>(values[r]);
          if (v == 0.0) continue;  // the assembler stores no zeros
          if (std::isnan(v)) return false;
          if (scaled) v = v * factor;
          double* mr = m + (r - begin) * rows;
          for (int c = 0; c < rows; ++c) mr[c] += coef_[c * d_ + p.offset] * v;
        }
        return true;
      };
      bool ok = true;
      switch (p.kind) {
        case Part::kFloat64:
          ok = numbers(col.Values<double>());
          break;
        case Part::kFloat32:
          ok = numbers(col.Values<float>());
          break;
        case Part::kInt32:
          ok = numbers(col.Values<int32_t>());
          break;
        default:
          ok = numbers(col.Values<int64_t>());
          break;
      }
      if (!ok) return false;
    }
    return true;
  }

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
        if (!AddCategory(p, col.StringValue(r), rows, m)) return false;
        continue;
      }
      double v;
      switch (p.kind) {
        case Part::kFloat64:
          v = col.Values<double>()[r];
          break;
        case Part::kFloat32:
          v = col.Values<float>()[r];
          break;
        case Part::kInt32:
          v = col.Values<int32_t>()[r];
          break;
        default:
          v = static_cast<double>(col.Values<int64_t>()[r]);
          break;
      }
      if (v == 0.0) continue;           // the assembler stores no zeros
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

// Compiles the run whose lowerings are `low` (the last one kLogistic), whose input schema is
// `schemas[0]` and whose stages' outputs are schemas[1..]; the kernel produces `kept` (the
// run's input columns and the model's outputs, in the order the stages give them) and falls
// back to `general`. FailedPrecondition saying why when the run does not compile.
Result<std::unique_ptr<BoundTransform>> CompileRun(std::span<const RowLowering> low,
                                                   std::span<const SchemaPtr> schemas,
                                                   std::unique_ptr<BoundTransform> general) {
  auto no = [](std::string why) { return FailedPrecondition(std::move(why)); };
  const Schema& input = *schemas[0];
  std::unordered_map<std::string, Symbol> symbols;
  for (int i = 0; i < input.num_fields(); ++i)
    symbols[input.field(i).name] = Symbol{Symbol::kInput, i};
  auto find = [&](const std::string& name) -> const Symbol* {
    auto it = symbols.find(name);
    return it == symbols.end() ? nullptr : &it->second;
  };
  for (size_t s = 0; s + 1 < low.size(); ++s) {
    const RowLowering& t = low[s];
    const Schema& next = *schemas[s + 1];
    if (t.kind == Kind::kIndexStrings) {
      for (size_t k = 0; k < t.columns.size(); ++k) {
        const Symbol* from = find(t.columns[k].first);
        if (!from || from->kind != Symbol::kInput ||
            input.field(from->input).type->id() != TypeId::kString) {
          return no("StringIndexer input '" + t.columns[k].first +
                    "' is not a string column of the input");
        }
        Symbol out{Symbol::kIndex, from->input};
        out.lookup = t.lookups[k];
        out.unknown = t.keep_invalid ? static_cast<int64_t>(out.lookup->size()) : -1;
        symbols[t.columns[k].second] = std::move(out);
      }
    } else if (t.kind == Kind::kOneHot) {
      for (size_t k = 0; k < t.columns.size(); ++k) {
        const Symbol* from = find(t.columns[k].first);
        if (!from || from->kind != Symbol::kIndex) {
          return no("OneHotEncoder input '" + t.columns[k].first +
                    "' is not a StringIndexer output");
        }
        Symbol out = *from;
        out.kind = Symbol::kOneHot;
        out.categories = t.categories[k];
        out.invalid = t.keep_invalid ? out.categories : -1;
        out.width = next.field(next.FindField(t.columns[k].second)).type->vector_size();
        symbols[t.columns[k].second] = std::move(out);
      }
    } else if (t.kind == Kind::kAssemble) {
      Symbol out{Symbol::kVector};
      int64_t offset = 0;
      bool sparse = false;
      for (const std::string& name : t.inputs) {
        const Symbol* from = find(name);
        if (!from) return no("VectorAssembler input '" + name + "' is not known");
        int64_t width = 1;
        if (from->kind == Symbol::kOneHot) {
          sparse = true;
          width = from->width;
        } else if (from->kind == Symbol::kInput) {
          const TypeId id = input.field(from->input).type->id();
          if (id != TypeId::kFloat64 && id != TypeId::kFloat32 && id != TypeId::kInt32 &&
              id != TypeId::kInt64) {
            return no("VectorAssembler input '" + name + "' is not a numeric column of the input");
          }
        } else {
          return no("VectorAssembler input '" + name +
                    "' is neither one-hot encoded nor an input column");
        }
        out.parts.push_back(*from);
        out.offsets.push_back(offset);
        offset += width;
      }
      if (!sparse) return no("the assembled vector is dense");
      symbols[t.output] = std::move(out);
    } else if (t.kind == Kind::kScale) {
      const Symbol* from = find(t.input);
      if (!from || from->kind != Symbol::kVector || !from->scale.empty()) {
        return no("the scaler's input is not an assembled vector");
      }
      Symbol out = *from;
      out.scale = *t.scale;
      symbols[t.output] = std::move(out);
    } else {
      return no("a linear model is followed by another compiled stage");
    }
  }
  const RowLowering& lr = low.back();
  const Symbol* features = find(lr.input);
  if (!features || features->kind != Symbol::kVector)
    return no("the model's features are not an assembled vector");
  const int64_t d = lr.num_features;
  const int rows = static_cast<int>(lr.intercepts->size());
  const std::vector<double>& coef = *lr.coefficients;
  std::vector<Part> parts;
  for (size_t i = 0; i < features->parts.size(); ++i) {
    const Symbol& s = features->parts[i];
    Part p{Part::kCategory, s.input,   features->offsets[i],
           s.lookup,        s.unknown, s.categories,
           s.invalid,       s.width,   {}};
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
        case TypeId::kFloat64:
          p.kind = Part::kFloat64;
          break;
        case TypeId::kFloat32:
          p.kind = Part::kFloat32;
          break;
        case TypeId::kInt32:
          p.kind = Part::kInt32;
          break;
        default:
          p.kind = Part::kInt64;
          break;
      }
    }
    parts.push_back(std::move(p));
  }
  std::vector<ReplySource> reply;
  for (const Field& f : general->output_schema()->fields()) {
    const std::string& name = f.name;
    if (!lr.raw_prediction_col.empty() && name == lr.raw_prediction_col) {
      reply.push_back({ReplySource::kRaw});
    } else if (!lr.probability_col.empty() && name == lr.probability_col) {
      reply.push_back({ReplySource::kProbability});
    } else if (!lr.prediction_col.empty() && name == lr.prediction_col) {
      reply.push_back({ReplySource::kPrediction});
    } else {
      reply.push_back({ReplySource::kInput, input.FindField(name)});
    }
  }
  return std::unique_ptr<BoundTransform>(
      new CompiledLinearScorer(std::move(general), std::move(parts), coef, *lr.intercepts,
                               features->scale, d, lr.num_classes, lr.threshold, std::move(reply)));
}

// The columns added or replaced by a run's lowerings.
std::vector<std::string> Written(std::span<const RowLowering> low) {
  std::vector<std::string> out;
  for (const RowLowering& t : low) {
    for (const auto& [from, to] : t.columns) out.push_back(to);
    if (!t.output.empty()) out.push_back(t.output);
    for (const std::string* c : {&t.raw_prediction_col, &t.probability_col, &t.prediction_col}) {
      if (!c->empty()) out.push_back(*c);
    }
  }
  return out;
}

std::string StageRange(size_t first, size_t last, size_t n) {
  if (first == 0 && last + 1 == n) return "";
  return " (stages " + std::to_string(first + 1) + "-" + std::to_string(last + 1) + " of " +
         std::to_string(n) + ")";
}

// The fused kernel for `stages` bound at `schemas` (schemas[k] is stage k's input), or
// FailedPrecondition saying why there is none.
Result<std::unique_ptr<BoundTransform>> TryFuse(
    std::span<const std::shared_ptr<const Transformer>> stages,
    const std::vector<SchemaPtr>& schemas, std::vector<std::unique_ptr<BoundTransform>>& parts,
    std::span<const std::string> columns, FusionInfo* info) {
  const size_t n = stages.size();
  std::vector<Result<RowLowering>> low;
  for (size_t k = 0; k < n; ++k) low.push_back(stages[k]->Lower(*schemas[k]));
  size_t j = n;
  for (size_t k = 0; k < n && j == n; ++k) {
    if (low[k].ok() && low[k]->kind == Kind::kLogistic) j = k;
  }
  if (j == n) return FailedPrecondition("no stage is a linear model to compile into");
  size_t i = j;
  while (i > 0 && low[i - 1].ok() && low[i - 1]->kind != Kind::kLogistic) --i;
  std::vector<RowLowering> run;
  for (size_t k = i; k <= j; ++k) run.push_back(*low[k]);
  // What the run keeps: its input columns no stage of it replaces, and the model's outputs.
  const Schema& run_in = *schemas[i];
  const std::vector<std::string> written = Written(run);
  const RowLowering& lr = run.back();
  std::vector<std::string> kept;
  for (const Field& f : schemas[j + 1]->fields()) {
    const bool model_output =
        !f.name.empty() && (f.name == lr.raw_prediction_col || f.name == lr.probability_col ||
                            f.name == lr.prediction_col);
    const bool is_written = std::find(written.begin(), written.end(), f.name) != written.end();
    const bool is_input = run_in.FindField(f.name) >= 0;
    if (is_written && is_input && !model_output) {
      return FailedPrecondition("the run replaces its input column '" + f.name + "'");
    }
    if (model_output || (is_input && !is_written)) kept.push_back(f.name);
  }
  // The run's stages bound again, keeping those columns: the compiled loop's fallback.
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<ChainBound> run_chain,
                         BindChain(stages.subspan(i, j - i + 1), run_in));
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> general,
                         SelectingChainBound::Make(std::move(run_chain), run_in, kept));
  Result<std::unique_ptr<BoundTransform>> compiled =
      CompileRun(run, std::span(schemas).subspan(i, j - i + 2), std::move(general));
  if (!compiled.ok()) {
    if (i > 0 && !low[i - 1].ok()) return low[i - 1].status();  // what stopped the run
    return compiled.status();
  }
  // The stages after the run, bound to what it keeps.
  std::vector<std::unique_ptr<BoundTransform>> after;
  SchemaPtr cur = (*compiled)->output_schema();
  for (size_t k = j + 1; k < n; ++k) {
    Result<std::unique_ptr<BoundTransform>> b = stages[k]->Bind(*cur);
    if (!b.ok()) {
      return FailedPrecondition(
          "stage " + stages[k]->Describe() +
          " reads a column of the linear run that the compiled loop does not keep (" +
          b.status().message() + ")");
    }
    cur = (*b)->output_schema();
    after.push_back(std::move(*b));
  }
  for (const std::string& c : columns) {
    if (cur->FindField(c) < 0)
      return FailedPrecondition("column '" + c + "' is an intermediate column");
  }
  const BoundTransform* compiled_ptr = compiled->get();
  // The compiled kernel alone builds no intermediate columns: no blocks to run it on.
  const int64_t block_rows = i == 0 && after.empty() ? 0 : SelectingChainBound::kSelectBlockRows;
  std::vector<std::unique_ptr<BoundTransform>> chain;
  for (size_t k = 0; k < i; ++k) chain.push_back(std::move(parts[k]));
  chain.push_back(std::move(*compiled));
  for (auto& b : after) chain.push_back(std::move(b));
  EMBER_ASSIGN_OR_RETURN(
      std::unique_ptr<BoundTransform> fused,
      SelectingChainBound::Make(std::make_unique<ChainBound>(std::move(chain), cur), *schemas[0],
                                columns, block_rows));
  info->compiled = compiled_ptr;
  info->fused = true;
  info->scoring = "compiled linear" + StageRange(i, j, n);
  return fused;
}

}  // namespace

Result<std::unique_ptr<BoundTransform>> BindFused(
    std::span<const std::shared_ptr<const Transformer>> stages, const Schema& in,
    std::span<const std::string> columns, FusionInfo* info) {
  FusionInfo unused;
  if (info == nullptr) info = &unused;
  // Every stage bound, for the schemas between them (and the kernels, fused or not).
  std::vector<SchemaPtr> schemas;
  EMBER_ASSIGN_OR_RETURN(SchemaPtr first, Schema::Make(in.fields(), in.metadata()));
  schemas.push_back(first);
  std::vector<std::unique_ptr<BoundTransform>> parts;
  for (const auto& s : stages) {
    Result<std::unique_ptr<BoundTransform>> b = s->Bind(*schemas.back());
    if (!b.ok()) return b.status().WithContext(s->Describe());
    schemas.push_back((*b)->output_schema());
    parts.push_back(std::move(*b));
  }
  if (!stages.empty()) {
    Result<std::unique_ptr<BoundTransform>> fused = TryFuse(stages, schemas, parts, columns, info);
    if (fused.ok()) return fused;
    info->scoring = "stages (not compiled: " + fused.status().message() + ")";
  } else {
    info->scoring = "stages (not compiled: the pipeline has no stages)";
  }
  info->compiled = nullptr;
  info->fused = false;
  if (std::any_of(parts.begin(), parts.end(),
                  [](const auto& p) { return p == nullptr; })) {  // TryFuse took some
    EMBER_ASSIGN_OR_RETURN(auto chain, BindChain(stages, in));
    return SelectingChainBound::Make(std::move(chain), in, columns);
  }
  return SelectingChainBound::Make(std::make_unique<ChainBound>(std::move(parts), schemas.back()),
                                   in, columns);
}

int64_t FusedFallbacks(const BoundTransform* compiled) {
  const auto* c = dynamic_cast<const CompiledLinearScorer*>(compiled);
  return c ? c->fallbacks() : 0;
}

}  // namespace ember
