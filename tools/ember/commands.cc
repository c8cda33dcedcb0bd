#include "commands.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "cli_util.h"
#include "ember/automl/evaluate.h"
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/frame/frame_ops.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#if EMBER_WITH_GBDT
#include "ember/gbdt/gbdt.h"
#endif
#if EMBER_WITH_OPENCV
#include "ember/image/image_reader.h"
#endif
#include "ember/registry/default_registry.h"
#include "ember/stages/model_statistics.h"
#include "ember/stages/random_split.h"
#include "ember/stages/string_indexer.h"

namespace ember::cli {

namespace {

// Reads a table with the reader flags; the reader's warnings (a header of numbers, skipped
// rows) are the CLI's own lines.
Result<DataFrame> ReadFlagged(const CliContext& c, const std::string& path) {
  CliLogger logger(c.log);
  ExecContext exec = c.exec;
  exec.log = &logger;
  return ReadTable(exec, path, c.read);
}

}  // namespace

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

Result<DataFrame> ReadLogged(const CliContext& c, const std::string& path) {
  Timer t;
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadFlagged(c, path));
  c.log << "read " << path << ": " << frame.num_rows() << " rows x " << frame.schema()->num_fields()
        << " columns in " << frame.num_partitions() << " partitions";
  if (c.exec.comm && c.exec.comm->size() > 1)
    c.log << " (rank 0's share of " << c.exec.comm->size() << ")";
  c.log << " (" << Fixed(t.Seconds()) << " s)\n";
  return frame;
}

Result<TableReadOptions> ReadOptionsFrom(const ReadArgs& a) {
  TableReadOptions o;
  CsvReadOptions& csv = o.csv;
  const std::string& d = a.delimiter;
  if (d == "whitespace") {
    csv.whitespace_delimited = true;
  } else if (d == "tab" || d == "\\t") {
    csv.delimiter = '\t';
  } else if (d == "space") {
    csv.delimiter = ' ';
  } else if (d == "semicolon") {
    csv.delimiter = ';';
  } else if (d == "pipe") {
    csv.delimiter = '|';
  } else if (d == "comma" || d.empty()) {
    csv.delimiter = ',';
  } else if (d.size() == 1 && d[0] != '"' && d[0] != '\n') {
    csv.delimiter = d[0];
  } else {
    return InvalidArgument("--delimiter '" + d +
                           "': give one character, or tab, space, semicolon, pipe, comma, or "
                           "whitespace (runs of spaces and tabs)");
  }
  csv.header = !a.no_header;
  csv.column_names = a.names;
  if (a.skip_lines < 0) return InvalidArgument("--skip-lines: must be 0 or more");
  csv.skip_lines = a.skip_lines;
  if (a.pandas_nulls) csv.null_values = CsvReadOptions::PandasNullValues();
  if (a.null_values_given) {
    csv.null_values = a.null_values;
    if (a.null_values.empty()) csv.null_values = {""};
  }
  if (!a.schema.empty()) {
    // name:type pairs at top-level commas (a type may hold commas inside <...>).
    std::vector<Field> fields;
    int depth = 0;
    size_t begin = 0;
    for (size_t i = 0; i <= a.schema.size(); ++i) {
      const char ch = i < a.schema.size() ? a.schema[i] : ',';
      depth += ch == '<' ? 1 : ch == '>' ? -1 : 0;
      if (ch != ',' || depth > 0) continue;
      const std::string part = a.schema.substr(begin, i - begin);
      begin = i + 1;
      const size_t colon = part.find(':');
      if (colon == std::string::npos || colon == 0) {
        return InvalidArgument("--schema: expected name:type, got '" + part +
                               "' (e.g. --schema 'age:int64,name:string,score:float64')");
      }
      Result<TypePtr> type = ParseType(part.substr(colon + 1));
      if (!type.ok())
        return type.status().WithContext("--schema: column '" + part.substr(0, colon) + "'");
      fields.push_back(MakeField(part.substr(0, colon), *type));
    }
    Result<SchemaPtr> schema = ember::Schema::Make(std::move(fields));
    if (!schema.ok()) return schema.status().WithContext("--schema");
    csv.schema = *schema;
    o.json.schema = *schema;
  }
  Compression compression;
  if (a.compression == "auto") {
    compression = Compression::kAuto;
  } else if (a.compression == "gzip") {
    compression = Compression::kGzip;
  } else if (a.compression == "none") {
    compression = Compression::kNone;
  } else {
    return InvalidArgument("--compression '" + a.compression + "': auto, gzip or none");
  }
  csv.compression = o.json.compression = compression;
  if (a.format == "csv") {
    o.format = TableFormat::kCsv;
  } else if (a.format == "jsonl") {
    o.format = TableFormat::kJsonLines;
  } else if (!a.format.empty()) {
    return InvalidArgument("--format '" + a.format + "': csv or jsonl");
  }
  if (!(a.image_sample > 0 && a.image_sample <= 1)) {
    return InvalidArgument("--image-sample " + std::to_string(a.image_sample) +
                           ": a fraction in (0, 1]");
  }
  if (a.image_color != "unchanged" && a.image_color != "color" && a.image_color != "gray") {
    return InvalidArgument("--image-color '" + a.image_color + "': unchanged, color or gray");
  }
#if EMBER_WITH_OPENCV
  image::ImageReadOptions images;
  images.sample_ratio = a.image_sample;
  images.drop_invalid = a.drop_invalid_images;
  images.color = a.image_color == "color"  ? image::ImageColor::kColor
                 : a.image_color == "gray" ? image::ImageColor::kGrayscale
                                           : image::ImageColor::kUnchanged;
  o.images = [images](const ExecContext& ctx, const std::string& path) {
    return image::ReadImages(ctx, path, images);
  };
#endif
  return o;
}

namespace {

// One line per stage of a saved model (nested pipelines indented), with its fit's summary.
void PrintStages(const CliContext& c, const Transformer& t, const std::string& indent) {
  c.out << indent << t.type_name() << " (" << t.uid() << ")";
  if (const TrainingSummary* s = t.training_summary()) c.out << ": " << s->Describe();
  c.out << "\n";
  if (const auto* p = dynamic_cast<const PipelineModel*>(&t)) {
    for (const auto& stage : p->stages()) PrintStages(c, *stage, indent + "  ");
  }
}

// The last stage (nested pipelines searched) that has feature importances.
const Transformer* TreeStage(const Transformer& t) {
  if (const auto* p = dynamic_cast<const PipelineModel*>(&t)) {
    for (auto it = p->stages().rbegin(); it != p->stages().rend(); ++it) {
      if (const Transformer* found = TreeStage(**it)) return found;
    }
    return nullptr;
  }
  return t.FeatureImportances("split").ok() ? &t : nullptr;
}

// The slot names of the tree stage's features column, from the saved input schema (empty
// when they cannot be known).
std::vector<std::string> TreeSlotNames(const std::string& dir, const Transformer& model) {
  const Transformer* tree = TreeStage(model);
  Result<SchemaPtr> in = LoadInputSchema(dir);
  if (tree == nullptr || !in.ok()) return {};
  const Json params = tree->ParamsJson();
  const Json* features = params.Find("featuresCol");
  Result<SchemaPtr> out = model.TransformSchema(**in);
  if (features == nullptr || !features->is_string() || !out.ok()) return {};
  const int i = (*out)->FindField(features->as_string());
  if (i < 0) return {};
  auto names = SlotNames((*out)->field(i));
  return names ? *names : std::vector<std::string>{};
}

// A saved model: its stages, and the feature importances of its last tree model.
Status DescribeModel(const CliContext& c, const std::string& dir) {
  EMBER_ASSIGN_OR_RETURN(auto model, LoadTransformer(dir, DefaultRegistry()));
  PrintStages(c, *model, "");
  Result<std::vector<double>> gain = model->FeatureImportances("gain");
  if (!gain.ok())
    return gain.status().code() == StatusCode::kNotFound ? Status::OK() : gain.status();
  EMBER_ASSIGN_OR_RETURN(std::vector<double> splits, model->FeatureImportances("split"));
  double total = 0;
  for (double g : *gain) total += g;
  std::vector<size_t> order;
  for (size_t j = 0; j < gain->size(); ++j) {
    if ((*gain)[j] > 0) order.push_back(j);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return (*gain)[a] > (*gain)[b]; });
  c.out << "feature importances (share of the total split gain; splits), " << order.size() << " of "
        << gain->size() << " slots used:\n";
  const std::vector<std::string> names = TreeSlotNames(dir, *model);
  for (size_t i = 0; i < order.size() && i < 30; ++i) {
    const size_t j = order[i];
    char line[96];
    std::snprintf(line, sizeof line, ": %.4f (%.0f splits)\n", (*gain)[j] / total, splits[j]);
    c.out << "  slot " << j << (j < names.size() ? " (" + names[j] + ")" : "") << line;
  }
  if (order.size() > 30) c.out << "  ... " << order.size() - 30 << " more\n";
  return Status::OK();
}

}  // namespace

Status Describe(const CliContext& c, const std::string& stage) {
  const StageRegistry& registry = DefaultRegistry();
  if (!stage.empty() && std::filesystem::is_directory(stage)) return DescribeModel(c, stage);
  if (stage.empty()) {
    for (const auto& [name, e] : registry.entries()) {
      c.out << name << (e.kind == StageKind::kEstimator ? " (estimator)" : "") << ": " << e.doc
            << "\n";
    }
    return Status::OK();
  }
  EMBER_ASSIGN_OR_RETURN(const StageEntry* e, registry.Find(stage));
  c.out << e->type_name << (e->kind == StageKind::kEstimator ? " (estimator)" : " (transformer)")
        << "\n"
        << e->doc << "\n";
  if (e->params.empty()) c.out << "no params\n";
  for (const ParamInfo& p : e->params) {
    c.out << "  " << p.name << " (" << p.type << ", default " << p.default_value.Dump() << ")";
    if (!p.constraint.empty()) c.out << " [" << p.constraint << "]";
    c.out << ": " << p.doc << "\n";
  }
  return Status::OK();
}

Status Schema(const CliContext& c, const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadFlagged(c, path));
  c.out << frame.schema()->ToString() << "(" << frame.num_rows() << " rows)\n";
  return Status::OK();
}

Status Head(const CliContext& c, const std::string& path, int64_t rows) {
  if (rows < 0) return InvalidArgument("--rows must be >= 0");
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadFlagged(c, path));
  c.out << frame.ToString(rows);
  return Status::OK();
}

Status Convert(const CliContext& c, const std::string& in, const std::string& out) {
  EMBER_RETURN_IF_ERROR(FormatOfPath(out).status());
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, in));
  EMBER_RETURN_IF_ERROR(WriteTable(c.exec, frame, out));
  c.out << "wrote " << frame.num_rows() << " rows to " << out << "\n";
  return Status::OK();
}

Status Split(const CliContext& c, const std::string& data, const std::vector<double>& fractions,
             uint64_t seed, const std::vector<std::string>& outs) {
  if (fractions.size() < 2 || fractions.size() != outs.size()) {
    return InvalidArgument(
        "--fractions and --out: give as many outputs as fractions (at least 2), "
        "got " +
        std::to_string(fractions.size()) + " and " + std::to_string(outs.size()));
  }
  for (const std::string& out : outs) EMBER_RETURN_IF_ERROR(FormatOfPath(out).status());
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, data));
  Result<std::vector<DataFrame>> parts = RandomSplit(c.exec, frame, fractions, seed);
  if (!parts.ok()) return parts.status().WithContext("--fractions");
  for (size_t k = 0; k < outs.size(); ++k) {
    EMBER_RETURN_IF_ERROR(WriteTable(c.exec, (*parts)[k], outs[k]));
    c.out << "wrote " << (*parts)[k].num_rows() << " rows to " << outs[k] << "\n";
  }
  return Status::OK();
}

namespace {

// The converged fits in `stage` and the stages nested in it (a TrainClassifier's pipeline),
// as "LogisticRegression converged in ..."; one that did not converge was a warning already.
void ConvergedFits(const Transformer& stage, std::vector<std::string>* lines) {
  if (const auto* nested = dynamic_cast<const PipelineModel*>(&stage)) {
    for (const auto& s : nested->stages()) ConvergedFits(*s, lines);
    return;
  }
  const TrainingSummary* summary = stage.training_summary();
  if (summary == nullptr || !summary->converged) return;
  std::string name(stage.type_name());
  if (name.ends_with("Model")) name.resize(name.size() - 5);  // the estimator the user named
  lines->push_back(name + " " + summary->Describe());
}

// Says how each iterative fit ended, naming the stage by its place in the spec.
void ReportTrainingSummaries(const CliContext& c, const Pipeline& spec, const Transformer& fitted) {
  const auto* model = dynamic_cast<const PipelineModel*>(&fitted);
  if (model == nullptr) return;
  for (size_t i = 0; i < model->stages().size() && i < spec.stages().size(); ++i) {
    std::vector<std::string> lines;
    ConvergedFits(*model->stages()[i], &lines);
    for (const std::string& l : lines) c.log << spec.StageName(i) << ": " << l << "\n";
  }
}

}  // namespace

Status Fit(const CliContext& c, const std::string& spec_path, const std::string& data,
           const std::string& out_dir, bool overwrite) {
  EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(spec_path));
  Result<Json> spec = Json::Parse(text);
  if (!spec.ok()) return spec.status().WithContext(spec_path);
  Result<std::shared_ptr<const Pipeline>> pipeline = Pipeline::FromSpec(*spec, DefaultRegistry());
  if (!pipeline.ok()) return pipeline.status().WithContext(spec_path);
  if (!overwrite && std::filesystem::exists(out_dir)) {
    return AlreadyExists("'" + out_dir + "' already exists; pass --overwrite to replace it");
  }
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, data));
  Timer t;
  CliLogger logger(c.log);
  ExecContext exec = c.exec;
  exec.log = &logger;
  EMBER_ASSIGN_OR_RETURN(auto model, (*pipeline)->Fit(frame, exec));
  c.log << "fitted " << (*pipeline)->stages().size() << " stages in " << Fixed(t.Seconds())
        << " s\n";
  ReportTrainingSummaries(c, **pipeline, *model);
  // On several ranks every rank holds the same model; rank 0 saves it.
  if (c.exec.comm == nullptr || c.exec.comm->rank() == 0) {
    EMBER_RETURN_IF_ERROR(
        SaveStage(*model, out_dir, {.overwrite = overwrite, .input_schema = frame.schema()}));
    c.out << "saved model to " << out_dir << "\n";
  }
  return Status::OK();
}

Status Transform(const CliContext& c, const std::string& model_dir, const std::string& data,
                 const std::string& out, const std::vector<std::string>& cols, bool gather,
                 bool fuse) {
  EMBER_RETURN_IF_ERROR(FormatOfPath(out).status());
  EMBER_ASSIGN_OR_RETURN(auto loaded, LoadTransformer(model_dir, DefaultRegistry()));
  // Wrapped in a PipelineModel, any model can select its output columns.
  EMBER_ASSIGN_OR_RETURN(auto model, PipelineModel::Make({std::move(loaded)}));
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, data));
  Timer t;
  ProgressBar bar(c, "transform");
  FusionInfo fusion;
  Result<DataFrame> transformed =
      model->TransformSelect(frame, bar.exec(), cols, {.fuse = fuse, .info = &fusion});
  bar.Finish();
  EMBER_ASSIGN_OR_RETURN(DataFrame result, std::move(transformed));
  const double secs = t.Seconds();
  c.log << "transformed " << result.num_rows() << " rows in " << Fixed(secs, 3) << " s ("
        << Fixed(secs > 0 ? result.num_rows() / secs : 0, 0) << " rows/s; "
        << (fusion.scoring.empty() ? "stages" : fusion.scoring) << ")\n";
  if (gather && c.exec.comm && c.exec.comm->size() > 1) {
    EMBER_ASSIGN_OR_RETURN(DataFrame all, frame::CollectToRank(result, 0, c.exec));
    if (c.exec.comm->rank() != 0) return Status::OK();
    ExecContext one_rank = c.exec;
    one_rank.comm = nullptr;
    EMBER_RETURN_IF_ERROR(WriteTable(one_rank, all, out));
    c.out << "wrote " << all.num_rows() << " rows (from " << c.exec.comm->size() << " ranks) to "
          << out << "\n";
    return Status::OK();
  }
  EMBER_RETURN_IF_ERROR(WriteTable(c.exec, result, out));
  if (c.exec.comm && c.exec.comm->size() > 1) {
    c.out << "wrote " << result.num_rows() << " rows (rank 0's part of " << c.exec.comm->size()
          << ") to " << out << "/\n";
  } else {
    c.out << "wrote " << result.num_rows() << " rows to " << out << "\n";
  }
  return Status::OK();
}

Status Eval(const CliContext& c, const std::string& model_dir, const std::string& data,
            const std::string& label, const std::string& metric, const std::string& out) {
  if (!out.empty()) EMBER_RETURN_IF_ERROR(FormatOfPath(out).status());
  Json metric_json(metric);
  ComputeModelStatisticsParams sp;
  {
    Json params = Json::MakeObject();
    params.Set("evaluationMetric", metric_json);
    params.Set("labelCol", Json(label));
    Result<ComputeModelStatisticsParams> parsed =
        ComputeModelStatisticsParams::Spec().FromJson(params);
    if (!parsed.ok()) return parsed.status().WithContext("--metric / --label");
    sp = *parsed;
  }
  EMBER_ASSIGN_OR_RETURN(auto model, LoadTransformer(model_dir, DefaultRegistry()));
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, data));
  ProgressBar bar(c, "score");
  Result<DataFrame> scored_or = model->Transform(frame, bar.exec());
  bar.Finish();
  EMBER_ASSIGN_OR_RETURN(DataFrame scored, std::move(scored_or));
  // The label is looked for in the scored frame first (an indexed label the spec makes),
  // then in the input; labels and predictions are compared in one index space.
  Result<EvaluationFrame> prepared = PrepareEvaluation(*model, frame, std::move(scored), sp);
  if (!prepared.ok()) return prepared.status().WithContext("--label");
  if (prepared->labels) {
    const std::vector<std::string>& labels = *prepared->labels;
    if (prepared->unknown_labels > 0) {
      c.log << prepared->unknown_labels
            << " rows have a label the model never saw; they are not scored\n";
    }
    c.out << "class_labels" << std::string(14, ' ');  // the order of the confusion matrix
    for (size_t i = 0; i < labels.size(); ++i) c.out << (i ? ", " : "") << labels[i];
    c.out << "\n";
  }
  sp = prepared->params;
  scored = std::move(prepared->scored);
  EMBER_ASSIGN_OR_RETURN(auto stats, ComputeModelStatistics::Make(sp));
  EMBER_ASSIGN_OR_RETURN(DataFrame metrics, stats->Transform(scored, c.exec));
  EMBER_ASSIGN_OR_RETURN(Batch row, metrics.Collect());
  for (int i = 0; i < row.schema()->num_fields(); ++i) {
    const Column& col = *row.column(i);
    std::string value = FormatValue(col, 0);
    if (col.type_id() == TypeId::kFloat64 && col.IsValid(0))
      value = Fixed(col.Values<double>()[0], 4);
    if (col.type_id() == TypeId::kList && col.IsValid(0) &&
        col.child(0)->type_id() == TypeId::kFloat64) {  // per-class metrics
      const Column& v = *col.child(0);
      const int32_t* o = col.Offsets();
      value = "[";
      for (int32_t k = o[0]; k < o[1]; ++k) {
        if (k > o[0]) value += ", ";
        value += v.IsNull(k) ? "null" : Fixed(v.Values<double>()[k], 4);
      }
      value += "]";
    }
    c.out << row.schema()->field(i).name
          << std::string(std::max<size_t>(1, 26 - row.schema()->field(i).name.size()), ' ') << value
          << "\n";
  }
  // On several ranks every rank has the job's metrics; rank 0 writes them, as one file.
  if (!out.empty() && (c.exec.comm == nullptr || c.exec.comm->rank() == 0)) {
    ExecContext one_rank = c.exec;
    one_rank.comm = nullptr;
    EMBER_RETURN_IF_ERROR(WriteTable(one_rank, metrics, out));
    c.log << "wrote metrics to " << out << "\n";
  }
  return Status::OK();
}

Status ImportXgboost(const CliContext& c, const std::string& file, const std::string& out_dir,
                     const std::string& features_col, bool overwrite) {
#if !EMBER_WITH_GBDT
  return FailedPrecondition(
      "import-xgboost needs module 'gbdt', which this build of Ember leaves out; build with "
      "-DEMBER_WITH_GBDT=ON (needs libxgboost-dev)");
#else
  GbdtModelParams params;
  params.features_col = features_col;
  EMBER_ASSIGN_OR_RETURN(std::shared_ptr<const Transformer> model,
                         ImportXgboostModel(file, params));
  const GbdtBooster& b = *BoosterOf(*model);
  const int64_t features = b.num_features();
  EMBER_ASSIGN_OR_RETURN(SchemaPtr input,
                         Schema::Make({MakeField(features_col, DenseVectorType(features))}));
  EMBER_RETURN_IF_ERROR(
      SaveStage(*model, out_dir, {.overwrite = overwrite, .input_schema = input}));
  c.out << "imported " << file << " (" << b.objective() << ", " << b.num_trees() << " trees, "
        << features << " features) as " << model->type_name() << " in " << out_dir << "\n";
  return Status::OK();
#endif
}

}  // namespace ember::cli
