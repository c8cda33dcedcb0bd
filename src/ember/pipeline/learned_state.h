// StateSpec<S>: a fitted model's learned state declared once, as ParamSpec declares params:
// typed fields (any type a param may have, with the same validators for bounds), blobs
// (bytes kept as they are in a file of their own: an XGBoost model, ONNX bytes) and tables
// (a Batch stored through the batch codec: an explainer's background rows). The declaration
// writes and reads the state and checks it, and versions it: each stage's state has a format
// version of its own, saved beside the fields; a reader brings older versions up through the
// stage's upgrade hook and refuses newer ones, naming the stage and both versions.
//
//   DIR/data/<file>       the fields, one JSON object, and "stateVersion" (absent: 1)
//   DIR/data/<blob file>  each blob, as is
//   DIR/data/<table file> each table: "EMBERTB1" then one batch (core/batch_codec.h)
//
// Errors name the stage, the file and the field. Immutable after construction: one static
// spec serves every thread.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/batch_codec.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"

namespace ember {

// A training summary (stage.h) as a state field: {"totalIterations", "converged",
// "maxIter", "tol", "objectiveHistory"}.
template <>
struct JsonCodec<TrainingSummary> {
  static std::string TypeName() { return "trainingSummary"; }
  static Json ToJson(const TrainingSummary& v) {
    Json o = Json::MakeObject();
    o.Set("totalIterations", JsonCodec<int32_t>::ToJson(v.total_iterations));
    o.Set("converged", Json(v.converged));
    o.Set("maxIter", JsonCodec<int32_t>::ToJson(v.max_iter));
    o.Set("tol", Json(v.tol));
    o.Set("objectiveHistory", JsonCodec<std::vector<double>>::ToJson(v.objective_history));
    return o;
  }
  static Status FromJson(const Json& j, TrainingSummary* out) {
    if (!j.is_object()) return TypeError("expected an object, got " + j.Dump());
    auto field = [&](const char* name, auto* member) -> Status {
      const Json* v = j.Find(name);
      if (v == nullptr) return InvalidArgument(std::string("missing '") + name + "'");
      Status s = JsonCodec<std::remove_pointer_t<decltype(member)>>::FromJson(*v, member);
      return s.ok() ? s : s.WithContext(name);
    };
    EMBER_RETURN_IF_ERROR(field("totalIterations", &out->total_iterations));
    EMBER_RETURN_IF_ERROR(field("converged", &out->converged));
    EMBER_RETURN_IF_ERROR(field("maxIter", &out->max_iter));
    EMBER_RETURN_IF_ERROR(field("tol", &out->tol));
    return field("objectiveHistory", &out->objective_history);
  }
};

template <typename S>
class StateSpec {
 public:
  // `owner`: the stage's type name; `file`: the fields' file under data/; `version`: this
  // build's version of the state (1 for a stage's first).
  StateSpec(std::string owner, std::string file, int version)
      : owner_(std::move(owner)), file_(std::move(file)), version_(version) {}

  int version() const { return version_; }

  // A field of any param type (JsonCodec<T>); `v` checks it on load (and save).
  template <typename T>
  StateSpec& Field(std::string name, T S::*member, Validator<T> v = {}) {
    Entry e;
    e.name = name;
    e.get = [member](const S& s) { return JsonCodec<T>::ToJson(s.*member); };
    e.set = [member, check = v.check](S* s, const Json& j) -> Status {
      EMBER_RETURN_IF_ERROR(JsonCodec<T>::FromJson(j, &(s->*member)));
      return check ? check(s->*member) : Status::OK();
    };
    fields_.push_back(std::move(e));
    return *this;
  }
  // Bytes kept as they are in data/<file>.
  StateSpec& Blob(std::string file, std::string S::*member) {
    blobs_.push_back({std::move(file), member});
    return *this;
  }
  // A batch of rows in data/<file>.
  StateSpec& Table(std::string file, Batch S::*member) {
    tables_.push_back({std::move(file), member});
    return *this;
  }
  // Brings the fields of a state saved at version `from` (< version()) to the next version,
  // in place; called once per version step. Without a hook only version() itself loads.
  StateSpec& Upgrade(std::function<Status(int from, Json* fields)> hook) {
    upgrade_ = std::move(hook);
    return *this;
  }

  Status Save(const S& s, const std::string& stage_dir) const {
    std::error_code ec;
    std::filesystem::create_directories(stage_dir + "/data", ec);
    if (ec) return IoError("cannot create '" + stage_dir + "/data': " + ec.message());
    Json o = Json::MakeObject();
    o.Set("stateVersion", Json(static_cast<int64_t>(version_)));
    for (const Entry& e : fields_) o.Set(e.name, e.get(s));
    EMBER_RETURN_IF_ERROR(WriteStringToFile(stage_dir + "/data/" + file_, o.Dump() + "\n"));
    for (const auto& [file, member] : blobs_) {
      EMBER_RETURN_IF_ERROR(WriteStringToFile(stage_dir + "/data/" + file, s.*member));
    }
    for (const auto& [file, member] : tables_) {
      std::string bytes = kTableMagic;
      EncodeBatch(s.*member, &bytes);
      EMBER_RETURN_IF_ERROR(WriteStringToFile(stage_dir + "/data/" + file, bytes));
    }
    return Status::OK();
  }

  Result<S> Load(const LoadContext& ctx) const {
    const std::string path = ctx.dir + "/data/" + file_;
    auto where = [&](const std::string& what) {
      return owner_ + " state in " + path + ": " + what;
    };
    Result<std::string> text = ReadFileToString(path);
    if (!text.ok())
      return DataLoss(owner_ + ": " + path +
                      " is missing or unreadable: " + text.status().message());
    Result<Json> parsed = Json::Parse(*text);
    if (!parsed.ok()) return DataLoss(where(parsed.status().message()));
    Json o = std::move(*parsed);
    if (!o.is_object()) return DataLoss(where("expected a JSON object"));
    int64_t version = 1;  // states saved before versions were written
    if (const Json* v = o.Find("stateVersion")) {
      if (!v->is_int() || v->as_int() < 1)
        return DataLoss(where("\"stateVersion\" must be a positive integer"));
      version = v->as_int();
    }
    if (version > version_) {
      return FailedPrecondition(where("saved with state version " + std::to_string(version) +
                                      "; this Ember reads " + owner_ + " state up to version " +
                                      std::to_string(version_) + " (saved by a newer Ember?)"));
    }
    for (; version < version_; ++version) {
      if (!upgrade_) {
        return FailedPrecondition(where("state version " + std::to_string(version) +
                                        " has no upgrade to version " + std::to_string(version_)));
      }
      Status up = upgrade_(static_cast<int>(version), &o);
      if (!up.ok())
        return DataLoss(
            where("upgrading from version " + std::to_string(version) + ": " + up.message()));
    }
    S s{};
    for (const Entry& e : fields_) {
      const Json* v = o.Find(e.name);
      if (v == nullptr) return DataLoss(where("missing field '" + e.name + "'"));
      Status st = e.set(&s, *v);
      if (!st.ok()) return DataLoss(where("field '" + e.name + "': " + st.message()));
    }
    for (const auto& [file, member] : blobs_) {
      const std::string blob = ctx.dir + "/data/" + file;
      Result<std::string> bytes = ReadFileToString(blob);
      if (!bytes.ok())
        return DataLoss(owner_ + ": " + blob +
                        " is missing or unreadable: " + bytes.status().message());
      s.*member = std::move(*bytes);
    }
    for (const auto& [file, member] : tables_) {
      const std::string table = ctx.dir + "/data/" + file;
      Result<std::string> bytes = ReadFileToString(table);
      if (!bytes.ok())
        return DataLoss(owner_ + ": " + table +
                        " is missing or unreadable: " + bytes.status().message());
      if (bytes->compare(0, kTableMagic.size(), kTableMagic) != 0) {
        return DataLoss(owner_ + ": " + table + " is not an Ember table");
      }
      auto owned = std::make_shared<const std::string>(bytes->substr(kTableMagic.size()));
      Result<std::vector<Batch>> batches = DecodeBatches(owned);
      if (!batches.ok()) return DataLoss(owner_ + ": " + table + ": " + batches.status().message());
      if (batches->size() != 1) return DataLoss(owner_ + ": " + table + ": expected one batch");
      s.*member = std::move((*batches)[0]);
    }
    return s;
  }

 private:
  static inline const std::string kTableMagic = "EMBERTB1";
  struct Entry {
    std::string name;
    std::function<Json(const S&)> get;
    std::function<Status(S*, const Json&)> set;
  };
  std::string owner_;
  std::string file_;
  int version_;
  std::vector<Entry> fields_;
  std::vector<std::pair<std::string, std::string S::*>> blobs_;
  std::vector<std::pair<std::string, Batch S::*>> tables_;
  std::function<Status(int, Json*)> upgrade_;
};

}  // namespace ember
