#include "ember/pipeline/save_load.h"

#include <filesystem>
#include <system_error>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/base/uid.h"
#include "ember/base/version.h"

namespace ember {

namespace fs = std::filesystem;

namespace {

Status SaveStageWith(const Stage& stage, const std::string& dir, const SchemaPtr& input_schema) {
  Json md = Json::MakeObject();
  md.Set("class", std::string(stage.type_name()));
  md.Set("formatVersion", kSavedFormatVersion);
  md.Set("uid", stage.uid());
  md.Set("emberVersion", EmberVersion());
  md.Set("params", stage.ParamsJson());
  Json extra = stage.ExtraMetadata();
  if (extra.is_object()) {
    for (auto& [k, v] : extra.as_object()) md.Set(k, v);
  }
  if (input_schema) md.Set("inputSchema", SchemaToJson(*input_schema));
  EMBER_RETURN_IF_ERROR(WriteStringToFile(dir + "/metadata.json", md.Dump(2) + "\n"));
  Status s = stage.SaveContents(dir);
  if (!s.ok()) return s.WithContext("saving " + stage.Describe() + " to '" + dir + "'");
  return Status::OK();
}

}  // namespace

Status SaveStageInto(const Stage& stage, const std::string& dir) {
  return SaveStageWith(stage, dir, nullptr);
}

Json SchemaToJson(const Schema& schema) {
  Json fields = Json::MakeArray();
  for (const Field& f : schema.fields()) {
    Json o = Json::MakeObject();
    o.Set("name", f.name);
    o.Set("type", f.type->ToString());
    fields.Append(std::move(o));
  }
  return fields;
}

Result<SchemaPtr> SchemaFromJson(const Json& json, const std::string& where) {
  if (!json.is_array())
    return DataLoss(where + ": a schema is an array of {\"name\", \"type\"} objects");
  std::vector<Field> fields;
  for (const Json& f : json.as_array()) {
    const Json* name = f.is_object() ? f.Find("name") : nullptr;
    const Json* type = f.is_object() ? f.Find("type") : nullptr;
    if (name == nullptr || !name->is_string() || type == nullptr || !type->is_string()) {
      return DataLoss(where + ": schema field " + std::to_string(fields.size()) +
                      " is not a {\"name\": string, \"type\": string} object");
    }
    Result<TypePtr> t = ParseType(type->as_string());
    if (!t.ok())
      return DataLoss(where + ": field '" + name->as_string() + "': " + t.status().message());
    fields.push_back(MakeField(name->as_string(), *t));
  }
  Result<SchemaPtr> schema = Schema::Make(std::move(fields));
  if (!schema.ok()) return DataLoss(where + ": " + schema.status().message());
  return schema;
}

Result<SchemaPtr> LoadInputSchema(const std::string& dir) {
  const std::string path = dir + "/metadata.json";
  EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  EMBER_ASSIGN_OR_RETURN(StageMetadata md, ParseStageMetadata(text, path));
  const Json* schema = md.all.Find("inputSchema");
  if (schema == nullptr) {
    return NotFound(
        path +
        " has no \"inputSchema\" (the model was not saved by `ember fit`); give the schema "
        "explicitly");
  }
  return SchemaFromJson(*schema, path + " \"inputSchema\"");
}

Status SaveStage(const Stage& stage, const std::string& dir, const SaveOptions& options) {
  std::error_code ec;
  const bool exists = fs::exists(dir, ec);
  if (exists && !options.overwrite) {
    return AlreadyExists("'" + dir + "' already exists; choose another path or overwrite it");
  }
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  fs::path tmp = target;
  tmp += ".tmp-" + MakeUid("save");
  fs::create_directories(tmp, ec);
  if (ec) return IoError("cannot create '" + tmp.string() + "': " + ec.message());
  Status s = SaveStageWith(stage, tmp.string(), options.input_schema);
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  fs::path old = target;
  old += ".old-" + MakeUid("save");
  if (exists) {
    fs::rename(target, old, ec);
    if (ec) {
      fs::remove_all(tmp, ec);
      return IoError("cannot replace '" + dir + "': " + ec.message());
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    if (exists) fs::rename(old, target, ignored);
    fs::remove_all(tmp, ignored);
    return IoError("cannot move the saved stage into '" + dir + "': " + ec.message());
  }
  if (exists) fs::remove_all(old, ec);
  return Status::OK();
}

Result<StageMetadata> ParseStageMetadata(std::string_view text, const std::string& where) {
  Result<Json> parsed = Json::Parse(text);
  if (!parsed.ok()) return DataLoss(where + ": " + parsed.status().message());
  StageMetadata md;
  md.all = std::move(*parsed);
  if (!md.all.is_object()) return DataLoss(where + ": expected a JSON object");
  const Json* cls = md.all.Find("class");
  if (cls == nullptr || !cls->is_string()) {
    return DataLoss(where + ": missing \"class\" (the stage type); not an Ember saved stage");
  }
  md.type_name = cls->as_string();
  if (md.type_name.rfind("org.apache.spark", 0) == 0 ||
      md.type_name.rfind("com.microsoft", 0) == 0) {
    return InvalidArgument(where + ": this is a Spark ML / SynapseML model (class '" +
                           md.type_name + "'), which Ember cannot read");
  }
  const Json* version = md.all.Find("formatVersion");
  if (version == nullptr || !version->is_int()) {
    return DataLoss(where + ": missing integer \"formatVersion\"");
  }
  if (version->as_int() < 1 || version->as_int() > kSavedFormatVersion) {
    return FailedPrecondition(
        where + ": saved with format version " + std::to_string(version->as_int()) +
        "; this Ember reads versions 1 to " + std::to_string(kSavedFormatVersion));
  }
  md.format_version = static_cast<int>(version->as_int());
  const Json* uid = md.all.Find("uid");
  if (uid == nullptr || !uid->is_string() || !IsValidUid(uid->as_string())) {
    return DataLoss(where + ": missing or invalid \"uid\"");
  }
  md.uid = uid->as_string();
  const Json* params = md.all.Find("params");
  if (params != nullptr && !params->is_object() && !params->is_null()) {
    return DataLoss(where + ": \"params\" must be an object");
  }
  md.params = params ? *params : Json::MakeObject();
  return md;
}

Result<std::shared_ptr<const Stage>> LoadStage(const std::string& dir,
                                               const StageRegistry& registry, int depth) {
  if (depth > 32) return InvalidArgument("'" + dir + "': pipelines nested more than 32 deep");
  std::error_code ec;
  if (!fs::exists(dir, ec)) return NotFound("no saved stage at '" + dir + "': no such directory");
  if (!fs::is_directory(dir, ec)) {
    return InvalidArgument("'" + dir + "' is a file; a saved stage is a directory");
  }
  const std::string md_path = dir + "/metadata.json";
  if (!fs::exists(md_path, ec)) {
    return DataLoss("'" + dir + "' is not a saved Ember stage: metadata.json is missing");
  }
  EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(md_path));
  EMBER_ASSIGN_OR_RETURN(StageMetadata md, ParseStageMetadata(text, md_path));
  Result<const StageEntry*> entry = registry.Find(md.type_name);
  if (!entry.ok()) return entry.status().WithContext(md_path);
  LoadContext ctx{dir, md.uid, md.params, md.all, &registry, depth};
  Result<std::shared_ptr<const Stage>> stage = (*entry)->load(ctx);
  if (!stage.ok()) return stage.status().WithContext("loading '" + dir + "'");
  return stage;
}

Result<std::shared_ptr<const Transformer>> LoadTransformer(const std::string& dir,
                                                           const StageRegistry& registry) {
  EMBER_ASSIGN_OR_RETURN(auto stage, LoadStage(dir, registry));
  if (stage->kind() != StageKind::kTransformer) {
    return InvalidArgument("'" + dir + "' holds " + stage->Describe() +
                           ", an estimator; fit it to get a model that can transform");
  }
  return std::static_pointer_cast<const Transformer>(stage);
}

Result<std::shared_ptr<const Stage>> StageFromSpec(const Json& spec,
                                                   const StageRegistry& registry) {
  if (!spec.is_object())
    return InvalidArgument("a stage spec must be a JSON object, got " + spec.Dump());
  const Json* type = spec.Find("type");
  if (type == nullptr || !type->is_string()) {
    return InvalidArgument("stage spec " + spec.Dump() + " has no \"type\"");
  }
  EMBER_ASSIGN_OR_RETURN(const StageEntry* entry, registry.Find(type->as_string()));
  if (entry->needs_data) {
    return InvalidArgument("stage type '" + entry->type_name +
                           "' is a fitted model; load it from a saved directory instead");
  }
  for (const auto& [k, v] : spec.as_object()) {
    if (k != "type" && k != "uid" && k != "params") {
      return InvalidArgument("stage spec for '" + entry->type_name + "': unknown key '" + k +
                             "' (expected type, uid, params)");
    }
  }
  const Json* uid = spec.Find("uid");
  const Json* params = spec.Find("params");
  LoadContext ctx{"",
                  uid && uid->is_string() ? uid->as_string() : "",
                  params ? *params : Json::MakeObject(),
                  spec,
                  &registry,
                  0};
  return entry->load(ctx);
}

}  // namespace ember
