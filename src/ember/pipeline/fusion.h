// Fusion owned by the pipeline: PipelineModel::BindSelect (and so batch TransformSelect,
// streaming and serving alike) compiles a run of stages that lower (row_lowering.h) and
// end in a model into one loop per row:
//
//   [index strings] / [one-hot]  ->  assemble  ->  [scale]  ->  logistic regression
//                                                          ->  trees (a RowScorer: gbdt's)
//
// Linear (internal/compiled_linear.cc): a category's contribution to each margin is looked up (the
// coefficient times the scaled one-hot value, precomputed), numeric values are scaled and
// multiplied as the stages would, and the margins are added in the order the stages add them, so
// the outputs are the same bits as the stages' (tests check this row by row). Trees
// (internal/compiled_trees.cc): the row's features are written into a float row as the assembler
// would store them (a sparse vector's unstored entries missing) and scored by the model's
// RowScorer.
//
// Stages before the run and after it run their own kernels: a SqlTransformer that shapes the reply
// after the model keeps the compiled speed of the run. The run keeps its input columns and the
// model's outputs, not its intermediate columns (the indices, one-hot and assembled vectors): the
// stages after it must not read those, nor may the caller keep them, or nothing is fused.
//
// A batch with a row the loop does not cover (a null, a NaN, a category that is an error
// under the stages' handleInvalid) runs through the stages' kernels, so errors and
// handleInvalid behave exactly as the stages' own.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "ember/pipeline/stage.h"

namespace ember {

// What fusion did with one binding.
struct FusionInfo {
  // "compiled linear" or "compiled trees" (every stage in the compiled run), "compiled
  // linear (stages 2-5 of 6)", "stages (compiling turned off)", or "stages (not compiled:
  // <why>)".
  std::string scoring;
  // The compiled run's kernel, inside the bound kernel (null when nothing was compiled):
  // valid only while that kernel lives (TransformSelect, which drops its kernel, leaves it
  // null and fills `fallbacks` instead).
  const BoundTransform* compiled = nullptr;
  // After TransformSelect: the batches the compiled run handed back to its stages.
  int64_t fallbacks = 0;
  bool fused = false;  // a run was compiled
};

// Binds `stages` (nested pipelines flattened; each partition-local) to `in`, keeping
// `columns` (not empty), with the run that ends in a model compiled when it can be.
// Errors only when the stages do not bind or a column is not produced (as without fusion).
Result<std::unique_ptr<BoundTransform>> BindFused(
    std::span<const std::shared_ptr<const Transformer>> stages, const Schema& in,
    std::span<const std::string> columns, FusionInfo* info);

// How many batches a compiled run has handed to its stages' kernels (0 for other kernels).
int64_t FusedFallbacks(const BoundTransform* compiled);

}  // namespace ember
