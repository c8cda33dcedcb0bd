#include "ember/explain/tabular.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/explain/ice.h"
#include "ember/explain/text.h"

namespace ember::explain {

namespace {

bool IsNumber(TypeId t) {
  return t == TypeId::kFloat64 || t == TypeId::kFloat32 || t == TypeId::kInt32 ||
         t == TypeId::kInt64;
}

// The indices in `in` of `names`; the error names the first missing one.
Result<std::vector<int>> FindColumns(const Schema& in, const std::vector<std::string>& names,
                                     const std::string& who, const char* param) {
  std::vector<int> out;
  for (const std::string& n : names) {
    const int i = in.FindField(n);
    if (i < 0) {
      return InvalidArgument(who + ": param '" + param + "': no column '" + n + "' in the input (" +
                             in.ToString() + ")");
    }
    out.push_back(i);
  }
  return out;
}

// Each explained column of `in` must be in the background with the same type.
Result<std::vector<int>> BackgroundColumns(const Schema& in, const std::vector<int>& cols,
                                           const Batch& background, const std::string& who) {
  std::vector<int> out;
  for (int c : cols) {
    const Field& f = in.field(c);
    const int b = background.schema()->FindField(f.name);
    if (b < 0) {
      return InvalidArgument(who + ": param 'backgroundData' has no column '" + f.name +
                             "' (its columns: " + background.schema()->ToString() + ")");
    }
    if (!background.schema()->field(b).type->Equals(*f.type)) {
      return InvalidArgument(who + ": param 'backgroundData': column '" + f.name + "' is " +
                             background.schema()->field(b).type->ToString() +
                             " but the input's is " + f.type->ToString());
    }
    out.push_back(b);
  }
  return out;
}

// Per column of the row: the row's value followed by the background's (explained columns)
// or the row's value alone; a sample takes index 0 (the row) or 1 + b (background row b).
Result<std::vector<ColumnPtr>> RowAndBackground(const Batch& in, int64_t r,
                                                const std::vector<int>& cols,
                                                const std::vector<int>& bg_cols,
                                                const Batch& background) {
  std::vector<ColumnPtr> out;
  for (int c = 0; c < in.num_columns(); ++c) out.push_back(in.column(c)->Slice(r, 1));
  for (size_t j = 0; j < cols.size(); ++j) {
    const ColumnPtr parts[] = {out[cols[j]], background.column(bg_cols[j])};
    EMBER_ASSIGN_OR_RETURN(out[cols[j]], Concat(parts));
  }
  return out;
}

// The sample standard deviation of a numeric column's valid values (0 for fewer than 2).
double StdDev(const Column& c) {
  double n = 0, mean = 0, m2 = 0;
  for (int64_t r = 0; r < c.length(); ++r) {
    if (c.IsNull(r)) continue;
    const double v = NumericValue(c, r);
    n += 1;
    const double d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
  return n > 1 ? std::sqrt(m2 / (n - 1)) : 0.0;
}

// A column of `type` (a number type) holding `values` (rounded for integer types).
ColumnPtr NumberColumn(const TypePtr& type, const std::vector<double>& values) {
  switch (type->id()) {
    case TypeId::kFloat32: {
      Float32Builder b(type);
      for (double v : values) b.Append(static_cast<float>(v));
      return b.Finish();
    }
    case TypeId::kInt32: {
      Int32Builder b(type);
      for (double v : values) b.Append(static_cast<int32_t>(std::lround(v)));
      return b.Finish();
    }
    case TypeId::kInt64: {
      Int64Builder b(type);
      for (double v : values) b.Append(static_cast<int64_t>(std::llround(v)));
      return b.Finish();
    }
    default: {
      Float64Builder b(type);
      for (double v : values) b.Append(v);
      return b.Finish();
    }
  }
}

// The dense values of vector row r (zeros where a sparse vector stores nothing).
std::vector<double> Dense(const Column& c, int64_t r) {
  std::vector<double> v(static_cast<size_t>(c.type()->vector_size()), 0.0);
  ForEachVectorEntry(c, r, [&](int64_t k, double x) { v[k] = x; });
  return v;
}

// A vector column of `type` (dense or sparse) from rows of dense values.
Result<ColumnPtr> VectorColumn(const TypePtr& type, const std::vector<double>& flat, int64_t rows) {
  const int64_t d = type->vector_size();
  if (!type->sparse()) {
    DenseVectorBuilder b(d);
    b.Reserve(rows);
    for (int64_t i = 0; i < rows; ++i) {
      EMBER_RETURN_IF_ERROR(b.Append({flat.data() + i * d, static_cast<size_t>(d)}));
    }
    return b.Finish();
  }
  SparseVectorBuilder b(d);
  std::vector<int32_t> idx;
  std::vector<double> val;
  for (int64_t i = 0; i < rows; ++i) {
    idx.clear();
    val.clear();
    for (int64_t k = 0; k < d; ++k) {
      if (flat[i * d + k] != 0) {
        idx.push_back(static_cast<int32_t>(k));
        val.push_back(flat[i * d + k]);
      }
    }
    EMBER_RETURN_IF_ERROR(b.Append(idx, val));
  }
  return b.Finish();
}

// LIME's numeric sampling around value x with standard deviation sd: the sample's value,
// and its distance term (|delta| / sd, 0 when sd is 0). One distribution per row keeps the
// second value of each Box-Muller pair.
double SampleNumber(double x, double sd, std::normal_distribution<double>& normal,
                    std::mt19937_64& rng, double* term) {
  if (sd <= 0) {
    *term = 0;
    return x;
  }
  const double z = normal(rng);
  *term = z;
  return x + sd * z;
}

}  // namespace

const ParamSpec<TabularSHAPParams>& TabularSHAPParams::Spec() {
  using P = TabularSHAPParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("TabularSHAP")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .Add("inputCols", &P::input_cols, "The explained columns.",
               NonEmpty<std::vector<std::string>>())
          .Add("backgroundData", &P::background_data,
               "A CSV or JSON Lines file of model input rows: the values an absent feature takes "
               "(saved inside the explainer).")
          .Add("infWeight", &P::inf_weight,
               "The weight of the empty and the full coalition in the regression.", Positive()));
  return spec;
}

const ParamSpec<TabularLIMEParams>& TabularLIMEParams::Spec() {
  using P = TabularLIMEParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("TabularLIME")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .AddGroup(&P::lime, LimeParams::Spec())
          .Add("inputCols", &P::input_cols, "The explained columns.",
               NonEmpty<std::vector<std::string>>())
          .Add("categoricalFeatures", &P::categorical_features,
               "Input columns sampled from the background's values (any type) rather than "
               "around the row's value (numbers).")
          .Add("backgroundData", &P::background_data,
               "A CSV or JSON Lines file of model input rows: each numeric column's standard "
               "deviation and each categorical column's values (saved inside the explainer)."));
  return spec;
}

const ParamSpec<VectorSHAPParams>& VectorSHAPParams::Spec() {
  using P = VectorSHAPParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("VectorSHAP")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .Add("inputCol", &P::input_col, "The explained vector column (each slot a feature).",
               NonEmpty<std::string>())
          .Add("backgroundData", &P::background_data,
               "A CSV or JSON Lines file of model input rows: the values an absent slot takes "
               "(saved inside the explainer).")
          .Add("infWeight", &P::inf_weight,
               "The weight of the empty and the full coalition in the regression.", Positive()));
  return spec;
}

const ParamSpec<VectorLIMEParams>& VectorLIMEParams::Spec() {
  using P = VectorLIMEParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("VectorLIME")
          .AddGroup(&P::explain, ExplainParams::Spec())
          .AddGroup(&P::lime, LimeParams::Spec())
          .Add("inputCol", &P::input_col, "The explained vector column (each slot a feature).",
               NonEmpty<std::string>())
          .Add("backgroundData", &P::background_data,
               "A CSV or JSON Lines file of model input rows: each slot's standard deviation "
               "(saved inside the explainer)."));
  return spec;
}

// ---- TabularSHAP ----

Status TabularSHAP::Check() const {
  const std::string who = Describe();
  for (const std::string& c : params_.input_cols) {
    if (background_->schema()->FindField(c) < 0) {
      return InvalidArgument(who + ": param 'backgroundData' has no column '" + c +
                             "' (its columns: " + background_->schema()->ToString() + ")");
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> TabularSHAP::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(std::vector<int> cols,
                         FindColumns(in, params_.input_cols, who, "inputCols"));
  EMBER_ASSIGN_OR_RETURN(std::vector<int> bg_cols, BackgroundColumns(in, cols, *background_, who));
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const int m = static_cast<int>(cols.size());
  Status enough = CheckShapSamples(params_.explain.num_samples, m);
  if (!enough.ok()) return enough.WithContext(who);
  const Batch background = *background_;
  const TabularSHAPParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> combined,
                           RowAndBackground(batch, r, cols, bg_cols, background));
    std::vector<int> feature_of(batch.num_columns(), -1);
    for (int j = 0; j < m; ++j) feature_of[cols[j]] = j;
    const int64_t nb = background.num_rows();
    auto build = [&](const uint8_t* masks, int64_t count) -> Result<Batch> {
      std::vector<ColumnPtr> out;
      std::vector<int64_t> idx(static_cast<size_t>(count * nb));
      for (int c = 0; c < batch.num_columns(); ++c) {
        const int j = feature_of[c];
        for (int64_t s = 0; s < count; ++s) {
          const bool mine = j < 0 || masks[s * m + j];
          for (int64_t b = 0; b < nb; ++b) idx[s * nb + b] = mine ? 0 : 1 + b;
        }
        EMBER_ASSIGN_OR_RETURN(ColumnPtr col, Take(*combined[c], idx));
        out.push_back(std::move(col));
      }
      return Batch::Make(batch.schema(), std::move(out), count * nb);
    };
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, cols);
    return ExplainShap(scorer, scratch, m, p.explain.num_samples, p.inf_weight, nb, rng, build,
                       classes);
  };
  return MakeExplainKernel(in, params_.explain, m + 1, std::move(scorer), explain, who);
}

// ---- TabularLIME ----

Status TabularLIME::Check() const {
  const std::string who = Describe();
  for (const std::string& c : params_.categorical_features) {
    if (std::find(params_.input_cols.begin(), params_.input_cols.end(), c) ==
        params_.input_cols.end()) {
      return InvalidArgument(who + ": param 'categoricalFeatures': '" + c +
                             "' is not one of inputCols");
    }
  }
  for (const std::string& c : params_.input_cols) {
    const int b = background_->schema()->FindField(c);
    if (b < 0) {
      return InvalidArgument(who + ": param 'backgroundData' has no column '" + c +
                             "' (its columns: " + background_->schema()->ToString() + ")");
    }
  }
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> TabularLIME::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(std::vector<int> cols,
                         FindColumns(in, params_.input_cols, who, "inputCols"));
  EMBER_ASSIGN_OR_RETURN(std::vector<int> bg_cols, BackgroundColumns(in, cols, *background_, who));
  const int m = static_cast<int>(cols.size());
  std::vector<bool> categorical(m, false);
  std::vector<double> sd(m, 0.0);
  for (int j = 0; j < m; ++j) {
    const std::string& name = params_.input_cols[j];
    categorical[j] =
        std::find(params_.categorical_features.begin(), params_.categorical_features.end(), name) !=
        params_.categorical_features.end();
    if (!categorical[j]) {
      if (!IsNumber(in.field(cols[j]).type->id())) {
        return InvalidArgument(who + ": column '" + name + "' is " +
                               in.field(cols[j]).type->ToString() +
                               ": LIME samples numbers around the row's value; list it in "
                               "categoricalFeatures to sample the background's values");
      }
      sd[j] = StdDev(*background_->column(bg_cols[j]));
    }
  }
  // Each categorical column's background values as text, to tell a sample's value from the
  // row's.
  std::vector<std::vector<std::string>> bg_text(m);
  for (int j = 0; j < m; ++j) {
    if (!categorical[j]) continue;
    const Column& c = *background_->column(bg_cols[j]);
    for (int64_t b = 0; b < c.length(); ++b) bg_text[j].push_back(FormatValue(c, b));
  }
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const Batch background = *background_;
  const TabularLIMEParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    std::vector<double> x(m, 0.0);
    std::vector<std::string> x_text(m);
    for (int j = 0; j < m; ++j) {
      const Column& c = *batch.column(cols[j]);
      if (categorical[j]) {
        x_text[j] = FormatValue(c, r);
      } else if (c.IsNull(r)) {
        return InvalidArgument("column '" + p.input_cols[j] +
                               "' is null: LIME cannot sample around it");
      } else {
        x[j] = NumericValue(c, r);
      }
    }
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    const int64_t n = p.explain.num_samples > 0 ? p.explain.num_samples : 1000;
    const int64_t nb = background.num_rows();
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, cols);
    std::uniform_int_distribution<int64_t> pick(0, nb - 1);
    std::normal_distribution<double> normal(0.0, 1.0);
    // Sample 0 is the row itself; each feature: a value (numbers) or a background row.
    std::vector<double> values(static_cast<size_t>(n * m)), states(values.size());
    std::vector<int64_t> picks(values.size(), -1);
    std::vector<double> distances(static_cast<size_t>(n), 0.0);
    for (int64_t s = 0; s < n; ++s) {
      double d2 = 0;
      for (int j = 0; j < m; ++j) {
        const size_t at = static_cast<size_t>(s * m + j);
        if (categorical[j]) {
          const int64_t b = s == 0 ? -1 : pick(rng);
          picks[at] = b;
          const bool same = b < 0 || bg_text[j][b] == x_text[j];
          states[at] = same ? 1.0 : 0.0;
          d2 += same ? 0.0 : 1.0;
        } else {
          double term = 0;
          values[at] = s == 0 ? x[j] : SampleNumber(x[j], sd[j], normal, rng, &term);
          states[at] = values[at];
          d2 += term * term;
        }
      }
      distances[s] = std::sqrt(d2 / m);
    }
    EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> combined,
                           RowAndBackground(batch, r, cols, bg_cols, background));
    auto build = [&](int64_t from, int64_t to) -> Result<Batch> {
      const int64_t count = to - from;
      EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> out, RepeatRow(batch, r, count));
      for (int j = 0; j < m; ++j) {
        if (categorical[j]) {
          std::vector<int64_t> idx(static_cast<size_t>(count));
          for (int64_t s = from; s < to; ++s) idx[s - from] = 1 + picks[s * m + j];
          EMBER_ASSIGN_OR_RETURN(out[cols[j]], Take(*combined[cols[j]], idx));
        } else {
          std::vector<double> v(static_cast<size_t>(count));
          for (int64_t s = from; s < to; ++s) v[s - from] = values[s * m + j];
          out[cols[j]] = NumberColumn(batch.schema()->field(cols[j]).type, v);
        }
      }
      return Batch::Make(batch.schema(), std::move(out), count);
    };
    return FitLime(scorer, scratch, p.lime, m, n, states, distances, build, classes);
  };
  return MakeExplainKernel(in, params_.explain, m, std::move(scorer), explain, who);
}

// ---- VectorSHAP and VectorLIME ----

namespace {

// The vector column of `name` in `in` and in the background, of the same type.
Result<std::pair<int, int>> VectorColumns(const Schema& in, const std::string& name,
                                          const Batch& background, const std::string& who) {
  EMBER_ASSIGN_OR_RETURN(std::vector<int> col, FindColumns(in, {name}, who, "inputCol"));
  if (in.field(col[0]).type->id() != TypeId::kVector) {
    return InvalidArgument(who + ": param 'inputCol': '" + name + "' is " +
                           in.field(col[0]).type->ToString() + ", not a vector");
  }
  EMBER_ASSIGN_OR_RETURN(std::vector<int> bg, BackgroundColumns(in, col, background, who));
  return std::make_pair(col[0], bg[0]);
}

}  // namespace

Status VectorSHAP::Check() const {
  if (background_->schema()->FindField(params_.input_col) < 0) {
    return InvalidArgument(Describe() + ": param 'backgroundData' has no column '" +
                           params_.input_col + "'");
  }
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> VectorSHAP::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(auto cols, VectorColumns(in, params_.input_col, *background_, who));
  const int col = cols.first, bg_col = cols.second;
  const TypePtr type = in.field(col).type;
  const int d = static_cast<int>(type->vector_size());
  std::vector<std::vector<double>> bg;
  const Column& bgc = *background_->column(bg_col);
  for (int64_t b = 0; b < bgc.length(); ++b) {
    if (bgc.IsNull(b)) {
      return InvalidArgument(who + ": param 'backgroundData': row " + std::to_string(b) + " of '" +
                             params_.input_col + "' is null");
    }
    bg.push_back(Dense(bgc, b));
  }
  Status enough = CheckShapSamples(params_.explain.num_samples, d);
  if (!enough.ok()) return enough.WithContext(who);
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const VectorSHAPParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    const Column& c = *batch.column(col);
    if (c.IsNull(r)) return InvalidArgument("'" + p.input_col + "' is null");
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    const std::vector<double> x = Dense(c, r);
    const int64_t nb = static_cast<int64_t>(bg.size());
    auto build = [&](const uint8_t* masks, int64_t count) -> Result<Batch> {
      EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> out, RepeatRow(batch, r, count * nb));
      std::vector<double> flat(static_cast<size_t>(count * nb * d));
      for (int64_t s = 0; s < count; ++s) {
        for (int64_t b = 0; b < nb; ++b) {
          double* row = flat.data() + (s * nb + b) * d;
          for (int k = 0; k < d; ++k) row[k] = masks[s * d + k] ? x[k] : bg[b][k];
        }
      }
      EMBER_ASSIGN_OR_RETURN(out[col], VectorColumn(type, flat, count * nb));
      return Batch::Make(batch.schema(), std::move(out), count * nb);
    };
    const int cols_hashed[] = {col};
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, cols_hashed);
    return ExplainShap(scorer, scratch, d, p.explain.num_samples, p.inf_weight, nb, rng, build,
                       classes);
  };
  return MakeExplainKernel(in, params_.explain, d + 1, std::move(scorer), explain, who);
}

Status VectorLIME::Check() const {
  if (background_->schema()->FindField(params_.input_col) < 0) {
    return InvalidArgument(Describe() + ": param 'backgroundData' has no column '" +
                           params_.input_col + "'");
  }
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> VectorLIME::Bind(const Schema& in) const {
  const std::string who = Describe();
  EMBER_ASSIGN_OR_RETURN(auto cols, VectorColumns(in, params_.input_col, *background_, who));
  const int col = cols.first, bg_col = cols.second;
  const TypePtr type = in.field(col).type;
  const int d = static_cast<int>(type->vector_size());
  // Each slot's standard deviation over the background.
  std::vector<double> sd(d, 0.0);
  {
    const Column& c = *background_->column(bg_col);
    std::vector<double> mean(d, 0.0), m2(d, 0.0);
    double n = 0;
    for (int64_t b = 0; b < c.length(); ++b) {
      if (c.IsNull(b)) continue;
      n += 1;
      const std::vector<double> v = Dense(c, b);
      for (int k = 0; k < d; ++k) {
        const double delta = v[k] - mean[k];
        mean[k] += delta / n;
        m2[k] += delta * (v[k] - mean[k]);
      }
    }
    for (int k = 0; k < d; ++k) sd[k] = n > 1 ? std::sqrt(m2[k] / (n - 1)) : 0.0;
  }
  EMBER_ASSIGN_OR_RETURN(auto scorer, ModelScorer::Bind(model_, in, params_.explain, who));
  const VectorLIMEParams p = params_;
  auto explain = [=](const Batch& batch, int64_t r, const ModelScorer& scorer,
                     KernelScratch& scratch) -> Result<RowExplanation> {
    const Column& c = *batch.column(col);
    if (c.IsNull(r)) return InvalidArgument("'" + p.input_col + "' is null");
    EMBER_ASSIGN_OR_RETURN(std::vector<int> classes, scorer.Classes(batch, r, scratch));
    const std::vector<double> x = Dense(c, r);
    const int64_t n = p.explain.num_samples > 0 ? p.explain.num_samples : 1000;
    const int cols_hashed[] = {col};
    std::mt19937_64 rng = RowGenerator(p.explain.seed, batch, r, cols_hashed);
    std::vector<double> states(static_cast<size_t>(n * d)), distances(static_cast<size_t>(n));
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int64_t s = 0; s < n; ++s) {
      double d2 = 0;
      for (int k = 0; k < d; ++k) {
        double term = 0;
        states[s * d + k] = s == 0 ? x[k] : SampleNumber(x[k], sd[k], normal, rng, &term);
        d2 += term * term;
      }
      distances[s] = std::sqrt(d2 / d);
    }
    auto build = [&](int64_t from, int64_t to) -> Result<Batch> {
      const int64_t count = to - from;
      EMBER_ASSIGN_OR_RETURN(std::vector<ColumnPtr> out, RepeatRow(batch, r, count));
      std::vector<double> flat(states.begin() + from * d, states.begin() + to * d);
      EMBER_ASSIGN_OR_RETURN(out[col], VectorColumn(type, flat, count));
      return Batch::Make(batch.schema(), std::move(out), count);
    };
    return FitLime(scorer, scratch, p.lime, d, n, states, distances, build, classes);
  };
  return MakeExplainKernel(in, params_.explain, d, std::move(scorer), explain, who);
}

Status RegisterExplainStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<TabularSHAP>(
      r, "Kernel SHAP values of a model's output over table columns (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<TabularLIME>(
      r, "LIME: a local weighted-Lasso surrogate of a model over table columns (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<VectorSHAP>(
      r, "Kernel SHAP values of a model's output over the slots of a vector (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<VectorLIME>(
      r, "LIME: a local weighted-Lasso surrogate of a model over a vector's slots (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<TextSHAP>(
      r, "Kernel SHAP values of a model's output over the tokens of a text (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<TextLIME>(
      r, "LIME: a local weighted-Lasso surrogate of a model over a text's tokens (SynapseML's)."));
  return RegisterIceStage(r);
}

}  // namespace ember::explain
