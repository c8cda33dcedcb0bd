#include "ember/dnn/internal/outputs.h"

#include <algorithm>
#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/image/internal/image_column.h"

namespace ember::dnn::internal {

using image::internal::TensorColumnBuilder;

namespace {

cv::Mat Blob(int rows, const PlannedFeed& f, float* data) {
  std::vector<int> sizes = {rows};
  for (int64_t d : f.row_dims) sizes.push_back(static_cast<int>(d));
  if (sizes.size() == 1) sizes.push_back(1);
  return cv::Mat(static_cast<int>(sizes.size()), sizes.data(), CV_32F, data);
}

TypePtr FetchType(const Fetch& f) {
  if (f.flatten || f.row_dims.size() == 1) return DenseVectorType(f.row_size);
  if (f.row_dims.empty()) return Float64Type();
  return TensorColumnBuilder::TypeOf(static_cast<int>(f.row_dims.size()), Float32Type());
}

}  // namespace

PlannedFeed ColumnFeed(const Feed& feed) {
  return PlannedFeed{feed.input, feed.row_dims, feed.row_size,
                     [feed](const Batch& in, int64_t r, float* out) -> Result<bool> {
                       const Column& c = *in.column(feed.column);
                       if (c.IsNull(r)) return false;
                       EMBER_RETURN_IF_ERROR(CopyRow(feed, c, r, out));
                       return true;
                     }};
}

Result<NetPlan> PlanNet(const OnnxBytes& model, std::vector<PlannedFeed> feeds,
                        const std::vector<std::pair<std::string, std::string>>& fetches,
                        const std::string& who, bool flatten) {
  Result<cv::dnn::Net> made = MakeNet(model);
  if (!made.ok()) return made.status().WithContext(who);
  cv::dnn::Net net = *made;
  NetPlan plan;
  plan.feeds = std::move(feeds);
  for (const PlannedFeed& f : plan.feeds) {
    for (const OnnxTensorInfo& t : model.graph.inputs) {
      if (t.name != f.input || t.dims.empty() || t.dims[0] <= 0) continue;
      plan.fixed_batch = plan.fixed_batch ? std::min(plan.fixed_batch, t.dims[0]) : t.dims[0];
    }
  }
  std::vector<std::string> layers;
  for (const auto& [column, name] : fetches) {
    Result<std::string> layer = ResolveLayer(net, model, name);
    if (!layer.ok()) return layer.status().WithContext(who + " fetchDict '" + column + "'");
    plan.fetches.push_back(Fetch{column, *layer, {}, 1, flatten});
    layers.push_back(*layer);
  }
  // A dry run of one row of zeros gives each output's per-row shape.
  std::vector<std::vector<float>> zeros;
  std::vector<cv::Mat> blobs;
  std::vector<std::string> inputs;
  for (const PlannedFeed& f : plan.feeds) {
    zeros.emplace_back(f.row_size, 0.0f);
    blobs.push_back(Blob(1, f, zeros.back().data()));
    inputs.push_back(f.input);
  }
  Result<std::vector<cv::Mat>> outs = Forward(net, inputs, blobs, layers, model.origin);
  if (!outs.ok()) return outs.status().WithContext(who);
  for (size_t i = 0; i < plan.fetches.size(); ++i) {
    const cv::Mat& o = (*outs)[i];
    Fetch& f = plan.fetches[i];
    if (o.dims < 1 || o.size[0] != 1) {
      return InvalidArgument(who + ": output '" + f.layer +
                             "' has no batch axis (its first axis is " +
                             std::to_string(o.dims ? o.size[0] : 0) + " for 1 row)");
    }
    for (int d = 1; d < o.dims; ++d) f.row_dims.push_back(o.size[d]);
    // OpenCV reports a 2-d [1, n] output for [1, n]; a [n] per-row output stays a vector.
    f.row_size = static_cast<int64_t>(o.total());
    if (f.flatten) f.row_dims = {f.row_size};
  }
  return plan;
}

Result<SchemaPtr> OutputSchema(const Schema& in, const NetPlan& plan,
                               const std::map<std::string, std::string>& soft_max,
                               const std::map<std::string, std::string>& arg_max,
                               const std::string& who) {
  SchemaPtr out = std::make_shared<const Schema>(in);
  for (const Fetch& f : plan.fetches) {
    Result<SchemaPtr> next = out->AddField(MakeField(f.column, FetchType(f)));
    if (!next.ok()) return next.status().WithContext(who);
    out = *next;
  }
  for (const auto* dict : {&soft_max, &arg_max}) {
    for (const auto& [from, to] : *dict) {
      const int i = out->FindField(from);
      if (i < 0 || out->field(i).type->id() != TypeId::kVector) {
        return InvalidArgument(who + ": " + (dict == &soft_max ? "softMaxDict" : "argMaxDict") +
                               " column '" + from +
                               "' must be a vector column (a fetched output of one axis)");
      }
      const TypePtr type =
          dict == &soft_max ? DenseVectorType(out->field(i).type->vector_size()) : Float64Type();
      Result<SchemaPtr> next = out->AddField(MakeField(to, type));
      if (!next.ok()) return next.status().WithContext(who);
      out = *next;
    }
  }
  return out;
}

namespace {

class NetKernel final : public StatefulKernel<NetState> {
 public:
  NetKernel(SchemaPtr out, std::shared_ptr<const OnnxBytes> model, NetPlan plan,
            std::map<std::string, std::string> soft_max, std::map<std::string, std::string> arg_max,
            int mini_batch, bool drop_null_rows)
      : out_(std::move(out)),
        model_(std::move(model)),
        plan_(std::move(plan)),
        soft_max_(std::move(soft_max)),
        arg_max_(std::move(arg_max)),
        mini_batch_(plan_.fixed_batch > 0
                        ? static_cast<int>(std::min<int64_t>(mini_batch, plan_.fixed_batch))
                        : mini_batch),
        drop_null_rows_(drop_null_rows) {
    for (const Fetch& f : plan_.fetches) layers_.push_back(f.layer);
    for (const PlannedFeed& f : plan_.feeds) inputs_.push_back(f.input);
  }
  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override { return true; }  // a forward pass: milliseconds

 protected:
  std::unique_ptr<NetState> MakeState() const override { return std::make_unique<NetState>(); }

  Result<Batch> Run(const Batch& in, NetState& state) const override {
    if (!state.ready) {
      EMBER_ASSIGN_OR_RETURN(state.net, MakeNet(*model_));
      state.ready = true;
    }
    const int64_t n = in.num_rows();
    std::vector<std::unique_ptr<ColumnBuilder>> vectors(plan_.fetches.size());
    std::vector<std::unique_ptr<TensorColumnBuilder>> tensors(plan_.fetches.size());
    for (size_t i = 0; i < plan_.fetches.size(); ++i) {
      const TypePtr t = FetchType(plan_.fetches[i]);
      if (t->id() == TypeId::kList) {
        tensors[i] = std::make_unique<TensorColumnBuilder>(
            static_cast<int>(plan_.fetches[i].row_dims.size()), Float32Type());
      } else {
        vectors[i] = MakeBuilder(t);
      }
    }
    std::vector<int64_t> kept;
    std::vector<std::vector<float>> buffers(plan_.feeds.size());
    std::vector<double> row;
    for (int64_t start = 0; start < n; start += mini_batch_) {
      const int64_t end = std::min(n, start + mini_batch_);
      for (size_t f = 0; f < plan_.feeds.size(); ++f) {
        buffers[f].resize(static_cast<size_t>((end - start) * plan_.feeds[f].row_size));
      }
      std::vector<bool> valid(end - start, false);
      int k = 0;
      for (int64_t r = start; r < end; ++r) {
        bool ok = true;
        for (size_t f = 0; f < plan_.feeds.size() && ok; ++f) {
          Result<bool> got =
              plan_.feeds[f].fill(in, r, buffers[f].data() + k * plan_.feeds[f].row_size);
          if (!got.ok()) return got.status();
          ok = *got;
        }
        if (ok) {
          valid[r - start] = true;
          ++k;
        }
      }
      std::vector<cv::Mat> outs;
      if (k > 0) {
        std::vector<cv::Mat> blobs;
        for (size_t f = 0; f < plan_.feeds.size(); ++f) {
          blobs.push_back(Blob(k, plan_.feeds[f], buffers[f].data()));
        }
        EMBER_ASSIGN_OR_RETURN(outs, Forward(state.net, inputs_, blobs, layers_, model_->origin));
        for (size_t i = 0; i < outs.size(); ++i) {
          if (static_cast<int64_t>(outs[i].total()) != k * plan_.fetches[i].row_size) {
            return Internal(model_->origin + ": output '" + layers_[i] + "' has " +
                            std::to_string(outs[i].total()) + " values for " + std::to_string(k) +
                            " rows of " + std::to_string(plan_.fetches[i].row_size));
          }
        }
      }
      int j = 0;
      for (int64_t r = start; r < end; ++r) {
        if (!valid[r - start]) {
          if (drop_null_rows_) continue;
          for (size_t i = 0; i < plan_.fetches.size(); ++i) {
            tensors[i] ? tensors[i]->AppendNull() : vectors[i]->AppendNull();
          }
          kept.push_back(r);
          continue;
        }
        kept.push_back(r);
        for (size_t i = 0; i < plan_.fetches.size(); ++i) {
          const Fetch& fetch = plan_.fetches[i];
          const float* v = outs[i].ptr<float>() + j * fetch.row_size;
          if (tensors[i]) {
            tensors[i]->Append(fetch.row_dims, v);
          } else if (vectors[i]->type()->id() == TypeId::kFloat64) {
            static_cast<Float64Builder*>(vectors[i].get())->Append(v[0]);
          } else {
            row.assign(v, v + fetch.row_size);
            EMBER_RETURN_IF_ERROR(static_cast<DenseVectorBuilder*>(vectors[i].get())->Append(row));
          }
        }
        ++j;
      }
    }
    Batch base = in;
    if (static_cast<int64_t>(kept.size()) != n) {
      EMBER_ASSIGN_OR_RETURN(base, TakeRows(in, kept));
    }
    std::vector<ColumnPtr> cols = base.columns();
    for (size_t i = 0; i < plan_.fetches.size(); ++i) {
      cols.push_back(tensors[i] ? tensors[i]->Finish() : vectors[i]->Finish());
    }
    AppendSoftmaxArgmax(&cols);
    return Batch::Make(out_, std::move(cols), base.num_rows());
  }

 private:
  void AppendSoftmaxArgmax(std::vector<ColumnPtr>* cols) const {
    for (const auto* dict : {&soft_max_, &arg_max_}) {
      for (const auto& [from, to] : *dict) {
        const Column& c = *(*cols)[out_->FindField(from)];
        const int64_t size = c.type()->vector_size();
        DenseVectorBuilder probs(size);
        Float64Builder index(Float64Type());
        std::vector<double> v(static_cast<size_t>(size));
        for (int64_t r = 0; r < c.length(); ++r) {
          if (c.IsNull(r) || size == 0) {
            dict == &soft_max_ ? probs.AppendNull() : index.AppendNull();
            continue;
          }
          std::fill(v.begin(), v.end(), 0.0);
          ForEachVectorEntry(c, r, [&](int64_t k, double x) { v[k] = x; });
          if (dict == &arg_max_) {
            index.Append(static_cast<double>(std::max_element(v.begin(), v.end()) - v.begin()));
            continue;
          }
          const double top = *std::max_element(v.begin(), v.end());
          double sum = 0;
          for (double& x : v) sum += (x = std::exp(x - top));
          for (double& x : v) x /= sum;
          (void)probs.Append(v);
        }
        cols->push_back(dict == &soft_max_ ? probs.Finish() : index.Finish());
      }
    }
  }

  SchemaPtr out_;
  std::shared_ptr<const OnnxBytes> model_;
  NetPlan plan_;
  std::map<std::string, std::string> soft_max_;
  std::map<std::string, std::string> arg_max_;
  int mini_batch_;
  bool drop_null_rows_;
  std::vector<std::string> layers_;
  std::vector<std::string> inputs_;
};

}  // namespace

std::unique_ptr<BoundTransform> MakeNetKernel(SchemaPtr out, std::shared_ptr<const OnnxBytes> model,
                                              NetPlan plan,
                                              std::map<std::string, std::string> soft_max,
                                              std::map<std::string, std::string> arg_max,
                                              int mini_batch, bool drop_null_rows) {
  return std::make_unique<NetKernel>(std::move(out), std::move(model), std::move(plan),
                                     std::move(soft_max), std::move(arg_max), mini_batch,
                                     drop_null_rows);
}

}  // namespace ember::dnn::internal
