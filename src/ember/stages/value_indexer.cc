#include "ember/stages/value_indexer.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <set>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/learned_state.h"
#include "ember/stages/string_indexer.h"  // LabelText

namespace ember {

namespace {

using P = ValueIndexerParams;

// The ml_attr key that records the indexed values' type beside their labels.
constexpr const char* kValueTypeKey = "valueType";

struct LevelsState {
  std::vector<std::string> levels;
  std::string value_type;
  bool has_null = false;
  static const StateSpec<LevelsState>& Spec() {
    static const StateSpec<LevelsState> spec =
        std::move(StateSpec<LevelsState>("ValueIndexerModel", "model.json", 1)
                      .Field("levels", &LevelsState::levels)
                      .Field("valueType", &LevelsState::value_type)
                      .Field("hasNull", &LevelsState::has_null));
    return spec;
  }
};

bool Indexable(const DataType& t) {
  return t.is_numeric() || t.id() == TypeId::kString || t.id() == TypeId::kBool;
}

constexpr std::string_view kIndexable = "a string, number or boolean column";

Result<int> BindInput(const Schema& in, const P& p) {
  if (p.output_col != p.input_col && in.FindField(p.output_col) >= 0) {
    return AlreadyExists("output column '" + p.output_col + "' already exists");
  }
  return in.GetFieldIndexOfType(p.input_col, Indexable, kIndexable);
}

// The output field: int32, the levels as its nominal values and the value type beside them.
Field IndexField(const std::string& name, const std::vector<std::string>& levels,
                 const DataType& type) {
  Field f = MakeField(name, Int32Type());
  SetNominalValues(&f, levels);
  Json attr = *f.metadata.Find("ml_attr");
  attr.Set(kValueTypeKey, type.ToString());
  f.metadata.Set("ml_attr", std::move(attr));
  return f;
}

Result<SchemaPtr> OutputSchema(const Schema& in, const P& p, Field f) {
  f.nullable = false;
  const int at = in.FindField(p.output_col);
  return at >= 0 ? in.SetField(at, std::move(f)) : in.AddField(std::move(f));
}

bool IsMissing(const Column& c, int64_t r) {
  if (!c.IsValid(r)) return true;
  if (c.type_id() == TypeId::kFloat64) return std::isnan(c.Values<double>()[r]);
  if (c.type_id() == TypeId::kFloat32) return std::isnan(c.Values<float>()[r]);
  return false;
}

// Orders label texts by the values they stand for.
bool ValueLess(TypeId t, const std::string& a, const std::string& b) {
  if (t == TypeId::kInt32 || t == TypeId::kInt64) {
    int64_t x = 0;
    int64_t y = 0;
    std::from_chars(a.data(), a.data() + a.size(), x);
    std::from_chars(b.data(), b.data() + b.size(), y);
    return x < y;
  }
  if (t == TypeId::kFloat32 || t == TypeId::kFloat64) {
    double x = 0;
    double y = 0;
    std::from_chars(a.data(), a.data() + a.size(), x);
    std::from_chars(b.data(), b.data() + b.size(), y);
    return x < y;
  }
  return a < b;  // strings by bytes; "false" < "true"
}

// Appends the value whose label text is `text` to a builder of its type.
Status AppendValue(std::string_view text, TypeId t, ColumnBuilder* out) {
  auto bad = [&] {
    return DataLoss("IndexToValue: level '" + std::string(text) + "' is not a value of its type");
  };
  auto parse = [&](auto* v) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
    return ec == std::errc() && end == text.data() + text.size();
  };
  switch (t) {
    case TypeId::kBool:
      if (text != "true" && text != "false") return bad();
      static_cast<BoolBuilder*>(out)->Append(text == "true");
      return Status::OK();
    case TypeId::kInt32: {
      int32_t v = 0;
      if (!parse(&v)) return bad();
      static_cast<NumericBuilder<int32_t>*>(out)->Append(v);
      return Status::OK();
    }
    case TypeId::kInt64: {
      int64_t v = 0;
      if (!parse(&v)) return bad();
      static_cast<NumericBuilder<int64_t>*>(out)->Append(v);
      return Status::OK();
    }
    case TypeId::kFloat32: {
      float v = 0;
      if (!parse(&v)) return bad();
      static_cast<NumericBuilder<float>*>(out)->Append(v);
      return Status::OK();
    }
    case TypeId::kFloat64: {
      double v = 0;
      if (!parse(&v)) return bad();
      static_cast<NumericBuilder<double>*>(out)->Append(v);
      return Status::OK();
    }
    default:
      static_cast<StringBuilder*>(out)->Append(text);
      return Status::OK();
  }
}

}  // namespace

const ParamSpec<ValueIndexerParams>& ValueIndexerParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("ValueIndexer")
          .Add("inputCol", &P::input_col, "The string, number or boolean column to index.",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col,
               "The int32 index column (may replace the input: SynapseML's DataConversion does).",
               NonEmpty<std::string>()));
  return spec;
}

const ParamSpec<IndexToValueParams>& IndexToValueParams::Spec() {
  using Q = IndexToValueParams;
  static const ParamSpec<Q> spec =
      std::move(ParamSpec<Q>("IndexToValue")
                    .Add("inputCol", &Q::input_col, "The index column a ValueIndexerModel made.",
                         NonEmpty<std::string>())
                    .Add("outputCol", &Q::output_col,
                         "The column of values, in their original type.", NonEmpty<std::string>()));
  return spec;
}

Result<SchemaPtr> ValueIndexer::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, BindInput(in, params_));
  return OutputSchema(in, params_, IndexField(params_.output_col, {}, *in.field(col).type));
}

Result<std::shared_ptr<const Transformer>> ValueIndexer::Fit(const DataFrame& in,
                                                             const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(int col, BindInput(*in.schema(), params_));
  const TypePtr type = in.schema()->field(col).type;
  std::vector<std::set<std::string>> partial(in.num_partitions());
  std::vector<char> nulls(in.num_partitions(), 0);
  auto collect = [&](int64_t p) -> Status {
    const Batch& b = in.partition(static_cast<int>(p));
    const Column& c = *b.column(col);
    std::string buf;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (IsMissing(c, r)) {
        nulls[p] = 1;
      } else {
        partial[p].emplace(LabelText(c, r, &buf));
      }
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), collect, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(collect(p));
  }
  std::set<std::string> values;
  for (auto& part : partial) values.merge(part);
  bool has_null = std::find(nulls.begin(), nulls.end(), 1) != nulls.end();
  if (ctx.comm && ctx.comm->size() > 1) {
    const std::vector<std::string_view> mine(values.begin(), values.end());
    const Deadline deadline = Deadline::In(std::chrono::minutes(10));
    EMBER_ASSIGN_OR_RETURN(auto all, AllGatherStrings(*ctx.comm, mine, deadline));
    const double flag = has_null ? 1 : 0;
    EMBER_ASSIGN_OR_RETURN(auto flags, AllGatherDoubles(*ctx.comm, {&flag, 1}, deadline));
    values.insert(all.begin(), all.end());
    has_null = std::find(flags.begin(), flags.end(), 1.0) != flags.end();
  }
  std::vector<std::string> levels(values.begin(), values.end());
  const TypeId t = type->id();
  std::sort(levels.begin(), levels.end(),
            [t](const std::string& a, const std::string& b) { return ValueLess(t, a, b); });
  EMBER_ASSIGN_OR_RETURN(
      auto model, ValueIndexerModel::Make(params_, std::move(levels), type, has_null, uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

ValueIndexerModel::ValueIndexerModel(Params p, std::vector<std::string> levels, TypePtr type,
                                     bool has_null, std::string uid)
    : StageBase(std::move(p), std::move(uid)),
      levels_(std::move(levels)),
      value_type_(std::move(type)),
      has_null_(has_null),
      lookup_(std::make_shared<const StringLookup>(levels_)) {}

Result<std::shared_ptr<const ValueIndexerModel>> ValueIndexerModel::Make(
    Params p, std::vector<std::string> levels, TypePtr value_type, bool has_null, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (value_type == nullptr || !Indexable(*value_type)) {
    return InvalidArgument("ValueIndexerModel: levels of type " +
                           (value_type ? value_type->ToString() : std::string("(none)")) +
                           "; expected " + std::string(kIndexable));
  }
  if (levels.size() >= static_cast<size_t>(INT32_MAX - 1)) {
    return InvalidArgument("ValueIndexerModel: " + std::to_string(levels.size()) +
                           " levels do not fit int32 indices");
  }
  return std::shared_ptr<const ValueIndexerModel>(new ValueIndexerModel(
      std::move(p), std::move(levels), std::move(value_type), has_null, std::move(uid)));
}

Status ValueIndexerModel::SaveContents(const std::string& dir) const {
  return LevelsState::Spec().Save({levels_, value_type_->ToString(), has_null_}, dir);
}

Result<std::shared_ptr<const ValueIndexerModel>> ValueIndexerModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(LevelsState s, LevelsState::Spec().Load(ctx));
  EMBER_ASSIGN_OR_RETURN(TypePtr type, ParseType(s.value_type));
  return Make(std::move(p), std::move(s.levels), std::move(type), s.has_null, ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> ValueIndexerModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, BindInput(in, params_));
  if (in.field(col).type->id() != value_type_->id()) {
    return InvalidArgument("column '" + params_.input_col + "' is " +
                           in.field(col).type->ToString() + "; the model indexed " +
                           value_type_->ToString() + " values");
  }
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr out,
      OutputSchema(in, params_, IndexField(params_.output_col, levels_, *value_type_)));
  const int at = in.FindField(params_.output_col);
  const auto n = static_cast<int32_t>(levels_.size());
  const int32_t unseen = has_null_ ? n + 1 : n;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, col, at, n, unseen, lookup = lookup_](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        NumericBuilder<int32_t> idx(Int32Type());
        idx.Reserve(b.num_rows());
        std::string buf;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (IsMissing(c, r)) {
            idx.Append(n);
            continue;
          }
          const int64_t k = lookup->Find(LabelText(c, r, &buf));
          idx.Append(k < 0 ? unseen : static_cast<int32_t>(k));
        }
        std::vector<ColumnPtr> cols = b.columns();
        if (at >= 0) {
          cols[at] = idx.Finish();
        } else {
          cols.push_back(idx.Finish());
        }
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Result<std::unique_ptr<BoundTransform>> IndexToValue::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col,
                         in.GetFieldIndexOfType(
                             params_.input_col, [](const DataType& t) { return t.is_numeric(); },
                             "a numeric index column"));
  const Field& f = in.field(col);
  auto levels = NominalValues(f);
  const Json* attr = f.metadata.Find("ml_attr");
  const Json* type_text = attr ? attr->Find(kValueTypeKey) : nullptr;
  if (!levels || type_text == nullptr || !type_text->is_string()) {
    return InvalidArgument("column '" + params_.input_col +
                           "' does not carry the values of a ValueIndexerModel (its nominal "
                           "levels and their type); index it with ValueIndexer first");
  }
  EMBER_ASSIGN_OR_RETURN(TypePtr type, ParseType(type_text->as_string()));
  if (params_.output_col != params_.input_col && in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("output column '" + params_.output_col + "' already exists");
  }
  // The levels as a column of their type, taken by index.
  std::unique_ptr<ColumnBuilder> builder = MakeBuilder(type);
  for (const auto& l : *levels) EMBER_RETURN_IF_ERROR(AppendValue(l, type->id(), builder.get()));
  ColumnPtr values = builder->Finish();
  const int at = in.FindField(params_.output_col);
  Field of = MakeField(params_.output_col, type);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, at >= 0 ? in.SetField(at, of) : in.AddField(of));
  const std::string name = params_.input_col;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, col, at, values, name](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        const int64_t n = values->length();
        std::unique_ptr<ColumnBuilder> res = MakeBuilder(values->type());
        res->Reserve(b.num_rows());
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (!c.IsValid(r)) {
            res->AppendNull();
            continue;
          }
          const double v = NumericValue(c, r);
          if (!(v >= 0) || v != std::floor(v)) {
            return InvalidArgument("IndexToValue: column '" + name + "' row " + std::to_string(r) +
                                   ": " + FormatValue(c, r) + " is not an index");
          }
          if (v >= static_cast<double>(n)) {
            res->AppendNull();  // the null level or an unseen value
          } else {
            res->AppendFrom(*values, static_cast<int64_t>(v));
          }
        }
        std::vector<ColumnPtr> cols = b.columns();
        if (at >= 0) {
          cols[at] = res->Finish();
        } else {
          cols.push_back(res->Finish());
        }
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterValueIndexerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<ValueIndexer>(
      r, "Indexes the values of any scalar column in their natural order (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(
      RegisterStage<ValueIndexerModel>(r, "A fitted ValueIndexer: the ordered levels."));
  return RegisterStage<IndexToValue>(
      r, "Indices back to the values a ValueIndexerModel indexed, in their original type.");
}

}  // namespace ember
