// A thin owning layer over XGBoost's C API (libxgboost 1.7): matrices, boosters and their
// calls, every failure a Status carrying XGBoost's own message. Only this layer includes
// <xgboost/c_api.h>.
//
// Thread safety: a Booster may be used for prediction from several threads at once
// (XGBoost >= 1.4 keeps prediction buffers per thread, and this layer copies results out);
// training calls (Update, Boost, SetParam) need exclusive use.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ember/base/result.h"

namespace ember::gbdt {

// The XGBoost version compiled against, "1.7.4".
std::string XgboostVersion();

// Training or prediction data in XGBoost's own format. Missing values are NaN.
class XgbMatrix {
 public:
  // Row-major `rows` x `cols` floats.
  static Result<XgbMatrix> FromDense(const float* values, int64_t rows, int64_t cols, int threads);
  // CSR: `indptr` has rows + 1 entries; `indices`/`values` indptr[rows] entries; absent
  // entries are missing (XGBoost treats them as such, not as zero).
  static Result<XgbMatrix> FromCsr(std::span<const size_t> indptr,
                                   std::span<const uint32_t> indices, std::span<const float> values,
                                   int64_t cols);
  // One batch of rows for FromDenseBatches: row-major doubles (NaN missing) and per-row
  // label, weight (optional) and base margin (optional, `margins_per_row` each).
  struct DenseBatch {
    const double* values;
    int64_t rows;
    const float* labels;
    const float* weights;
    const float* base_margin;
  };
  // XGBoost's QuantileDMatrix built batch by batch from the caller's memory: the histogram
  // bins only, no copy of the values (for tree_method "hist" training with `max_bin`).
  // `feature_types`: "q"/"c" per feature, or empty (all numeric).
  static Result<XgbMatrix> FromDenseBatches(std::span<const DenseBatch> batches, int64_t cols,
                                            int margins_per_row, int max_bin, int threads,
                                            const std::vector<std::string>& feature_types = {});
  XgbMatrix() = default;  // empty: no matrix
  XgbMatrix(XgbMatrix&&) noexcept;
  XgbMatrix& operator=(XgbMatrix&&) noexcept;
  ~XgbMatrix();

  // "label", "weight", "base_margin", "label_lower_bound", ...
  Status SetFloatInfo(const char* field, std::span<const float> values);
  // "group_ptr" style fields; "group" takes group sizes.
  Status SetUIntInfo(const char* field, std::span<const uint32_t> values);
  // Per-feature "feature_type" ("q" numeric, "c" categorical) or "feature_name".
  Status SetFeatureInfo(const char* field, const std::vector<std::string>& values);
  int64_t rows() const;
  void* handle() const { return handle_; }

 private:
  explicit XgbMatrix(void* h) : handle_(h) {}
  void* handle_ = nullptr;
};

// A prediction: `shape` as XGBoost gives it (strict shapes), values row-major.
struct XgbPrediction {
  std::vector<uint64_t> shape;
  std::vector<float> values;
};

// XGBoost's process-wide collective (Rabit in Debian's build): joining it makes this
// process one worker of a distributed training; `config` names the tracker
// (RabitTracker::WorkerConfig).
Status JoinXgboostCollective(const std::string& config);
Status LeaveXgboostCollective();
// This process's rank and the number of workers (0 and 1 outside a collective).
int XgboostCollectiveRank();
int XgboostCollectiveSize();
// Sums (or takes the maximum of) `values` over every worker, in place; a no-op outside a
// collective.
Status XgboostCollectiveSum(std::span<double> values);
Status XgboostCollectiveMax(std::span<double> values);

class XgbBooster {
 public:
  // A new booster that caches `matrices` (the training and evaluation data).
  static Result<XgbBooster> Create(std::span<const XgbMatrix* const> matrices);
  // A booster from a saved model (UBJSON or JSON bytes, as SaveModel gives).
  static Result<XgbBooster> Load(std::string_view bytes);
  XgbBooster(XgbBooster&&) noexcept;
  XgbBooster& operator=(XgbBooster&&) noexcept;
  ~XgbBooster();

  Status SetParam(const std::string& name, const std::string& value);
  // One boosting round with the booster's own objective.
  Status Update(int iteration, const XgbMatrix& train);
  // One boosting round from given gradients and hessians (a custom objective); one pair
  // per row (and per class, class-minor, for multi-output models).
  Status Boost(const XgbMatrix& train, std::span<const float> grad, std::span<const float> hess);
  // "[3]\ttrain-auc:0.91\tvalid-auc:0.88" for the named matrices.
  Result<std::string> Eval(int iteration, std::span<const XgbMatrix* const> matrices,
                           const std::vector<std::string>& names);
  // `type`: 0 value, 1 margin, 2 SHAP contributions, 6 leaf indices; rounds [begin, end)
  // (end 0: all). `training`: the prediction a custom objective needs (the training
  // matrix's cached margins, dart's dropped trees). Thread-safe.
  Result<XgbPrediction> Predict(const XgbMatrix& data, int type, int begin_round, int end_round,
                                bool training = false) const;
  // Inplace prediction from a row-major float matrix (no XgbMatrix built). Thread-safe.
  Result<XgbPrediction> PredictDense(const float* values, int64_t rows, int64_t cols, int type,
                                     int end_round) const;
  // "ubj" or "json".
  Result<std::string> Save(const std::string& format) const;
  // The model's rounds [begin, end) as a new booster.
  Result<XgbBooster> Slice(int begin, int end) const;
  Result<int> Rounds() const;
  Result<int64_t> NumFeatures() const;
  // Importance of every feature with a score: "gain", "total_gain", "weight" (splits),
  // "cover"; returns (feature index, score) pairs from XGBoost's "f<index>" names.
  Result<std::vector<std::pair<int64_t, double>>> FeatureScore(const std::string& type) const;
  // The model as XGBoost's JSON dump of each tree (with statistics).
  Result<std::vector<std::string>> DumpJson() const;

 private:
  explicit XgbBooster(void* h) : handle_(h) {}
  void* handle_ = nullptr;
};

}  // namespace ember::gbdt
