#include "ember/explain/ice.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/frame/frame_ops.h"
#include "ember/frame/internal/frame_op_kernel.h"

namespace ember::explain {

using Feature = ICETransformer::Feature;

const ParamSpec<ICETransformerParams>& ICETransformerParams::Spec() {
  using P = ICETransformerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ICETransformer")
          .Add("model", &P::model,
               "The fitted model: the directory it was saved to (saved again inside this one).")
          .Add("targetCol", &P::target_col, "The model output: a number, vector or list.",
               NonEmpty<std::string>())
          .Add("targetClasses", &P::target_classes,
               "The elements of a vector or list target; empty: every element.",
               Each(AtLeast<int32_t>(0)))
          .Add("numericFeatures", &P::numeric_features,
               "Objects {name, numSplits (10), rangeMin, rangeMax (default: the data's), "
               "outputColName}.")
          .Add("categoricalFeatures", &P::categorical_features,
               "Objects {name, numTopValues (100), outputColName}.")
          .AddEnum("kind", &P::kind,
                   {{"individual", IceKind::kIndividual},
                    {"average", IceKind::kAverage},
                    {"feature", IceKind::kFeature}},
                   "individual: each row's curves; average: partial dependence (one row); "
                   "feature: each feature's PDP-based importance (one row per feature).")
          .Add("numSamples", &P::num_samples, "At most this many rows, drawn at random; 0: all.",
               AtLeast<int32_t>(0))
          .Add("seed", &P::seed, "Seeds the draw of numSamples rows.")
          .Add("featureNameCol", &P::feature_name_col, "kind feature: the features' names.",
               NonEmpty<std::string>())
          .Add("dependenceNameCol", &P::dependence_name_col,
               "kind feature: each feature's importance per class (list<float64>).",
               NonEmpty<std::string>()));
  return spec;
}

Result<std::vector<Feature>> ICETransformer::Parse(const Params& p) {
  std::vector<Feature> out;
  for (const auto* list : {&p.numeric_features, &p.categorical_features}) {
    const bool categorical = list == &p.categorical_features;
    const std::string param = categorical ? "categoricalFeatures" : "numericFeatures";
    for (size_t i = 0; i < list->size(); ++i) {
      const Json& j = (*list)[i];
      const std::string where = "ICETransformer param '" + param + "' element " + std::to_string(i);
      if (!j.is_object() || !j.Find("name") || !j.Find("name")->is_string()) {
        return InvalidArgument(where + ": an object with a \"name\" string");
      }
      Feature f;
      f.name = j.Find("name")->as_string();
      f.categorical = categorical;
      f.output_col = f.name + "_dependence";
      for (const auto& member : j.as_object()) {
        const std::string& key = member.first;
        const Json& value = member.second;
        auto number = [&]() -> Result<double> {
          if (!value.is_number())
            return InvalidArgument(where + ": \"" + key + "\" must be a number");
          return value.as_double();
        };
        if (key == "name") continue;
        if (key == "outputColName" && value.is_string()) {
          f.output_col = value.as_string();
        } else if (!categorical && key == "numSplits") {
          EMBER_ASSIGN_OR_RETURN(double v, number());
          if (v < 1 || v > 10000 || v != std::floor(v)) {
            return InvalidArgument(where + ": \"numSplits\" must be a whole number in [1, 10000]");
          }
          f.num_splits = static_cast<int32_t>(v);
        } else if (!categorical && (key == "rangeMin" || key == "rangeMax")) {
          EMBER_ASSIGN_OR_RETURN(double v, number());
          (key == "rangeMin" ? f.range_min : f.range_max) = v;
        } else if (categorical && key == "numTopValues") {
          EMBER_ASSIGN_OR_RETURN(double v, number());
          if (v < 1 || v > 100000 || v != std::floor(v)) {
            return InvalidArgument(where +
                                   ": \"numTopValues\" must be a whole number in [1, 100000]");
          }
          f.num_top_values = static_cast<int32_t>(v);
        } else {
          return InvalidArgument(where + ": unknown key \"" + key + "\" (" +
                                 (categorical
                                      ? "name, numTopValues, outputColName"
                                      : "name, numSplits, rangeMin, rangeMax, outputColName") +
                                 ")");
        }
      }
      if (f.range_min && f.range_max && *f.range_min > *f.range_max) {
        return InvalidArgument(where + ": rangeMin is above rangeMax");
      }
      out.push_back(std::move(f));
    }
  }
  if (out.empty()) {
    return InvalidArgument(
        "ICETransformer: numericFeatures and categoricalFeatures are both empty");
  }
  return out;
}

Result<std::shared_ptr<const ICETransformer>> ICETransformer::Make(
    Params p, std::shared_ptr<const Transformer> model, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (model == nullptr) return InvalidArgument("ICETransformer: param 'model': no model");
  EMBER_ASSIGN_OR_RETURN(std::vector<Feature> features, Parse(p));
  std::shared_ptr<ICETransformer> self(new ICETransformer(std::move(p), std::move(uid)));
  self->model_ = std::move(model);
  self->features_ = std::move(features);
  return std::shared_ptr<const ICETransformer>(std::move(self));
}

Result<std::shared_ptr<const ICETransformer>> ICETransformer::MakeOrLoad(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(auto model, LoadExplainedModel(ctx, p.model, std::string(kTypeName)));
  return Make(std::move(p), std::move(model), ctx.uid);
}

Status ICETransformer::SaveContents(const std::string& stage_dir) const {
  return SaveExplainedModel(*model_, stage_dir);
}

namespace {

// What a run needs, shared by the stage and its kernels (which may outlive it).
struct IceRun {
  ICETransformerParams params;
  std::vector<Feature> features;
  std::shared_ptr<const Transformer> model;
  std::string who;
};

// A feature's grid: numeric values, or rows of a column holding the categorical values.
struct Grid {
  std::vector<double> numbers;
  ColumnPtr values;  // categorical: the grid's values, in order
  int64_t size() const { return values ? values->length() : static_cast<int64_t>(numbers.size()); }
};

Result<Grid> MakeGrid(const Feature& f, const Column& c) {
  Grid g;
  if (f.categorical) {
    std::map<std::string, std::pair<int64_t, int64_t>> counts;  // text -> (count, first row)
    for (int64_t r = 0; r < c.length(); ++r) {
      if (c.IsNull(r)) continue;
      auto [it, fresh] = counts.emplace(FormatValue(c, r), std::make_pair(0, r));
      ++it->second.first;
    }
    std::vector<std::pair<int64_t, int64_t>> order;
    for (const auto& [text, cf] : counts) order.push_back(cf);
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<int64_t> rows;
    for (size_t i = 0; i < order.size() && i < static_cast<size_t>(f.num_top_values); ++i) {
      rows.push_back(order[i].second);
    }
    EMBER_ASSIGN_OR_RETURN(g.values, Take(c, rows));
    return g;
  }
  double lo = f.range_min.value_or(INFINITY), hi = f.range_max.value_or(-INFINITY);
  if (!f.range_min || !f.range_max) {
    for (int64_t r = 0; r < c.length(); ++r) {
      if (c.IsNull(r)) continue;
      const double v = NumericValue(c, r);
      if (!f.range_min) lo = std::min(lo, v);
      if (!f.range_max) hi = std::max(hi, v);
    }
  }
  if (lo > hi) return g;  // no data: an empty grid
  for (int i = 0; i <= f.num_splits; ++i) {
    g.numbers.push_back(lo + (hi - lo) * i / f.num_splits);
  }
  return g;
}

// A column of `type` (a number type) with `values`.
ColumnPtr Numbers(const TypePtr& type, const std::vector<double>& values) {
  std::unique_ptr<ColumnBuilder> b = MakeBuilder(type);
  for (double v : values) {
    switch (type->id()) {
      case TypeId::kFloat32:
        static_cast<Float32Builder*>(b.get())->Append(static_cast<float>(v));
        break;
      case TypeId::kInt32:
        static_cast<Int32Builder*>(b.get())->Append(static_cast<int32_t>(std::lround(v)));
        break;
      case TypeId::kInt64:
        static_cast<Int64Builder*>(b.get())->Append(static_cast<int64_t>(std::llround(v)));
        break;
      default:
        static_cast<Float64Builder*>(b.get())->Append(v);
    }
  }
  return b->Finish();
}

TypePtr CurveType(const Feature& f, const TypePtr& column_type) {
  return ListType(StructType({MakeField("value", f.categorical ? column_type : Float64Type()),
                              MakeField("dependence", ListType(Float64Type()))}));
}

// The result for `in` with grids from `for_grids` (every rank's rows when there are ranks).
Result<DataFrame> RunIce(const IceRun& run, const DataFrame& in, const DataFrame& for_grids,
                         const ExecContext& ctx) {
  const std::string& who = run.who;
  const Schema& schema = *in.schema();
  std::vector<int> cols;
  for (const Feature& f : run.features) {
    const int c = schema.FindField(f.name);
    if (c < 0) return InvalidArgument(who + ": no column '" + f.name + "' in the input");
    const TypeId t = schema.field(c).type->id();
    if (!f.categorical && t != TypeId::kFloat64 && t != TypeId::kFloat32 && t != TypeId::kInt32 &&
        t != TypeId::kInt64) {
      return InvalidArgument(who + ": numeric feature '" + f.name + "' is " +
                             schema.field(c).type->ToString() + "; list it in categoricalFeatures");
    }
    cols.push_back(c);
  }
  ExplainParams ep;
  ep.target_col = run.params.target_col;
  ep.target_classes = run.params.target_classes;
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(run.model, schema, ep, who));
  EMBER_ASSIGN_OR_RETURN(Batch rows, in.Collect());
  if (run.params.num_samples > 0 && rows.num_rows() > run.params.num_samples) {
    std::vector<int64_t> pick(static_cast<size_t>(rows.num_rows()));
    std::iota(pick.begin(), pick.end(), 0);
    std::mt19937_64 rng(static_cast<uint64_t>(run.params.seed));
    std::shuffle(pick.begin(), pick.end(), rng);
    pick.resize(static_cast<size_t>(run.params.num_samples));
    std::sort(pick.begin(), pick.end());
    EMBER_ASSIGN_OR_RETURN(rows, TakeRows(rows, pick));
  }
  EMBER_ASSIGN_OR_RETURN(Batch grid_rows, for_grids.Collect());
  KernelScratch& scratch = KernelScratch::ForThisThread();
  std::vector<int> classes(run.params.target_classes.begin(), run.params.target_classes.end());
  if (rows.num_rows() > 0) {
    EMBER_ASSIGN_OR_RETURN(classes, scorer->Classes(rows, 0, scratch));
  }
  const size_t k = classes.size();
  const int64_t n = rows.num_rows();

  // Per feature: the grid, and the target of every (row, grid value, class).
  std::vector<Grid> grids;
  std::vector<std::vector<double>> curves;
  for (size_t i = 0; i < run.features.size(); ++i) {
    EMBER_ASSIGN_OR_RETURN(Grid g, MakeGrid(run.features[i], *grid_rows.column(cols[i])));
    const int64_t G = g.size();
    std::vector<double> values;
    if (n > 0 && G > 0) {
      std::vector<int64_t> repeat, tile;
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t v = 0; v < G; ++v) {
          repeat.push_back(r);
          tile.push_back(v);
        }
      }
      EMBER_ASSIGN_OR_RETURN(Batch samples, TakeRows(rows, repeat));
      std::vector<ColumnPtr> sc = samples.columns();
      if (run.features[i].categorical) {
        EMBER_ASSIGN_OR_RETURN(sc[cols[i]], Take(*g.values, tile));
      } else {
        std::vector<double> tiled;
        for (int64_t t : tile) tiled.push_back(g.numbers[t]);
        sc[cols[i]] = Numbers(schema.field(cols[i]).type, tiled);
      }
      EMBER_ASSIGN_OR_RETURN(samples, Batch::Make(samples.schema(), std::move(sc), n * G));
      EMBER_RETURN_IF_ERROR(scorer->Score(samples, 1, classes, scratch, &values));
    }
    curves.push_back(std::move(values));
    grids.push_back(std::move(g));
  }

  // The curve of row `r` (or the mean over rows when r < 0) for feature i, as list<struct>.
  auto append_curve = [&](ListBuilder& b, size_t i, int64_t r) {
    const Grid& g = grids[i];
    const int64_t G = g.size();
    b.Append();
    auto* items = static_cast<StructBuilder*>(b.value_builder());
    for (int64_t v = 0; v < G; ++v) {
      items->Append();
      if (g.values) {
        items->field_builder(0)->AppendFrom(*g.values, v);
      } else {
        static_cast<Float64Builder*>(items->field_builder(0))->Append(g.numbers[v]);
      }
      auto* dep = static_cast<ListBuilder*>(items->field_builder(1));
      dep->Append();
      for (size_t c = 0; c < k; ++c) {
        double x = 0;
        if (r >= 0) {
          x = curves[i][(r * G + v) * k + c];
        } else {
          for (int64_t q = 0; q < n; ++q) x += curves[i][(q * G + v) * k + c];
          x /= static_cast<double>(n);
        }
        static_cast<Float64Builder*>(dep->value_builder())->Append(x);
      }
    }
  };

  if (run.params.kind == IceKind::kIndividual) {
    std::vector<Field> fields = schema.fields();
    std::vector<ColumnPtr> out = rows.columns();
    for (size_t i = 0; i < run.features.size(); ++i) {
      const TypePtr type = CurveType(run.features[i], schema.field(cols[i]).type);
      ListBuilder b(type);
      for (int64_t r = 0; r < n; ++r) append_curve(b, i, r);
      fields.push_back(MakeField(run.features[i].output_col, type));
      out.push_back(b.Finish());
    }
    EMBER_ASSIGN_OR_RETURN(SchemaPtr s, Schema::Make(std::move(fields), schema.metadata()));
    EMBER_ASSIGN_OR_RETURN(Batch b, Batch::Make(s, std::move(out), n));
    return DataFrame::FromBatch(std::move(b));
  }
  const bool write = !ctx.comm || ctx.comm->rank() == 0;  // one result for the whole job
  if (run.params.kind == IceKind::kAverage) {
    std::vector<Field> fields;
    std::vector<ColumnPtr> out;
    for (size_t i = 0; i < run.features.size(); ++i) {
      const TypePtr type = CurveType(run.features[i], schema.field(cols[i]).type);
      ListBuilder b(type);
      if (write && n > 0) append_curve(b, i, -1);
      fields.push_back(MakeField(run.features[i].output_col, type));
      out.push_back(b.Finish());
    }
    EMBER_ASSIGN_OR_RETURN(SchemaPtr s, Schema::Make(std::move(fields)));
    EMBER_ASSIGN_OR_RETURN(Batch b, Batch::Make(s, std::move(out), write && n > 0 ? 1 : 0));
    return DataFrame::FromBatch(std::move(b));
  }
  // kind feature: each feature's PDP-based importance per class, by the first class.
  std::vector<std::pair<std::string, std::vector<double>>> importance;
  for (size_t i = 0; i < run.features.size() && write && n > 0; ++i) {
    const int64_t G = grids[i].size();
    std::vector<double> per_class;
    for (size_t c = 0; c < k; ++c) {
      std::vector<double> pdp(static_cast<size_t>(G), 0.0);
      for (int64_t v = 0; v < G; ++v) {
        for (int64_t q = 0; q < n; ++q) pdp[v] += curves[i][(q * G + v) * k + c];
        pdp[v] /= static_cast<double>(n);
      }
      double value = 0;
      if (G > 0 && run.features[i].categorical) {
        auto [lo, hi] = std::minmax_element(pdp.begin(), pdp.end());
        value = (*hi - *lo) / 4;
      } else if (G > 1) {
        const double mean = std::accumulate(pdp.begin(), pdp.end(), 0.0) / G;
        for (double x : pdp) value += (x - mean) * (x - mean);
        value = std::sqrt(value / (G - 1));
      }
      per_class.push_back(value);
    }
    importance.emplace_back(run.features[i].name, std::move(per_class));
  }
  std::stable_sort(importance.begin(), importance.end(), [](const auto& a, const auto& b) {
    return (a.second.empty() ? 0 : a.second[0]) > (b.second.empty() ? 0 : b.second[0]);
  });
  StringBuilder names;
  ListBuilder deps(ListType(Float64Type()));
  for (const auto& [name, values] : importance) {
    names.Append(name);
    deps.Append();
    for (double v : values) static_cast<Float64Builder*>(deps.value_builder())->Append(v);
  }
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr s,
      Schema::Make({MakeField(run.params.feature_name_col, StringType()),
                    MakeField(run.params.dependence_name_col, ListType(Float64Type()))}));
  EMBER_ASSIGN_OR_RETURN(Batch b, Batch::Make(s, {names.Finish(), deps.Finish()},
                                              static_cast<int64_t>(importance.size())));
  return DataFrame::FromBatch(std::move(b));
}

}  // namespace

Result<DataFrame> ICETransformer::Transform(const DataFrame& in, const ExecContext& ctx) const {
  // The grids (and, for the averages, the rows) come from every rank.
  DataFrame all = in;
  if (ctx.comm && ctx.comm->size() > 1) {
    EMBER_ASSIGN_OR_RETURN(all, frame::AllGatherFrame(in, ctx));
  }
  const IceRun run{params_, features_, model_, Describe()};
  Result<DataFrame> out = RunIce(run, params_.kind == IceKind::kIndividual ? in : all, all, ctx);
  if (!out.ok()) return out.status().WithContext(Describe());
  return out;
}

Result<std::unique_ptr<BoundTransform>> ICETransformer::Bind(const Schema& in) const {
  auto run = std::make_shared<const IceRun>(IceRun{params_, features_, model_, Describe()});
  return frame::internal::FrameOpKernel::Make(
      in, [run](const DataFrame& f, const ExecContext& ctx) { return RunIce(*run, f, f, ctx); },
      Describe());
}

Status RegisterIceStage(StageRegistry* r) {
  return RegisterStage<ICETransformer>(
      r,
      "Individual conditional expectation, partial dependence and PDP-based feature "
      "importance of a model (SynapseML's).");
}

}  // namespace ember::explain
