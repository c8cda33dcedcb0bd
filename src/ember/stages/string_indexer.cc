#include "ember/stages/string_indexer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/row_lowering.h"
#include "ember/pipeline/save_load.h"
#include "ember/stages/internal/column_pairs.h"

namespace ember {

namespace {

constexpr const char* kUnknownLabel = "__unknown";

bool IsIndexable(const DataType& t) {
  return t.id() == TypeId::kBool || t.is_numeric() || t.is_binary_like();
}

}  // namespace

// Numbers use the shortest form that reads back exactly ("1", "2.5").
std::string_view LabelText(const Column& c, int64_t r, std::string* buf) {
  char tmp[32];
  switch (c.type_id()) {
    case TypeId::kString:
    case TypeId::kBinary:
      return c.StringValue(r);
    case TypeId::kBool:
      return c.BoolValue(r) ? "true" : "false";
    case TypeId::kInt32:
      *buf = std::to_string(c.Values<int32_t>()[r]);
      return *buf;
    case TypeId::kInt64:
      *buf = std::to_string(c.Values<int64_t>()[r]);
      return *buf;
    case TypeId::kFloat32: {
      auto [end, ec] = std::to_chars(tmp, tmp + sizeof(tmp), c.Values<float>()[r]);
      buf->assign(tmp, end);
      return *buf;
    }
    default: {
      auto [end, ec] = std::to_chars(tmp, tmp + sizeof(tmp), c.Values<double>()[r]);
      buf->assign(tmp, end);
      return *buf;
    }
  }
}

namespace {

using stages::internal::ColumnPair;

Result<std::vector<ColumnPair>> Pairs(const StringIndexerParams& p) {
  return stages::internal::ResolveColumnPairs("StringIndexer", p.input_col, p.output_col,
                                              p.input_cols, p.output_cols);
}

struct BoundColumns {
  std::vector<int> inputs;
  std::vector<size_t> pairs;  // which of the pairs each input is (skipped ones are absent)
  SchemaPtr out;
};

// Checks the inputs and builds the output schema (labels empty: schema only). With
// `skip_missing` (a fitted model), an input column the frame does not have is left out, as
// SparkML 3 does: a pipeline that indexes its label scores rows without one.
Result<BoundColumns> BindColumns(const Schema& in, const std::vector<ColumnPair>& pairs,
                                 const std::vector<std::vector<std::string>>* labels, bool keep,
                                 bool skip_missing = false) {
  BoundColumns b;
  std::vector<Field> fields = in.fields();
  for (size_t k = 0; k < pairs.size(); ++k) {
    if (skip_missing && in.FindField(pairs[k].in) < 0) continue;
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndexOfType(
                                      pairs[k].in, [](const DataType& t) { return IsIndexable(t); },
                                      "a string, number or bool column"));
    if (in.FindField(pairs[k].out) >= 0) {
      return AlreadyExists("output column '" + pairs[k].out + "' already exists");
    }
    Field f = MakeField(pairs[k].out, Float64Type());
    if (labels != nullptr) {
      std::vector<std::string> vals = (*labels)[k];
      if (keep) vals.push_back(kUnknownLabel);
      SetNominalValues(&f, vals);
    }
    fields.push_back(std::move(f));
    b.inputs.push_back(i);
    b.pairs.push_back(k);
  }
  EMBER_ASSIGN_OR_RETURN(b.out, Schema::Make(std::move(fields), in.metadata()));
  return b;
}

using Counts = std::unordered_map<std::string, int64_t>;

void AppendCounts(const Counts& counts, Bytes* out) {
  int64_t n = static_cast<int64_t>(counts.size());
  out->append(reinterpret_cast<const char*>(&n), 8);
  for (const auto& [label, count] : counts) {
    int64_t len = static_cast<int64_t>(label.size());
    out->append(reinterpret_cast<const char*>(&len), 8);
    out->append(label);
    out->append(reinterpret_cast<const char*>(&count), 8);
  }
}

Status ReadCounts(std::string_view* in, Counts* counts) {
  auto take = [&](int64_t* v) {
    if (in->size() < 8) return false;
    std::memcpy(v, in->data(), 8);
    in->remove_prefix(8);
    return true;
  };
  int64_t n;
  if (!take(&n)) return DataLoss("StringIndexer: truncated counts from another rank");
  for (int64_t i = 0; i < n; ++i) {
    int64_t len, count;
    if (!take(&len) || len < 0 || static_cast<int64_t>(in->size()) < len)
      return DataLoss("StringIndexer: bad counts");
    std::string label(in->substr(0, len));
    in->remove_prefix(len);
    if (!take(&count)) return DataLoss("StringIndexer: bad counts");
    (*counts)[label] += count;
  }
  return Status::OK();
}

std::vector<std::string> OrderLabels(const Counts& counts, StringOrder order) {
  std::vector<std::pair<std::string, int64_t>> v(counts.begin(), counts.end());
  std::sort(v.begin(), v.end(), [order](const auto& a, const auto& b) {
    switch (order) {
      case StringOrder::kFrequencyDesc:
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      case StringOrder::kFrequencyAsc:
        return a.second != b.second ? a.second < b.second : a.first < b.first;
      case StringOrder::kAlphabetDesc:
        return a.first > b.first;
      case StringOrder::kAlphabetAsc:
        return a.first < b.first;
    }
    return false;
  });
  std::vector<std::string> labels;
  for (auto& [l, c] : v) labels.push_back(std::move(l));
  return labels;
}

}  // namespace

const ParamSpec<StringIndexerParams>& StringIndexerParams::Spec() {
  using P = StringIndexerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("StringIndexer")
          .Add("inputCol", &P::input_col, "The column to index (string, number or bool).")
          .Add("outputCol", &P::output_col, "The float64 index column to add.")
          .Add("inputCols", &P::input_cols, "Several columns to index (instead of inputCol).")
          .Add("outputCols", &P::output_cols, "The index columns, one per inputCols entry.")
          .AddEnum("handleInvalid", &P::handle_invalid,
                   {{"error", HandleInvalid::kError},
                    {"skip", HandleInvalid::kSkip},
                    {"keep", HandleInvalid::kKeep}},
                   "Nulls and labels unseen in fitting: fail, drop the row, or index them as "
                   "numLabels.")
          .AddEnum("stringOrderType", &P::string_order_type,
                   {{"frequencyDesc", StringOrder::kFrequencyDesc},
                    {"frequencyAsc", StringOrder::kFrequencyAsc},
                    {"alphabetDesc", StringOrder::kAlphabetDesc},
                    {"alphabetAsc", StringOrder::kAlphabetAsc}},
                   "Label order; frequency ties are broken alphabetically."));
  return spec;
}

// StringIndexer ----------------------------------------------------------------------------

Status StringIndexer::Check(const Params& p) {
  EMBER_RETURN_IF_ERROR(Pairs(p).status());
  return Status::OK();
}

Result<SchemaPtr> StringIndexer::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  // The labels are not known before fitting; the schema's ML attributes come with the model.
  EMBER_ASSIGN_OR_RETURN(BoundColumns b, BindColumns(in, pairs, nullptr, false));
  return b.out;
}

Result<std::shared_ptr<const Transformer>> StringIndexer::Fit(const DataFrame& in,
                                                              const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  EMBER_ASSIGN_OR_RETURN(BoundColumns bound, BindColumns(*in.schema(), pairs, nullptr, false));
  const size_t k = pairs.size();
  std::vector<std::vector<Counts>> partial(in.num_partitions(), std::vector<Counts>(k));
  auto count = [&](int64_t p) -> Status {
    const Batch& b = in.partition(static_cast<int>(p));
    std::string buf;
    for (size_t j = 0; j < k; ++j) {
      const Column& c = *b.column(bound.inputs[j]);
      Counts& counts = partial[p][j];
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (c.IsValid(r)) ++counts[std::string(LabelText(c, r, &buf))];
      }
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), count, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(count(p));
  }
  std::vector<Counts> total(k);
  for (auto& part : partial) {
    for (size_t j = 0; j < k; ++j) {
      for (auto& [label, n] : part[j]) total[j][label] += n;
    }
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    Bytes mine;
    for (const Counts& c : total) AppendCounts(c, &mine);
    EMBER_ASSIGN_OR_RETURN(
        auto all, ctx.comm->AllGather(std::move(mine), Deadline::In(std::chrono::minutes(10))));
    for (auto& t : total) t.clear();
    for (const Bytes& b : all) {
      std::string_view view(b);
      for (size_t j = 0; j < k; ++j) EMBER_RETURN_IF_ERROR(ReadCounts(&view, &total[j]));
    }
  }
  std::vector<std::vector<std::string>> labels;
  for (const Counts& c : total) labels.push_back(OrderLabels(c, params_.string_order_type));
  if (ctx.log)
    ctx.log->Info(Describe() + ": " + std::to_string(labels[0].size()) + " labels in '" +
                  pairs[0].in + "'");
  EMBER_ASSIGN_OR_RETURN(auto model, StringIndexerModel::Make(params_, std::move(labels), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

// StringIndexerModel -----------------------------------------------------------------------

StringIndexerModel::StringIndexerModel(Params p, std::vector<std::vector<std::string>> labels,
                                       std::string uid)
    : StageBase(std::move(p), std::move(uid)), labels_(std::move(labels)) {
  for (const auto& ls : labels_) {
    index_.push_back(std::make_shared<const StringLookup>(ls));
  }
}

Result<std::shared_ptr<const StringIndexerModel>> StringIndexerModel::Make(
    Params p, std::vector<std::vector<std::string>> labels, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(p));
  if (labels.size() != pairs.size()) {
    return InvalidArgument("StringIndexerModel: " + std::to_string(labels.size()) +
                           " label lists for " + std::to_string(pairs.size()) + " columns");
  }
  for (const auto& ls : labels) {
    std::set<std::string_view> seen(ls.begin(), ls.end());
    if (seen.size() != ls.size()) return InvalidArgument("StringIndexerModel: repeated label");
  }
  return std::shared_ptr<const StringIndexerModel>(
      new StringIndexerModel(std::move(p), std::move(labels), std::move(uid)));
}

namespace {

// StringIndexerModel's learned state (format version 1): the labels of each input column,
// most frequent first (index order).
struct IndexerState {
  std::vector<std::vector<std::string>> labels;
  static const StateSpec<IndexerState>& Spec() {
    static const StateSpec<IndexerState> spec =
        std::move(StateSpec<IndexerState>("StringIndexerModel", "labels.json", 1)
                      .Field("labelsArray", &IndexerState::labels));
    return spec;
  }
};

}  // namespace

Status StringIndexerModel::SaveContents(const std::string& dir) const {
  return IndexerState::Spec().Save({labels_}, dir);
}

Result<std::shared_ptr<const StringIndexerModel>> StringIndexerModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(IndexerState s, IndexerState::Spec().Load(ctx));
  Result<std::shared_ptr<const StringIndexerModel>> m =
      Make(std::move(p), std::move(s.labels), ctx.uid);
  if (!m.ok()) return m.status().WithContext(ctx.dir + "/data/labels.json");
  return m;
}

Result<RowLowering> StringIndexerModel::Lower(const Schema& in) const {
  if (params_.handle_invalid == HandleInvalid::kSkip) {
    return FailedPrecondition("a StringIndexer drops rows (handleInvalid 'skip')");
  }
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  RowLowering l{.kind = RowLowering::Kind::kIndexStrings,
                .keep_invalid = params_.handle_invalid == HandleInvalid::kKeep};
  for (size_t k = 0; k < pairs.size(); ++k) {
    if (in.FindField(pairs[k].in) < 0) continue;  // left out, as Bind does
    l.columns.emplace_back(pairs[k].in, pairs[k].out);
    l.lookups.push_back(&lookup(k));
  }
  return l;
}

Result<std::unique_ptr<BoundTransform>> StringIndexerModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto pairs, Pairs(params_));
  const bool keep = params_.handle_invalid == HandleInvalid::kKeep;
  EMBER_ASSIGN_OR_RETURN(BoundColumns bound,
                         BindColumns(in, pairs, &labels_, keep, /*skip_missing=*/true));
  auto index = index_;
  const HandleInvalid mode = params_.handle_invalid;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      bound.out, [bound, index, pairs, mode](const Batch& b) -> Result<Batch> {
        const int64_t n = b.num_rows();
        std::vector<ColumnPtr> cols = b.columns();
        std::vector<bool> drop;
        std::string buf;
        for (size_t a = 0; a < bound.inputs.size(); ++a) {
          const size_t j = bound.pairs[a];
          const Column& c = *b.column(bound.inputs[a]);
          const StringLookup& idx = *index[j];
          const double unknown = static_cast<double>(idx.size());
          BufferBuilder values;
          values.ResizeUninitialized(n * 8);
          double* out = values.mutable_data_as<double>();
          // A value that is not a label, or a null: an error, the extra index, or a row to drop.
          auto invalid = [&](int64_t r, const std::string_view* v) -> Status {
            if (mode == HandleInvalid::kError) {
              return InvalidArgument(
                  v ? "StringIndexer: value '" + std::string(*v) + "' in column '" + pairs[j].in +
                          "' was not seen in fitting; set handleInvalid to 'skip' or 'keep'"
                    : "StringIndexer: null in column '" + pairs[j].in +
                          "'; set handleInvalid to 'skip' or 'keep'");
            }
            out[r] = mode == HandleInvalid::kKeep ? unknown : 0.0;
            if (mode == HandleInvalid::kSkip) {
              if (drop.empty()) drop.assign(n, false);
              drop[r] = true;
            }
            return Status::OK();
          };
          const bool nulls = c.null_count() > 0;
          const bool text = c.type()->is_binary_like();
          const int32_t* off = text ? c.Offsets() : nullptr;
          const char* data = text ? c.StringData() : nullptr;
          for (int64_t r = 0; r < n; ++r) {
            if (nulls && c.IsNull(r)) {
              EMBER_RETURN_IF_ERROR(invalid(r, nullptr));
              continue;
            }
            const std::string_view v =
                text ? std::string_view(data + off[r], static_cast<size_t>(off[r + 1] - off[r]))
                     : LabelText(c, r, &buf);
            const int64_t k = idx.Find(v);
            if (k >= 0) {
              out[r] = static_cast<double>(k);
            } else {
              EMBER_RETURN_IF_ERROR(invalid(r, &v));
            }
          }
          cols.push_back(NumericColumnFromBuffers(Float64Type(), n, values.Finish()));
        }
        EMBER_ASSIGN_OR_RETURN(Batch result, Batch::Make(bound.out, std::move(cols), b.num_rows()));
        if (drop.empty()) return result;
        std::vector<int64_t> keep_rows;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (!drop[r]) keep_rows.push_back(r);
        }
        return TakeRows(result, keep_rows);
      }));
}

// IndexToString ----------------------------------------------------------------------------

const ParamSpec<IndexToStringParams>& IndexToStringParams::Spec() {
  using P = IndexToStringParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("IndexToString")
          .Add("inputCol", &P::input_col, "The index column (numbers).", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The string column to add.", NonEmpty<std::string>())
          .Add("labels", &P::labels,
               "Labels by index; empty means the input column's ML attribute."));
  return spec;
}

Result<SchemaPtr> IndexToString::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(in.GetFieldIndexOfType(
                              params_.input_col, [](const DataType& t) { return t.is_numeric(); },
                              "a numeric index column")
                            .status());
  return in.AddField(MakeField(params_.output_col, StringType()));
}

Result<std::unique_ptr<BoundTransform>> IndexToString::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int i,
                         in.GetFieldIndexOfType(
                             params_.input_col, [](const DataType& t) { return t.is_numeric(); },
                             "a numeric index column"));
  std::vector<std::string> labels = params_.labels;
  if (labels.empty()) {
    auto nominal = NominalValues(in.field(i));
    if (!nominal) {
      return InvalidArgument(
          "IndexToString: column '" + params_.input_col +
          "' has no labels (no nominal ML attribute) and param 'labels' is empty");
    }
    labels = std::move(*nominal);
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(MakeField(params_.output_col, StringType())));
  const std::string col = params_.input_col;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, i, labels = std::move(labels), col](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(i);
        StringBuilder sb;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) {
            sb.AppendNull();
            continue;
          }
          const double v = NumericValue(c, r);
          if (!(v >= 0 && v < static_cast<double>(labels.size()) && std::floor(v) == v)) {
            return InvalidArgument("IndexToString: " + FormatValue(c, r) + " in column '" + col +
                                   "' is not a label index (0 to " +
                                   std::to_string(labels.size() - 1) + ")");
          }
          sb.Append(labels[static_cast<size_t>(v)]);
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(sb.Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterStringIndexerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<StringIndexer>(r,
                                   "Maps the values of one or more columns to float64 indices "
                                   "ordered by frequency or alphabet."));
  EMBER_RETURN_IF_ERROR(
      RegisterStage<StringIndexerModel>(r, "A fitted StringIndexer: labels per column."));
  return RegisterStage<IndexToString>(r, "Maps indices back to their labels.");
}

}  // namespace ember
