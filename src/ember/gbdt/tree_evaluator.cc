#include "ember/gbdt/tree_evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace ember::gbdt {

namespace {

const Json* Path(const Json& j, std::initializer_list<const char*> keys) {
  const Json* at = &j;
  for (const char* k : keys) {
    at = at->is_object() ? at->Find(k) : nullptr;
    if (!at) return nullptr;
  }
  return at;
}

// A JSON array of numbers as doubles (null, which stands for XGBoost's NaN, as NaN); false
// when it is not `n` such values.
bool Numbers(const Json* j, size_t n, std::vector<double>* out) {
  if (!j || !j->is_array() || j->as_array().size() != n) return false;
  out->clear();
  for (const Json& v : j->as_array()) {
    if (v.is_null()) {
      out->push_back(NAN);
      continue;
    }
    if (!v.is_number()) return false;
    out->push_back(v.as_double());
  }
  return true;
}

// The base score as a margin: XGBoost stores it as the objective's user-facing value and
// converts it in float (its ProbToMargin), which is repeated here to get the same bits.
Result<float> BaseMargin(const std::string& objective, double stored) {
  const float base_score = static_cast<float>(stored);
  if (objective == "binary:logitraw") return base_score;
  if (objective == "binary:logistic" || objective == "reg:logistic") {
    if (!(base_score > 0 && base_score < 1)) return InvalidArgument("base_score outside (0, 1)");
    return -std::log(1.0f / base_score - 1.0f);
  }
  if (objective == "count:poisson" || objective == "reg:gamma" || objective == "reg:tweedie") {
    if (!(base_score > 0)) return InvalidArgument("base_score must be > 0 for a log link");
    return std::log(base_score);
  }
  if (objective.rfind("reg:", 0) == 0 || objective.rfind("multi:", 0) == 0 ||
      objective.rfind("rank:", 0) == 0) {
    return base_score;
  }
  return InvalidArgument("objective '" + objective + "' is not compiled");
}

}  // namespace

Result<TreeEvaluator> TreeEvaluator::FromModelJson(const Json& model) {
  const Json* objective = Path(model, {"learner", "objective", "name"});
  const Json* params = Path(model, {"learner", "learner_model_param"});
  const Json* booster = Path(model, {"learner", "gradient_booster"});
  if (!objective || !objective->is_string() || !params || !booster) {
    return InvalidArgument("not an XGBoost JSON model");
  }
  const Json* name = booster->Find("name");
  if (!name || !name->is_string() || name->as_string() != "gbtree") {
    return InvalidArgument("only gbtree boosters are compiled (dart scales trees by weights)");
  }
  auto param = [&](const char* key) -> double {
    const Json* v = params->Find(key);
    return v && v->is_string() ? std::strtod(v->as_string().c_str(), nullptr) : 0.0;
  };
  TreeEvaluator e;
  const int num_class = static_cast<int>(param("num_class"));
  e.num_outputs_ = num_class > 1 ? num_class : 1;
  if (param("num_target") > 1) return InvalidArgument("multi-target models are not compiled");
  e.num_features_ = static_cast<int64_t>(param("num_feature"));
  if (e.num_features_ > static_cast<int64_t>(kFeatureMask)) {
    return InvalidArgument("more features than the compiled trees index");
  }
  Result<float> base = BaseMargin(objective->as_string(), param("base_score"));
  if (!base.ok()) return base.status();
  e.base_margin_.assign(static_cast<size_t>(e.num_outputs_), *base);

  const Json* trees = Path(*booster, {"model", "trees"});
  const Json* info = Path(*booster, {"model", "tree_info"});
  if (!trees || !trees->is_array() || !info || !info->is_array() ||
      info->as_array().size() != trees->as_array().size()) {
    return InvalidArgument("the model has no trees or tree_info");
  }
  std::vector<double> left, right, feature, cond, dflt, split_type;
  for (size_t t = 0; t < trees->as_array().size(); ++t) {
    const Json& tree = trees->as_array()[t];
    const Json* size = Path(tree, {"tree_param", "num_nodes"});
    const Json* leaf_vector = Path(tree, {"tree_param", "size_leaf_vector"});
    if (!size || !size->is_string())
      return InvalidArgument("tree " + std::to_string(t) + " has no size");
    if (leaf_vector && leaf_vector->is_string() &&
        std::atoi(leaf_vector->as_string().c_str()) > 0) {
      return InvalidArgument("vector leaves are not compiled");
    }
    const size_t n = static_cast<size_t>(std::atoll(size->as_string().c_str()));
    if (!Numbers(tree.Find("left_children"), n, &left) ||
        !Numbers(tree.Find("right_children"), n, &right) ||
        !Numbers(tree.Find("split_indices"), n, &feature) ||
        !Numbers(tree.Find("split_conditions"), n, &cond) ||
        !Numbers(tree.Find("default_left"), n, &dflt)) {
      return InvalidArgument("tree " + std::to_string(t) + " is malformed");
    }
    if (!Numbers(tree.Find("split_type"), n, &split_type)) split_type.assign(n, 0.0);
    // Categorical splits: node categories_nodes[i] sends categories
    // categories[categories_segments[i] .. + categories_sizes[i]] right.
    std::vector<double> cat_nodes, cat_segments, cat_sizes, cats;
    const Json* cat_values = tree.Find("categories");
    const size_t num_cat_nodes =
        tree.Find("categories_nodes") && tree.Find("categories_nodes")->is_array()
            ? tree.Find("categories_nodes")->as_array().size()
            : 0;
    if (num_cat_nodes > 0 &&
        (!Numbers(tree.Find("categories_nodes"), num_cat_nodes, &cat_nodes) ||
         !Numbers(tree.Find("categories_segments"), num_cat_nodes, &cat_segments) ||
         !Numbers(tree.Find("categories_sizes"), num_cat_nodes, &cat_sizes) || !cat_values ||
         !cat_values->is_array() || !Numbers(cat_values, cat_values->as_array().size(), &cats))) {
      return InvalidArgument("tree " + std::to_string(t) + " has malformed categories");
    }
    std::vector<int64_t> set_of(n, -1);  // node -> index into e.sets_
    for (size_t c = 0; c < num_cat_nodes; ++c) {
      const size_t node = static_cast<size_t>(cat_nodes[c]);
      const size_t begin = static_cast<size_t>(cat_segments[c]),
                   size = static_cast<size_t>(cat_sizes[c]);
      if (node >= n || begin + size > cats.size()) {
        return InvalidArgument("tree " + std::to_string(t) + " has malformed categories");
      }
      uint32_t max_cat = 0;
      for (size_t k = begin; k < begin + size; ++k) {
        if (!(cats[k] >= 0 && cats[k] < (1 << 24)))
          return InvalidArgument("a category out of range");
        max_cat = std::max(max_cat, static_cast<uint32_t>(cats[k]));
      }
      CategorySet set{static_cast<uint32_t>(e.words_.size()), max_cat / 32 + 1};
      e.words_.resize(e.words_.size() + set.words, 0u);
      for (size_t k = begin; k < begin + size; ++k) {
        const uint32_t cat = static_cast<uint32_t>(cats[k]);
        e.words_[set.begin + cat / 32] |= 1u << (cat % 32);
      }
      set_of[node] = static_cast<int64_t>(e.sets_.size());
      e.sets_.push_back(set);
    }
    const int32_t base_index = static_cast<int32_t>(e.nodes_.size());
    for (size_t i = 0; i < n; ++i) {
      Node node;
      const bool leaf = left[i] < 0;
      if (!leaf && (left[i] >= static_cast<double>(n) || right[i] < 0 ||
                    right[i] >= static_cast<double>(n) || feature[i] < 0 ||
                    feature[i] >= static_cast<double>(e.num_features_))) {
        return InvalidArgument("tree " + std::to_string(t) + " node " + std::to_string(i) +
                               " is malformed");
      }
      node.feature =
          leaf ? kLeaf : static_cast<uint32_t>(feature[i]) | (dflt[i] != 0 ? kDefaultLeft : 0u);
      node.value = static_cast<float>(cond[i]);
      if (!leaf && split_type[i] != 0) {
        if (set_of[i] < 0)
          return InvalidArgument("tree " + std::to_string(t) +
                                 " has a categorical split without categories");
        node.feature |= kCategorical;
        const uint32_t index = static_cast<uint32_t>(set_of[i]);
        std::memcpy(&node.value, &index, sizeof(index));
      }
      node.left = leaf ? -1 : base_index + static_cast<int32_t>(left[i]);
      node.right = leaf ? -1 : base_index + static_cast<int32_t>(right[i]);
      e.nodes_.push_back(node);
    }
    const Json& group = info->as_array()[t];
    if (!group.is_number() || group.as_double() < 0 || group.as_double() >= e.num_outputs_) {
      return InvalidArgument("tree " + std::to_string(t) + " has a bad output group");
    }
    // The depth of the tree; visiting more nodes than it has means a cycle.
    int depth = 0;
    size_t visited = 0;
    std::vector<std::pair<int32_t, int>> stack = {{base_index, 0}};
    while (!stack.empty()) {
      const auto [i, d] = stack.back();
      stack.pop_back();
      if (++visited > n) return InvalidArgument("tree " + std::to_string(t) + " is malformed");
      const Node& node = e.nodes_[static_cast<size_t>(i)];
      if (node.feature & kLeaf) {
        depth = std::max(depth, d);
      } else {
        stack.push_back({node.left, d + 1});
        stack.push_back({node.right, d + 1});
      }
    }
    if (t % kLanes == 0) e.depths_.push_back(0);
    e.depths_.back() = std::max(e.depths_.back(), depth);
    e.roots_.push_back(base_index);
    e.groups_.push_back(static_cast<int32_t>(group.as_double()));
  }
  return e;
}

bool TreeEvaluator::GoesLeft(const Node& n, float v) const {
  if (std::isnan(v)) return (n.feature & kDefaultLeft) != 0;
  if ((n.feature & kCategorical) == 0) return v < n.value;
  // XGBoost's categorical decision: a category in the split's set goes right; any other
  // (or an invalid one: negative or beyond the set) goes left.
  uint32_t index;
  std::memcpy(&index, &n.value, sizeof(index));
  const CategorySet& set = sets_[index];
  if (!(v >= 0)) return true;
  const uint32_t cat = static_cast<uint32_t>(v);
  if (cat / 32 >= set.words) return true;
  return (words_[set.begin + cat / 32] >> (cat % 32) & 1u) == 0;
}

void TreeEvaluator::Predict(const float* row, float* out) const {
  for (int g = 0; g < num_outputs_; ++g) out[g] = base_margin_[g];
  const Node* nodes = nodes_.data();
  const size_t trees = roots_.size();
  int32_t at[kLanes];
  for (size_t t0 = 0; t0 < trees; t0 += kLanes) {
    const size_t m = std::min(kLanes, trees - t0);
    for (size_t k = 0; k < m; ++k) at[k] = roots_[t0 + k];
    for (int d = depths_[t0 / kLanes]; d > 0; --d) {
      for (size_t k = 0; k < m; ++k) {
        const Node& n = nodes[at[k]];
        if (n.feature & kLeaf) continue;
        const float v = row[n.feature & kFeatureMask];
        const bool go_left =
            (n.feature & kCategorical) == 0 && !std::isnan(v) ? v < n.value : GoesLeft(n, v);
        at[k] = go_left ? n.left : n.right;
      }
    }
    // In tree order, in float, as XGBoost adds them.
    for (size_t k = 0; k < m; ++k) out[groups_[t0 + k]] += nodes[at[k]].value;
  }
}

}  // namespace ember::gbdt
