// Collecting a frame's rows for XGBoost, and the boosting loop (custom objectives, early
// stopping).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/gbdt/internal/common.h"

namespace ember::gbdt::internal {

namespace {

using gbdt::XgbBooster;
using gbdt::XgbMatrix;
using gbdt::XgbPrediction;

struct BoundColumns {
  int features = -1, label = -1, weight = -1, valid = -1, init = -1, group = -1;
  int64_t d = 0;
  bool sparse = false;
  std::vector<std::string> feature_types;  // empty: all numeric
};

bool IsVector(const DataType& t) { return t.id() == TypeId::kVector; }
bool IsNumeric(const DataType& t) { return t.is_numeric(); }
bool IsIndicator(const DataType& t) { return t.id() == TypeId::kBool || t.is_numeric(); }
bool IsScore(const DataType& t) { return t.is_numeric() || t.id() == TypeId::kVector; }
bool IsGroup(const DataType& t) {
  return t.id() == TypeId::kInt32 || t.id() == TypeId::kInt64 || t.is_binary_like();
}

Result<BoundColumns> Bind(const Schema& in, const GbdtCommonParams& p, const std::string& owner,
                          const std::string& group_col) {
  auto find = [&](const std::string& col, bool (*accept)(const DataType&),
                  const char* what) -> Result<int> {
    Result<int> i = in.GetFieldIndexOfType(col, accept, what);
    if (!i.ok()) return i.status().WithContext(owner);
    return i;
  };
  BoundColumns b;
  EMBER_ASSIGN_OR_RETURN(b.features, find(p.features_col, IsVector, "a vector column"));
  EMBER_ASSIGN_OR_RETURN(b.label, find(p.label_col, IsNumeric, "a numeric column"));
  if (!p.weight_col.empty()) {
    EMBER_ASSIGN_OR_RETURN(b.weight, find(p.weight_col, IsNumeric, "a numeric column"));
  }
  if (!p.validation_indicator_col.empty()) {
    EMBER_ASSIGN_OR_RETURN(b.valid,
                           find(p.validation_indicator_col, IsIndicator, "a boolean column"));
  }
  if (!p.init_score_col.empty()) {
    EMBER_ASSIGN_OR_RETURN(b.init, find(p.init_score_col, IsScore, "a numeric or vector column"));
  }
  if (!group_col.empty()) {
    EMBER_ASSIGN_OR_RETURN(b.group, find(group_col, IsGroup, "an int, long or string column"));
  }
  if (p.early_stopping_round > 0 && b.valid < 0) {
    return InvalidArgument(
        owner + " param 'earlyStoppingRound': needs validation rows (set validationIndicatorCol)");
  }
  b.d = in.field(b.features).type->vector_size();
  b.sparse = in.field(b.features).type->sparse();
  if (!p.categorical_slot_indexes.empty() || !p.categorical_slot_names.empty()) {
    b.feature_types.assign(static_cast<size_t>(b.d), "q");
    for (int32_t i : p.categorical_slot_indexes) {
      if (i < 0 || i >= b.d) {
        return InvalidArgument(owner + " param 'categoricalSlotIndexes': slot " +
                               std::to_string(i) + " is outside column '" + p.features_col + "' (" +
                               std::to_string(b.d) + " slots)");
      }
      b.feature_types[i] = "c";
    }
    const auto names = SlotNames(in.field(b.features));
    for (const std::string& name : p.categorical_slot_names) {
      const auto at = names ? std::find(names->begin(), names->end(), name)
                            : std::vector<std::string>::const_iterator();
      if (!names || at == names->end()) {
        return InvalidArgument(
            owner + " param 'categoricalSlotNames': column '" + p.features_col +
            "' has no slot named '" + name + "'" +
            (names ? "" : " (it records no slot names; use categoricalSlotIndexes)"));
      }
      b.feature_types[static_cast<size_t>(at - names->begin())] = "c";
    }
  }
  return b;
}

double NumberAt(const Column& c, int64_t r) {
  switch (c.type_id()) {
    case TypeId::kFloat64:
      return c.Values<double>()[r];
    case TypeId::kFloat32:
      return c.Values<float>()[r];
    case TypeId::kInt32:
      return c.Values<int32_t>()[r];
    case TypeId::kInt64:
      return static_cast<double>(c.Values<int64_t>()[r]);
    case TypeId::kBool:
      return c.BoolValue(r) ? 1.0 : 0.0;
    default:
      return NAN;
  }
}

Result<XgbMatrix> MakeMatrix(const Rows& t, const std::vector<std::string>& feature_types,
                             int threads) {
  XgbMatrix m;
  if (t.sparse) {
    EMBER_ASSIGN_OR_RETURN(m, XgbMatrix::FromCsr(t.indptr, t.indices, t.values, t.features));
  } else {
    EMBER_ASSIGN_OR_RETURN(m, XgbMatrix::FromDense(t.dense.data(), t.rows, t.features, threads));
  }
  if (!feature_types.empty())
    EMBER_RETURN_IF_ERROR(m.SetFeatureInfo("feature_type", feature_types));
  EMBER_RETURN_IF_ERROR(m.SetFloatInfo("label", t.labels));
  if (!t.weights.empty()) EMBER_RETURN_IF_ERROR(m.SetFloatInfo("weight", t.weights));
  if (!t.init_scores.empty()) EMBER_RETURN_IF_ERROR(m.SetFloatInfo("base_margin", t.init_scores));
  return m;
}

// "[3]\ttrain-auc:0.91\tvalid-auc:0.88" -> the last "valid-" metric's name and value.
bool LastValidMetric(const std::string& eval, std::string* name, double* value) {
  const size_t at = eval.rfind("\tvalid-");
  if (at == std::string::npos) return false;
  const size_t colon = eval.find(':', at);
  if (colon == std::string::npos) return false;
  *name = eval.substr(at + 7, colon - at - 7);
  *value = std::strtod(eval.c_str() + colon + 1, nullptr);
  return true;
}

// The sizes of the runs of equal groups (GroupRows made each group one run).
std::vector<uint32_t> GroupSizes(const std::vector<std::string>& groups) {
  std::vector<uint32_t> sizes;
  for (size_t r = 0; r < groups.size(); ++r) {
    if (r == 0 || groups[r] != groups[r - 1]) sizes.push_back(0);
    ++sizes.back();
  }
  return sizes;
}

bool HigherIsBetter(const std::string& metric) {
  for (const char* prefix : {"auc", "aucpr", "ndcg", "map", "pre"}) {
    if (metric.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

Status CheckTrainingColumns(const Schema& in, const GbdtCommonParams& p, const std::string& owner,
                            const std::string& group_col) {
  return Bind(in, p, owner, group_col).status();
}

Result<TrainingData> CollectTrainingData(const DataFrame& in, const GbdtCommonParams& p,
                                         const std::string& owner, const CollectOptions& options) {
  const std::string& group_col = options.group_col;
  const LabelCheck& check_label = options.check_label;
  EMBER_ASSIGN_OR_RETURN(BoundColumns cols, Bind(*in.schema(), p, owner, group_col));
  // Not across processes: XGBoost 1.7's QuantileDMatrix hung with 3 workers in a test
  // (2 were fine); its regular matrix trains the one-process model with any count.
  const bool borrow = options.borrow_dense && !cols.sparse && cols.valid < 0 && cols.group < 0 &&
                      gbdt::XgboostCollectiveSize() <= 1;
  TrainingData data;
  data.feature_types = cols.feature_types;
  for (Rows* r : {&data.train, &data.valid}) {
    r->features = cols.d;
    r->sparse = cols.sparse;
  }
  if (cols.init >= 0) {
    const DataType& t = *in.schema()->field(cols.init).type;
    data.init_score_width = t.id() == TypeId::kVector ? static_cast<int>(t.vector_size()) : 1;
  }
  if (!cols.sparse && cols.valid < 0) {  // every row trains: one allocation
    if (!borrow) data.train.dense.reserve(static_cast<size_t>(in.num_rows() * cols.d));
    data.train.labels.reserve(static_cast<size_t>(in.num_rows()));
  }
  int64_t row = 0;
  for (const Batch& b : in.partitions()) {
    const Column& f = *b.column(cols.features);
    const Column& y = *b.column(cols.label);
    const Column* w = cols.weight >= 0 ? b.column(cols.weight).get() : nullptr;
    const Column* v = cols.valid >= 0 ? b.column(cols.valid).get() : nullptr;
    const Column* s = cols.init >= 0 ? b.column(cols.init).get() : nullptr;
    const Column* g = cols.group >= 0 ? b.column(cols.group).get() : nullptr;
    if (borrow && b.num_rows() > 0)
      data.train.borrowed.emplace_back(f.DenseRow(0).data(), b.num_rows());
    for (int64_t r = 0; r < b.num_rows(); ++r, ++row) {
      auto where = [&](const std::string& col) {
        return owner + ": column '" + col + "' row " + std::to_string(row) + ": ";
      };
      if (v && v->IsNull(r))
        return InvalidArgument(where(p.validation_indicator_col) + "null validation indicator");
      Rows& t = v && NumberAt(*v, r) != 0 ? data.valid : data.train;
      if (f.IsNull(r)) return InvalidArgument(where(p.features_col) + "null feature vector");
      if (y.IsNull(r)) return InvalidArgument(where(p.label_col) + "null label");
      const double label = NumberAt(y, r);
      if (!std::isfinite(label))
        return InvalidArgument(where(p.label_col) + "NaN or infinite label");
      if (check_label) {
        Status s = check_label(label);
        if (!s.ok()) return InvalidArgument(where(p.label_col) + s.message());
      }
      t.labels.push_back(static_cast<float>(label));
      if (w) {
        const double weight = w->IsNull(r) ? NAN : NumberAt(*w, r);
        if (!(weight >= 0) || !std::isfinite(weight)) {
          return InvalidArgument(where(p.weight_col) + "weight must be a finite number >= 0");
        }
        t.weights.push_back(static_cast<float>(weight));
      }
      if (s) {
        if (s->IsNull(r)) return InvalidArgument(where(p.init_score_col) + "null initial score");
        if (data.init_score_width == 1 && s->type_id() != TypeId::kVector) {
          t.init_scores.push_back(static_cast<float>(NumberAt(*s, r)));
        } else {
          std::vector<float> row_scores(static_cast<size_t>(data.init_score_width), 0.0f);
          ForEachVectorEntry(*s, r,
                             [&](int64_t j, double x) { row_scores[j] = static_cast<float>(x); });
          t.init_scores.insert(t.init_scores.end(), row_scores.begin(), row_scores.end());
        }
      }
      if (g) {
        if (g->IsNull(r)) return InvalidArgument(where(group_col) + "null group");
        t.groups.push_back(FormatValue(*g, r));
      }
      if (t.sparse) {
        auto idx = f.SparseIndices(r);
        auto val = f.SparseValues(r);
        for (size_t e = 0; e < idx.size(); ++e) {
          t.indices.push_back(static_cast<uint32_t>(idx[e]));
          t.values.push_back(static_cast<float>(val[e]));
        }
        t.indptr.push_back(t.values.size());
      } else if (!borrow) {
        const double* x = f.DenseRow(r).data();
        const size_t at = t.dense.size();
        t.dense.resize(at + static_cast<size_t>(cols.d));
        for (int64_t j = 0; j < cols.d; ++j) t.dense[at + j] = static_cast<float>(x[j]);
      }
      ++t.rows;
    }
  }
  if (data.train.rows == 0) return InvalidArgument(owner + ": no rows to fit on");
  return data;
}

void GroupRows(Rows* rows) {
  std::unordered_map<std::string, size_t> first;
  std::vector<size_t> group_of(static_cast<size_t>(rows->rows));
  for (int64_t r = 0; r < rows->rows; ++r) {
    group_of[r] = first.emplace(rows->groups[r], first.size()).first->second;
  }
  std::vector<size_t> order(static_cast<size_t>(rows->rows));
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return group_of[a] < group_of[b]; });
  // Permute every per-row array.
  Rows out;
  out.rows = rows->rows;
  out.features = rows->features;
  out.sparse = rows->sparse;
  const size_t width = rows->rows ? rows->init_scores.size() / static_cast<size_t>(rows->rows) : 0;
  for (size_t r : order) {
    out.labels.push_back(rows->labels[r]);
    if (!rows->weights.empty()) out.weights.push_back(rows->weights[r]);
    for (size_t k = 0; k < width; ++k) out.init_scores.push_back(rows->init_scores[r * width + k]);
    out.groups.push_back(rows->groups[r]);
    if (rows->sparse) {
      for (size_t e = rows->indptr[r]; e < rows->indptr[r + 1]; ++e) {
        out.indices.push_back(rows->indices[e]);
        out.values.push_back(rows->values[e]);
      }
      out.indptr.push_back(out.values.size());
    } else {
      const auto* begin = rows->dense.data() + r * static_cast<size_t>(rows->features);
      out.dense.insert(out.dense.end(), begin, begin + rows->features);
    }
  }
  *rows = std::move(out);
}

Result<double> WeightedMean(const Rows& rows, const std::string& owner) {
  double sums[2] = {0, 0};  // weighted labels, weights
  for (size_t i = 0; i < rows.labels.size(); ++i) {
    const double w = rows.weights.empty() ? 1.0 : rows.weights[i];
    sums[0] += w * rows.labels[i];
    sums[1] += w;
  }
  EMBER_RETURN_IF_ERROR(gbdt::XgboostCollectiveSum(sums));  // over every worker's rows
  if (sums[1] <= 0) return InvalidArgument(owner + ": the weights sum to 0");
  return sums[0] / sums[1];
}

Result<double> LabelQuantile(const Rows& rows, double q) {
  // Every worker's labels, each in its own slice of one array summed over the workers.
  double counts[1] = {static_cast<double>(rows.labels.size())};
  const int size = gbdt::XgboostCollectiveSize(), rank = gbdt::XgboostCollectiveRank();
  std::vector<double> per_worker(static_cast<size_t>(size), 0.0);
  per_worker[rank] = counts[0];
  EMBER_RETURN_IF_ERROR(gbdt::XgboostCollectiveSum(per_worker));
  size_t offset = 0, total = 0;
  for (int r = 0; r < size; ++r) {
    if (r < rank) offset += static_cast<size_t>(per_worker[r]);
    total += static_cast<size_t>(per_worker[r]);
  }
  std::vector<double> all(total, 0.0);
  for (size_t i = 0; i < rows.labels.size(); ++i) all[offset + i] = rows.labels[i];
  EMBER_RETURN_IF_ERROR(gbdt::XgboostCollectiveSum(all));
  if (all.empty()) return InvalidArgument("no labels");
  const size_t at =
      std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())));
  std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(at), all.end());
  return static_cast<double>(static_cast<float>(all[at]));
}

Result<std::shared_ptr<const GbdtBooster>> Train(TrainingData data, const GbdtCommonParams& p,
                                                 const XgbParamList& params, int outputs,
                                                 const ExecContext& ctx, const std::string& owner,
                                                 const GbdtObjective& custom) {
  if (ctx.comm && ctx.comm->size() > 1 && gbdt::XgboostCollectiveSize() != ctx.comm->size()) {
    return FailedPrecondition(
        owner + ": fitting on " + std::to_string(ctx.comm->size()) +
        " ranks needs every rank to be a worker of XGBoost's collective (one process per "
        "rank, joined through a RabitTracker); this process sees " +
        std::to_string(gbdt::XgboostCollectiveSize()) + " worker(s)");
  }
  if (custom && outputs != 1)
    return InvalidArgument(owner + ": a custom objective needs a single-output model");
  int threads = 1;
  for (const auto& [k, v] : params) {
    if (k == "nthread") threads = std::max(1, std::atoi(v.c_str()));
  }
  const Rows& t = data.train;
  XgbMatrix train;
  if (!t.borrowed.empty()) {
    if (custom) return Internal(owner + ": borrowed features cannot train a custom objective");
    int max_bin = 256;
    for (const auto& [k, v] : params) {
      if (k == "max_bin") max_bin = std::atoi(v.c_str());
    }
    const int width = data.init_score_width > 0 ? data.init_score_width : 1;
    std::vector<XgbMatrix::DenseBatch> batches;
    int64_t at = 0;
    for (const auto& [values, rows] : t.borrowed) {
      batches.push_back({values, rows, t.labels.data() + at,
                         t.weights.empty() ? nullptr : t.weights.data() + at,
                         t.init_scores.empty() ? nullptr : t.init_scores.data() + at * width});
      at += rows;
    }
    EMBER_ASSIGN_OR_RETURN(train, XgbMatrix::FromDenseBatches(batches, t.features, width, max_bin,
                                                              threads, data.feature_types));
  } else {
    EMBER_ASSIGN_OR_RETURN(train, MakeMatrix(t, data.feature_types, threads));
  }
  // The ranker's rows arrive grouped (GroupRows); XGBoost takes the group sizes.
  if (!t.groups.empty()) EMBER_RETURN_IF_ERROR(train.SetUIntInfo("group", GroupSizes(t.groups)));
  XgbMatrix valid;
  std::vector<const XgbMatrix*> cache = {&train};
  std::vector<std::string> names = {"train"};
  if (data.valid.rows > 0) {
    EMBER_ASSIGN_OR_RETURN(valid, MakeMatrix(data.valid, data.feature_types, threads));
    if (!data.valid.groups.empty())
      EMBER_RETURN_IF_ERROR(valid.SetUIntInfo("group", GroupSizes(data.valid.groups)));
    cache.push_back(&valid);
    names.push_back("valid");
  } else if (p.early_stopping_round > 0) {
    return InvalidArgument(owner + " param 'earlyStoppingRound': no row of column '" +
                           p.validation_indicator_col +
                           "' is true, so there is nothing to validate on");
  }
  // XGBoost has its own copies now: the features' float copies go before training.
  for (Rows* r : {&data.train, &data.valid}) {
    std::vector<float>().swap(r->dense);
    std::vector<float>().swap(r->values);
    std::vector<uint32_t>().swap(r->indices);
    std::vector<size_t>().swap(r->indptr);
  }
  EMBER_ASSIGN_OR_RETURN(XgbBooster booster, XgbBooster::Create(cache));
  for (const auto& [k, v] : params) {
    Status s = booster.SetParam(k, v);
    if (!s.ok()) return s.WithContext(owner);
  }
  const bool log_metric = ctx.log && (p.metric != GbdtMetric::kDefault || data.valid.rows > 0);
  std::vector<float> grad, hess;
  int best = -1;
  double best_score = 0;
  std::string metric;
  int rounds = 0;
  for (int i = 0; i < p.num_iterations; ++i) {
    if (ctx.cancel.IsCancelled())
      return Cancelled(owner + ": cancelled after " + std::to_string(i) + " rounds");
    Status s;
    if (custom) {
      EMBER_ASSIGN_OR_RETURN(XgbPrediction m, booster.Predict(train, 1, 0, 0, /*training=*/true));
      if (static_cast<int64_t>(m.values.size()) != t.rows)
        return Internal(owner + ": margins do not match the rows");
      grad.resize(m.values.size());
      hess.resize(m.values.size());
      for (size_t r = 0; r < m.values.size(); ++r) {
        custom(m.values[r], t.labels[r], t.weights.empty() ? 1.0f : t.weights[r], &grad[r],
               &hess[r]);
      }
      s = booster.Boost(train, grad, hess);
    } else {
      s = booster.Update(i, train);
    }
    if (!s.ok()) return s.WithContext(owner + " round " + std::to_string(i));
    rounds = i + 1;
    if (p.early_stopping_round > 0 || log_metric) {
      EMBER_ASSIGN_OR_RETURN(std::string eval, booster.Eval(i, cache, names));
      if (log_metric && (rounds % 10 == 0 || rounds == p.num_iterations))
        ctx.log->Info(owner + ": " + eval);
      double score;
      if (p.early_stopping_round > 0 && LastValidMetric(eval, &metric, &score)) {
        const bool better =
            best < 0 || (HigherIsBetter(metric) ? score > best_score : score < best_score);
        if (better) {
          best = i;
          best_score = score;
        } else if (i - best >= p.early_stopping_round) {
          break;
        }
      }
    }
  }
  if (p.early_stopping_round > 0 && best >= 0 && best + 1 < rounds) {
    if (ctx.log) {
      ctx.log->Info(owner + ": early stopping after " + std::to_string(rounds) +
                    " rounds; keeping " + std::to_string(best + 1) + " (valid-" + metric + " " +
                    std::to_string(best_score) + ")");
    }
    EMBER_ASSIGN_OR_RETURN(booster, booster.Slice(0, best + 1));
  }
  EMBER_ASSIGN_OR_RETURN(std::string bytes, booster.Save("ubj"));
  return GbdtBooster::FromBytes(std::move(bytes), owner);
}

}  // namespace ember::gbdt::internal
