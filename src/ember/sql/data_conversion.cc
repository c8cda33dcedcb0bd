#include "ember/sql/data_conversion.h"

#include <algorithm>
#include <limits>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/sql/query.h"
#include "ember/stages/value_indexer.h"

namespace ember {

namespace {

using P = DataConversionParams;

const std::vector<std::string>& Targets() {
  static const std::vector<std::string> t = {
      "boolean", "byte",   "short",  "integer", "long",
      "float",   "double", "string", "date",    "clearCategorical"};
  return t;
}

Status CheckTarget(const std::string& to) {
  if (to == "toCategorical") {
    return InvalidArgument(
        "toCategorical learns its levels from the data, which a transformer cannot keep (a "
        "served request would be indexed by its own values); fit a ValueIndexer with outputCol "
        "equal to inputCol instead");
  }
  if (std::find(Targets().begin(), Targets().end(), to) != Targets().end()) return Status::OK();
  std::string all;
  for (const auto& t : Targets()) all += (all.empty() ? "" : ", ") + t;
  std::string msg = "must be one of " + all + "; got '" + to + "'";
  const std::string near = ClosestName(to, Targets());
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  return InvalidArgument(msg);
}

std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// The SQL expression that converts column `name` of type `from` to `to`, or an error.
Result<std::string> Expression(const std::string& name, const DataType& from, const P& p) {
  const std::string c = "`" + name + "`";
  const std::string& to = p.convert_to;
  auto refuse = [&] {
    return InvalidArgument("column '" + name + "' (" + from.ToString() + ") does not convert to " +
                           to);
  };
  if (!(from.is_numeric() || from.is_binary_like() || from.id() == TypeId::kBool ||
        from.is_temporal()) ||
      from.id() == TypeId::kBinary) {
    return refuse();
  }
  if (from.id() == TypeId::kTimestamp) {
    if (to == "long") return "unix_millis(" + c + ")";
    if (to == "string") return "date_format(" + c + ", " + Quoted(p.date_time_format) + ")";
    if (to == "date") return c;
    return refuse();
  }
  if (to == "date") {
    if (from.id() == TypeId::kString)
      return "to_timestamp(" + c + ", " + Quoted(p.date_time_format) + ")";
    if (from.is_integer()) return "timestamp_millis(" + c + ")";
    if (from.id() == TypeId::kDate) return "CAST(" + c + " AS TIMESTAMP)";
    return refuse();
  }
  if (from.id() == TypeId::kDate && to != "string") return refuse();
  if (to == "boolean") return "CAST(" + c + " AS BOOLEAN)";
  if (to == "float" || to == "double") return "CAST(" + c + " AS DOUBLE)";
  if (to == "string") return "CAST(" + c + " AS STRING)";
  return "CAST(" + c + " AS BIGINT)";  // byte, short, integer, long
}

// int64 -> int32 within [lo, hi] (the named type's range), float64 -> float32.
Result<ColumnPtr> Narrow(const Column& c, const P& p, const std::string& name) {
  const std::string& to = p.convert_to;
  if (to == "float") {
    std::vector<std::optional<float>> v(static_cast<size_t>(c.length()));
    for (int64_t r = 0; r < c.length(); ++r) {
      if (c.IsValid(r)) v[r] = static_cast<float>(c.Values<double>()[r]);
    }
    return MakeColumn(v);
  }
  int64_t lo = std::numeric_limits<int32_t>::min();
  int64_t hi = std::numeric_limits<int32_t>::max();
  if (to == "byte") {
    lo = -128;
    hi = 127;
  } else if (to == "short") {
    lo = -32768;
    hi = 32767;
  }
  std::vector<std::optional<int32_t>> v(static_cast<size_t>(c.length()));
  for (int64_t r = 0; r < c.length(); ++r) {
    if (!c.IsValid(r)) continue;
    const int64_t x = c.Values<int64_t>()[r];
    if (x < lo || x > hi) {
      return InvalidArgument("DataConversion: column '" + name + "' row " + std::to_string(r) +
                             ": " + std::to_string(x) + " is outside the range of " + to + " [" +
                             std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    v[r] = static_cast<int32_t>(x);
  }
  return MakeColumn(v);
}

// Kernels applied in turn, the result relabelled with `out` (which drops attributes).
class ChainKernel final : public BoundTransform {
 public:
  ChainKernel(SchemaPtr out, std::vector<std::unique_ptr<BoundTransform>> steps)
      : out_(std::move(out)), steps_(std::move(steps)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    Batch cur = in;
    for (const auto& s : steps_) {
      EMBER_ASSIGN_OR_RETURN(cur, s->Apply(cur, scratch));
    }
    return Batch::Make(out_, cur.columns(), cur.num_rows());
  }

 private:
  SchemaPtr out_;
  std::vector<std::unique_ptr<BoundTransform>> steps_;
};

Result<std::unique_ptr<BoundTransform>> BindClearCategorical(const Schema& in, const P& p) {
  std::vector<std::unique_ptr<BoundTransform>> steps;
  EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, Schema::Make(in.fields(), in.metadata()));
  for (const auto& name : p.cols) {
    const int i = schema->FindField(name);
    const Json* attr = schema->field(i).metadata.Find("ml_attr");
    if (attr != nullptr && attr->Find("valueType") != nullptr) {
      EMBER_ASSIGN_OR_RETURN(auto stage,
                             IndexToValue::Make({.input_col = name, .output_col = name}));
      EMBER_ASSIGN_OR_RETURN(auto bound, stage->Bind(*schema));
      schema = bound->output_schema();
      steps.push_back(std::move(bound));
    } else {
      Field f = schema->field(i);
      f.metadata = Json();
      EMBER_ASSIGN_OR_RETURN(schema, schema->SetField(i, std::move(f)));
    }
  }
  return std::unique_ptr<BoundTransform>(new ChainKernel(schema, std::move(steps)));
}

}  // namespace

const ParamSpec<DataConversionParams>& DataConversionParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("DataConversion")
          .Add("cols", &P::cols, "The columns to convert, each in place.",
               NonEmpty<std::vector<std::string>>())
          .Add("convertTo", &P::convert_to,
               "The type: boolean, byte, short, integer (these three: int32), long, float, "
               "double, string, date (a timestamp) or clearCategorical.",
               Validator<std::string>{CheckTarget,
                                      "one of boolean, byte, short, integer, long, float, "
                                      "double, string, date, clearCategorical"})
          .Add("dateTimeFormat", &P::date_time_format,
               "The pattern (Spark's letters) for timestamps to and from strings.",
               NonEmpty<std::string>()));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> DataConversion::Bind(const Schema& in) const {
  std::vector<int> idx;
  for (const auto& name : params_.cols) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndex(name));
    if (std::find(idx.begin(), idx.end(), i) != idx.end()) {
      return InvalidArgument("DataConversion: column '" + name + "' is listed twice in cols");
    }
    if (name.find('`') != std::string::npos) {
      return InvalidArgument("DataConversion: column '" + name +
                             "': a name with a backtick is not supported");
    }
    idx.push_back(i);
  }
  if (params_.convert_to == "clearCategorical") return BindClearCategorical(in, params_);
  std::string statement = "SELECT ";
  for (size_t k = 0; k < idx.size(); ++k) {
    EMBER_ASSIGN_OR_RETURN(std::string e,
                           Expression(params_.cols[k], *in.field(idx[k]).type, params_));
    statement += (k ? ", " : "") + e + " AS `" + params_.cols[k] + "`";
  }
  statement += " FROM __THIS__";
  EMBER_ASSIGN_OR_RETURN(std::shared_ptr<const SqlQuery> query, SqlQuery::Compile(statement, in));
  const std::string& to = params_.convert_to;
  const bool narrow = to == "byte" || to == "short" || to == "integer" || to == "float";
  std::vector<Field> fields = in.fields();
  for (size_t k = 0; k < idx.size(); ++k) {
    Field f = query->output_schema()->field(static_cast<int>(k));
    if (narrow) f.type = to == "float" ? Float32Type() : Int32Type();
    f.nullable = true;
    fields[idx[k]] = std::move(f);
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  const P p = params_;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, query, idx, narrow, p](const Batch& b) -> Result<Batch> {
        EMBER_ASSIGN_OR_RETURN(Batch converted, query->Run(b));
        std::vector<ColumnPtr> cols = b.columns();
        for (size_t k = 0; k < idx.size(); ++k) {
          ColumnPtr c = converted.column(static_cast<int>(k));
          if (narrow) {
            EMBER_ASSIGN_OR_RETURN(c, Narrow(*c, p, p.cols[k]));
          }
          cols[idx[k]] = std::move(c);
        }
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

}  // namespace ember
