#include "ember/automl/tune.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <set>

#include "ember/automl/selected_model.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t RowHash(uint64_t seed, int64_t row) {
  return SplitMix64(SplitMix64(seed) + static_cast<uint64_t>(row));
}

// A uniform draw in [0, 1) from the top 53 bits.
double Unit(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

Json* MutableMember(Json* object, std::string_view key) {
  for (auto& [k, v] : object->as_object()) {
    if (k == key) return &v;
  }
  return nullptr;
}

// The params object of a stage spec, made when missing.
Result<Json*> SpecParams(Json* spec, const std::string& where) {
  if (!spec->is_object() || spec->Find("type") == nullptr)
    return InvalidArgument(where + " is not a stage spec {\"type\": ..., \"params\": {...}}");
  Json* params = MutableMember(spec, "params");
  if (params == nullptr) {
    spec->Set("params", Json::MakeObject());
    params = MutableMember(spec, "params");
  }
  if (!params->is_object()) return InvalidArgument(where + ": 'params' must be an object");
  return params;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// The type of the stage a path ends in ("model.regParam" of a TrainClassifier: the model's).
std::string TunedType(const Json& spec, const std::string& path) {
  const Json* node = &spec;
  const std::vector<std::string> parts = SplitPath(path);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const Json* params = node->Find("params");
    const Json* next = params ? params->Find(parts[i]) : nullptr;
    if (next && next->is_array() && i + 2 < parts.size()) {
      const size_t k = std::strtoul(parts[i + 1].c_str(), nullptr, 10);
      if (k < 1 || k > next->as_array().size()) break;
      next = &next->as_array()[k - 1];
      ++i;
    }
    if (next == nullptr || !next->is_object() || next->Find("type") == nullptr) break;
    node = next;
  }
  const Json* type = node->Find("type");
  return type && type->is_string() ? type->as_string() : "?";
}

std::string ValueText(const Json& v) {
  if (v.kind() == Json::Kind::kDouble) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.as_double());
    return buf;
  }
  return v.is_string() ? v.as_string() : v.Dump();
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

double StdDev(const std::vector<double>& v, double mean) {
  if (v.size() < 2) return 0;
  double s = 0;
  for (double x : v) s += (x - mean) * (x - mean);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// The training and held-out rows of each fold (k folds, or one split by train_ratio).
struct Folds {
  std::vector<DataFrame> train, valid;
};

Result<Folds> MakeFolds(const TuneOptions& o, const DataFrame& data, const ExecContext& ctx) {
  // This rank's first row's global index: the rows of the ranks before it.
  int64_t offset = 0;
  if (ctx.comm && ctx.comm->size() > 1) {
    const double mine = static_cast<double>(data.num_rows());
    EMBER_ASSIGN_OR_RETURN(std::vector<double> counts,
                           AllGatherDoubles(*ctx.comm, std::span<const double>(&mine, 1),
                                            Deadline::In(std::chrono::minutes(30))));
    for (int r = 0; r < ctx.comm->rank(); ++r) offset += static_cast<int64_t>(counts[r]);
  }
  const bool split = o.train_ratio > 0;
  const int32_t k = split ? 1 : o.num_folds;
  const uint64_t seed = static_cast<uint64_t>(o.seed);
  std::vector<std::vector<Batch>> train(k), valid(k);
  int64_t row = offset;
  for (const Batch& b : data.partitions()) {
    std::vector<std::vector<int64_t>> in_train(k), in_valid(k);
    for (int64_t r = 0; r < b.num_rows(); ++r, ++row) {
      const int32_t fold =
          split ? (TrainsInSplit(seed, row, o.train_ratio) ? -1 : 0) : FoldOf(seed, row, k);
      for (int32_t f = 0; f < k; ++f) (f == fold ? in_valid : in_train)[f].push_back(r);
    }
    for (int32_t f = 0; f < k; ++f) {
      EMBER_ASSIGN_OR_RETURN(Batch t, TakeRows(b, in_train[f]));
      EMBER_ASSIGN_OR_RETURN(Batch v, TakeRows(b, in_valid[f]));
      train[f].push_back(std::move(t));
      valid[f].push_back(std::move(v));
    }
  }
  Folds folds;
  for (int32_t f = 0; f < k; ++f) {
    EMBER_ASSIGN_OR_RETURN(DataFrame t, DataFrame::Make(data.schema(), std::move(train[f])));
    EMBER_ASSIGN_OR_RETURN(DataFrame v, DataFrame::Make(data.schema(), std::move(valid[f])));
    folds.train.push_back(std::move(t));
    folds.valid.push_back(std::move(v));
  }
  return folds;
}

// Keeps the warnings of one fit (its info lines are the fit's own business).
class WarningLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override {
    if (level < LogLevel::kWarning) return;
    std::lock_guard<std::mutex> lock(mu_);
    messages_.emplace_back(message);
  }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(messages_);
  }

 private:
  std::mutex mu_;
  std::vector<std::string> messages_;
};

// What one fold of one trial gave.
struct FoldOutcome {
  double value = NAN;
  std::string metric;  // the metric's name (auto resolves per model kind)
  Status error;
  bool not_converged = false;
  std::vector<std::string> warnings;
  double seconds = 0;
};

Result<SelectionMetric> ResolveMetric(const std::string& name, const Batch& row) {
  if (name != "auto") return ParseSelectionMetric(name);
  const bool classification = row.schema()->FindField("accuracy") >= 0;
  return DefaultSelectionMetric(classification ? EvaluationMetric::kClassification
                                               : EvaluationMetric::kRegression);
}

FoldOutcome RunFold(const TrialPlan& plan, const TuneOptions& o, const DataFrame& train,
                    const DataFrame& valid, const ExecContext& base) {
  const auto start = std::chrono::steady_clock::now();
  FoldOutcome out;
  WarningLogger logger;
  ExecContext ctx = base;
  ctx.log = &logger;
  ctx.progress = nullptr;
  Status s = [&]() -> Status {
    EMBER_ASSIGN_OR_RETURN(auto model, plan.estimator->Fit(train, ctx));
    EvaluationMetric kind = EvaluationMetric::kAuto;
    if (o.metric != "auto") {
      EMBER_ASSIGN_OR_RETURN(SelectionMetric m, ParseSelectionMetric(o.metric));
      kind = m.kind;
      EMBER_ASSIGN_OR_RETURN(SchemaPtr out, model->TransformSchema(*valid.schema()));
      if (kind == EvaluationMetric::kClassification && out->FindField("probability") < 0) {
        return InvalidArgument("metric '" + m.name + "' is a classification metric, and " +
                               plan.model_type +
                               " gives no class probabilities (a regressor?); name a "
                               "regression metric (rmse, mse, mae, r2)");
      }
      if (kind == EvaluationMetric::kRegression && out->FindField("probability") >= 0) {
        return InvalidArgument("metric '" + m.name + "' is a regression metric, and " +
                               plan.model_type +
                               " is a classifier; name a classification metric (AUC, "
                               "accuracy, f1, log_loss, ...)");
      }
    }
    EMBER_ASSIGN_OR_RETURN(Batch row, EvaluateModel(*model, valid, o.label_col, kind, ctx));
    EMBER_ASSIGN_OR_RETURN(SelectionMetric metric, ResolveMetric(o.metric, row));
    out.metric = metric.name;
    EMBER_ASSIGN_OR_RETURN(out.value, MetricValue(row, metric));
    return Status::OK();
  }();
  out.error = std::move(s);
  for (std::string& m : logger.Take()) {
    if (m.find("did not converge") != std::string::npos) {
      out.not_converged = true;
    } else {
      out.warnings.push_back(std::move(m));
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

// Folds' outcomes into the trial's record.
void Summarize(const std::vector<FoldOutcome>& folds, Trial* t, std::set<std::string>* warnings) {
  for (const FoldOutcome& f : folds) {
    t->seconds += f.seconds;
    t->folds_not_converged += f.not_converged;
    for (const std::string& w : f.warnings) warnings->insert(w);
    if (!f.error.ok() && t->error.empty()) t->error = f.error.ToString();
    t->fold_metrics.push_back(f.value);
  }
  t->mean = t->error.empty() ? Mean(t->fold_metrics) : NAN;
  t->stddev = t->error.empty() ? StdDev(t->fold_metrics, t->mean) : NAN;
}

Result<TuneOptions> OptionsFrom(const ModelSearchParams& p, bool split) {
  TuneOptions o;
  if (!p.models.is_array() || p.models.as_array().empty())
    return InvalidArgument("param 'models': expected a non-empty array of estimator specs");
  if (!p.param_space.is_array())
    return InvalidArgument("param 'paramSpace': expected an array, one object per model");
  const auto& models = p.models.as_array();
  const auto& spaces = p.param_space.as_array();
  if (!spaces.empty() && spaces.size() != models.size()) {
    return InvalidArgument("param 'paramSpace': " + std::to_string(spaces.size()) +
                           " entries for " + std::to_string(models.size()) +
                           " models (one object per model, {} for none)");
  }
  for (size_t i = 0; i < models.size(); ++i) {
    ModelSpace m{.model = models[i], .params = {}};
    if (!spaces.empty()) {
      const Json& space = spaces[i];
      if (!space.is_object()) {
        return InvalidArgument("param 'paramSpace' entry " + std::to_string(i + 1) +
                               ": expected an object {path: values}");
      }
      for (const auto& [path, values] : space.as_object()) {
        Result<Hyperparam> h = Hyperparam::FromJson(path, values);
        if (!h.ok())
          return h.status().WithContext("param 'paramSpace' entry " + std::to_string(i + 1));
        m.params.push_back(std::move(*h));
      }
    }
    o.models.push_back(std::move(m));
  }
  o.search = p.search;
  o.num_runs = p.num_runs;
  o.num_folds = p.num_folds;
  o.train_ratio = split ? p.train_ratio : 0.0;
  o.metric = p.evaluation_metric;
  if (o.metric != "auto") {
    Result<SelectionMetric> m = ParseSelectionMetric(o.metric);
    if (!m.ok()) return m.status().WithContext("param 'evaluationMetric'");
    o.metric = m->name;
  }
  o.label_col = p.label_col;
  o.parallelism = p.parallelism;
  o.seed = p.seed;
  return o;
}

template <typename P, typename T>
T P::*Member(T ModelSearchParams::*m) {
  return static_cast<T P::*>(m);
}

template <typename P>
ParamSpec<P>& AddSearchParams(ParamSpec<P>& s) {
  return s
      .Add("models", Member<P>(&ModelSearchParams::models),
           "The estimators to compare, as specs [{\"type\": ..., \"params\": {...}}, ...]; a "
           "Pipeline spec tunes a whole pipeline.")
      .Add("paramSpace", Member<P>(&ModelSearchParams::param_space),
           "One object per model: {path: [values] or {\"min\", \"max\", \"scale\": "
           "linear|log, \"type\": double|int}}; a path is a param name, \"model.regParam\" "
           "inside a nested spec, or \"stages.2.maxDepth\" in a pipeline (stages from 1).")
      .AddEnum("searchType", Member<P>(&ModelSearchParams::search),
               {{"grid", SearchKind::kGrid}, {"random", SearchKind::kRandom}},
               "grid: every combination of the listed values; random: numRuns draws per model "
               "(ranges need random).")
      .Add("numRuns", Member<P>(&ModelSearchParams::num_runs),
           "Random search: settings drawn per model.", AtLeast<int32_t>(1))
      .Add("evaluationMetric", Member<P>(&ModelSearchParams::evaluation_metric),
           "The metric ranked by: AUC, AUPR, accuracy, precision, recall, f1, log_loss, "
           "macro_f1, weighted_f1, weighted_precision, weighted_recall, weighted_AUC, mse, "
           "rmse, mae, r2; auto: accuracy for classifiers, r2 for regressors.")
      .Add("labelCol", Member<P>(&ModelSearchParams::label_col),
           "The label column the held-out rows are scored against.", NonEmpty<std::string>())
      .Add("parallelism", Member<P>(&ModelSearchParams::parallelism),
           "Fits at once on one rank, each on one thread (0: the pool's threads; on several "
           "ranks fits run one at a time over all ranks).",
           AtLeast<int32_t>(0))
      .Add("seed", Member<P>(&ModelSearchParams::seed),
           "Seeds the folds (by each row's global position) and the random draws.");
}

Result<std::shared_ptr<const Transformer>> FitSearch(const Stage& stage, const TuneOptions& o,
                                                     const std::vector<TrialPlan>& plans,
                                                     std::string_view model_type,
                                                     const DataFrame& in, const ExecContext& ctx) {
  Result<TuneResult> r = RunTrials(plans, o, in, ctx);
  if (!r.ok()) return r.status().WithContext(stage.Describe());
  Json trials = Json::MakeArray();
  for (const Trial& t : r->trials) {
    Json j = Json::MakeObject();
    j.Set("model", Json(t.model));
    j.Set("type", Json(t.model_type));
    j.Set("setting", t.setting);
    j.Set("mean", std::isnan(t.mean) ? Json() : Json(t.mean));
    j.Set("stddev", std::isnan(t.stddev) ? Json() : Json(t.stddev));
    Json folds = Json::MakeArray();
    for (double v : t.fold_metrics) folds.Append(std::isnan(v) ? Json() : Json(v));
    j.Set("folds", std::move(folds));
    if (!t.error.empty()) j.Set("error", Json(t.error));
    trials.Append(std::move(j));
  }
  Json record = Json::MakeObject();
  record.Set("metric", Json(r->metric.name));
  record.Set("best", Json(r->best));
  record.Set("trials", std::move(trials));
  EMBER_ASSIGN_OR_RETURN(
      auto m, SelectedModel::Make(std::string(model_type), r->best_model, std::move(record)));
  return std::shared_ptr<const Transformer>(std::move(m));
}

}  // namespace

Result<Hyperparam> Hyperparam::FromJson(std::string path, const Json& j) {
  Hyperparam h;
  h.path = std::move(path);
  auto error = [&](const std::string& what) {
    return InvalidArgument("'" + h.path + "': " + what);
  };
  if (h.path.empty()) return InvalidArgument("an empty param path");
  if (j.is_array()) {
    if (j.as_array().empty()) return error("an empty list of values");
    h.values = j.as_array();
    return h;
  }
  if (!j.is_object()) return error("expected a list of values or {\"min\": ..., \"max\": ...}");
  for (const auto& [k, v] : j.as_object()) {
    if (k != "min" && k != "max" && k != "scale" && k != "type")
      return error("unknown key '" + k + "' (a range has min, max, scale, type)");
  }
  const Json* min = j.Find("min");
  const Json* max = j.Find("max");
  if (!min || !max || !min->is_number() || !max->is_number())
    return error("a range needs numbers 'min' and 'max'");
  h.min = min->as_double();
  h.max = max->as_double();
  if (!(h.min <= h.max)) return error("'min' is above 'max'");
  if (const Json* scale = j.Find("scale")) {
    if (!scale->is_string() || (scale->as_string() != "linear" && scale->as_string() != "log"))
      return error("'scale' is linear or log");
    h.log_scale = scale->as_string() == "log";
    if (h.log_scale && h.min <= 0) return error("a log scale needs 'min' > 0");
  }
  if (const Json* type = j.Find("type")) {
    if (!type->is_string() || (type->as_string() != "double" && type->as_string() != "int"))
      return error("'type' is double or int");
    h.integer = type->as_string() == "int";
  }
  return h;
}

Result<std::vector<Json>> Settings(const ModelSpace& space, SearchKind search, int32_t num_runs,
                                   uint64_t seed) {
  std::vector<Json> out;
  if (search == SearchKind::kGrid) {
    for (const Hyperparam& h : space.params) {
      if (h.values.empty()) {
        return InvalidArgument("'" + h.path +
                               "' is a range: a grid needs a list of values (or use searchType "
                               "random)");
      }
    }
    out.push_back(Json::MakeObject());
    for (const Hyperparam& h : space.params) {
      std::vector<Json> next;
      for (const Json& partial : out) {
        for (const Json& v : h.values) {
          Json s = partial;
          s.Set(h.path, v);
          next.push_back(std::move(s));
        }
      }
      out = std::move(next);
    }
    return out;
  }
  std::mt19937_64 rng(SplitMix64(seed));
  for (int32_t run = 0; run < num_runs; ++run) {
    Json s = Json::MakeObject();
    for (const Hyperparam& h : space.params) {
      const uint64_t bits = rng();
      if (!h.values.empty()) {
        s.Set(h.path, h.values[bits % h.values.size()]);
        continue;
      }
      const double u = Unit(bits);
      double v = h.log_scale ? std::exp(std::log(h.min) + u * (std::log(h.max) - std::log(h.min)))
                             : h.min + u * (h.max - h.min);
      if (h.integer) {
        v = h.log_scale ? std::round(v) : std::floor(h.min + u * (h.max - h.min + 1));
        s.Set(h.path, Json(static_cast<int64_t>(std::clamp(v, h.min, h.max))));
      } else {
        s.Set(h.path, Json(v));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

Result<Json> ApplySetting(const Json& spec, const Json& setting) {
  Json out = spec;
  for (const auto& [path, value] : setting.as_object()) {
    const std::vector<std::string> parts = SplitPath(path);
    Json* node = &out;
    std::string where = "the model spec";
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      EMBER_ASSIGN_OR_RETURN(Json * params, SpecParams(node, where));
      Json* next = MutableMember(params, parts[i]);
      const std::string type =
          node->Find("type")->is_string() ? node->Find("type")->as_string() : "?";
      if (next == nullptr || next->is_null()) {
        return InvalidArgument("path '" + path + "': " + type + " param '" + parts[i] +
                               "' is not set in the spec; write the nested spec there to tune "
                               "its params");
      }
      if (next->is_array()) {
        char* end = nullptr;
        const unsigned long k =
            i + 2 < parts.size() ? std::strtoul(parts[i + 1].c_str(), &end, 10) : 0;
        if (k < 1 || k > next->as_array().size() || end == nullptr || *end != '\0') {
          return InvalidArgument("path '" + path + "': after '" + parts[i] +
                                 "' comes the number of a stage, 1 to " +
                                 std::to_string(next->as_array().size()));
        }
        next = &next->as_array()[k - 1];
        where = "stage " + std::to_string(k) + " of '" + parts[i] + "'";
        ++i;
      } else {
        where = "param '" + parts[i] + "'";
      }
      node = next;
    }
    EMBER_ASSIGN_OR_RETURN(Json * params, SpecParams(node, where));
    params->Set(parts.back(), value);
  }
  return out;
}

int32_t FoldOf(uint64_t seed, int64_t row, int32_t k) {
  return static_cast<int32_t>(RowHash(seed, row) % static_cast<uint64_t>(k));
}

bool TrainsInSplit(uint64_t seed, int64_t row, double train_ratio) {
  return Unit(RowHash(seed, row)) < train_ratio;
}

std::string Trial::Describe() const {
  std::string s = model_type;
  for (const auto& [path, value] : setting.as_object())
    s += " " + path.substr(path.rfind('.') + 1) + "=" + ValueText(value);
  return s;
}

Result<std::vector<TrialPlan>> PlanTrials(const TuneOptions& o, const StageRegistry& registry) {
  if (o.models.empty()) return InvalidArgument("no models to compare");
  if (o.train_ratio <= 0 && o.num_folds < 2)
    return InvalidArgument("numFolds must be at least 2, got " + std::to_string(o.num_folds));
  if (o.train_ratio > 0 && o.train_ratio >= 1)
    return InvalidArgument("trainRatio must be below 1, got " + std::to_string(o.train_ratio));
  std::vector<TrialPlan> plans;
  for (size_t m = 0; m < o.models.size(); ++m) {
    const std::string which = "model " + std::to_string(m + 1);
    Result<std::vector<Json>> settings =
        Settings(o.models[m], o.search, o.num_runs, static_cast<uint64_t>(o.seed) + m);
    if (!settings.ok()) return settings.status().WithContext(which);
    for (const Json& setting : *settings) {
      Result<Json> spec = ApplySetting(o.models[m].model, setting);
      if (!spec.ok()) return spec.status().WithContext(which);
      Result<std::shared_ptr<const Stage>> stage = StageFromSpec(*spec, registry);
      if (!stage.ok()) return stage.status().WithContext(which + " with " + setting.Dump());
      if ((*stage)->kind() != StageKind::kEstimator) {
        return InvalidArgument(which + ": '" + std::string((*stage)->type_name()) +
                               "' is not an estimator");
      }
      TrialPlan p;
      p.model = static_cast<int32_t>(m);
      p.model_type = std::string((*stage)->type_name());
      if (!o.models[m].name.empty()) {
        p.model_type = o.models[m].name;
      } else if (!o.models[m].params.empty()) {
        p.model_type = TunedType(*spec, o.models[m].params.front().path);
      }
      p.setting = setting;
      p.estimator = std::static_pointer_cast<const Estimator>(*stage);
      plans.push_back(std::move(p));
    }
  }
  return plans;
}

Result<TuneResult> RunTrials(const std::vector<TrialPlan>& plans, const TuneOptions& o,
                             const DataFrame& data, const ExecContext& ctx,
                             const TrialCallback& on_trial) {
  if (plans.empty()) return InvalidArgument("no trials to run");
  EMBER_RETURN_IF_ERROR(data.schema()->GetFieldIndex(o.label_col).status());
  EMBER_ASSIGN_OR_RETURN(Folds folds, MakeFolds(o, data, ctx));
  const int num_folds = static_cast<int>(folds.train.size());
  for (int f = 0; f < num_folds; ++f) {
    if (folds.valid[f].num_rows() == 0 || folds.train[f].num_rows() == 0) {
      return InvalidArgument("fold " + std::to_string(f + 1) + " has no " +
                             (folds.valid[f].num_rows() == 0 ? "held-out" : "training") +
                             " rows: " + std::to_string(data.num_rows()) +
                             " rows are too few for the folds");
    }
  }
  const int64_t num_tasks = static_cast<int64_t>(plans.size()) * num_folds;
  std::vector<FoldOutcome> outcomes(static_cast<size_t>(num_tasks));
  TuneResult result;
  result.trials.resize(plans.size());
  std::vector<int> folds_left(plans.size(), num_folds);
  std::mutex mu;
  int trials_done = 0;
  auto finish_fold = [&](int64_t task) {
    const size_t t = static_cast<size_t>(task / num_folds);
    std::lock_guard<std::mutex> lock(mu);
    if (--folds_left[t] > 0) return;
    Trial& trial = result.trials[t];
    trial.model = plans[t].model;
    trial.model_type = plans[t].model_type;
    trial.setting = plans[t].setting;
    std::set<std::string> warnings;
    Summarize({outcomes.begin() + static_cast<int64_t>(t) * num_folds,
               outcomes.begin() + static_cast<int64_t>(t + 1) * num_folds},
              &trial, &warnings);
    if (ctx.log) {
      for (const std::string& w : warnings)
        ctx.log->Warning("trial " + std::to_string(t + 1) + " (" + trial.Describe() + "): " + w);
    }
    ++trials_done;
    if (on_trial) on_trial(trial, trials_done, static_cast<int>(plans.size()));
  };
  auto run_task = [&](int64_t task, const ExecContext& task_ctx) {
    const size_t t = static_cast<size_t>(task / num_folds);
    const int f = static_cast<int>(task % num_folds);
    outcomes[static_cast<size_t>(task)] =
        RunFold(plans[t], o, folds.train[f], folds.valid[f], task_ctx);
    finish_fold(task);
  };
  const bool ranks = ctx.comm && ctx.comm->size() > 1;
  const int threads = ctx.pool ? ctx.pool->num_threads() : 1;
  const int parallelism = ranks ? 1 : (o.parallelism > 0 ? o.parallelism : threads);
  if (parallelism <= 1 || ctx.pool == nullptr) {
    for (int64_t task = 0; task < num_tasks; ++task) {
      if (ctx.cancel.IsCancelled()) return Cancelled("model search cancelled");
      run_task(task, ctx);
    }
  } else {
    // `parallelism` workers take tasks in order, each fit on its own thread alone.
    ExecContext one_thread = ctx;
    one_thread.pool = nullptr;
    std::atomic<int64_t> next{0};
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(
        parallelism,
        [&](int64_t) -> Status {
          for (int64_t task = next++; task < num_tasks; task = next++) {
            if (ctx.cancel.IsCancelled()) return Cancelled("model search cancelled");
            run_task(task, one_thread);
          }
          return Status::OK();
        },
        ctx.cancel));
  }
  // The metric every trial was scored by (auto resolves by the models' kind).
  std::set<std::string> names;
  for (const FoldOutcome& f : outcomes) {
    if (f.error.ok()) names.insert(f.metric);
  }
  if (names.empty()) {
    return InvalidArgument("every trial failed; trial 1 (" + result.trials[0].Describe() +
                           "): " + result.trials[0].error);
  }
  if (names.size() > 1) {
    return InvalidArgument(
        "evaluationMetric auto: the models are not all classifiers or all regressors; name "
        "the metric");
  }
  EMBER_ASSIGN_OR_RETURN(result.metric, ParseSelectionMetric(*names.begin()));
  for (size_t t = 0; t < result.trials.size(); ++t) {
    const Trial& trial = result.trials[t];
    if (!trial.error.empty() || std::isnan(trial.mean)) continue;
    if (result.best < 0) {
      result.best = static_cast<int32_t>(t);
      continue;
    }
    const double best = result.trials[result.best].mean;
    if (result.metric.larger_is_better ? trial.mean > best : trial.mean < best)
      result.best = static_cast<int32_t>(t);
  }
  if (result.best < 0) {
    return InvalidArgument("no trial has a defined metric '" + result.metric.name +
                           "' on every fold");
  }
  EMBER_ASSIGN_OR_RETURN(result.best_model, plans[result.best].estimator->Fit(data, ctx));
  return result;
}

Result<TuneResult> Tune(const TuneOptions& options, const DataFrame& data,
                        const StageRegistry& registry, const ExecContext& ctx,
                        const TrialCallback& on_trial) {
  EMBER_ASSIGN_OR_RETURN(std::vector<TrialPlan> plans, PlanTrials(options, registry));
  return RunTrials(plans, options, data, ctx, on_trial);
}

Result<Batch> TrialsTable(const TuneResult& r) {
  Int32Builder model(Int32Type());
  StringBuilder type(StringType()), setting(StringType()), error(StringType());
  NumericBuilder<double> mean(Float64Type()), stddev(Float64Type()), seconds(Float64Type());
  ListBuilder folds(ListType(Float64Type()));
  auto* fold_values = static_cast<NumericBuilder<double>*>(folds.value_builder());
  auto number = [](NumericBuilder<double>& b, double v) {
    if (std::isnan(v)) {
      b.AppendNull();
    } else {
      b.Append(v);
    }
  };
  for (const Trial& t : r.trials) {
    model.Append(t.model + 1);
    type.Append(t.model_type);
    setting.Append(t.setting.Dump());
    number(mean, t.mean);
    number(stddev, t.stddev);
    folds.Append();
    for (double v : t.fold_metrics) number(*fold_values, v);
    number(seconds, t.seconds);
    if (t.error.empty()) {
      error.AppendNull();
    } else {
      error.Append(t.error);
    }
  }
  const std::string m = r.metric.name;
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr schema,
      Schema::Make({MakeField("model", Int32Type()), MakeField("type", StringType()),
                    MakeField("setting", StringType()), MakeField(m + "_mean", Float64Type()),
                    MakeField(m + "_stddev", Float64Type()),
                    MakeField(m + "_folds", ListType(Float64Type())),
                    MakeField("seconds", Float64Type()), MakeField("error", StringType())}));
  return Batch::Make(schema, {model.Finish(), type.Finish(), setting.Finish(), mean.Finish(),
                              stddev.Finish(), folds.Finish(), seconds.Finish(), error.Finish()});
}

// The stages ---------------------------------------------------------------------------------

const ParamSpec<TuneHyperparametersParams>& TuneHyperparametersParams::Spec() {
  using P = TuneHyperparametersParams;
  static const ParamSpec<P> spec = [] {
    ParamSpec<P> s("TuneHyperparameters");
    AddSearchParams(s).Add("numFolds", Member<P>(&ModelSearchParams::num_folds),
                           "Folds of the cross-validation.", AtLeast<int32_t>(2));
    return s;
  }();
  return spec;
}

const ParamSpec<TrainValidationSplitParams>& TrainValidationSplitParams::Spec() {
  using P = TrainValidationSplitParams;
  static const ParamSpec<P> spec = [] {
    ParamSpec<P> s("TrainValidationSplit");
    AddSearchParams(s).Add("trainRatio", Member<P>(&ModelSearchParams::train_ratio),
                           "The share of rows that trains; the rest is held out.",
                           InRange<double>(0.01, 0.99));
    return s;
  }();
  return spec;
}

template <typename P>
Result<std::shared_ptr<const ModelSearch<P>>> ModelSearch<P>::Make(P p,
                                                                   const StageRegistry& registry,
                                                                   std::string uid) {
  EMBER_RETURN_IF_ERROR(P::Spec().Validate(p));
  Result<TuneOptions> o = OptionsFrom(p, P::kOneSplit);
  if (!o.ok()) return o.status().WithContext(std::string(kTypeName));
  Result<std::vector<TrialPlan>> plans = PlanTrials(*o, registry);
  if (!plans.ok()) return plans.status().WithContext(std::string(kTypeName));
  return std::shared_ptr<const ModelSearch>(
      new ModelSearch(std::move(p), std::move(*o), std::move(*plans), std::move(uid)));
}

template <typename P>
Result<SchemaPtr> ModelSearch<P>::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(in.GetFieldIndex(options_.label_col).status());
  return plans_.front().estimator->TransformSchema(in);
}

template <typename P>
Result<std::shared_ptr<const Transformer>> ModelSearch<P>::Fit(const DataFrame& in,
                                                               const ExecContext& ctx) const {
  return FitSearch(*this, options_, plans_, P::kModelName, in, ctx);
}

template class ModelSearch<TuneHyperparametersParams>;
template class ModelSearch<TrainValidationSplitParams>;

Status RegisterTuneStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterSelectedModels(r));
  EMBER_RETURN_IF_ERROR(RegisterStage<TuneHyperparameters>(
      r,
      "Grid or random search over several models' params by k-fold cross-validation; refits "
      "the best (SynapseML)."));
  return RegisterStage<TrainValidationSplit>(
      r, "Grid or random search over several models' params on one held-out split (SparkML).");
}

}  // namespace ember
