// The registry of every stage this build of Ember includes, for programs (the `ember`
// command, examples, tests, later the Python module): libraries are handed a registry and
// never call this. Built once, from the modules enabled at configure time (the CMake
// options in modules.h); a stage of a module left out is known by name and reported as
// such. Thread-safe.
#pragma once

#include <string_view>

#include "ember/pipeline/registry.h"

namespace ember {

const StageRegistry& DefaultRegistry();

// Registers the stages of one module by its name ("linear", "gbdt", ...) into `registry`.
// NotFound for a module this build does not include.
Status RegisterModule(std::string_view module, StageRegistry* registry);

}  // namespace ember
