// RowLowering: a stage's row-level lowering, what it computes for each row in the terms the
// pipeline's fused kernels compile (pipeline/fusion.h). A stage opts in by overriding
// Transformer::Lower; the pipeline, not serving, decides what to fuse, so batch transforms,
// streaming and serving all get the fused kernel, and no layer above the stages needs to
// know a concrete stage class.
//
// The pointers refer to the stage's own immutable data (lookups, scales, coefficients); the
// stage outlives any kernel bound from it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ember/base/string_lookup.h"

namespace ember {

struct VoteLink;

// A model that scores one row of float features (NaN: missing), such as gbdt's compiled
// trees: what a kTrees lowering points to. Immutable; Predict is thread-safe.
class RowScorer {
 public:
  virtual ~RowScorer() = default;
  virtual int64_t num_features() const = 0;
  virtual int num_outputs() const = 0;
  // The margins of `row` (num_features() floats) into `margins` (num_outputs() floats).
  virtual void Predict(const float* row, float* margins) const = 0;
};

struct RowLowering {
  enum class Kind {
    kIndexStrings,  // each string column of `columns` (input -> output) to its index in
                    // `lookups[k]`
    kOneHot,    // each index column of `columns` to a one-hot vector of `categories[k]` categories
    kAssemble,  // `inputs` (numbers, one-hot vectors) into the vector `output`
    kScale,     // the vector `input` times `scale` per slot (no shift) into `output`
    kLogistic,  // logistic regression on the vector `input` (binary or multinomial)
    kTrees,     // a tree ensemble (`scorer`) on the vector `input`: a classifier's outputs
                // (num_classes > 0) or a regressor's prediction (num_classes 0)
  };
  Kind kind = Kind::kIndexStrings;
  std::vector<std::pair<std::string, std::string>> columns;  // kIndexStrings, kOneHot
  std::vector<const StringLookup*> lookups;                  // kIndexStrings
  std::vector<int64_t> categories;                           // kOneHot
  // kIndexStrings: an unseen value gets index lookups[k]->size(); kOneHot: an index past the
  // categories gets the extra slot. False: such a value is an error of the stage.
  bool keep_invalid = false;
  std::vector<std::string> inputs;             // kAssemble
  std::string input;                           // kScale, kLogistic, kTrees
  std::string output;                          // kAssemble, kScale
  const std::vector<double>* scale = nullptr;  // kScale
  // kLogistic: coefficients (rows x num_features, row-major; one row for binary, one per
  // class for multinomial), intercepts (one per row), and the output columns it adds (an
  // empty name: not added).
  const std::vector<double>* coefficients = nullptr;
  const std::vector<double>* intercepts = nullptr;
  int64_t num_features = 0;
  int num_classes = 2;
  double threshold = 0.5;
  std::string raw_prediction_col, probability_col, prediction_col;  // also kTrees
  // kTrees: the scorer; a classifier's per-class thresholds (empty: none); a regressor's
  // link from margin to prediction (exp for log-link objectives, else the margin).
  const RowScorer* scorer = nullptr;
  const std::vector<double>* thresholds = nullptr;
  bool exp_link = false;
  // kTrees classifier: a forest's vote fractions (classifier_outputs.h), or null for the
  // logistic outputs of boosted trees.
  const VoteLink* votes = nullptr;
};

}  // namespace ember
