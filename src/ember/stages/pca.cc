#include "ember/stages/pca.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/partition_reduce.h"
#include "ember/stages/internal/vector_columns.h"

namespace ember {

namespace {

using stages::internal::VectorInput;

constexpr int64_t kMaxWidth = 1000;

struct PCAState {
  std::vector<std::vector<double>> components;
  std::vector<double> explained_variance;
  static const StateSpec<PCAState>& Spec() {
    static const StateSpec<PCAState> spec =
        std::move(StateSpec<PCAState>("PCAModel", "model.json", 1)
                      .Field("principalComponents", &PCAState::components)
                      .Field("explainedVariance", &PCAState::explained_variance));
    return spec;
  }
};

}  // namespace

void SymmetricEigen(std::vector<double> a, int64_t d, std::vector<double>* values,
                    std::vector<std::vector<double>>* vectors) {
  std::vector<double> v(static_cast<size_t>(d * d), 0.0);  // columns: the eigenvectors
  for (int64_t i = 0; i < d; ++i) v[i * d + i] = 1;
  auto at = [d](std::vector<double>& m, int64_t i, int64_t j) -> double& { return m[i * d + j]; };
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, total = 0;
    for (int64_t i = 0; i < d; ++i) {
      for (int64_t j = 0; j < d; ++j) {
        (i == j ? total : off) += at(a, i, j) * at(a, i, j);
      }
    }
    if (off <= 1e-30 * (total + off) || off == 0) break;
    for (int64_t p = 0; p < d; ++p) {
      for (int64_t q = p + 1; q < d; ++q) {
        const double apq = at(a, p, q);
        if (apq == 0) continue;
        // The rotation that zeroes a[p][q] (Golub and Van Loan's symmetric Schur step).
        const double tau = (at(a, q, q) - at(a, p, p)) / (2 * apq);
        const double t = (tau >= 0 ? 1.0 : -1.0) / (std::abs(tau) + std::sqrt(1 + tau * tau));
        const double c = 1 / std::sqrt(1 + t * t), s = t * c;
        for (int64_t k = 0; k < d; ++k) {  // A <- A J (columns p, q)
          const double akp = at(a, k, p), akq = at(a, k, q);
          at(a, k, p) = c * akp - s * akq;
          at(a, k, q) = s * akp + c * akq;
        }
        for (int64_t k = 0; k < d; ++k) {  // A <- J^T A (rows p, q)
          const double apk = at(a, p, k), aqk = at(a, q, k);
          at(a, p, k) = c * apk - s * aqk;
          at(a, q, k) = s * apk + c * aqk;
        }
        for (int64_t k = 0; k < d; ++k) {
          const double vkp = at(v, k, p), vkq = at(v, k, q);
          at(v, k, p) = c * vkp - s * vkq;
          at(v, k, q) = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<int64_t> order(static_cast<size_t>(d));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return at(a, x, x) > at(a, y, y); });
  values->clear();
  vectors->clear();
  for (int64_t j : order) {
    values->push_back(at(a, j, j));
    std::vector<double> col(static_cast<size_t>(d));
    for (int64_t i = 0; i < d; ++i) col[i] = at(v, i, j);
    // The sign: the entry of largest magnitude positive (the first of equal ones).
    int64_t big = 0;
    for (int64_t i = 1; i < d; ++i) {
      if (std::abs(col[i]) > std::abs(col[big])) big = i;
    }
    if (col[big] < 0) {
      for (double& x : col) x = -x;
    }
    vectors->push_back(std::move(col));
  }
}

const ParamSpec<PCAParams>& PCAParams::Spec() {
  using P = PCAParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("PCA")
                    .Add("inputCol", &P::input_col, "The vector column.", NonEmpty<std::string>())
                    .Add("outputCol", &P::output_col,
                         "The projected vector column (k values) to add.", NonEmpty<std::string>())
                    .Add("k", &P::k, "Principal components to keep.", AtLeast<int32_t>(1)));
  return spec;
}

Result<SchemaPtr> PCA::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(VectorInput(in, params_.input_col, params_.output_col).status());
  return in.AddField(MakeField(params_.output_col, DenseVectorType(params_.k)));
}

Result<std::shared_ptr<const Transformer>> PCA::Fit(const DataFrame& in,
                                                    const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(int col, VectorInput(*in.schema(), params_.input_col, params_.output_col));
  const int64_t d = in.schema()->field(col).type->vector_size();
  if (params_.k > d) {
    return InvalidArgument("PCA param 'k': " + std::to_string(params_.k) + " components of the " +
                           std::to_string(d) + " slots of column '" + params_.input_col + "'");
  }
  if (d > kMaxWidth) {
    return InvalidArgument("PCA: column '" + params_.input_col + "' has " + std::to_string(d) +
                           " slots; PCA takes at most " + std::to_string(kMaxWidth));
  }
  // The means (and the row count), then the centred cross-products (upper triangle).
  std::vector<double> sums;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
      in, ctx, static_cast<size_t>(d) + 1, ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        const Column& c = *b.column(col);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) {
            return InvalidArgument("PCA: null in column '" + params_.input_col + "'");
          }
          bool finite = true;
          ForEachVectorEntry(c, r, [&](int64_t j, double v) {
            finite = finite && std::isfinite(v);
            acc[j] += v;
          });
          if (!finite) {
            return InvalidArgument("PCA: NaN or infinite value in column '" + params_.input_col +
                                   "'");
          }
          acc[d] += 1;
        }
        return Status::OK();
      },
      &sums));
  const double n = sums[d];
  if (n < 2) {
    return InvalidArgument("PCA: column '" + params_.input_col + "' has " +
                           std::to_string(static_cast<int64_t>(n)) +
                           " rows; a covariance needs at least 2");
  }
  std::vector<double> mean(sums.begin(), sums.begin() + d);
  for (double& m : mean) m /= n;
  std::vector<double> products;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions<double>(
      in, ctx, static_cast<size_t>(d * (d + 1) / 2), ReduceOp::kSum, 0.0,
      [&](const Batch& b, std::span<double> acc) -> Status {
        const Column& c = *b.column(col);
        std::vector<double> x(static_cast<size_t>(d));
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          for (int64_t j = 0; j < d; ++j) x[j] = -mean[j];
          ForEachVectorEntry(c, r, [&](int64_t j, double v) { x[j] += v; });
          double* row = acc.data();
          for (int64_t i = 0; i < d; ++i) {
            const double xi = x[i];
            for (int64_t j = i; j < d; ++j) row[j - i] += xi * x[j];
            row += d - i;
          }
        }
        return Status::OK();
      },
      &products));
  std::vector<double> cov(static_cast<size_t>(d * d));
  const double* row = products.data();
  for (int64_t i = 0; i < d; ++i) {
    for (int64_t j = i; j < d; ++j) cov[i * d + j] = cov[j * d + i] = row[j - i] / (n - 1);
    row += d - i;
  }
  std::vector<double> values;
  std::vector<std::vector<double>> vectors;
  SymmetricEigen(std::move(cov), d, &values, &vectors);
  double total = 0;
  for (double v : values) total += std::max(v, 0.0);
  std::vector<double> explained;
  for (int j = 0; j < params_.k; ++j)
    explained.push_back(total > 0 ? std::max(values[j], 0.0) / total : 0.0);
  vectors.resize(static_cast<size_t>(params_.k));
  EMBER_ASSIGN_OR_RETURN(auto model,
                         PCAModel::Make(params_, std::move(vectors), std::move(explained), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const PCAModel>> PCAModel::Make(Params p,
                                                       std::vector<std::vector<double>> components,
                                                       std::vector<double> explained_variance,
                                                       std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (components.size() != static_cast<size_t>(p.k) ||
      explained_variance.size() != components.size() || components.empty() ||
      components[0].empty()) {
    return InvalidArgument("PCAModel: " + std::to_string(components.size()) + " components and " +
                           std::to_string(explained_variance.size()) +
                           " explained variances for k = " + std::to_string(p.k));
  }
  for (const auto& c : components) {
    if (c.size() != components[0].size())
      return InvalidArgument("PCAModel: the components have different widths");
  }
  return std::shared_ptr<const PCAModel>(new PCAModel(
      std::move(p), std::move(components), std::move(explained_variance), std::move(uid)));
}

Status PCAModel::SaveContents(const std::string& dir) const {
  return PCAState::Spec().Save(
      {.components = components_, .explained_variance = explained_variance_}, dir);
}

Result<std::shared_ptr<const PCAModel>> PCAModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(PCAState s, PCAState::Spec().Load(ctx));
  return Make(std::move(p), std::move(s.components), std::move(s.explained_variance), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> PCAModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, VectorInput(in, params_.input_col, params_.output_col));
  const int64_t d = static_cast<int64_t>(components_[0].size());
  if (in.field(col).type->vector_size() != d) {
    return InvalidArgument("PCAModel: column '" + params_.input_col + "' has " +
                           std::to_string(in.field(col).type->vector_size()) +
                           " slots but the components have " + std::to_string(d));
  }
  const int64_t k = static_cast<int64_t>(components_.size());
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out,
                         in.AddField(MakeField(params_.output_col, DenseVectorType(k))));
  std::vector<double> pc;
  for (const auto& c : components_) pc.insert(pc.end(), c.begin(), c.end());
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, col, pc, d, k](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        const int64_t n = b.num_rows();
        BufferBuilder values;
        values.ResizeUninitialized(n * k * 8);
        double* v = values.mutable_data_as<double>();
        std::fill(v, v + n * k, 0.0);
        for (int64_t r = 0; r < n; ++r) {
          if (c.IsNull(r)) continue;
          double* o = v + r * k;
          ForEachVectorEntry(c, r, [&](int64_t j, double x) {
            for (int64_t t = 0; t < k; ++t) o[t] += pc[t * d + j] * x;
          });
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(
            DenseVectorColumnFromBuffers(k, n, values.Finish(), CopyValidity(c), c.null_count()));
        return Batch::Make(out, std::move(cols), n);
      }));
}

Status RegisterPCAStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<PCA>(
      r, "Principal components of a vector column (Spark's PCA: projects without centering)."));
  return RegisterStage<PCAModel>(r, "A fitted PCA: the principal components.");
}

}  // namespace ember
