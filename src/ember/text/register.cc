#include "ember/text/register.h"

#include "ember/base/status_macros.h"
#include "ember/text/count_vectorizer.h"
#include "ember/text/idf.h"
#include "ember/text/text_featurizer.h"
#include "ember/text/text_stages.h"

namespace ember {

Status RegisterAllTextStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterTextStages(r));
  EMBER_RETURN_IF_ERROR(RegisterIdfStages(r));
  EMBER_RETURN_IF_ERROR(RegisterCountVectorizerStages(r));
  return RegisterTextFeaturizer(r);
}

}  // namespace ember
