#include "ember/stages/register.h"

#include "ember/stages/class_balancer.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/discretizers.h"
#include "ember/stages/imputer.h"
#include "ember/stages/model_statistics.h"
#include "ember/stages/one_hot_encoder.h"
#include "ember/stages/pca.h"
#include "ember/stages/repartition.h"
#include "ember/stages/scalers.h"
#include "ember/stages/string_indexer.h"
#include "ember/stages/summarize_data.h"
#include "ember/stages/univariate_selector.h"
#include "ember/stages/value_indexer.h"
#include "ember/stages/vector_assembler.h"
#include "ember/stages/vector_stages.h"

namespace ember {

Status RegisterGeneralStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<SelectColumns>(r, "Keeps the listed columns, in order."));
  EMBER_RETURN_IF_ERROR(RegisterStage<DropColumns>(r, "Removes the listed columns."));
  EMBER_RETURN_IF_ERROR(RegisterStage<RenameColumn>(r, "Renames one column."));
  EMBER_RETURN_IF_ERROR(RegisterStage<Explode>(
      r, "A row per element of a list column (SynapseML's Explode; empty lists give none)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<Repartition>(
      r, "Redistributes rows into n partitions of near-equal size, keeping their order."));
  EMBER_RETURN_IF_ERROR(RegisterStage<VectorAssembler>(
      r, "Concatenates numeric, boolean and vector columns into one feature vector."));
  EMBER_RETURN_IF_ERROR(RegisterOneHotEncoderStages(r));
  EMBER_RETURN_IF_ERROR(RegisterScalerStages(r));
  EMBER_RETURN_IF_ERROR(RegisterImputerStages(r));
  EMBER_RETURN_IF_ERROR(RegisterVectorStages(r));
  EMBER_RETURN_IF_ERROR(RegisterDiscretizerStages(r));
  EMBER_RETURN_IF_ERROR(RegisterPCAStages(r));
  EMBER_RETURN_IF_ERROR(RegisterClassBalancerStages(r));
  EMBER_RETURN_IF_ERROR(RegisterStage<UnivariateFeatureSelector>(
      r, "Keeps the feature slots a chi-squared or F-test finds most related to the label."));
  EMBER_RETURN_IF_ERROR(RegisterStage<SummarizeData>(
      r, "A table of per-column statistics: counts, quantiles, moments (SynapseML's)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<ComputeModelStatistics>(
      r, "One row of classification or regression metrics of a scored frame."));
  EMBER_RETURN_IF_ERROR(RegisterStage<ComputePerInstanceStatistics>(
      r, "Per-row losses of a scored frame: log loss, or L1 and L2 loss."));
  EMBER_RETURN_IF_ERROR(RegisterValueIndexerStages(r));
  return RegisterStringIndexerStages(r);
}

}  // namespace ember
