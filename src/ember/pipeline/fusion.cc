#include "ember/pipeline/fusion.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/internal/chain.h"
#include "ember/pipeline/internal/compiled_run.h"
#include "ember/pipeline/row_lowering.h"

namespace ember {

namespace {

using pipeline::internal::BindChain;
using pipeline::internal::ChainBound;
using pipeline::internal::CompiledRun;
using pipeline::internal::ReplySource;
using pipeline::internal::SelectingChainBound;
using pipeline::internal::Symbol;
using Kind = RowLowering::Kind;

// Compiles the run whose lowerings are `low` (the last one a model), whose input schema is
// `schemas[0]` and whose stages' outputs are schemas[1..]; the kernel produces `kept` (the
// run's input columns and the model's outputs, in the order the stages give them) and falls
// back to `general`. FailedPrecondition saying why when the run does not compile.
Result<std::unique_ptr<CompiledRun>> CompileRun(std::span<const RowLowering> low,
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
      out.sparse = sparse;
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
      return no("a model is followed by another compiled stage");
    }
  }
  const RowLowering& model = low.back();
  const Symbol* features = find(model.input);
  if (!features || features->kind != Symbol::kVector)
    return no("the model's features are not an assembled vector");
  std::vector<ReplySource> reply;
  for (const Field& f : general->output_schema()->fields()) {
    const std::string& name = f.name;
    if (!model.raw_prediction_col.empty() && name == model.raw_prediction_col) {
      reply.push_back({ReplySource::kRaw});
    } else if (!model.probability_col.empty() && name == model.probability_col) {
      reply.push_back({ReplySource::kProbability});
    } else if (!model.prediction_col.empty() && name == model.prediction_col) {
      reply.push_back({ReplySource::kPrediction});
    } else {
      reply.push_back({ReplySource::kInput, input.FindField(name)});
    }
  }
  if (model.kind == Kind::kTrees)
    return CompileTrees(model, *features, input, std::move(general), std::move(reply));
  return CompileLinear(model, *features, input, std::move(general), std::move(reply));
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

bool IsModel(Kind k) { return k == Kind::kLogistic || k == Kind::kTrees; }

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
    if (low[k].ok() && IsModel(low[k]->kind)) j = k;
  }
  if (j == n) {
    // A stage that has a lowering but not for this binding says why (a model with an
    // output the loop does not give).
    for (size_t k = n; k-- > 0;) {
      if (!low[k].ok() && low[k].status().code() != StatusCode::kUnimplemented)
        return low[k].status();
    }
    return FailedPrecondition("no stage is a model that compiles (linear or trees)");
  }
  size_t i = j;
  while (i > 0 && low[i - 1].ok() && !IsModel(low[i - 1]->kind)) --i;
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
  Result<std::unique_ptr<CompiledRun>> compiled =
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
          " reads a column of the compiled run that its loop does not keep (" +
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
  info->scoring = std::string(lr.kind == Kind::kTrees ? "compiled trees" : "compiled linear") +
                  StageRange(i, j, n);
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
  const auto* c = dynamic_cast<const CompiledRun*>(compiled);
  return c ? c->fallbacks() : 0;
}

}  // namespace ember
