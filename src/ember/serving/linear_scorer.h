// Compiled scoring of linear pipelines for the serving hot path.
//
// The general kernel of a pipeline runs stage after stage, each building its output columns;
// for a one-row request that is most of the work (a hundred and more small allocations for
// the paper's LR pipeline). A pipeline of the shape
//
//   StringIndexerModel* / OneHotEncoderModel*  ->  VectorAssembler  ->  [ScalerModel]
//     ->  LogisticRegressionModel
//
// (string columns indexed and one-hot encoded, assembled with numeric columns into a sparse
// vector, optionally scaled without shifting, then scored) is compiled at start-up into one
// loop per row: a category's contribution to each margin is looked up (the coefficient times
// the scaled one-hot value, precomputed), numeric values are scaled and multiplied as the
// stages would, and the margins are added in the order the stages add them. The outputs are
// therefore the same bits as the general kernel's, which tests check row by row.
//
// A row the compiled loop does not cover (a null, a NaN, a category that is an error under
// the stages' handleInvalid) sends the whole batch to the general kernel, so errors and
// handleInvalid behaviour are exactly the stages' own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/pipeline/stage.h"

namespace ember::serving {

// `stages`: the pipeline's stages, nested pipelines flattened, in order. `general`: the
// pipeline bound to `input` and keeping `reply_cols` (its output schema is the compiled
// kernel's). Returns the compiled kernel, which falls back to `general`, when the pipeline
// has the shape above and every reply column is an output of the logistic model or an input
// column; otherwise returns `general` itself and sets `*why_not` to the reason.
std::unique_ptr<BoundTransform> CompileLinearScorer(const std::vector<std::shared_ptr<const Transformer>>& stages,
                                                    const Schema& input, const std::vector<std::string>& reply_cols,
                                                    std::unique_ptr<BoundTransform> general, std::string* why_not);

// True when `kernel` came out of CompileLinearScorer compiled.
bool IsCompiledLinearScorer(const BoundTransform& kernel);
// How many batches a compiled kernel has handed to the stages (0 for other kernels).
int64_t LinearScorerFallbacks(const BoundTransform& kernel);

}  // namespace ember::serving
