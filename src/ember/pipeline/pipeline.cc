#include "ember/pipeline/pipeline.h"

#include <cstdio>
#include <filesystem>
#include <span>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/pipeline/fusion.h"
#include "ember/pipeline/internal/chain.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace fs = std::filesystem;
using pipeline::internal::BindChain;
using pipeline::internal::ChainBound;
using pipeline::internal::SelectingChainBound;

namespace {

std::string StageDirName(size_t i, const Stage& s) {
  std::string index = std::to_string(i);
  if (index.size() < 2) index.insert(0, "0");
  return index + "_" + s.uid();
}

template <typename S>
Status SaveSubStages(const std::vector<std::shared_ptr<const S>>& stages, const std::string& dir) {
  std::error_code ec;
  for (size_t i = 0; i < stages.size(); ++i) {
    std::string sub = dir + "/stages/" + StageDirName(i, *stages[i]);
    fs::create_directories(sub, ec);
    if (ec) return IoError("cannot create '" + sub + "': " + ec.message());
    EMBER_RETURN_IF_ERROR(SaveStageInto(*stages[i], sub));
  }
  return Status::OK();
}

// Loads stages/NN_<uid>/ for NN in 0 .. numStages-1, checking the directory matches.
Result<std::vector<std::shared_ptr<const Stage>>> LoadSubStages(const LoadContext& ctx) {
  const Json* n = ctx.metadata.Find("numStages");
  if (n == nullptr || !n->is_int() || n->as_int() < 0 || n->as_int() > 100000) {
    return DataLoss("metadata.json: missing or invalid \"numStages\"");
  }
  std::vector<std::string> dirs(static_cast<size_t>(n->as_int()));
  std::error_code ec;
  const std::string root = ctx.dir + "/stages";
  if (n->as_int() > 0) {
    if (!fs::is_directory(root, ec)) return DataLoss("'" + root + "' is missing");
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      std::string name = entry.path().filename().string();
      // NN_<uid>: at least two digits, an underscore, a uid.
      const size_t underscore = name.find('_');
      size_t idx = 0;
      bool digits = underscore != std::string::npos && underscore >= 2 && underscore < 9 &&
                    underscore + 1 < name.size();
      for (size_t k = 0; digits && k < underscore; ++k) {
        digits = std::isdigit(static_cast<unsigned char>(name[k])) != 0;
        idx = idx * 10 + static_cast<size_t>(name[k] - '0');
      }
      if (!digits) return DataLoss("unexpected entry '" + name + "' in '" + root + "'");
      if (idx >= dirs.size() || !dirs[idx].empty()) {
        return DataLoss("unexpected stage directory '" + name + "' in '" + root +
                        "' (numStages is " + std::to_string(dirs.size()) + ")");
      }
      dirs[idx] = entry.path().string();
    }
    if (ec) return IoError("cannot list '" + root + "': " + ec.message());
  }
  std::vector<std::shared_ptr<const Stage>> stages;
  for (size_t i = 0; i < dirs.size(); ++i) {
    if (dirs[i].empty())
      return DataLoss("stage " + std::to_string(i) + " is missing from '" + root + "'");
    EMBER_ASSIGN_OR_RETURN(auto s, LoadStage(dirs[i], *ctx.registry, ctx.depth + 1));
    stages.push_back(std::move(s));
  }
  return stages;
}

// Saved pipelines keep their stages in stages/, not in params; anything there is foreign.
Status CheckNoParams(const LoadContext& ctx, std::string_view owner) {
  if (ctx.params.is_object() && !ctx.params.as_object().empty()) {
    return InvalidArgument(std::string(owner) + " param '" + ctx.params.as_object()[0].first +
                           "': a saved " + std::string(owner) +
                           " has no params; its stages are in stages/");
  }
  return Status::OK();
}

Json NumStages(size_t n) {
  Json o = Json::MakeObject();
  o.Set("numStages", static_cast<int64_t>(n));
  return o;
}

}  // namespace

// PipelineModel ---------------------------------------------------------------------------

Result<std::shared_ptr<const PipelineModel>> PipelineModel::Make(
    std::vector<std::shared_ptr<const Transformer>> stages, std::string uid) {
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i] == nullptr)
      return InvalidArgument("PipelineModel stage " + std::to_string(i) + " is null");
  }
  return std::shared_ptr<const PipelineModel>(new PipelineModel(std::move(stages), std::move(uid)));
}

Json PipelineModel::ExtraMetadata() const { return NumStages(stages_.size()); }

Status PipelineModel::SaveContents(const std::string& dir) const {
  return SaveSubStages(stages_, dir);
}

Result<std::vector<double>> PipelineModel::FeatureImportances(const std::string& type) const {
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) {
    Result<std::vector<double>> found = (*it)->FeatureImportances(type);
    if (found.ok() || found.status().code() != StatusCode::kNotFound) return found;
  }
  return NotFound("no stage of " + Describe() + " has feature importances (tree models have them)");
}

Result<std::unique_ptr<BoundTransform>> PipelineModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<ChainBound> chain, BindChain(stages_, in));
  return std::unique_ptr<BoundTransform>(std::move(chain));
}

void FlattenStages(const std::shared_ptr<const Transformer>& t,
                   std::vector<std::shared_ptr<const Transformer>>* out) {
  if (t->type_name() == PipelineModel::kTypeName) {
    for (const auto& s : static_cast<const PipelineModel&>(*t).stages()) FlattenStages(s, out);
  } else {
    out->push_back(t);
  }
}

Result<std::unique_ptr<BoundTransform>> PipelineModel::BindSelect(
    const Schema& in, std::span<const std::string> columns, const BindOptions& options) const {
  if (columns.empty()) {
    if (options.info)
      *options.info = {.scoring = "stages (not compiled: every column was asked for)"};
    return Bind(in);
  }
  if (options.fuse && partition_local()) {
    std::vector<std::shared_ptr<const Transformer>> leaves;
    for (const auto& s : stages_) FlattenStages(s, &leaves);
    return BindFused(leaves, in, columns, options.info);
  }
  if (options.info) {
    *options.info = {.scoring = options.fuse ? "stages (not compiled: a stage repartitions)"
                                             : "stages (compiling turned off)"};
  }
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<ChainBound> chain, BindChain(stages_, in));
  return SelectingChainBound::Make(std::move(chain), in, columns);
}

bool PipelineModel::partition_local() const {
  for (const auto& s : stages_) {
    if (!s->partition_local()) return false;
  }
  return true;
}

Result<DataFrame> PipelineModel::Transform(const DataFrame& in, const ExecContext& ctx) const {
  return TransformSelect(in, ctx, {});
}

Result<DataFrame> PipelineModel::TransformSelect(const DataFrame& in, const ExecContext& ctx,
                                                 std::span<const std::string> columns,
                                                 const BindOptions& options) const {
  if (!columns.empty() && !stages_.empty() && partition_local() && in.schema()) {
    // One kernel for the whole pipeline, fused where it can be (as serving runs it).
    EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> bound,
                           BindSelect(*in.schema(), columns, options));
    Result<DataFrame> out = RunBound(*bound, in, ctx);
    if (options.info !=
        nullptr) {  // the kernel goes with this call: keep what it did, not a pointer
      options.info->fallbacks = FusedFallbacks(options.info->compiled);
      options.info->compiled = nullptr;
    }
    if (!out.ok()) return out.status().WithContext(Describe());
    return out;
  }
  DataFrame cur = in;
  size_t i = 0;
  while (i < stages_.size()) {
    if (!stages_[i]->partition_local()) {
      EMBER_ASSIGN_OR_RETURN(cur, stages_[i]->Transform(cur, ctx));
      ++i;
      continue;
    }
    // Fuse the run of partition-local stages into one pass over the partitions; the last
    // run also selects the output columns.
    const size_t begin = i;
    while (i < stages_.size() && stages_[i]->partition_local()) ++i;
    EMBER_ASSIGN_OR_RETURN(std::unique_ptr<ChainBound> chain,
                           BindChain(std::span(stages_).subspan(begin, i - begin), *cur.schema()));
    std::unique_ptr<BoundTransform> bound = std::move(chain);
    if (i == stages_.size() && !columns.empty()) {
      std::unique_ptr<ChainBound> last(static_cast<ChainBound*>(bound.release()));
      EMBER_ASSIGN_OR_RETURN(bound,
                             SelectingChainBound::Make(std::move(last), *cur.schema(), columns));
    }
    Result<DataFrame> next = RunBound(*bound, cur, ctx);
    if (!next.ok()) return next.status().WithContext(Describe());
    cur = std::move(*next);
  }
  if (!columns.empty() && (stages_.empty() || !stages_.back()->partition_local())) {
    // Nothing partition-local ran last: select with an empty chain (no copies).
    EMBER_ASSIGN_OR_RETURN(std::unique_ptr<ChainBound> none, BindChain({}, *cur.schema()));
    EMBER_ASSIGN_OR_RETURN(auto select,
                           SelectingChainBound::Make(std::move(none), *cur.schema(), columns));
    return RunBound(*select, cur, ctx);
  }
  return cur;
}

Result<std::shared_ptr<const Stage>> PipelineModel::Load(const LoadContext& ctx) {
  EMBER_RETURN_IF_ERROR(CheckNoParams(ctx, kTypeName));
  EMBER_ASSIGN_OR_RETURN(auto stages, LoadSubStages(ctx));
  std::vector<std::shared_ptr<const Transformer>> ts;
  for (auto& s : stages) {
    if (s->kind() != StageKind::kTransformer) {
      return DataLoss("PipelineModel stage " + s->Describe() + " is an estimator, not a model");
    }
    ts.push_back(std::static_pointer_cast<const Transformer>(s));
  }
  EMBER_ASSIGN_OR_RETURN(auto m, Make(std::move(ts), ctx.uid));
  return std::shared_ptr<const Stage>(m);
}

// Pipeline --------------------------------------------------------------------------------

Result<std::shared_ptr<const Pipeline>> Pipeline::Make(
    std::vector<std::shared_ptr<const Stage>> stages, std::string uid) {
  for (size_t i = 0; i < stages.size(); ++i) {
    if (stages[i] == nullptr)
      return InvalidArgument("Pipeline stage " + std::to_string(i) + " is null");
  }
  return std::shared_ptr<const Pipeline>(new Pipeline(std::move(stages), std::move(uid)));
}

Result<std::shared_ptr<const Pipeline>> Pipeline::FromSpec(const Json& spec,
                                                           const StageRegistry& registry) {
  const Json* list = spec.Find("stages");
  if (!spec.is_object() || list == nullptr || !list->is_array()) {
    return InvalidArgument("a pipeline spec is {\"stages\": [...]}, got " + spec.Dump());
  }
  std::vector<std::shared_ptr<const Stage>> stages;
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    const Json& entry = list->as_array()[i];
    Result<std::shared_ptr<const Stage>> s = StageFromSpec(entry, registry);
    if (!s.ok()) {
      const Json* type = entry.is_object() ? entry.Find("type") : nullptr;
      return s.status().WithContext(
          "stage " + std::to_string(i + 1) +
          (type && type->is_string() ? " (" + type->as_string() + ")" : std::string()));
    }
    stages.push_back(std::move(*s));
  }
  const Json* uid = spec.Find("uid");
  return Make(std::move(stages), uid && uid->is_string() ? uid->as_string() : "");
}

Json Pipeline::ExtraMetadata() const { return NumStages(stages_.size()); }

std::string Pipeline::StageName(size_t i) const {
  return "stage " + std::to_string(i + 1) + " (" + std::string(stages_[i]->type_name()) + ")";
}

Status Pipeline::SaveContents(const std::string& dir) const { return SaveSubStages(stages_, dir); }

Result<SchemaPtr> Pipeline::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(SchemaPtr cur, Schema::Make(in.fields(), in.metadata()));
  for (size_t i = 0; i < stages_.size(); ++i) {
    const Stage& s = *stages_[i];
    Result<SchemaPtr> next = s.kind() == StageKind::kTransformer
                                 ? static_cast<const Transformer&>(s).TransformSchema(*cur)
                                 : static_cast<const Estimator&>(s).TransformSchema(*cur);
    if (!next.ok()) return next.status().WithContext(StageName(i));
    cur = *next;
  }
  return cur;
}

Result<std::shared_ptr<const Transformer>> Pipeline::Fit(const DataFrame& in,
                                                         const ExecContext& ctx) const {
  // Check the whole chain of schemas first, so a typo in the last stage fails in
  // milliseconds rather than after fitting the ones before it.
  if (!in.schema()) return InvalidArgument("Pipeline: input frame has no schema");
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  size_t last_estimator = 0;
  for (size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i]->kind() == StageKind::kEstimator) last_estimator = i + 1;
  }
  std::vector<std::shared_ptr<const Transformer>> fitted;
  DataFrame cur = in;
  for (size_t i = 0; i < stages_.size(); ++i) {
    std::shared_ptr<const Transformer> t;
    if (stages_[i]->kind() == StageKind::kEstimator) {
      const auto& est = static_cast<const Estimator&>(*stages_[i]);
      if (ctx.log) ctx.log->Info("fitting " + StageName(i));
      // What the stage logs (a fit that did not converge) names it as the spec does.
      PrefixLogger named(ctx.log, StageName(i) + ": ");
      ExecContext stage_ctx = ctx;
      if (ctx.log) stage_ctx.log = &named;
      Result<std::shared_ptr<const Transformer>> m = est.Fit(cur, stage_ctx);
      if (!m.ok()) return m.status().WithContext(StageName(i));
      t = std::move(*m);
    } else {
      t = std::static_pointer_cast<const Transformer>(stages_[i]);
    }
    // As SparkML: no need to transform after the last estimator.
    if (i + 1 < last_estimator) {
      Result<DataFrame> next = t->Transform(cur, ctx);
      if (!next.ok()) return next.status().WithContext(StageName(i));
      cur = std::move(*next);
    }
    fitted.push_back(std::move(t));
  }
  EMBER_ASSIGN_OR_RETURN(auto model, PipelineModel::Make(std::move(fitted)));
  return std::shared_ptr<const Transformer>(model);
}

Result<std::shared_ptr<const Stage>> Pipeline::Load(const LoadContext& ctx) {
  std::vector<std::shared_ptr<const Stage>> stages;
  if (ctx.dir.empty()) {
    // Built from a JSON spec: {"type": "Pipeline", "params": {"stages": [...]}}.
    Json spec = ctx.params;
    if (spec.is_object()) spec.Set("uid", ctx.uid);
    EMBER_ASSIGN_OR_RETURN(auto p, FromSpec(spec, *ctx.registry));
    return std::shared_ptr<const Stage>(p);
  }
  EMBER_RETURN_IF_ERROR(CheckNoParams(ctx, kTypeName));
  EMBER_ASSIGN_OR_RETURN(stages, LoadSubStages(ctx));
  EMBER_ASSIGN_OR_RETURN(auto p, Make(std::move(stages), ctx.uid));
  return std::shared_ptr<const Stage>(p);
}

Status RegisterPipelineStages(StageRegistry* registry) {
  StageEntry p;
  p.type_name = std::string(Pipeline::kTypeName);
  p.kind = StageKind::kEstimator;
  p.doc =
      "Runs stages in order; fitting fits each estimator on the output of the stages "
      "before it and returns a PipelineModel.";
  p.params = {{"stages", "stage-spec[]",
               "The stages, in order (in a JSON spec only; saved "
               "pipelines keep them in stages/).",
               "", Json::MakeArray()}};
  p.load = Pipeline::Load;
  EMBER_RETURN_IF_ERROR(registry->Register(std::move(p)));
  StageEntry m;
  m.type_name = std::string(PipelineModel::kTypeName);
  m.kind = StageKind::kTransformer;
  m.doc = "A fitted pipeline: transformers applied in order.";
  m.load = PipelineModel::Load;
  m.needs_data = true;
  return registry->Register(std::move(m));
}

}  // namespace ember
