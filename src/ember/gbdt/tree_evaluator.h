// A fitted XGBoost tree ensemble compiled into flat node arrays for scoring without
// XGBoost's per-call overhead (matrix adaptors, thread-local buffers, JSON configs): what
// single rows and small batches (serving) spend most of their time in.
//
// It reproduces XGBoost's CPU predictor: a row goes left when its float value is below the
// split's float threshold; at a categorical split it goes right when its category is in the
// split's set (left for other or invalid categories); missing values (NaN, or entries a
// sparse row does not store) follow the node's default direction; and each output's margin
// starts at the base score (as a margin) and adds the trees' leaf values in tree order in
// float. Tests check its margins against XGBoost's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ember/base/json.h"
#include "ember/base/result.h"
#include "ember/pipeline/row_lowering.h"

namespace ember::gbdt {

// A RowScorer: the pipeline compiles it into fused runs (pipeline/fusion.h).
class TreeEvaluator final : public RowScorer {
 public:
  // From XGBoost's JSON model (as XGBoosterSaveModelToBuffer writes it). Errors (for the
  // caller to fall back to XGBoost) name what is not supported: dart boosters, vector
  // leaves.
  static Result<TreeEvaluator> FromModelJson(const Json& model);

  int num_outputs() const override { return num_outputs_; }
  int64_t num_features() const override { return num_features_; }
  int num_trees() const { return static_cast<int>(roots_.size()); }

  // The margins of one row of num_features() floats (NaN: missing) into `out`
  // (num_outputs() values).
  void Predict(const float* row, float* out) const override;

 private:
  static constexpr uint32_t kDefaultLeft = 0x80000000u;
  static constexpr uint32_t kCategorical = 0x40000000u;
  static constexpr uint32_t kLeaf = 0x20000000u;
  static constexpr uint32_t kFeatureMask = 0x1fffffffu;
  // Trees walked side by side: their nodes' loads are independent, so the CPU overlaps their
  // cache misses (deep forests' nodes do not fit in the caches; one tree after another
  // waits for each miss in turn).
  static constexpr size_t kLanes = 8;
  struct Node {
    uint32_t feature;  // the feature, kDefaultLeft and kCategorical bits
    float value;       // split threshold, the leaf value, or (categorical) an index into sets_
    int32_t left;      // -1 for a leaf
    int32_t right;
  };
  struct CategorySet {
    uint32_t begin;  // into words_: a bitset of the categories that go right
    uint32_t words;
  };
  bool GoesLeft(const Node& n, float v) const;
  std::vector<Node> nodes_;
  std::vector<CategorySet> sets_;
  std::vector<uint32_t> words_;
  std::vector<int32_t> roots_;
  std::vector<int32_t> groups_;  // the output each tree adds to
  std::vector<int32_t> depths_;  // the deepest leaf of each kLanes trees (steps from the roots)
  std::vector<float> base_margin_;
  int num_outputs_ = 1;
  int64_t num_features_ = 0;
};

}  // namespace ember::gbdt
