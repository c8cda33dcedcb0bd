#include "ember/clustering/isolation_forest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "ember/base/status_macros.h"
#include "ember/clustering/internal/draws.h"
#include "ember/core/builder.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/learned_state.h"
#include "ember/stages/discretizers.h"  // QuantileSummary

namespace ember {

namespace {

using P = IsolationForestParams;

using clustering::internal::Draw;
using clustering::internal::Mix;
using clustering::internal::RowHash;

// The average path length of an unsuccessful search among n rows (the paper's c(n)).
double AveragePath(double n) {
  if (n <= 1) return 0;
  if (n <= 2) return 1;
  constexpr double kEuler = 0.5772156649015329;
  return 2 * (std::log(n - 1) + kEuler) - 2 * (n - 1) / n;
}

// The outlier score of row x: 2^(-mean path length / c(samples per tree)).
double ScoreOf(const std::vector<IsolationTree>& trees, double samples_per_tree, const double* x) {
  double total = 0;
  for (const IsolationTree& t : trees) {
    int32_t i = 0;
    int depth = 0;
    while (t.left[i] >= 0) {
      i = x[t.feature[i]] < t.value[i] ? t.left[i] : t.right[i];
      ++depth;
    }
    total += depth + AveragePath(t.size[i]);
  }
  const double mean = total / static_cast<double>(trees.size());
  const double norm = AveragePath(samples_per_tree);
  return norm > 0 ? std::exp2(-mean / norm) : 0.5;
}

Deadline Far() { return Deadline::In(std::chrono::minutes(30)); }

Result<int> FeaturesInput(const Schema& in, const P& p, bool check_outputs) {
  EMBER_ASSIGN_OR_RETURN(
      int f, in.GetFieldIndexOfType(
                 p.features_col, [](const DataType& t) { return t.id() == TypeId::kVector; },
                 "a vector column"));
  if (check_outputs) {
    for (const std::string& c : {p.score_col, p.prediction_col}) {
      if (in.FindField(c) >= 0) {
        return AlreadyExists("IsolationForest: output column '" + c + "' already exists");
      }
    }
  }
  return f;
}

// A sampled row: its draw for the tree, then its values.
struct Drawn {
  double u;
  std::vector<double> x;
  bool operator<(const Drawn& o) const { return u != o.u ? u < o.u : x < o.x; }
};

class TreeBuilder {
 public:
  TreeBuilder(const std::vector<std::vector<double>>& rows, std::vector<int32_t> features,
              int height, uint64_t seed)
      : rows_(rows), features_(std::move(features)), height_(height), rng_(seed) {}

  IsolationTree Build() {
    std::vector<int32_t> all(rows_.size());
    std::iota(all.begin(), all.end(), 0);
    Grow(all, 0);
    return std::move(tree_);
  }

 private:
  int32_t Leaf(size_t n) {
    tree_.feature.push_back(-1);
    tree_.left.push_back(-1);
    tree_.right.push_back(-1);
    tree_.value.push_back(0);
    tree_.size.push_back(static_cast<double>(n));
    return static_cast<int32_t>(tree_.feature.size() - 1);
  }

  int32_t Grow(const std::vector<int32_t>& at, int depth) {
    if (at.size() <= 1 || depth >= height_) return Leaf(at.size());
    // Features in a random order: the first that is not constant here splits.
    std::vector<int32_t> order = features_;
    std::shuffle(order.begin(), order.end(), rng_);
    for (int32_t f : order) {
      double lo = INFINITY, hi = -INFINITY;
      for (int32_t i : at) {
        lo = std::min(lo, rows_[i][f]);
        hi = std::max(hi, rows_[i][f]);
      }
      if (!(lo < hi)) continue;
      const double split = lo + std::uniform_real_distribution<double>(0, 1)(rng_) * (hi - lo);
      std::vector<int32_t> left, right;
      for (int32_t i : at) (rows_[i][f] < split ? left : right).push_back(i);
      if (left.empty() || right.empty()) continue;  // a split that rounded onto an end
      const int32_t node = Leaf(0);
      tree_.feature[node] = f;
      tree_.value[node] = split;
      const int32_t l = Grow(left, depth + 1);
      const int32_t r = Grow(right, depth + 1);
      tree_.left[node] = l;
      tree_.right[node] = r;
      return node;
    }
    return Leaf(at.size());
  }

  const std::vector<std::vector<double>>& rows_;
  std::vector<int32_t> features_;
  int height_;
  std::mt19937_64 rng_;
  IsolationTree tree_;
};

// The learned state: the trees' nodes one after another (treeSizes says how many each).
struct ForestState {
  int64_t num_features = 0;
  double samples_per_tree = 0;
  double threshold = 0;
  std::vector<int64_t> tree_sizes;
  std::vector<int32_t> feature, left, right;
  std::vector<double> value, size;
  static const StateSpec<ForestState>& Spec() {
    static const StateSpec<ForestState> spec =
        std::move(StateSpec<ForestState>("IsolationForestModel", "model.json", 1)
                      .Field("numFeatures", &ForestState::num_features, AtLeast<int64_t>(1))
                      .Field("samplesPerTree", &ForestState::samples_per_tree)
                      .Field("outlierScoreThreshold", &ForestState::threshold)
                      .Field("treeSizes", &ForestState::tree_sizes)
                      .Field("feature", &ForestState::feature)
                      .Field("left", &ForestState::left)
                      .Field("right", &ForestState::right)
                      .Field("value", &ForestState::value)
                      .Field("size", &ForestState::size));
    return spec;
  }
};

}  // namespace

const ParamSpec<IsolationForestParams>& IsolationForestParams::Spec() {
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("IsolationForest")
                    .Add("featuresCol", &P::features_col, "The feature vector column.",
                         NonEmpty<std::string>())
                    .Add("predictionCol", &P::prediction_col,
                         "The outlier label column (1: outlier).", NonEmpty<std::string>())
                    .Add("scoreCol", &P::score_col, "The outlier score column (near 1: outlier).",
                         NonEmpty<std::string>())
                    .Add("numEstimators", &P::num_estimators, "Trees.", InRange<int32_t>(1, 100000))
                    .Add("maxSamples", &P::max_samples,
                         "Rows per tree: a count when > 1, else a share of the rows.",
                         Validator<double>{[](const double& v) {
                                             return v > 0 ? Status::OK()
                                                          : InvalidArgument("must be > 0, got " +
                                                                            Json(v).Dump());
                                           },
                                           "> 0"})
                    .Add("maxFeatures", &P::max_features,
                         "Features per tree: a count when > 1, else a share of the features.",
                         Validator<double>{[](const double& v) {
                                             return v > 0 ? Status::OK()
                                                          : InvalidArgument("must be > 0, got " +
                                                                            Json(v).Dump());
                                           },
                                           "> 0"})
                    .Add("bootstrap", &P::bootstrap, "Draw each tree's rows with replacement.")
                    .Add("contamination", &P::contamination,
                         "The expected share of outliers: the label's threshold (0: no labels).",
                         InRange(0.0, 0.5))
                    .Add("contaminationError", &P::contamination_error,
                         "The threshold quantile's rank error, as a share of the rows (0: exact).",
                         InRange(0.0, 1.0))
                    .Add("randomSeed", &P::random_seed, "The seed of every draw."));
  return spec;
}

Result<SchemaPtr> IsolationForest::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(FeaturesInput(in, params_, true).status());
  std::vector<Field> fields = in.fields();
  fields.push_back(MakeField(params_.score_col, Float64Type()));
  fields.push_back(MakeField(params_.prediction_col, Float64Type()));
  return Schema::Make(std::move(fields), in.metadata());
}

Result<std::shared_ptr<const Transformer>> IsolationForest::Fit(const DataFrame& in,
                                                                const ExecContext& ctx) const {
  const P& p = params_;
  EMBER_ASSIGN_OR_RETURN(int col, FeaturesInput(*in.schema(), p, true));
  const int64_t d = in.schema()->field(col).type->vector_size();
  if (d < 1) return InvalidArgument("IsolationForest: column '" + p.features_col + "' is empty");
  std::vector<double> rows = {0};
  for (const Batch& b : in.partitions()) rows[0] += static_cast<double>(b.num_rows());
  if (ctx.comm && ctx.comm->size() > 1) {
    EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<double>(rows), ReduceOp::kSum, Far()));
  }
  const double n = rows[0];
  if (n < 1) return InvalidArgument("IsolationForest: no rows to fit on");
  const auto psi = static_cast<size_t>(std::max(
      1.0,
      std::min(n, p.max_samples > 1 ? std::floor(p.max_samples) : std::floor(p.max_samples * n))));
  const auto m = static_cast<int64_t>(std::max(
      1.0, std::min(static_cast<double>(d), p.max_features > 1 ? std::floor(p.max_features)
                                                               : std::floor(p.max_features * d))));
  const int trees = p.num_estimators;
  const uint64_t seed = static_cast<uint64_t>(p.random_seed);
  // Each tree's psi rows of smallest draws: per partition, then merged.
  std::vector<std::vector<std::vector<Drawn>>> partial(
      in.num_partitions(), std::vector<std::vector<Drawn>>(static_cast<size_t>(trees)));
  auto sample = [&](int64_t part) -> Status {
    const Batch& b = in.partition(static_cast<int>(part));
    const Column& c = *b.column(col);
    std::vector<double> x(static_cast<size_t>(d));
    auto& heaps = partial[part];
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (c.IsNull(r)) {
        return InvalidArgument("IsolationForest: null in features column '" + p.features_col + "'");
      }
      std::fill(x.begin(), x.end(), 0.0);
      bool finite = true;
      ForEachVectorEntry(c, r, [&](int64_t j, double v) {
        finite = finite && std::isfinite(v);
        x[j] = v;
      });
      if (!finite) {
        return InvalidArgument("IsolationForest: NaN or infinite value in features column '" +
                               p.features_col + "'");
      }
      const uint64_t h = RowHash(x.data(), d);
      for (int t = 0; t < trees; ++t) {
        const double u = Draw(seed, static_cast<uint64_t>(t), h);
        auto& heap = heaps[t];
        if (heap.size() == psi && !(u < heap.front().u)) continue;
        if (heap.size() == psi) {
          std::pop_heap(heap.begin(), heap.end());
          heap.pop_back();
        }
        heap.push_back({u, x});
        std::push_heap(heap.begin(), heap.end());
      }
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), sample, ctx.cancel));
  } else {
    for (int part = 0; part < in.num_partitions(); ++part) EMBER_RETURN_IF_ERROR(sample(part));
  }
  std::vector<std::vector<Drawn>> chosen(static_cast<size_t>(trees));
  for (int t = 0; t < trees; ++t) {
    for (auto& part : partial) {
      for (auto& e : part[t]) chosen[t].push_back(std::move(e));
    }
    std::sort(chosen[t].begin(), chosen[t].end());
    if (chosen[t].size() > psi) chosen[t].resize(psi);
  }
  partial.clear();
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<double> mine;
    for (int t = 0; t < trees; ++t) {
      mine.push_back(static_cast<double>(chosen[t].size()));
      for (const Drawn& e : chosen[t]) {
        mine.push_back(e.u);
        mine.insert(mine.end(), e.x.begin(), e.x.end());
      }
    }
    EMBER_ASSIGN_OR_RETURN(std::vector<double> all, AllGatherDoubles(*ctx.comm, mine, Far()));
    for (auto& c : chosen) c.clear();
    for (size_t at = 0; at < all.size();) {
      for (int t = 0; t < trees; ++t) {
        const auto count = static_cast<size_t>(all[at++]);
        for (size_t i = 0; i < count; ++i, at += static_cast<size_t>(d) + 1) {
          chosen[t].push_back(
              {all[at], std::vector<double>(all.begin() + at + 1, all.begin() + at + 1 + d)});
        }
      }
    }
    for (auto& c : chosen) {
      std::sort(c.begin(), c.end());
      if (c.size() > psi) c.resize(psi);
    }
  }
  // The trees, each from its rows (resampled with replacement under bootstrap) and its
  // features.
  const int height = psi > 1 ? static_cast<int>(std::ceil(std::log2(static_cast<double>(psi)))) : 0;
  std::vector<IsolationTree> forest(static_cast<size_t>(trees));
  auto grow = [&](int64_t t) -> Status {
    std::mt19937_64 rng(seed ^ Mix(0x15f0 + static_cast<uint64_t>(t)));
    std::vector<std::vector<double>> sample_rows;
    for (const Drawn& e : chosen[t]) sample_rows.push_back(e.x);
    if (p.bootstrap) {
      std::vector<std::vector<double>> drawn;
      std::uniform_int_distribution<size_t> pick(0, sample_rows.size() - 1);
      for (size_t i = 0; i < sample_rows.size(); ++i) drawn.push_back(sample_rows[pick(rng)]);
      sample_rows = std::move(drawn);
    }
    std::vector<int32_t> features(static_cast<size_t>(d));
    std::iota(features.begin(), features.end(), 0);
    std::shuffle(features.begin(), features.end(), rng);
    features.resize(static_cast<size_t>(m));
    std::sort(features.begin(), features.end());
    forest[t] = TreeBuilder(sample_rows, std::move(features), height, rng()).Build();
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(trees, grow, ctx.cancel));
  } else {
    for (int t = 0; t < trees; ++t) EMBER_RETURN_IF_ERROR(grow(t));
  }
  EMBER_ASSIGN_OR_RETURN(auto model, IsolationForestModel::Make(p, d, static_cast<double>(psi),
                                                                forest, INFINITY, uid()));
  if (p.contamination == 0) return std::shared_ptr<const Transformer>(std::move(model));
  // The threshold: the (1 - contamination) quantile of the training rows' scores.
  std::vector<QuantileSummary> summaries(in.num_partitions());
  auto summarize = [&](int64_t part) -> Status {
    const Batch& b = in.partition(static_cast<int>(part));
    const Column& c = *b.column(col);
    std::vector<double> x(static_cast<size_t>(d)), scores;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      std::fill(x.begin(), x.end(), 0.0);
      ForEachVectorEntry(c, r, [&](int64_t j, double v) { x[j] = v; });
      scores.push_back(model->Score(x.data()));
    }
    std::sort(scores.begin(), scores.end());
    summaries[part] = QuantileSummary::Of(scores, p.contamination_error);
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), summarize, ctx.cancel));
  } else {
    for (int part = 0; part < in.num_partitions(); ++part) EMBER_RETURN_IF_ERROR(summarize(part));
  }
  QuantileSummary merged;
  for (const auto& s : summaries) merged.Merge(s);
  if (ctx.comm && ctx.comm->size() > 1) {
    std::vector<double> mine(merged.values);
    mine.insert(mine.end(), merged.weights.begin(), merged.weights.end());
    const std::vector<double> size = {static_cast<double>(merged.values.size())};
    EMBER_ASSIGN_OR_RETURN(std::vector<double> sizes, AllGatherDoubles(*ctx.comm, size, Far()));
    EMBER_ASSIGN_OR_RETURN(std::vector<double> all, AllGatherDoubles(*ctx.comm, mine, Far()));
    merged = {};
    size_t at = 0;
    for (double size : sizes) {
      const auto k = static_cast<size_t>(size);
      QuantileSummary s;
      s.values.assign(all.begin() + at, all.begin() + at + k);
      s.weights.assign(all.begin() + at + k, all.begin() + at + 2 * k);
      at += 2 * k;
      merged.Merge(s);
    }
  }
  const double threshold = merged.Quantile(1 - p.contamination);
  EMBER_ASSIGN_OR_RETURN(
      auto labelled,
      IsolationForestModel::Make(p, d, static_cast<double>(psi), model->trees(), threshold, uid()));
  return std::shared_ptr<const Transformer>(std::move(labelled));
}

Result<std::shared_ptr<const IsolationForestModel>> IsolationForestModel::Make(
    Params params, int64_t num_features, double samples_per_tree, std::vector<IsolationTree> trees,
    double threshold, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(params));
  if (trees.empty() || num_features < 1 || !(samples_per_tree >= 1)) {
    return InvalidArgument("IsolationForestModel: no trees, features or samples");
  }
  for (const IsolationTree& t : trees) {
    const auto nodes = static_cast<int32_t>(t.feature.size());
    if (nodes == 0 || t.left.size() != t.feature.size() || t.right.size() != t.feature.size() ||
        t.value.size() != t.feature.size() || t.size.size() != t.feature.size()) {
      return InvalidArgument("IsolationForestModel: a malformed tree");
    }
    for (int32_t i = 0; i < nodes; ++i) {
      // Children come after their parent (no cycles) and features index the rows.
      if (t.left[i] >= 0 &&
          (t.left[i] <= i || t.left[i] >= nodes || t.right[i] <= i || t.right[i] >= nodes ||
           t.feature[i] < 0 || t.feature[i] >= num_features)) {
        return InvalidArgument("IsolationForestModel: a malformed tree");
      }
    }
  }
  return std::shared_ptr<const IsolationForestModel>(
      new IsolationForestModel(std::move(params), num_features, samples_per_tree, std::move(trees),
                               threshold, std::move(uid)));
}

double IsolationForestModel::Score(const double* x) const {
  return ScoreOf(trees_, samples_per_tree_, x);
}

Status IsolationForestModel::SaveContents(const std::string& dir) const {
  ForestState s{.num_features = num_features_,
                .samples_per_tree = samples_per_tree_,
                .threshold = threshold_};
  for (const IsolationTree& t : trees_) {
    s.tree_sizes.push_back(static_cast<int64_t>(t.feature.size()));
    s.feature.insert(s.feature.end(), t.feature.begin(), t.feature.end());
    s.left.insert(s.left.end(), t.left.begin(), t.left.end());
    s.right.insert(s.right.end(), t.right.begin(), t.right.end());
    s.value.insert(s.value.end(), t.value.begin(), t.value.end());
    s.size.insert(s.size.end(), t.size.begin(), t.size.end());
  }
  return ForestState::Spec().Save(s, dir);
}

Result<std::shared_ptr<const IsolationForestModel>> IsolationForestModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(ForestState s, ForestState::Spec().Load(ctx));
  std::vector<IsolationTree> trees;
  size_t at = 0;
  for (int64_t size : s.tree_sizes) {
    const auto k = static_cast<size_t>(size);
    if (size < 1 || at + k > s.feature.size() || s.left.size() != s.feature.size() ||
        s.right.size() != s.feature.size() || s.value.size() != s.feature.size() ||
        s.size.size() != s.feature.size()) {
      return DataLoss("IsolationForestModel: the saved trees in " + ctx.dir + " are malformed");
    }
    IsolationTree t;
    t.feature.assign(s.feature.begin() + at, s.feature.begin() + at + k);
    t.left.assign(s.left.begin() + at, s.left.begin() + at + k);
    t.right.assign(s.right.begin() + at, s.right.begin() + at + k);
    t.value.assign(s.value.begin() + at, s.value.begin() + at + k);
    t.size.assign(s.size.begin() + at, s.size.begin() + at + k);
    trees.push_back(std::move(t));
    at += k;
  }
  return Make(std::move(p), s.num_features, s.samples_per_tree, std::move(trees), s.threshold,
              ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> IsolationForestModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, FeaturesInput(in, params_, true));
  if (in.field(col).type->vector_size() != num_features_) {
    return InvalidArgument("IsolationForestModel: column '" + params_.features_col + "' has " +
                           std::to_string(in.field(col).type->vector_size()) +
                           " features but the model was fitted on " +
                           std::to_string(num_features_));
  }
  std::vector<Field> fields = in.fields();
  fields.push_back(MakeField(params_.score_col, Float64Type()));
  fields.push_back(MakeField(params_.prediction_col, Float64Type()));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  const int64_t d = num_features_;
  const double threshold = threshold_, psi = samples_per_tree_;
  const auto trees = std::make_shared<const std::vector<IsolationTree>>(trees_);
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, col, d, threshold, psi, trees](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        const int64_t n = b.num_rows();
        BufferBuilder scores, labels;
        scores.ResizeUninitialized(n * 8);
        labels.ResizeUninitialized(n * 8);
        double* s = scores.mutable_data_as<double>();
        double* l = labels.mutable_data_as<double>();
        std::vector<double> x(static_cast<size_t>(d));
        for (int64_t r = 0; r < n; ++r) {
          s[r] = l[r] = 0;
          if (c.IsNull(r)) continue;
          std::fill(x.begin(), x.end(), 0.0);
          ForEachVectorEntry(c, r, [&](int64_t j, double v) { x[j] = v; });
          s[r] = ScoreOf(*trees, psi, x.data());
          l[r] = s[r] >= threshold ? 1.0 : 0.0;
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(NumericColumnFromBuffers(Float64Type(), n, scores.Finish(), CopyValidity(c),
                                                c.null_count()));
        cols.push_back(NumericColumnFromBuffers(Float64Type(), n, labels.Finish(), CopyValidity(c),
                                                c.null_count()));
        return Batch::Make(out, std::move(cols), n);
      }));
}

Status RegisterIsolationForestStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<IsolationForest>(
      r, "Outlier scores by isolation trees (Liu et al.; LinkedIn's params, as SynapseML)."));
  return RegisterStage<IsolationForestModel>(r, "A fitted IsolationForest: its trees.");
}

}  // namespace ember
