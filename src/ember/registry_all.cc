#include "ember/registry_all.h"

#include <cstdio>
#include <cstdlib>

#include "ember/automl/train.h"
#include "ember/gbdt/gbdt.h"
#include "ember/http/http_stages.h"
#include "ember/linear/logistic_regression.h"
#include "ember/pipeline/pipeline.h"
#include "ember/sql/sql_transformer.h"
#include "ember/text/register.h"
#include "ember/stages/register.h"

namespace ember {

const StageRegistry& DefaultRegistry() {
  static const StageRegistry* registry = [] {
    auto* r = new StageRegistry;
    Status s = RegisterPipelineStages(r);
    if (s.ok()) s = RegisterGeneralStages(r);
    if (s.ok()) s = RegisterLinearStages(r);
    if (s.ok()) s = RegisterSqlStages(r);
    if (s.ok()) s = RegisterAllTextStages(r);
    if (s.ok()) s = RegisterTrainStages(r);
    if (s.ok()) s = RegisterGbdtStages(r);
    if (s.ok()) s = RegisterHttpStages(r);
    if (!s.ok()) {
      // Two modules claiming one name is a build defect, not a user error.
      std::fprintf(stderr, "ember: stage registration failed: %s\n", s.ToString().c_str());
      std::abort();
    }
    return r;
  }();
  return *registry;
}

}  // namespace ember
