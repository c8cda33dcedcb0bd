#include "ember/pipeline/registry.h"

namespace ember {

Status StageRegistry::Register(StageEntry entry) {
  if (entry.type_name.empty() || !entry.load) {
    return InvalidArgument("a stage registration needs a type name and a loader");
  }
  std::string name = entry.type_name;
  if (unavailable_.count(name) != 0) {
    return AlreadyExists("stage type '" + name + "' is declared unavailable in this build");
  }
  if (!entries_.emplace(name, std::move(entry)).second) {
    return AlreadyExists("stage type '" + name + "' is already registered");
  }
  return Status::OK();
}

Status StageRegistry::DeclareUnavailable(std::string type_name, std::string why) {
  if (entries_.count(type_name) != 0) {
    return AlreadyExists("stage type '" + type_name +
                         "' is registered; it cannot also be unavailable");
  }
  unavailable_[std::move(type_name)] = std::move(why);
  return Status::OK();
}

Result<const StageEntry*> StageRegistry::Find(std::string_view type_name) const {
  auto it = entries_.find(type_name);
  if (it != entries_.end()) return &it->second;
  auto missing = unavailable_.find(type_name);
  if (missing != unavailable_.end()) {
    return FailedPrecondition("stage type '" + std::string(type_name) +
                              "' is not in this build of Ember: " + missing->second);
  }
  std::vector<std::string> names = Names();
  std::string msg = "unknown stage type '" + std::string(type_name) + "'";
  std::string close = ClosestName(type_name, names);
  if (!close.empty()) msg += "; did you mean '" + close + "'?";
  msg += " Registered types: ";
  for (size_t i = 0; i < names.size(); ++i) msg += (i ? ", " : "") + names[i];
  return NotFound(msg);
}

std::vector<std::string> StageRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [k, v] : entries_) names.push_back(k);
  return names;
}

}  // namespace ember
