#include "ember/clustering/kmeans.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "ember/base/status_macros.h"
#include "ember/clustering/bisecting_kmeans.h"
#include "ember/clustering/internal/distances.h"
#include "ember/clustering/internal/draws.h"
#include "ember/clustering/isolation_forest.h"
#include "ember/core/builder.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/learned_state.h"

namespace ember {

namespace {

using P = KMeansParams;
using Centers = std::vector<double>;  // k x d, row-major

// The rows of one slice of a partition as a row-major matrix, with their weights and their
// place in the whole data; Hamerly's state per row.
struct Chunk {
  int64_t n = 0;
  std::vector<double> x, w;
  std::vector<uint64_t> h;   // a hash of each row's values: what its random draws depend on
  std::vector<int32_t> a;    // nearest centre
  std::vector<double> u, l;  // upper bound on the distance to it, lower bound to any other
  std::vector<double> cost;  // k-means||: squared distance to the nearest candidate
};

constexpr int64_t kChunkRows = 1 << 15;

using clustering::internal::Draw;
using clustering::internal::RowHash;

using clustering::internal::Dist2;

// The nearest and second nearest of `m` centres to x (squared distances).
void Nearest(const double* x, const Centers& c, int64_t m, int64_t d, int32_t* best, double* d1,
             double* d2) {
  *best = 0;
  *d1 = INFINITY;
  *d2 = INFINITY;
  for (int64_t j = 0; j < m; ++j) {
    const double s = Dist2(x, c.data() + j * d, d);
    if (s < *d1) {
      *d2 = *d1;
      *d1 = s;
      *best = static_cast<int32_t>(j);
    } else if (s < *d2) {
      *d2 = s;
    }
  }
}

class Fitter {
 public:
  Fitter(const P& p, const ExecContext& ctx) : p_(p), ctx_(ctx) {}

  Status Load(const DataFrame& in) {
    const Schema& s = *in.schema();
    EMBER_ASSIGN_OR_RETURN(
        int f, s.GetFieldIndexOfType(
                   p_.features_col, [](const DataType& t) { return t.id() == TypeId::kVector; },
                   "a vector column"));
    int w = -1;
    if (!p_.weight_col.empty()) {
      EMBER_ASSIGN_OR_RETURN(w, s.GetFieldIndexOfType(
                                    p_.weight_col, [](const DataType& t) { return t.is_numeric(); },
                                    "a numeric column"));
    }
    d_ = s.field(f).type->vector_size();
    int64_t local = 0;
    for (const Batch& b : in.partitions()) {
      for (int64_t at = 0; at < b.num_rows(); at += kChunkRows) {
        Chunk c;
        c.n = std::min(kChunkRows, b.num_rows() - at);
        chunks_.push_back(std::move(c));
        sources_.push_back({&b, at});
      }
      local += b.num_rows();
    }
    EMBER_RETURN_IF_ERROR(ForChunks([&](Chunk& c, size_t i) -> Status {
      const Batch& b = *sources_[i].first;
      const int64_t at = sources_[i].second;
      const Column& col = *b.column(f);
      c.x.assign(static_cast<size_t>(c.n * d_), 0.0);
      c.w.assign(static_cast<size_t>(c.n), 1.0);
      for (int64_t r = 0; r < c.n; ++r) {
        if (col.IsNull(at + r)) {
          return InvalidArgument("KMeans: null in features column '" + p_.features_col + "'");
        }
        bool finite = true;
        ForEachVectorEntry(col, at + r, [&](int64_t j, double v) {
          finite = finite && std::isfinite(v);
          c.x[r * d_ + j] = v;
        });
        if (!finite) {
          return InvalidArgument("KMeans: NaN or infinite value in features column '" +
                                 p_.features_col + "'");
        }
        if (w >= 0) {
          const Column& wc = *b.column(w);
          const double v = wc.IsNull(at + r) ? -1 : NumericValue(wc, at + r);
          if (!(v >= 0) || !std::isfinite(v)) {
            return InvalidArgument("KMeans: weight in column '" + p_.weight_col +
                                   "' must be a number >= 0");
          }
          c.w[r] = v;
        }
      }
      c.h.resize(static_cast<size_t>(c.n));
      for (int64_t r = 0; r < c.n; ++r) c.h[r] = RowHash(c.x.data() + r * d_, d_);
      return Status::OK();
    }));
    std::vector<double> rows = {static_cast<double>(local)};
    EMBER_RETURN_IF_ERROR(AllSum(&rows));
    total_rows_ = static_cast<int64_t>(rows[0]);
    return Status::OK();
  }

  int64_t d() const { return d_; }
  int64_t total_rows() const { return total_rows_; }

  // Every rank's rows for which chosen(chunk, row) holds, distinct and in lexicographic
  // order (so the same whatever the ranks and partitions).
  Result<Centers> Gather(const std::function<bool(const Chunk&, int64_t)>& chosen) {
    std::vector<double> mine;
    for (const Chunk& c : chunks_) {
      for (int64_t r = 0; r < c.n; ++r) {
        if (chosen(c, r)) mine.insert(mine.end(), c.x.begin() + r * d_, c.x.begin() + (r + 1) * d_);
      }
    }
    if (ctx_.comm && ctx_.comm->size() > 1) {
      EMBER_ASSIGN_OR_RETURN(mine, AllGatherDoubles(*ctx_.comm, mine, Far()));
    }
    return Distinct(mine);
  }

  // The `count` distinct rows of the smallest draws of round 0 (a uniform sample of the
  // distinct rows), in lexicographic order.
  Result<Centers> SmallestDraws(int64_t count) {
    const uint64_t seed = static_cast<uint64_t>(p_.seed);
    // The count-th smallest draw of each rank, then over ranks: rows at or below it.
    std::vector<double> draws;
    for (const Chunk& c : chunks_) {
      for (int64_t r = 0; r < c.n; ++r) draws.push_back(Draw(seed, 0, c.h[r]));
    }
    std::sort(draws.begin(), draws.end());
    draws.erase(std::unique(draws.begin(), draws.end()), draws.end());
    if (static_cast<int64_t>(draws.size()) > count) draws.resize(static_cast<size_t>(count));
    if (ctx_.comm && ctx_.comm->size() > 1) {
      EMBER_ASSIGN_OR_RETURN(draws, AllGatherDoubles(*ctx_.comm, draws, Far()));
      std::sort(draws.begin(), draws.end());
      draws.erase(std::unique(draws.begin(), draws.end()), draws.end());
      if (static_cast<int64_t>(draws.size()) > count) draws.resize(static_cast<size_t>(count));
    }
    const double cut = draws.empty() ? -1 : draws.back();
    return Gather([&](const Chunk& c, int64_t r) { return Draw(seed, 0, c.h[r]) <= cut; });
  }

  // k-means||: the candidates and their weights (the weight of the rows nearest to each).
  Result<Centers> ParallelInit(int64_t k) {
    const uint64_t seed = static_cast<uint64_t>(p_.seed);
    EMBER_ASSIGN_OR_RETURN(Centers cand, SmallestDraws(1));
    EMBER_RETURN_IF_ERROR(ForChunks([&](Chunk& c, size_t) {
      c.cost.resize(static_cast<size_t>(c.n));
      for (int64_t r = 0; r < c.n; ++r) c.cost[r] = Dist2(c.x.data() + r * d_, cand.data(), d_);
      return Status::OK();
    }));
    for (int step = 1; step <= p_.init_steps; ++step) {
      std::vector<double> phi = {0};
      for (const Chunk& c : chunks_) {
        for (int64_t r = 0; r < c.n; ++r) phi[0] += c.w[r] * c.cost[r];
      }
      EMBER_RETURN_IF_ERROR(AllSum(&phi));
      if (!(phi[0] > 0)) break;
      const double phi_all = phi[0];
      EMBER_ASSIGN_OR_RETURN(Centers added, Gather([&](const Chunk& c, int64_t r) {
                               const double prob =
                                   std::min(1.0, 2.0 * k * c.w[r] * c.cost[r] / phi_all);
                               return Draw(seed, step, c.h[r]) < prob;
                             }));
      const int64_t m = static_cast<int64_t>(added.size()) / std::max<int64_t>(d_, 1);
      EMBER_RETURN_IF_ERROR(ForChunks([&](Chunk& c, size_t) {
        for (int64_t r = 0; r < c.n; ++r) {
          for (int64_t j = 0; j < m; ++j) {
            c.cost[r] = std::min(c.cost[r], Dist2(c.x.data() + r * d_, added.data() + j * d_, d_));
          }
        }
        return Status::OK();
      }));
      cand.insert(cand.end(), added.begin(), added.end());
    }
    cand = Distinct(cand);
    const int64_t m = static_cast<int64_t>(cand.size()) / d_;
    if (m <= k) return cand;
    // The candidates' weights, then k of them by k-means++ and Lloyd on the candidates.
    std::vector<double> weights;
    EMBER_RETURN_IF_ERROR(Reduce(static_cast<size_t>(m), &weights, [&](Chunk& c, double* acc) {
      for (int64_t r = 0; r < c.n; ++r) {
        int32_t best;
        double d1, d2;
        Nearest(c.x.data() + r * d_, cand, m, d_, &best, &d1, &d2);
        acc[best] += c.w[r];
      }
    }));
    for (Chunk& c : chunks_) c.cost = {};
    return LocalKMeans(cand, weights, k);
  }

  Result<Centers> RandomInit(int64_t k) { return SmallestDraws(k); }

  // Lloyd's iterations from `c` with Hamerly's bounds; sets the cost and iterations run.
  Status Lloyd(Centers* c, double* cost, int32_t* iterations) {
    const int64_t k = static_cast<int64_t>(c->size()) / d_;
    EMBER_RETURN_IF_ERROR(ForChunks([&](Chunk& ch, size_t) {
      ch.a.resize(static_cast<size_t>(ch.n));
      ch.u.resize(static_cast<size_t>(ch.n));
      ch.l.resize(static_cast<size_t>(ch.n));
      for (int64_t r = 0; r < ch.n; ++r) {
        double d1, d2;
        Nearest(ch.x.data() + r * d_, *c, k, d_, &ch.a[r], &d1, &d2);
        ch.u[r] = std::sqrt(d1);
        ch.l[r] = std::sqrt(d2);
      }
      return Status::OK();
    }));
    std::vector<double> move(static_cast<size_t>(k)), half(static_cast<size_t>(k));
    *iterations = 0;
    while (*iterations < p_.max_iter) {
      // The update: each centre to the weighted mean of its rows.
      std::vector<double> sums;
      EMBER_RETURN_IF_ERROR(
          Reduce(static_cast<size_t>(k * (d_ + 1)), &sums, [&](Chunk& ch, double* acc) {
            for (int64_t r = 0; r < ch.n; ++r) {
              double* s = acc + ch.a[r] * (d_ + 1);
              const double* x = ch.x.data() + r * d_;
              const double w = ch.w[r];
              for (int64_t j = 0; j < d_; ++j) s[j] += w * x[j];
              s[d_] += w;
            }
          }));
      ++*iterations;
      double most = 0, second = 0;
      int64_t farthest = 0;
      for (int64_t j = 0; j < k; ++j) {
        const double* s = sums.data() + j * (d_ + 1);
        double m2 = 0;
        if (s[d_] > 0) {
          for (int64_t t = 0; t < d_; ++t) {
            const double v = s[t] / s[d_];
            m2 += (v - (*c)[j * d_ + t]) * (v - (*c)[j * d_ + t]);
            (*c)[j * d_ + t] = v;
          }
        }
        move[j] = std::sqrt(m2);
        if (move[j] > most) {
          second = most;
          most = move[j];
          farthest = j;
        } else if (move[j] > second) {
          second = move[j];
        }
      }
      const bool converged = most <= p_.tol;
      // The assignment, skipping rows whose bounds prove their centre the nearest.
      for (int64_t j = 0; j < k; ++j) {
        double nearest = INFINITY;
        for (int64_t t = 0; t < k; ++t) {
          if (t != j)
            nearest = std::min(nearest, Dist2(c->data() + j * d_, c->data() + t * d_, d_));
        }
        half[j] = 0.5 * std::sqrt(nearest);
      }
      EMBER_RETURN_IF_ERROR(ForChunks([&](Chunk& ch, size_t) {
        for (int64_t r = 0; r < ch.n; ++r) {
          const int32_t a = ch.a[r];
          ch.u[r] += move[a];
          ch.l[r] -= a == farthest ? second : most;
          const double z = std::max(ch.l[r], half[a]);
          if (ch.u[r] <= z) continue;
          const double* x = ch.x.data() + r * d_;
          ch.u[r] = std::sqrt(Dist2(x, c->data() + a * d_, d_));
          if (ch.u[r] <= z) continue;
          double d1, d2;
          Nearest(x, *c, k, d_, &ch.a[r], &d1, &d2);
          ch.u[r] = std::sqrt(d1);
          ch.l[r] = std::sqrt(d2);
        }
        return Status::OK();
      }));
      if (converged) break;
    }
    std::vector<double> total;
    EMBER_RETURN_IF_ERROR(Reduce(1, &total, [&](Chunk& ch, double* acc) {
      for (int64_t r = 0; r < ch.n; ++r)
        acc[0] += ch.w[r] * Dist2(ch.x.data() + r * d_, c->data() + ch.a[r] * d_, d_);
    }));
    *cost = total[0];
    return Status::OK();
  }

 private:
  static Deadline Far() { return Deadline::In(std::chrono::minutes(30)); }

  Status ForChunks(const std::function<Status(Chunk&, size_t)>& fn) {
    auto one = [&](int64_t i) { return fn(chunks_[i], static_cast<size_t>(i)); };
    if (ctx_.pool)
      return ctx_.pool->ParallelFor(static_cast<int64_t>(chunks_.size()), one, ctx_.cancel);
    for (size_t i = 0; i < chunks_.size(); ++i) EMBER_RETURN_IF_ERROR(one(static_cast<int64_t>(i)));
    return Status::OK();
  }

  Status AllSum(std::vector<double>* v) {
    if (!ctx_.comm || ctx_.comm->size() == 1) return Status::OK();
    return ctx_.comm->AllReduce(std::span<double>(*v), ReduceOp::kSum, Far());
  }

  // fn(chunk, acc) into an accumulator of `width` zeros per chunk, summed in chunk order
  // (the same whatever thread ran what), then over ranks.
  Status Reduce(size_t width, std::vector<double>* out,
                const std::function<void(Chunk&, double*)>& fn) {
    std::vector<std::vector<double>> acc(chunks_.size());
    EMBER_RETURN_IF_ERROR(ForChunks([&](Chunk& c, size_t i) {
      acc[i].assign(width, 0.0);
      fn(c, acc[i].data());
      return Status::OK();
    }));
    out->assign(width, 0.0);
    for (const auto& a : acc) {
      for (size_t t = 0; t < width; ++t) (*out)[t] += a[t];
    }
    return AllSum(out);
  }

  // The distinct rows of `c`, in lexicographic order.
  Centers Distinct(const Centers& c) const {
    std::set<std::vector<double>> rows;
    for (size_t at = 0; at + d_ <= c.size(); at += d_)
      rows.emplace(c.begin() + at, c.begin() + at + d_);
    Centers out;
    for (const auto& row : rows) out.insert(out.end(), row.begin(), row.end());
    return out;
  }

  // k of the weighted candidates by k-means++, refined by Lloyd on the candidates (30
  // iterations at most, as Spark's LocalKMeans).
  Centers LocalKMeans(const Centers& cand, const std::vector<double>& weights, int64_t k) const {
    const int64_t m = static_cast<int64_t>(weights.size());
    std::mt19937_64 rng(static_cast<uint64_t>(p_.seed) ^ 0x5eedULL);
    auto pick = [&](const std::vector<double>& mass) {
      double total = 0;
      for (double v : mass) total += v;
      double at = std::uniform_real_distribution<double>(0, total)(rng);
      for (int64_t i = 0; i < m; ++i) {
        at -= mass[i];
        if (at < 0) return i;
      }
      return m - 1;
    };
    // Greedy k-means++ (as scikit-learn's): each new centre the best of 2 + ln k draws, the
    // one leaving the least weighted squared distance.
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
    Centers c;
    std::vector<double> dist(static_cast<size_t>(m), INFINITY), mass(static_cast<size_t>(m)),
        trial(static_cast<size_t>(m)), best_dist;
    int64_t next = pick(weights);
    for (int64_t j = 0; j < k; ++j) {
      if (j > 0) {
        double best_cost = INFINITY;
        int64_t best = next;
        for (int t = 0; t < trials; ++t) {
          const int64_t cand_i = pick(mass);
          double cost = 0;
          for (int64_t i = 0; i < m; ++i) {
            trial[i] =
                std::min(dist[i], Dist2(cand.data() + i * d_, cand.data() + cand_i * d_, d_));
            cost += weights[i] * trial[i];
          }
          if (cost < best_cost) {
            best_cost = cost;
            best = cand_i;
            best_dist.assign(trial.begin(), trial.end());
          }
        }
        next = best;
        std::copy(best_dist.begin(), best_dist.end(), dist.begin());
      } else {
        for (int64_t i = 0; i < m; ++i)
          dist[i] = Dist2(cand.data() + i * d_, cand.data() + next * d_, d_);
      }
      c.insert(c.end(), cand.begin() + next * d_, cand.begin() + (next + 1) * d_);
      for (int64_t i = 0; i < m; ++i) mass[i] = weights[i] * dist[i];
    }
    for (int it = 0; it < 30; ++it) {
      std::vector<double> sums(static_cast<size_t>(k * (d_ + 1)), 0.0);
      for (int64_t i = 0; i < m; ++i) {
        int32_t best;
        double d1, d2;
        Nearest(cand.data() + i * d_, c, k, d_, &best, &d1, &d2);
        for (int64_t t = 0; t < d_; ++t) sums[best * (d_ + 1) + t] += weights[i] * cand[i * d_ + t];
        sums[best * (d_ + 1) + d_] += weights[i];
      }
      bool moved = false;
      for (int64_t j = 0; j < k; ++j) {
        const double n = sums[j * (d_ + 1) + d_];
        if (!(n > 0)) continue;
        for (int64_t t = 0; t < d_; ++t) {
          const double v = sums[j * (d_ + 1) + t] / n;
          moved = moved || v != c[j * d_ + t];
          c[j * d_ + t] = v;
        }
      }
      if (!moved) break;
    }
    return c;
  }

  const P& p_;
  const ExecContext& ctx_;
  int64_t d_ = 0;
  int64_t total_rows_ = 0;
  std::vector<Chunk> chunks_;
  std::vector<std::pair<const Batch*, int64_t>> sources_;
};

struct KMeansState {
  std::string distance_measure = "euclidean";  // the only one yet (Spark also has cosine)
  std::vector<std::vector<double>> centers;
  double training_cost = 0;
  int32_t num_iter = 0;
  static const StateSpec<KMeansState>& Spec() {
    static const StateSpec<KMeansState> spec =
        std::move(StateSpec<KMeansState>("KMeansModel", "model.json", 1)
                      .Field("clusterCenters", &KMeansState::centers)
                      .Field("trainingCost", &KMeansState::training_cost)
                      .Field("numIter", &KMeansState::num_iter));
    return spec;
  }
};

}  // namespace

const ParamSpec<KMeansParams>& KMeansParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("KMeans")
          .Add("featuresCol", &P::features_col, "The feature vector column.",
               NonEmpty<std::string>())
          .Add("predictionCol", &P::prediction_col, "The cluster index column (int32) to add.",
               NonEmpty<std::string>())
          .Add("weightCol", &P::weight_col, "Row weights (empty: every row weighs 1).")
          .Add("k", &P::k, "Clusters (at most: fewer distinct rows give fewer).",
               AtLeast<int32_t>(2))
          .Add("maxIter", &P::max_iter, "Lloyd iterations at most.", AtLeast<int32_t>(0))
          .Add("tol", &P::tol, "Stop when no centre moves farther than this.", AtLeast(0.0))
          .Add("seed", &P::seed, "The seed of the initialisation's draws.")
          .AddEnum("initMode", &P::init_mode,
                   {{"k-means||", KMeansInit::kParallel}, {"random", KMeansInit::kRandom}},
                   "k-means|| (Bahmani et al.) or k distinct rows drawn at random.")
          .Add("initSteps", &P::init_steps, "Rounds of k-means||.", AtLeast<int32_t>(1)));
  return spec;
}

Result<SchemaPtr> KMeans::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(in.GetFieldIndexOfType(
                              params_.features_col,
                              [](const DataType& t) { return t.id() == TypeId::kVector; },
                              "a vector column")
                            .status());
  if (in.FindField(params_.prediction_col) >= 0) {
    return AlreadyExists("KMeans: output column '" + params_.prediction_col + "' already exists");
  }
  return in.AddField(MakeField(params_.prediction_col, Int32Type()));
}

Result<std::shared_ptr<const Transformer>> KMeans::Fit(const DataFrame& in,
                                                       const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  Fitter fit(params_, ctx);
  EMBER_RETURN_IF_ERROR(fit.Load(in));
  if (fit.total_rows() == 0) return InvalidArgument("KMeans: no rows to fit on");
  if (fit.d() == 0)
    return InvalidArgument("KMeans: column '" + params_.features_col + "' is empty");
  Centers c;
  if (params_.init_mode == KMeansInit::kParallel) {
    EMBER_ASSIGN_OR_RETURN(c, fit.ParallelInit(params_.k));
  } else {
    EMBER_ASSIGN_OR_RETURN(c, fit.RandomInit(params_.k));
  }
  const int64_t d = fit.d();
  const int64_t k = static_cast<int64_t>(c.size()) / d;
  if (k < params_.k && ctx.log) {
    ctx.log->Warning("KMeans: " + std::to_string(k) + " distinct rows, fewer than k = " +
                     std::to_string(params_.k) + ": " + std::to_string(k) + " clusters");
  }
  double cost = 0;
  int32_t iterations = 0;
  EMBER_RETURN_IF_ERROR(fit.Lloyd(&c, &cost, &iterations));
  std::vector<std::vector<double>> centers;
  for (int64_t j = 0; j < k; ++j) centers.emplace_back(c.begin() + j * d, c.begin() + (j + 1) * d);
  EMBER_ASSIGN_OR_RETURN(auto model,
                         KMeansModel::Make(params_, std::move(centers), cost, iterations, uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const KMeansModel>> KMeansModel::Make(
    Params p, std::vector<std::vector<double>> centers, double cost, int32_t iter,
    std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (centers.empty() || centers[0].empty()) {
    return InvalidArgument("KMeansModel: no centres");
  }
  for (const auto& c : centers) {
    if (c.size() != centers[0].size())
      return InvalidArgument("KMeansModel: the centres have different widths");
  }
  return std::shared_ptr<const KMeansModel>(
      new KMeansModel(std::move(p), std::move(centers), cost, iter, std::move(uid)));
}

Status KMeansModel::SaveContents(const std::string& dir) const {
  return KMeansState::Spec().Save(
      {.centers = centers_, .training_cost = training_cost_, .num_iter = num_iter_}, dir);
}

Result<std::shared_ptr<const KMeansModel>> KMeansModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(KMeansState s, KMeansState::Spec().Load(ctx));
  return Make(std::move(p), std::move(s.centers), s.training_cost, s.num_iter, ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> KMeansModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(
      int f, in.GetFieldIndexOfType(
                 params_.features_col, [](const DataType& t) { return t.id() == TypeId::kVector; },
                 "a vector column"));
  const int64_t d = static_cast<int64_t>(centers_[0].size());
  if (in.field(f).type->vector_size() != d) {
    return InvalidArgument("KMeansModel: column '" + params_.features_col + "' has " +
                           std::to_string(in.field(f).type->vector_size()) +
                           " features but the centres have " + std::to_string(d));
  }
  if (in.FindField(params_.prediction_col) >= 0) {
    return AlreadyExists("KMeansModel: output column '" + params_.prediction_col +
                         "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out,
                         in.AddField(MakeField(params_.prediction_col, Int32Type())));
  Centers c;
  for (const auto& row : centers_) c.insert(c.end(), row.begin(), row.end());
  const int64_t k = static_cast<int64_t>(centers_.size());
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, f, c, d, k](const Batch& b) -> Result<Batch> {
        const Column& col = *b.column(f);
        const int64_t n = b.num_rows();
        BufferBuilder values;
        values.ResizeUninitialized(n * 4);
        int32_t* pred = values.mutable_data_as<int32_t>();
        std::vector<double> x(static_cast<size_t>(d));
        for (int64_t r = 0; r < n; ++r) {
          pred[r] = 0;
          if (col.IsNull(r)) continue;
          std::fill(x.begin(), x.end(), 0.0);
          ForEachVectorEntry(col, r, [&](int64_t j, double v) { x[j] = v; });
          double d1, d2;
          Nearest(x.data(), c, k, d, &pred[r], &d1, &d2);
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(NumericColumnFromBuffers(Int32Type(), n, values.Finish(), CopyValidity(col),
                                                col.null_count()));
        return Batch::Make(out, std::move(cols), n);
      }));
}

Status RegisterClusteringStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<KMeans>(
      r, "k-means clustering (k-means|| start, exact Lloyd iterations with Hamerly's bounds)."));
  EMBER_RETURN_IF_ERROR(RegisterStage<KMeansModel>(r, "A fitted KMeans: the cluster centres."));
  EMBER_RETURN_IF_ERROR(RegisterBisectingKMeansStages(r));
  return RegisterIsolationForestStages(r);
}

}  // namespace ember
