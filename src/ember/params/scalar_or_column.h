// ScalarOrColumn<T>: a param that is either one value for every row or the name of a column
// holding a value per row (SynapseML's ServiceParam). Bind() checks the column against a
// schema once; the bound form resolves a batch to per-row values with no name lookups.
// JSON form: the plain value, or {"column": "name"}.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "ember/base/status_macros.h"
#include "ember/core/batch.h"
#include "ember/params/json_codec.h"

namespace ember {

template <typename T>
class ScalarOrColumn {
  static_assert(std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                    std::is_same_v<T, double> || std::is_same_v<T, std::string>,
                "ScalarOrColumn supports bool, int64_t, double and std::string");

 public:
  ScalarOrColumn() : v_(T{}) {}
  ScalarOrColumn(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  static ScalarOrColumn Column(std::string name) {
    ScalarOrColumn s;
    s.v_ = ColumnRef{std::move(name)};
    return s;
  }

  bool is_column() const { return std::holds_alternative<ColumnRef>(v_); }
  const T& scalar() const { return std::get<T>(v_); }
  const std::string& column() const { return std::get<ColumnRef>(v_).name; }
  bool operator==(const ScalarOrColumn& o) const { return v_ == o.v_; }

  // Per-batch values: Get(i) is row i's value, or nullopt where the column is null.
  class View {
   public:
    std::optional<T> Get(int64_t i) const {
      if (col_ == nullptr) return *scalar_;
      if (col_->IsNull(i)) return std::nullopt;
      if constexpr (std::is_same_v<T, bool>) {
        return col_->BoolValue(i);
      } else if constexpr (std::is_same_v<T, std::string>) {
        return std::string(col_->StringValue(i));
      } else {
        switch (col_->type_id()) {
          case TypeId::kInt32:
            return static_cast<T>(col_->Values<int32_t>()[i]);
          case TypeId::kInt64:
            return static_cast<T>(col_->Values<int64_t>()[i]);
          case TypeId::kFloat32:
            return static_cast<T>(col_->Values<float>()[i]);
          default:
            return static_cast<T>(col_->Values<double>()[i]);
        }
      }
    }

   private:
    friend class ScalarOrColumn;
    const T* scalar_ = nullptr;
    const ::ember::Column* col_ = nullptr;
  };

  // The param bound to a schema: the column index checked once.
  class Bound {
   public:
    View Resolve(const Batch& batch) const {
      View v;
      if (index_ < 0)
        v.scalar_ = &scalar_;
      else
        v.col_ = batch.column(index_).get();
      return v;
    }

   private:
    friend class ScalarOrColumn;
    int index_ = -1;
    T scalar_{};
  };

  // NotFound or TypeError naming `param_name` and the column when the column is missing or
  // of a type that cannot supply T.
  Result<Bound> Bind(const Schema& schema, std::string_view param_name) const {
    Bound b;
    if (!is_column()) {
      b.scalar_ = scalar();
      return b;
    }
    Result<int> idx = schema.GetFieldIndex(column());
    if (!idx.ok()) return idx.status().WithContext("param '" + std::string(param_name) + "'");
    const DataType& t = *schema.field(*idx).type;
    bool ok;
    if constexpr (std::is_same_v<T, bool>)
      ok = t.id() == TypeId::kBool;
    else if constexpr (std::is_same_v<T, std::string>)
      ok = t.id() == TypeId::kString;
    else if constexpr (std::is_same_v<T, int64_t>)
      ok = t.is_integer();
    else
      ok = t.is_numeric();
    if (!ok) {
      return TypeError("param '" + std::string(param_name) + "': column '" + column() +
                       "' has type " + t.ToString() + ", expected " + JsonCodec<T>::TypeName());
    }
    b.index_ = *idx;
    return b;
  }

 private:
  struct ColumnRef {
    std::string name;
    bool operator==(const ColumnRef& o) const { return name == o.name; }
  };
  std::variant<T, ColumnRef> v_;
};

template <typename T>
struct JsonCodec<ScalarOrColumn<T>> {
  static std::string TypeName() { return "scalar-or-column<" + JsonCodec<T>::TypeName() + ">"; }
  static Json ToJson(const ScalarOrColumn<T>& v) {
    if (!v.is_column()) return JsonCodec<T>::ToJson(v.scalar());
    Json o = Json::MakeObject();
    o.Set("column", v.column());
    return o;
  }
  static Status FromJson(const Json& j, ScalarOrColumn<T>* out) {
    if (j.is_object()) {
      const Json* c = j.Find("column");
      if (c == nullptr || !c->is_string() || j.as_object().size() != 1) {
        return TypeError("expected a value or {\"column\": name}, got " + j.Dump());
      }
      *out = ScalarOrColumn<T>::Column(c->as_string());
      return Status::OK();
    }
    T v;
    EMBER_RETURN_IF_ERROR(JsonCodec<T>::FromJson(j, &v));
    *out = ScalarOrColumn<T>(std::move(v));
    return Status::OK();
  }
};

}  // namespace ember
