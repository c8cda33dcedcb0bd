// StageRegistry: maps a stage's type name (as written in metadata.json and JSON pipeline
// specs) to the function that rebuilds it, plus its docs. Modules register their stages
// explicitly (no static initialisers). Libraries never reach for a global registry: they
// are handed one (LoadContext, ServerOptions, TrainClassifier::Make); only programs choose
// the set, usually DefaultRegistry() (ember/registry/default_registry.h: every module this
// build includes). Immutable once built, so thread-safe to read.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ember/base/status_macros.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/stage.h"

namespace ember {

class StageRegistry;

// What a loader gets: the saved directory (empty when building from a JSON spec), the
// stage's uid and params, and the registry for sub-stages.
struct LoadContext {
  std::string dir;
  std::string uid;
  Json params;
  Json metadata;  // the whole metadata.json object
  const StageRegistry* registry = nullptr;
  int depth = 0;  // nesting of pipelines, bounded against cycles
};

using StageLoader = std::function<Result<std::shared_ptr<const Stage>>(const LoadContext&)>;

struct StageEntry {
  std::string type_name;
  StageKind kind = StageKind::kTransformer;
  std::string doc;
  std::vector<ParamInfo> params;
  StageLoader load;
  bool needs_data = false;  // a fitted model: can only be loaded from a saved directory
};

class StageRegistry {
 public:
  // AlreadyExists if the name is taken.
  Status Register(StageEntry entry);
  // Records that `type_name` exists in Ember but not in this build (its module was left
  // out); `why` says which module and which build option provides it. Find then reports
  // that instead of an unknown name. AlreadyExists if the name is registered.
  Status DeclareUnavailable(std::string type_name, std::string why);
  // NotFound listing the registered names (and the closest one); for a stage of a module
  // this build leaves out, FailedPrecondition saying which module and option provide it.
  Result<const StageEntry*> Find(std::string_view type_name) const;
  std::vector<std::string> Names() const;
  const std::map<std::string, StageEntry, std::less<>>& entries() const { return entries_; }

 private:
  std::map<std::string, StageEntry, std::less<>> entries_;
  std::map<std::string, std::string, std::less<>> unavailable_;  // type name -> why
};

// Registers a stage class S that has `S::kTypeName`, `S::Params` (with a static Spec()),
// and `static Result<std::shared_ptr<const S>> Make(Params, std::string uid)` (or
// `Make(Params, const StageRegistry&, std::string uid)` for a stage that resolves nested
// stage specs: it gets the registry it is loaded with). A class with
// learned state also has `static Result<std::shared_ptr<const S>> Load(const LoadContext&)`.
// A class that is built from params alone but keeps what they point to when saved (ONNXModel:
// the model file's bytes) has `static Result<std::shared_ptr<const S>> MakeOrLoad(const
// LoadContext&)` instead: ctx.dir is empty for a spec, else the saved directory.
template <typename S>
Status RegisterStage(StageRegistry* registry, std::string doc) {
  StageEntry e;
  e.type_name = std::string(S::kTypeName);
  e.kind = std::is_base_of_v<Estimator, S> ? StageKind::kEstimator : StageKind::kTransformer;
  e.doc = std::move(doc);
  e.params = S::Params::Spec().Describe();
  if constexpr (requires(const LoadContext& c) { S::Load(c); }) {
    e.needs_data = true;
    e.load = [](const LoadContext& ctx) -> Result<std::shared_ptr<const Stage>> {
      EMBER_ASSIGN_OR_RETURN(auto s, S::Load(ctx));
      return std::shared_ptr<const Stage>(std::move(s));
    };
  } else if constexpr (requires(const LoadContext& c) { S::MakeOrLoad(c); }) {
    e.load = [](const LoadContext& ctx) -> Result<std::shared_ptr<const Stage>> {
      EMBER_ASSIGN_OR_RETURN(auto s, S::MakeOrLoad(ctx));
      return std::shared_ptr<const Stage>(std::move(s));
    };
  } else if constexpr (requires(typename S::Params p, const StageRegistry& r) {
                         S::Make(std::move(p), r, "");
                       }) {
    // A stage that builds nested stages from specs (TrainClassifier's model) gets the
    // registry it was loaded with.
    e.load = [](const LoadContext& ctx) -> Result<std::shared_ptr<const Stage>> {
      if (ctx.registry == nullptr)
        return Internal(std::string(S::kTypeName) + ": loaded without a stage registry");
      EMBER_ASSIGN_OR_RETURN(typename S::Params p, S::Params::Spec().FromJson(ctx.params));
      EMBER_ASSIGN_OR_RETURN(auto s, S::Make(std::move(p), *ctx.registry, ctx.uid));
      return std::shared_ptr<const Stage>(std::move(s));
    };
  } else {
    e.load = [](const LoadContext& ctx) -> Result<std::shared_ptr<const Stage>> {
      EMBER_ASSIGN_OR_RETURN(typename S::Params p, S::Params::Spec().FromJson(ctx.params));
      EMBER_ASSIGN_OR_RETURN(auto s, S::Make(std::move(p), ctx.uid));
      return std::shared_ptr<const Stage>(std::move(s));
    };
  }
  return registry->Register(std::move(e));
}

}  // namespace ember
