// `ember tune`: model selection from the command line. The space file names the models to
// try in the spec's model stage and the params to search; TuneHyperparameters (or
// TrainValidationSplit) runs the trials, and the best pipeline, refitted on every row, is
// saved as `ember fit` would save it.
#include "ember/automl/tune.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "cli_util.h"
#include "commands.h"
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"

namespace ember::cli {

namespace {

bool Declares(const StageRegistry& registry, const std::string& type, const std::string& param) {
  Result<const StageEntry*> e = registry.Find(type);
  if (!e.ok()) return false;
  return std::any_of((*e)->params.begin(), (*e)->params.end(),
                     [&](const ParamInfo& p) { return p.name == param; });
}

std::string TypeOf(const Json& spec) {
  const Json* t = spec.is_object() ? spec.Find("type") : nullptr;
  return t && t->is_string() ? t->as_string() : "";
}

Json ParamsOf(const Json& spec) {
  const Json* p = spec.Find("params");
  return p && p->is_object() ? *p : Json::MakeObject();
}

// The stage the space's models go into: `stage` (from 1), or the spec's last estimator.
Result<size_t> ModelStage(const Json::Array& stages, const Json& entry,
                          const StageRegistry& registry) {
  if (const Json* n = entry.Find("stage")) {
    if (!n->is_int() || n->as_int() < 1 || n->as_int() > static_cast<int64_t>(stages.size())) {
      return InvalidArgument("'stage' is the number of a stage of the spec, 1 to " +
                             std::to_string(stages.size()));
    }
    return static_cast<size_t>(n->as_int() - 1);
  }
  for (size_t i = stages.size(); i-- > 0;) {
    Result<const StageEntry*> e = registry.Find(TypeOf(stages[i]));
    if (e.ok() && (*e)->kind == StageKind::kEstimator) return i;
  }
  return InvalidArgument("the spec has no estimator to tune; give 'stage'");
}

// One entry of the space file as a model of the search: the spec with the entry's model in
// place, and the entry's params as paths into it.
Result<ModelSpace> EntrySpace(const Json& spec, const Json& entry, const StageRegistry& registry) {
  if (!entry.is_object()) return InvalidArgument("expected {\"type\", \"params\", \"space\"}");
  for (const auto& [k, v] : entry.as_object()) {
    if (k != "type" && k != "params" && k != "space" && k != "stage") {
      return InvalidArgument("unknown key '" + k +
                             "' (an entry has type, params (fixed), space (searched) and stage)");
    }
  }
  Json stages = *spec.Find("stages");
  EMBER_ASSIGN_OR_RETURN(size_t k, ModelStage(stages.as_array(), entry, registry));
  Json& stage = stages.as_array()[k];
  const std::string stage_type = TypeOf(stage);
  const std::string prefix = "stages." + std::to_string(k + 1) + ".";
  const bool nested = Declares(registry, stage_type, "model");  // TrainClassifier's model
  const Json* type = entry.Find("type");
  if (type && !type->is_string()) return InvalidArgument("'type' must be a stage name");
  const Json fixed = entry.Find("params") ? *entry.Find("params") : Json::MakeObject();
  if (!fixed.is_object()) return InvalidArgument("'params' must be an object");
  Json stage_params = ParamsOf(stage);
  std::string model_type = stage_type;
  if (nested) {
    Json model = stage_params.Find("model") ? *stage_params.Find("model") : Json();
    if (type) {
      model = Json::MakeObject();
      model.Set("type", *type);
    }
    if (model.is_null()) {
      return InvalidArgument(stage_type + " (stage " + std::to_string(k + 1) +
                             ") has no model in the spec; give the entry a 'type'");
    }
    model_type = TypeOf(model);
    Json model_params = ParamsOf(model);
    for (const auto& [name, v] : fixed.as_object()) {
      const bool own =
          Declares(registry, stage_type, name) && !Declares(registry, model_type, name);
      (own ? stage_params : model_params).Set(name, v);
    }
    model.Set("params", std::move(model_params));
    stage_params.Set("model", std::move(model));
  } else if (type) {
    // Another estimator in the stage's place: it keeps the columns the stage read and wrote.
    model_type = type->as_string();
    Json carried = Json::MakeObject();
    for (const auto& [name, v] : stage_params.as_object()) {
      const bool column = name.size() > 3 && (name.ends_with("Col") || name.ends_with("Cols"));
      if (column && Declares(registry, model_type, name)) carried.Set(name, v);
    }
    stage_params = std::move(carried);
    for (const auto& [name, v] : fixed.as_object()) stage_params.Set(name, v);
  } else {
    for (const auto& [name, v] : fixed.as_object()) stage_params.Set(name, v);
  }
  Json new_stage = Json::MakeObject();
  new_stage.Set("type", Json(nested ? stage_type : model_type));
  if (const Json* uid = stage.Find("uid")) new_stage.Set("uid", *uid);
  new_stage.Set("params", std::move(stage_params));
  stage = std::move(new_stage);

  ModelSpace space;
  space.name = model_type;
  Json params = Json::MakeObject();
  params.Set("stages", std::move(stages));
  space.model = Json::MakeObject();
  space.model.Set("type", Json("Pipeline"));
  space.model.Set("params", std::move(params));
  if (const Json* searched = entry.Find("space")) {
    if (!searched->is_object()) return InvalidArgument("'space' must be an object");
    for (const auto& [name, values] : searched->as_object()) {
      const bool own = !nested || (Declares(registry, stage_type, name) &&
                                   !Declares(registry, model_type, name));
      EMBER_ASSIGN_OR_RETURN(Hyperparam h,
                             Hyperparam::FromJson(prefix + (own ? "" : "model.") + name, values));
      space.params.push_back(std::move(h));
    }
  }
  return space;
}

Result<TuneOptions> OptionsOf(const TuneArgs& a, const Json& spec, const Json& space,
                              const StageRegistry& registry) {
  TuneOptions o;
  if (!space.is_object()) return InvalidArgument("expected {\"models\": [...]}");
  const Json* models = space.Find("models");
  if (models == nullptr || !models->is_array() || models->as_array().empty())
    return InvalidArgument("'models' must be a non-empty array of {\"type\", \"space\"} entries");
  for (size_t i = 0; i < models->as_array().size(); ++i) {
    Result<ModelSpace> m = EntrySpace(spec, models->as_array()[i], registry);
    if (!m.ok()) return m.status().WithContext("model " + std::to_string(i + 1));
    o.models.push_back(std::move(*m));
  }
  std::string search = a.search;
  if (search.empty() && space.Find("search") && space.Find("search")->is_string())
    search = space.Find("search")->as_string();
  if (search == "random") {
    o.search = SearchKind::kRandom;
  } else if (!search.empty() && search != "grid") {
    return InvalidArgument("search is grid or random, got '" + search + "'");
  }
  o.num_runs = a.runs > 0 ? a.runs : 10;
  if (a.runs <= 0 && space.Find("numRuns") && space.Find("numRuns")->is_int())
    o.num_runs = static_cast<int32_t>(space.Find("numRuns")->as_int());
  o.num_folds = a.folds;
  o.train_ratio = a.train_ratio;
  o.label_col = a.label;
  o.metric = a.metric;
  if (o.metric != "auto") {
    Result<SelectionMetric> m = ParseSelectionMetric(o.metric);
    if (!m.ok()) return m.status().WithContext("--metric");
    o.metric = m->name;
  }
  o.seed = a.seed;
  o.parallelism = a.parallelism;
  return o;
}

std::string Padded(std::string s, size_t width) {
  if (s.size() < width) s += std::string(width - s.size(), ' ');
  return s + " ";
}

std::string Setting(const Trial& t) {
  std::string d = t.Describe();
  return d.size() > t.model_type.size() ? d.substr(t.model_type.size() + 1) : "(as in the spec)";
}

// The trials, best first: rank, trial, model, setting, mean ± std, seconds.
void PrintTrials(const CliContext& c, const TuneResult& r) {
  std::vector<size_t> order(r.trials.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](size_t i) {
    const double m = r.trials[i].mean;
    return std::isnan(m) ? INFINITY : (r.metric.larger_is_better ? -m : m);
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  size_t model_w = 5, setting_w = 7;
  for (const Trial& t : r.trials) {
    model_w = std::max(model_w, t.model_type.size());
    setting_w = std::max(setting_w, Setting(t).size());
  }
  c.out << Padded("rank", 5) << Padded("trial", 6) << Padded("model", model_w)
        << Padded("setting", setting_w) << Padded(r.metric.name + " (mean +- std)", 22)
        << "seconds\n";
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const Trial& t = r.trials[order[rank]];
    std::string score =
        t.error.empty() ? Fixed(t.mean, 4) + " +- " + Fixed(t.stddev, 4) : "failed: " + t.error;
    if (t.folds_not_converged > 0)
      score += " (" + std::to_string(t.folds_not_converged) + " folds did not converge)";
    c.out << Padded(std::to_string(rank + 1), 5) << Padded(std::to_string(order[rank] + 1), 6)
          << Padded(t.model_type, model_w) << Padded(Setting(t), setting_w) << Padded(score, 22)
          << Fixed(t.seconds, 2) << "\n";
  }
}

}  // namespace

Status Tune(const CliContext& c, const TuneArgs& a) {
  const StageRegistry& registry = DefaultRegistry();
  EMBER_ASSIGN_OR_RETURN(std::string spec_text, ReadFileToString(a.spec_path));
  Result<Json> spec = Json::Parse(spec_text);
  if (!spec.ok()) return spec.status().WithContext(a.spec_path);
  Result<std::shared_ptr<const Pipeline>> pipeline = Pipeline::FromSpec(*spec, registry);
  if (!pipeline.ok()) return pipeline.status().WithContext(a.spec_path);
  EMBER_ASSIGN_OR_RETURN(std::string space_text, ReadFileToString(a.space_path));
  Result<Json> space = Json::Parse(space_text);
  if (!space.ok()) return space.status().WithContext(a.space_path);
  Result<TuneOptions> options = OptionsOf(a, *spec, *space, registry);
  if (!options.ok()) return options.status().WithContext(a.space_path);
  Result<std::vector<TrialPlan>> plans = PlanTrials(*options, registry);
  if (!plans.ok()) return plans.status().WithContext(a.space_path);
  if (!a.trials_out.empty()) EMBER_RETURN_IF_ERROR(FormatOfPath(a.trials_out).status());
  if (!a.overwrite && std::filesystem::exists(a.out_dir)) {
    return AlreadyExists("'" + a.out_dir + "' already exists; pass --overwrite to replace it");
  }
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, a.data));
  const std::string scheme = options->train_ratio > 0
                                 ? "one split (" + Fixed(options->train_ratio, 2) + " trains)"
                                 : std::to_string(options->num_folds) + " folds";
  c.log << "tuning: " << plans->size() << " trials of " << options->models.size() << " models, "
        << scheme << ", metric " << options->metric << "\n";
  Timer t;
  CliLogger logger(c.log);
  ExecContext exec = c.exec;
  exec.log = &logger;
  auto progress = [&](const Trial& trial, int done, int total) {
    c.log << "trial " << done << "/" << total << ": " << trial.Describe() << ": "
          << (trial.error.empty() ? Fixed(trial.mean, 4) + " +- " + Fixed(trial.stddev, 4)
                                  : "failed: " + trial.error)
          << " (" << Fixed(t.Seconds(), 1) << " s)\n";
  };
  EMBER_ASSIGN_OR_RETURN(TuneResult result, RunTrials(*plans, *options, frame, exec, progress));
  PrintTrials(c, result);
  const Trial& best = result.trials[result.best];
  c.out << "best: trial " << result.best + 1 << " (" << best.Describe()
        << "): " << result.metric.name << " " << Fixed(best.mean, 4) << " +- "
        << Fixed(best.stddev, 4) << "\n";
  c.log << "tuned in " << Fixed(t.Seconds()) << " s\n";
  if (c.exec.comm != nullptr && c.exec.comm->rank() != 0) return Status::OK();
  if (!a.trials_out.empty()) {
    EMBER_ASSIGN_OR_RETURN(Batch table, TrialsTable(result));
    EMBER_ASSIGN_OR_RETURN(DataFrame trials, DataFrame::Make(table.schema(), {table}));
    ExecContext one_rank = c.exec;
    one_rank.comm = nullptr;
    EMBER_RETURN_IF_ERROR(WriteTable(one_rank, trials, a.trials_out));
    c.log << "wrote the trials to " << a.trials_out << "\n";
  }
  EMBER_RETURN_IF_ERROR(SaveStage(*result.best_model, a.out_dir,
                                  {.overwrite = a.overwrite, .input_schema = frame.schema()}));
  c.out << "saved the best pipeline, refitted on all rows, to " << a.out_dir << "\n";
  return Status::OK();
}

}  // namespace ember::cli
