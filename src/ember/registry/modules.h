// Ember's modules as the build sees them: every module that registers stages, whether this
// build includes it, and for the optional ones (each behind one CMake option because of a
// heavy dependency) the option, the Debian packages it needs and the stages it provides, so
// that a spec or saved model naming a stage of a module left out gets an error that says
// how to get it. Immutable; thread-safe.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace ember {

struct ModuleInfo {
  std::string_view name;                 // "gbdt"
  std::string_view option;               // "EMBER_WITH_GBDT"; empty for modules always built
  std::string_view packages;             // Debian packages the option needs
  std::vector<std::string_view> stages;  // optional modules: the stages they register
  bool built = true;
};

// Every module, in registration order.
std::span<const ModuleInfo> Modules();

}  // namespace ember
