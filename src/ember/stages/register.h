// Registration of the general stages of this module.
#pragma once

#include "ember/pipeline/registry.h"

namespace ember {

Status RegisterGeneralStages(StageRegistry* registry);

}  // namespace ember
