// `ember explain`: LIME or Kernel SHAP explanations of a saved model's predictions, for users
// who do not want to write a spec (docs/explain.md).
#include <algorithm>

#include "cli_util.h"
#include "commands.h"
#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/explain/ice.h"
#include "ember/explain/tabular.h"
#include "ember/frame/frame_ops.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"

namespace ember::cli {

namespace {

bool IsNumber(TypeId t) {
  return t == TypeId::kFloat64 || t == TypeId::kFloat32 || t == TypeId::kInt32 ||
         t == TypeId::kInt64;
}

// Rows of `frame` in partitions of at most `rows`: explanations take milliseconds per row, so
// small partitions keep every thread busy to the end and the progress bar moving.
Result<DataFrame> SmallPartitions(const DataFrame& frame, int64_t rows) {
  std::vector<Batch> parts;
  for (const Batch& b : frame.partitions()) {
    for (int64_t at = 0; at < b.num_rows(); at += rows) {
      parts.push_back(b.Slice(at, std::min(rows, b.num_rows() - at)));
    }
  }
  return DataFrame::Make(frame.schema(), std::move(parts));
}

// `--method ice`: ICETransformer over `cols` (numbers swept over their range, other columns
// over their most frequent values).
Status Ice(const CliContext& c, const ExplainArgs& a, std::shared_ptr<const Transformer> model,
           const DataFrame& data, const explain::ExplainParams& p,
           const std::vector<std::string>& cols) {
  explain::ICETransformerParams ice;
  ice.target_col = p.target_col;
  ice.target_classes = p.target_classes;
  ice.num_samples = a.samples;
  ice.seed = a.seed;
  if (a.kind == "average") {
    ice.kind = explain::IceKind::kAverage;
  } else if (a.kind == "feature") {
    ice.kind = explain::IceKind::kFeature;
  } else if (a.kind != "individual") {
    return InvalidArgument("--kind must be individual, average or feature, got '" + a.kind + "'");
  }
  for (const std::string& col : cols) {
    const TypeId t = data.schema()->field(data.schema()->FindField(col)).type->id();
    if (t == TypeId::kVector) {
      return InvalidArgument("--method ice sweeps numbers and categories; '" + col +
                             "' is a vector (name other columns with --cols)");
    }
    Json f = Json::MakeObject();
    f.Set("name", Json(col));
    (IsNumber(t) ? ice.numeric_features : ice.categorical_features).push_back(std::move(f));
  }
  EMBER_ASSIGN_OR_RETURN(auto stage, explain::ICETransformer::Make(ice, std::move(model)));
  c.log << "ICE (" << a.kind << ") of " << p.target_col << " over " << cols.size() << " columns\n";
  Timer t;
  EMBER_ASSIGN_OR_RETURN(DataFrame result, stage->Transform(data, c.exec));
  c.log << "computed in " << Fixed(t.Seconds(), 2) << " s\n";
  EMBER_RETURN_IF_ERROR(WriteTable(c.exec, result, a.out));
  c.out << "wrote " << result.num_rows() << " rows to " << a.out << "\n";
  return Status::OK();
}

}  // namespace

Status Explain(const CliContext& c, const ExplainArgs& a) {
  if (a.method != "shap" && a.method != "lime" && a.method != "ice") {
    return InvalidArgument("--method must be shap, lime or ice, got '" + a.method + "'");
  }
  EMBER_RETURN_IF_ERROR(FormatOfPath(a.out).status());
  EMBER_ASSIGN_OR_RETURN(auto model, LoadTransformer(a.model_dir, DefaultRegistry()));
  EMBER_ASSIGN_OR_RETURN(DataFrame data, ReadLogged(c, a.data));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr made, model->TransformSchema(*data.schema()));

  // What is explained: the target and its classes.
  explain::ExplainParams p;
  p.target_col = !a.target.empty()                     ? a.target
                 : made->FindField("probability") >= 0 ? "probability"
                                                       : "prediction";
  const int target = made->FindField(p.target_col);
  if (target < 0) {
    return InvalidArgument("--target: the model makes no column '" + p.target_col +
                           "' (it makes: " + made->ToString() + ")");
  }
  p.target_classes = a.classes;
  const DataType& tt = *made->field(target).type;
  if (a.classes.empty() && tt.id() == TypeId::kVector && tt.vector_size() == 2) {
    p.target_classes = {1};  // a binary classifier: the positive class
  }
  p.num_samples = a.samples;
  p.seed = a.seed;

  // The features: the columns given, else every column the model reads.
  EMBER_ASSIGN_OR_RETURN(auto pipeline, PipelineModel::Make({model}));
  std::vector<std::string> cols = a.cols;
  if (cols.empty()) {
    for (int c : explain::RequiredColumns(*pipeline, *data.schema(), p.target_col)) {
      cols.push_back(data.schema()->field(c).name);
    }
  }
  if (cols.empty()) {
    return InvalidArgument("the model reads none of the data's columns; name them with --cols");
  }
  for (const std::string& col : cols) {
    if (data.schema()->FindField(col) < 0) {
      return InvalidArgument("--cols: no column '" + col + "' in " + a.data);
    }
  }

  if (a.method == "ice") return Ice(c, a, model, data, p, cols);

  // The background: a table, or rows spread evenly over the data.
  Batch background;
  if (!a.background.empty()) {
    EMBER_ASSIGN_OR_RETURN(DataFrame bg, ReadLogged(c, a.background));
    EMBER_ASSIGN_OR_RETURN(background, bg.Collect());
  } else {
    // Under mpirun every rank holds part of the data: the background comes from all of it,
    // the same on every rank, so that a row's explanation does not depend on its rank.
    DataFrame whole = data;
    if (c.exec.comm && c.exec.comm->size() > 1) {
      EMBER_ASSIGN_OR_RETURN(whole, frame::AllGatherFrame(data, c.exec));
    }
    EMBER_ASSIGN_OR_RETURN(Batch all, whole.Collect());
    const int64_t n = std::min<int64_t>(std::max<int64_t>(1, a.background_rows), all.num_rows());
    std::vector<int64_t> pick;
    for (int64_t i = 0; i < n; ++i) pick.push_back(i * all.num_rows() / n);
    EMBER_ASSIGN_OR_RETURN(background, TakeRows(all, pick));
    c.log << "background: " << n << " rows spread over " << a.data
          << " (--background names another table)\n";
  }

  std::shared_ptr<const Transformer> explainer;
  const bool one_vector =
      cols.size() == 1 &&
      data.schema()->field(data.schema()->FindField(cols[0])).type->id() == TypeId::kVector;
  std::string what;
  if (a.method == "shap" && one_vector) {
    explain::VectorSHAPParams v{.explain = p, .input_col = cols[0]};
    EMBER_ASSIGN_OR_RETURN(explainer, explain::VectorSHAP::Make(v, model, background));
    what = "VectorSHAP over the slots of '" + cols[0] + "'";
  } else if (a.method == "lime" && one_vector) {
    explain::VectorLIMEParams v{.explain = p, .input_col = cols[0]};
    EMBER_ASSIGN_OR_RETURN(explainer, explain::VectorLIME::Make(v, model, background));
    what = "VectorLIME over the slots of '" + cols[0] + "'";
  } else if (a.method == "shap") {
    explain::TabularSHAPParams t{.explain = p, .input_cols = cols};
    EMBER_ASSIGN_OR_RETURN(explainer, explain::TabularSHAP::Make(t, model, background));
    what = "TabularSHAP over " + std::to_string(cols.size()) + " columns";
  } else {
    explain::TabularLIMEParams t{.explain = p, .input_cols = cols};
    for (const std::string& col : cols) {
      if (!IsNumber(data.schema()->field(data.schema()->FindField(col)).type->id())) {
        t.categorical_features.push_back(col);
      }
    }
    EMBER_ASSIGN_OR_RETURN(explainer, explain::TabularLIME::Make(t, model, background));
    what = "TabularLIME over " + std::to_string(cols.size()) + " columns";
  }
  std::string classes;
  for (int32_t k : p.target_classes) classes += (classes.empty() ? "" : ",") + std::to_string(k);
  c.log << "explaining " << p.target_col << (classes.empty() ? "" : "[" + classes + "]") << " with "
        << what << "\n";

  EMBER_ASSIGN_OR_RETURN(DataFrame rows, SmallPartitions(data, 8));
  Timer t;
  ProgressBar bar(c, "explain");
  Result<DataFrame> explained = explainer->Transform(rows, bar.exec());
  bar.Finish();
  EMBER_ASSIGN_OR_RETURN(DataFrame result, std::move(explained));
  const double secs = t.Seconds();
  EMBER_ASSIGN_OR_RETURN(Batch all, result.Collect());
  const Column& errors = *all.column(all.schema()->FindField(p.error_col));
  int64_t failed = 0;
  std::string first;
  for (int64_t r = 0; r < errors.length(); ++r) {
    if (errors.IsNull(r)) continue;
    if (failed++ == 0)
      first = "row " + std::to_string(r) + ": " + std::string(errors.StringValue(r));
  }
  c.log << "explained " << all.num_rows() - failed << " of " << all.num_rows() << " rows in "
        << Fixed(secs, 2) << " s (" << Fixed(secs > 0 ? all.num_rows() / secs : 0, 1) << " rows/s)"
        << (failed ? "; " + std::to_string(failed) + " failed, first " + first : "") << "\n";
  EMBER_RETURN_IF_ERROR(WriteTable(c.exec, result, a.out));
  if (c.exec.comm && c.exec.comm->size() > 1) {
    c.out << "wrote " << all.num_rows() << " rows (rank 0's part of " << c.exec.comm->size()
          << ") to " << a.out << "/\n";
  } else {
    c.out << "wrote " << all.num_rows() << " rows to " << a.out << "\n";
  }
  return Status::OK();
}

}  // namespace ember::cli
