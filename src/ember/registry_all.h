// The registry of every stage Ember ships, built once by explicit calls to each module's
// registration function. Thread-safe.
#pragma once

#include "ember/pipeline/registry.h"

namespace ember {

const StageRegistry& DefaultRegistry();

}  // namespace ember
