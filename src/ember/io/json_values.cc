#include "ember/io/json_values.h"

#include "ember/base/base64.h"
#include "ember/base/datetime.h"

namespace ember {

namespace dom = simdjson::dom;

std::string JsonKind(dom::element e) {
  switch (e.type()) {
    case dom::element_type::ARRAY:
      return "array";
    case dom::element_type::OBJECT:
      return "object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return "integer";
    case dom::element_type::DOUBLE:
      return "number";
    case dom::element_type::STRING:
      return "string";
    case dom::element_type::BOOL:
      return "boolean";
    default:
      return "null";
  }
}

namespace {

std::string Join(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

// CheckJsonValue with a depth limit (deeply nested input must not exhaust the stack).
JsonProblem Check(dom::element e, const DataType& type, const std::string& path, int depth) {
  if (e.is_null()) return {};
  auto problem = [&](std::string expected, std::string received, std::string detail) {
    return JsonProblem{path, std::move(expected), std::move(received), std::move(detail)};
  };
  if (depth > 64)
    return problem(type.ToString(), "a value nested more than 64 deep", "nested too deeply");
  auto mismatch = [&] {
    return problem(type.ToString(), JsonKind(e),
                   "expected " + type.ToString() + ", got " + JsonKind(e));
  };
  switch (type.id()) {
    case TypeId::kBool:
      return e.is_bool() ? JsonProblem{} : mismatch();
    case TypeId::kInt32: {
      if (!e.is_int64()) return mismatch();
      int64_t v = e.get_int64().value();
      if (v >= INT32_MIN && v <= INT32_MAX) return {};
      return problem("int32", std::to_string(v), std::to_string(v) + " does not fit int32");
    }
    case TypeId::kInt64:
      return e.is_int64() ? JsonProblem{} : mismatch();
    case TypeId::kFloat32:
    case TypeId::kFloat64:
      return e.is_number() ? JsonProblem{} : mismatch();
    case TypeId::kString:
      return {};  // non-strings are kept as their JSON text
    case TypeId::kDate:
    case TypeId::kTimestamp: {
      if (!e.is_string()) return mismatch();
      const std::string_view text = e.get_string().value();
      int32_t days = 0;
      int64_t micros = 0;
      const bool date = type.id() == TypeId::kDate;
      if (date ? datetime::ParseDate(text, &days) : datetime::ParseTimestamp(text, &micros))
        return {};
      std::string shown(text.substr(0, 64));
      return problem(
          date ? "a date (yyyy-mm-dd)" : "a timestamp (yyyy-mm-dd hh:mm:ss[zone])",
          "'" + shown + "'",
          "'" + shown + "' is not a " +
              (date ? std::string("date (yyyy-mm-dd)")
                    : std::string("timestamp (yyyy-mm-dd[Thh:mm[:ss[.ffffff]]][zone])")));
    }
    case TypeId::kBinary: {
      if (!e.is_string()) return mismatch();
      if (DecodeBase64(e.get_string().value()).ok()) return {};
      return problem("base64 binary", "a string that is not base64", "invalid base64");
    }
    case TypeId::kList: {
      if (!e.is_array()) return mismatch();
      dom::array arr = e.get_array().value();
      size_t i = 0;
      for (dom::element x : arr) {
        JsonProblem p =
            Check(x, *type.value_type(), path + "[" + std::to_string(i++) + "]", depth + 1);
        if (!p.empty()) return p;
      }
      return {};
    }
    case TypeId::kStruct: {
      if (!e.is_object()) return mismatch();
      dom::object obj = e.get_object().value();
      for (const Field& f : type.fields()) {
        dom::element x;
        if (obj[f.name].get(x) == simdjson::SUCCESS) {
          JsonProblem p = Check(x, *f.type, Join(path, f.name), depth + 1);
          if (!p.empty()) return p;
        }
      }
      return {};
    }
    case TypeId::kVector: {
      if (!type.sparse()) {
        if (!e.is_array()) return mismatch();
        dom::array arr = e.get_array().value();
        int64_t n = 0;
        for (dom::element x : arr) {
          if (!x.is_number())
            return problem(type.ToString(), "an array holding a " + JsonKind(x),
                           "vector holds a " + JsonKind(x));
          ++n;
        }
        if (n == type.vector_size()) return {};
        return problem(type.ToString(), "an array of " + std::to_string(n) + " numbers",
                       "vector of " + std::to_string(n) + " values, expected " +
                           std::to_string(type.vector_size()));
      }
      if (!e.is_object()) return mismatch();
      dom::array idx, val;
      dom::object obj = e.get_object().value();
      if (obj["indices"].get(idx) || obj["values"].get(val)) {
        return problem(type.ToString(), "an object without \"indices\" and \"values\" arrays",
                       "a sparse vector needs \"indices\" and \"values\" arrays");
      }
      std::vector<int32_t> is;
      std::vector<double> vs;
      for (dom::element x : idx) {
        if (!x.is_int64())
          return problem(type.ToString(), "a " + JsonKind(x) + " index",
                         "sparse vector index is not an integer");
        is.push_back(static_cast<int32_t>(x.get_int64().value()));
      }
      for (dom::element x : val) {
        if (!x.is_number())
          return problem(type.ToString(), "a " + JsonKind(x) + " value",
                         "sparse vector value is not a number");
        vs.push_back(x.get_double().value());
      }
      SparseVectorBuilder probe(type.vector_size());
      Status s = probe.Append(is, vs);
      return s.ok() ? JsonProblem{}
                    : problem(type.ToString(), "invalid indices or values", s.message());
    }
  }
  return mismatch();
}

}  // namespace

std::string JsonProblem::message() const {
  return empty() ? "" : "field '" + field + "': " + detail;
}

JsonProblem CheckJsonValue(dom::element e, const DataType& type, const std::string& path) {
  return Check(e, type, path, 0);
}

void AppendJsonValue(dom::element e, ColumnBuilder* b) {
  if (e.is_null()) {
    b->AppendNull();
    return;
  }
  const DataType& type = *b->type();
  switch (type.id()) {
    case TypeId::kBool:
      static_cast<BoolBuilder*>(b)->Append(e.get_bool().value());
      return;
    case TypeId::kInt32:
      static_cast<Int32Builder*>(b)->Append(static_cast<int32_t>(e.get_int64().value()));
      return;
    case TypeId::kInt64:
      static_cast<Int64Builder*>(b)->Append(e.get_int64().value());
      return;
    case TypeId::kFloat32:
      static_cast<Float32Builder*>(b)->Append(static_cast<float>(e.get_double().value()));
      return;
    case TypeId::kFloat64:
      static_cast<Float64Builder*>(b)->Append(e.get_double().value());
      return;
    case TypeId::kString:
      if (e.is_string())
        static_cast<StringBuilder*>(b)->Append(e.get_string().value());
      else
        static_cast<StringBuilder*>(b)->Append(simdjson::to_string(e));
      return;
    case TypeId::kBinary:
      static_cast<StringBuilder*>(b)->Append(*DecodeBase64(e.get_string().value()));
      return;
    case TypeId::kDate: {
      int32_t days = 0;
      datetime::ParseDate(e.get_string().value(), &days);  // checked by CheckJsonValue
      static_cast<Int32Builder*>(b)->Append(days);
      return;
    }
    case TypeId::kTimestamp: {
      int64_t micros = 0;
      datetime::ParseTimestamp(e.get_string().value(), &micros);
      static_cast<Int64Builder*>(b)->Append(micros);
      return;
    }
    case TypeId::kList: {
      auto* lb = static_cast<ListBuilder*>(b);
      lb->Append();
      dom::array arr = e.get_array().value();
      for (dom::element x : arr) AppendJsonValue(x, lb->value_builder());
      return;
    }
    case TypeId::kStruct: {
      auto* sb = static_cast<StructBuilder*>(b);
      sb->Append();
      dom::object obj = e.get_object().value();
      for (int i = 0; i < sb->num_fields(); ++i) {
        dom::element x;
        if (obj[type.fields()[i].name].get(x) == simdjson::SUCCESS)
          AppendJsonValue(x, sb->field_builder(i));
        else
          sb->field_builder(i)->AppendNull();
      }
      return;
    }
    case TypeId::kVector: {
      if (!type.sparse()) {
        std::vector<double> v;
        dom::array arr = e.get_array().value();
        for (dom::element x : arr) v.push_back(x.get_double().value());
        static_cast<DenseVectorBuilder*>(b)->Append(v).IgnoreError();
        return;
      }
      std::vector<int32_t> is;
      std::vector<double> vs;
      dom::object obj = e.get_object().value();
      dom::array idx = obj["indices"].get_array().value();
      dom::array val = obj["values"].get_array().value();
      for (dom::element x : idx) is.push_back(static_cast<int32_t>(x.get_int64().value()));
      for (dom::element x : val) vs.push_back(x.get_double().value());
      static_cast<SparseVectorBuilder*>(b)->Append(is, vs).IgnoreError();
      return;
    }
  }
}

}  // namespace ember
