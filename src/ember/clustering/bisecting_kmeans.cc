#include "ember/clustering/bisecting_kmeans.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/clustering/internal/distances.h"
#include "ember/clustering/internal/draws.h"
#include "ember/core/builder.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/learned_state.h"

namespace ember {

namespace {

using P = BisectingKMeansParams;

using clustering::internal::Dist2;

Result<int> FeaturesColumn(const Schema& in, const P& p) {
  return in.GetFieldIndexOfType(
      p.features_col, [](const DataType& t) { return t.id() == TypeId::kVector; },
      "a vector column");
}

// The rows of every partition as dense matrices with their weights and current node.
class Bisector {
 public:
  Bisector(const P& p, const ExecContext& ctx) : p_(p), ctx_(ctx) {}

  Status Load(const DataFrame& in) {
    EMBER_ASSIGN_OR_RETURN(int f, FeaturesColumn(*in.schema(), p_));
    int wc = -1;
    if (!p_.weight_col.empty()) {
      EMBER_ASSIGN_OR_RETURN(wc,
                             in.schema()->GetFieldIndexOfType(
                                 p_.weight_col, [](const DataType& t) { return t.is_numeric(); },
                                 "a numeric weight column"));
    }
    d_ = in.schema()->field(f).type->vector_size();
    const int parts = in.num_partitions();
    x_.resize(parts);
    w_.resize(parts);
    node_.resize(parts);
    for (int q = 0; q < parts; ++q) {
      const Batch& b = in.partition(q);
      const Column& c = *b.column(f);
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (c.IsNull(r)) {
          return InvalidArgument("BisectingKMeans: a null in column '" + p_.features_col + "'");
        }
        double w = 1;
        if (wc >= 0) {
          const Column& wcol = *b.column(wc);
          w = wcol.IsNull(r) ? NAN : NumericValue(wcol, r);
          if (!(w >= 0) || !std::isfinite(w)) {
            return InvalidArgument("BisectingKMeans: weight " + Json(w).Dump() + " in column '" +
                                   p_.weight_col + "'; weights are finite and >= 0");
          }
        }
        const size_t at = x_[q].size();
        x_[q].resize(at + static_cast<size_t>(d_), 0.0);
        bool finite = true;
        ForEachVectorEntry(c, r, [&](int64_t j, double v) {
          x_[q][at + j] = v;
          finite = finite && std::isfinite(v);
        });
        if (!finite) {
          return InvalidArgument("BisectingKMeans: a NaN or infinite value in column '" +
                                 p_.features_col + "'");
        }
        w_[q].push_back(w);
        node_[q].push_back(0);
      }
    }
    return Status::OK();
  }

  int64_t d() const { return d_; }

  // Sums `width` values over rows by fn(partition, row, acc), over partitions (in order)
  // and ranks (in order).
  template <typename F>
  Result<std::vector<double>> Sum(size_t width, F fn) {
    std::vector<std::vector<double>> partial(x_.size(), std::vector<double>(width, 0.0));
    EMBER_RETURN_IF_ERROR(ForEachRow([&](size_t q, size_t r) { fn(q, r, partial[q]); }));
    std::vector<double> total(width, 0.0);
    for (const auto& part : partial) {
      for (size_t i = 0; i < width; ++i) total[i] += part[i];
    }
    if (ctx_.comm && ctx_.comm->size() > 1) {
      EMBER_ASSIGN_OR_RETURN(
          auto all, AllGatherDoubles(*ctx_.comm, total, Deadline::In(std::chrono::minutes(30))));
      std::fill(total.begin(), total.end(), 0.0);
      for (size_t i = 0; i < all.size(); ++i) total[i % width] += all[i];
    }
    return total;
  }

  // fn(partition, row) for every row, partitions in parallel.
  template <typename F>
  Status ForEachRow(F fn) {
    auto one = [&](int64_t q) -> Status {
      for (size_t r = 0; r < w_[q].size(); ++r) fn(static_cast<size_t>(q), r);
      return Status::OK();
    };
    if (ctx_.pool) return ctx_.pool->ParallelFor(static_cast<int64_t>(x_.size()), one, ctx_.cancel);
    for (size_t q = 0; q < x_.size(); ++q) EMBER_RETURN_IF_ERROR(one(static_cast<int64_t>(q)));
    return Status::OK();
  }

  const double* row(size_t q, size_t r) const { return x_[q].data() + r * static_cast<size_t>(d_); }
  double weight(size_t q, size_t r) const { return w_[q][r]; }
  int32_t& node(size_t q, size_t r) { return node_[q][r]; }

 private:
  const P& p_;
  const ExecContext& ctx_;
  int64_t d_ = 0;
  std::vector<std::vector<double>> x_, w_;
  std::vector<std::vector<int32_t>> node_;
};

// Fills size, center and cost of `ids` (nodes whose rows carry their id) in two passes.
Status Summarize(Bisector& b, const std::vector<int32_t>& ids, std::vector<BisectingNode>* nodes) {
  const int64_t d = b.d();
  std::vector<int32_t> slot(nodes->size(), -1);
  for (size_t i = 0; i < ids.size(); ++i) slot[ids[i]] = static_cast<int32_t>(i);
  const size_t m = ids.size(), stride = static_cast<size_t>(d) + 1;
  EMBER_ASSIGN_OR_RETURN(auto sums,
                         b.Sum(m * stride, [&](size_t q, size_t r, std::vector<double>& acc) {
                           const int32_t s = slot[b.node(q, r)];
                           if (s < 0) return;
                           const double w = b.weight(q, r);
                           const double* x = b.row(q, r);
                           double* a = acc.data() + static_cast<size_t>(s) * stride;
                           a[0] += w;
                           for (int64_t j = 0; j < d; ++j) a[1 + j] += w * x[j];
                         }));
  for (size_t i = 0; i < m; ++i) {
    BisectingNode& n = (*nodes)[ids[i]];
    n.size = sums[i * stride];
    n.center.assign(static_cast<size_t>(d), 0.0);
    if (n.size > 0) {
      for (int64_t j = 0; j < d; ++j) n.center[j] = sums[i * stride + 1 + j] / n.size;
    }
  }
  EMBER_ASSIGN_OR_RETURN(auto costs, b.Sum(m, [&](size_t q, size_t r, std::vector<double>& acc) {
    const int32_t s = slot[b.node(q, r)];
    if (s >= 0) acc[s] += b.weight(q, r) * Dist2(b.row(q, r), (*nodes)[ids[s]].center.data(), d);
  }));
  for (size_t i = 0; i < m; ++i) (*nodes)[ids[i]].cost = costs[i];
  return Status::OK();
}

// Splits `split` (leaf ids) by 2-means each; returns the leaves that split (their children
// appended to `nodes`, their rows moved to the children).
Result<std::vector<int32_t>> Bisect(Bisector& b, const P& p, const std::vector<int32_t>& split,
                                    std::vector<BisectingNode>* nodes) {
  const int64_t d = b.d();
  const size_t m = split.size(), stride = static_cast<size_t>(d) + 1;
  std::vector<int32_t> slot(nodes->size(), -1);
  for (size_t i = 0; i < m; ++i) slot[split[i]] = static_cast<int32_t>(i);
  // Two centres per leaf: its centre -/+ a seeded perturbation.
  std::vector<double> c(2 * m * static_cast<size_t>(d));
  for (size_t i = 0; i < m; ++i) {
    const BisectingNode& n = (*nodes)[split[i]];
    double norm = 0;
    for (double v : n.center) norm += v * v;
    const double level = 1e-4 * std::max(std::sqrt(norm), std::sqrt(n.cost / n.size));
    for (int64_t j = 0; j < d; ++j) {
      const double u = clustering::internal::Draw(
          static_cast<uint64_t>(p.seed), static_cast<uint64_t>(split[i]), static_cast<uint64_t>(j));
      c[(2 * i) * d + j] = n.center[j] - level * u;
      c[(2 * i + 1) * d + j] = n.center[j] + level * u;
    }
  }
  auto side = [&](const double* x, size_t i) {
    return Dist2(x, c.data() + (2 * i + 1) * d, d) < Dist2(x, c.data() + 2 * i * d, d) ? 1 : 0;
  };
  std::vector<double> sums;
  for (int it = 0; it <= p.max_iter; ++it) {
    EMBER_ASSIGN_OR_RETURN(
        sums, b.Sum(2 * m * stride, [&](size_t q, size_t r, std::vector<double>& acc) {
          const int32_t s = slot[b.node(q, r)];
          if (s < 0) return;
          const double* x = b.row(q, r);
          const double w = b.weight(q, r);
          double* a = acc.data() + (2 * static_cast<size_t>(s) + side(x, s)) * stride;
          a[0] += w;
          for (int64_t j = 0; j < d; ++j) a[1 + j] += w * x[j];
        }));
    if (it == p.max_iter) break;  // the sums of the final assignment
    bool moved = false;
    for (size_t h = 0; h < 2 * m; ++h) {
      if (sums[h * stride] <= 0) continue;
      for (int64_t j = 0; j < d; ++j) {
        const double v = sums[h * stride + 1 + j] / sums[h * stride];
        moved = moved || v != c[h * d + j];
        c[h * d + j] = v;
      }
    }
    if (!moved) {
      // Converged: these are the final assignment's sums.
      break;
    }
  }
  // A leaf splits when both children have rows.
  std::vector<int32_t> done;
  std::vector<int32_t> child(2 * m, -1);
  for (size_t i = 0; i < m; ++i) {
    if (!(sums[2 * i * stride] > 0 && sums[(2 * i + 1) * stride] > 0)) continue;
    for (int s = 0; s < 2; ++s) {
      child[2 * i + s] = static_cast<int32_t>(nodes->size());
      nodes->push_back({});
    }
    (*nodes)[split[i]].left = child[2 * i];
    (*nodes)[split[i]].right = child[2 * i + 1];
    done.push_back(split[i]);
  }
  std::vector<int32_t> fresh;
  for (int32_t ch : child) {
    if (ch >= 0) fresh.push_back(ch);
  }
  if (fresh.empty()) return done;
  EMBER_RETURN_IF_ERROR(b.ForEachRow([&](size_t q, size_t r) {
    const int32_t s = slot[b.node(q, r)];
    if (s < 0 || child[2 * s] < 0) return;
    b.node(q, r) = child[2 * s + side(b.row(q, r), s)];
  }));
  EMBER_RETURN_IF_ERROR(Summarize(b, fresh, nodes));
  return done;
}

// The leaves left to right.
void Leaves(const std::vector<BisectingNode>& nodes, int32_t at, std::vector<int32_t>* out) {
  if (nodes[at].left < 0) {
    out->push_back(at);
    return;
  }
  Leaves(nodes, nodes[at].left, out);
  Leaves(nodes, nodes[at].right, out);
}

struct TreeState {
  std::vector<std::vector<double>> centers;
  std::vector<double> sizes, costs;
  std::vector<int32_t> left, right;
  static const StateSpec<TreeState>& Spec() {
    static const StateSpec<TreeState> spec =
        std::move(StateSpec<TreeState>("BisectingKMeansModel", "model.json", 1)
                      .Field("centers", &TreeState::centers)
                      .Field("sizes", &TreeState::sizes)
                      .Field("costs", &TreeState::costs)
                      .Field("left", &TreeState::left)
                      .Field("right", &TreeState::right));
    return spec;
  }
};

}  // namespace

const ParamSpec<BisectingKMeansParams>& BisectingKMeansParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("BisectingKMeans")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("predictionCol", &P::prediction_col, "The leaf cluster column (int32) to add.",
               NonEmpty<std::string>())
          .Add("weightCol", &P::weight_col, "Row weights (empty: every row weighs 1).")
          .Add("k", &P::k, "Leaf clusters at most.", AtLeast<int32_t>(2))
          .Add("maxIter", &P::max_iter, "Lloyd iterations per split.", AtLeast<int32_t>(1))
          .Add("seed", &P::seed, "The seed of the splits' perturbations.")
          .Add("minDivisibleClusterSize", &P::min_divisible_cluster_size,
               "The fewest rows (>= 1) or share of the rows (< 1) a cluster needs to split.",
               Validator<double>{[](const double& v) {
                                   return v > 0 ? Status::OK()
                                                : InvalidArgument("must be > 0, got " +
                                                                  Json(v).Dump());
                                 },
                                 "> 0"})
          .Add("distanceMeasure", &P::distance_measure, "euclidean (the only one offered).",
               Validator<std::string>{[](const std::string& v) {
                                        return v == "euclidean"
                                                   ? Status::OK()
                                                   : InvalidArgument(
                                                         "must be 'euclidean' (Spark's cosine "
                                                         "is not offered), got '" +
                                                         v + "'");
                                      },
                                      "euclidean"}));
  return spec;
}

Result<SchemaPtr> BisectingKMeans::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(FeaturesColumn(in, params_).status());
  if (in.FindField(params_.prediction_col) >= 0) {
    return AlreadyExists("BisectingKMeans: output column '" + params_.prediction_col +
                         "' already exists");
  }
  return in.AddField(MakeField(params_.prediction_col, Int32Type()));
}

Result<std::shared_ptr<const Transformer>> BisectingKMeans::Fit(const DataFrame& in,
                                                                const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  Bisector b(params_, ctx);
  EMBER_RETURN_IF_ERROR(b.Load(in));
  if (b.d() == 0) {
    return InvalidArgument("BisectingKMeans: column '" + params_.features_col + "' is empty");
  }
  std::vector<BisectingNode> nodes(1);
  EMBER_RETURN_IF_ERROR(Summarize(b, {0}, &nodes));
  if (!(nodes[0].size > 0))
    return InvalidArgument("BisectingKMeans: no rows (of weight) to fit on");
  const double min_size = params_.min_divisible_cluster_size >= 1
                              ? params_.min_divisible_cluster_size
                              : params_.min_divisible_cluster_size * nodes[0].size;
  std::vector<int32_t> leaves = {0};
  std::vector<char> stuck(1, 0);
  while (static_cast<int32_t>(leaves.size()) < params_.k) {
    std::vector<int32_t> divisible;
    for (int32_t l : leaves) {
      const BisectingNode& n = nodes[l];
      if (!stuck[l] && n.size >= min_size && n.cost > 1e-12 * n.size) divisible.push_back(l);
    }
    if (divisible.empty()) break;
    const size_t need = static_cast<size_t>(params_.k) - leaves.size();
    if (divisible.size() > need) {
      std::stable_sort(divisible.begin(), divisible.end(),
                       [&](int32_t a, int32_t c) { return nodes[a].size > nodes[c].size; });
      divisible.resize(need);
    }
    EMBER_ASSIGN_OR_RETURN(std::vector<int32_t> split, Bisect(b, params_, divisible, &nodes));
    stuck.resize(nodes.size(), 0);
    for (int32_t l : divisible) {
      if (std::find(split.begin(), split.end(), l) == split.end()) stuck[l] = 1;
    }
    leaves.clear();
    Leaves(nodes, 0, &leaves);
  }
  if (static_cast<int32_t>(leaves.size()) < params_.k && ctx.log) {
    ctx.log->Warning("BisectingKMeans: " + std::to_string(leaves.size()) +
                     " clusters, fewer than k = " + std::to_string(params_.k) +
                     " (no cluster left that can be split)");
  }
  EMBER_ASSIGN_OR_RETURN(auto model, BisectingKMeansModel::Make(params_, std::move(nodes), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const BisectingKMeansModel>> BisectingKMeansModel::Make(
    Params p, std::vector<BisectingNode> nodes, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (nodes.empty() || nodes[0].center.empty()) {
    return InvalidArgument("BisectingKMeansModel: no nodes");
  }
  std::vector<int> parents(nodes.size(), 0);
  for (const auto& n : nodes) {
    if (n.center.size() != nodes[0].center.size()) {
      return InvalidArgument("BisectingKMeansModel: the centres have different widths");
    }
    if ((n.left < 0) != (n.right < 0)) {
      return InvalidArgument("BisectingKMeansModel: a node with one child");
    }
    for (int32_t ch : {n.left, n.right}) {
      if (ch < 0) continue;
      if (ch == 0 || ch >= static_cast<int32_t>(nodes.size()) || ++parents[ch] > 1) {
        return InvalidArgument("BisectingKMeansModel: child " + std::to_string(ch) +
                               " is not a node of its own");
      }
    }
  }
  for (size_t i = 1; i < nodes.size(); ++i) {
    if (parents[i] != 1) {
      return InvalidArgument("BisectingKMeansModel: node " + std::to_string(i) + " has no parent");
    }
  }
  std::vector<int32_t> leaves;
  Leaves(nodes, 0, &leaves);
  return std::shared_ptr<const BisectingKMeansModel>(
      new BisectingKMeansModel(std::move(p), std::move(nodes), std::move(leaves), std::move(uid)));
}

std::vector<std::vector<double>> BisectingKMeansModel::cluster_centers() const {
  std::vector<std::vector<double>> out;
  for (int32_t l : leaves_) out.push_back(nodes_[l].center);
  return out;
}

double BisectingKMeansModel::training_cost() const {
  double cost = 0;
  for (int32_t l : leaves_) cost += nodes_[l].cost;
  return cost;
}

Status BisectingKMeansModel::SaveContents(const std::string& dir) const {
  TreeState s;
  for (const auto& n : nodes_) {
    s.centers.push_back(n.center);
    s.sizes.push_back(n.size);
    s.costs.push_back(n.cost);
    s.left.push_back(n.left);
    s.right.push_back(n.right);
  }
  return TreeState::Spec().Save(s, dir);
}

Result<std::shared_ptr<const BisectingKMeansModel>> BisectingKMeansModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(TreeState s, TreeState::Spec().Load(ctx));
  const size_t n = s.centers.size();
  if (s.sizes.size() != n || s.costs.size() != n || s.left.size() != n || s.right.size() != n) {
    return DataLoss("BisectingKMeansModel: the node arrays differ in length in " + ctx.dir);
  }
  std::vector<BisectingNode> nodes(n);
  for (size_t i = 0; i < n; ++i) {
    nodes[i] = {std::move(s.centers[i]), s.sizes[i], s.costs[i], s.left[i], s.right[i]};
  }
  return Make(std::move(p), std::move(nodes), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> BisectingKMeansModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int f, FeaturesColumn(in, params_));
  const auto d = static_cast<int64_t>(nodes_[0].center.size());
  if (in.field(f).type->vector_size() != d) {
    return InvalidArgument("BisectingKMeansModel: column '" + params_.features_col + "' has " +
                           std::to_string(in.field(f).type->vector_size()) +
                           " features but the centres have " + std::to_string(d));
  }
  if (in.FindField(params_.prediction_col) >= 0) {
    return AlreadyExists("BisectingKMeansModel: output column '" + params_.prediction_col +
                         "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out,
                         in.AddField(MakeField(params_.prediction_col, Int32Type())));
  std::vector<int32_t> leaf_index(nodes_.size(), -1);
  for (size_t i = 0; i < leaves_.size(); ++i) leaf_index[leaves_[i]] = static_cast<int32_t>(i);
  const auto nodes = nodes_;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, f, d, nodes, leaf_index](const Batch& b) -> Result<Batch> {
        const Column& col = *b.column(f);
        NumericBuilder<int32_t> pred(Int32Type());
        pred.Reserve(b.num_rows());
        std::vector<double> x(static_cast<size_t>(d));
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (col.IsNull(r)) {
            pred.AppendNull();
            continue;
          }
          std::fill(x.begin(), x.end(), 0.0);
          ForEachVectorEntry(col, r, [&](int64_t j, double v) { x[j] = v; });
          int32_t at = 0;
          while (nodes[at].left >= 0) {
            const BisectingNode& l = nodes[nodes[at].left];
            const BisectingNode& rt = nodes[nodes[at].right];
            at = Dist2(x.data(), rt.center.data(), d) < Dist2(x.data(), l.center.data(), d)
                     ? nodes[at].right
                     : nodes[at].left;
          }
          pred.Append(leaf_index[at]);
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(pred.Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterBisectingKMeansStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<BisectingKMeans>(
      r, "Divisive hierarchical k-means: clusters split in two until k leaves (Spark's)."));
  return RegisterStage<BisectingKMeansModel>(
      r, "A fitted BisectingKMeans: the tree of centres; rows go down it to a leaf.");
}

}  // namespace ember
