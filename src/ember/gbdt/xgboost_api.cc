#include "ember/gbdt/xgboost_api.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "ember/base/status_macros.h"
#include "ember/gbdt/rabit_tracker.h"

namespace ember::gbdt {

namespace {

// XGBoost's error without its stack trace; when a collective call failed (Rabit's
// messages), what the tracker said about the other workers, or what a poll timeout means.
Status Check(int rc, const char* what) {
  if (rc == 0) return Status::OK();
  std::string error = XGBGetLastError();
  if (const size_t at = error.find("\nStack trace:"); at != std::string::npos) error.resize(at);
  if (error.find("rabit") != std::string::npos) {
    const std::string news = tracker_watch::News(std::chrono::seconds(2));
    if (!news.empty()) {
      error += " (" + news + ")";
    } else if (error.find("Poll timeout") != std::string::npos) {
      error +=
          " (a peer worker did not answer within the tracker's peer timeout: it is stuck or "
          "unreachable)";
    } else {
      error += " (a peer worker closed its connections: it failed or was killed)";
    }
    tracker_watch::ReportFailure(std::string(what) + ": " + error);
    return Unavailable("XGBoost worker " + std::to_string(XGCommunicatorGetRank()) + " of " +
                       std::to_string(XGCommunicatorGetWorldSize()) + ", " + what + ": " + error);
  }
  return Internal(std::string("XGBoost ") + what + ": " + error);
}

#define EMBER_XGB(call, what) EMBER_RETURN_IF_ERROR(Check((call), (what)))

XgbPrediction CopyPrediction(const bst_ulong* shape, bst_ulong dim, const float* values) {
  XgbPrediction p;
  size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) {
    p.shape.push_back(shape[i]);
    n *= shape[i];
  }
  p.values.assign(values, values + n);
  return p;
}

std::string PredictConfig(int type, int begin, int end, bool inplace, bool training = false) {
  char buf[200];
  std::snprintf(
      buf, sizeof(buf),
      R"({"type": %d, "training": %s, "iteration_begin": %d, "iteration_end": %d, "strict_shape": true%s})",
      type, training ? "true" : "false", begin, end,
      inplace ? R"(, "missing": NaN, "cache_id": 0)" : "");
  return buf;
}

}  // namespace

std::string XgboostVersion() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

// The collective ------------------------------------------------------------------------------

Status JoinXgboostCollective(const std::string& config) {
  EMBER_XGB(XGCommunicatorInit(config.c_str()), "joining the collective");
  return tracker_watch::Open(config, XGCommunicatorGetRank());
}

Status LeaveXgboostCollective() {
  Status s = Check(XGCommunicatorFinalize(), "leaving the collective");
  tracker_watch::Close();
  return s;
}

int XgboostCollectiveRank() { return XGCommunicatorGetRank(); }

int XgboostCollectiveSize() { return XGCommunicatorGetWorldSize(); }

// xgboost::collective::DataType::kDouble is 7; Operation kMax 0, kSum 2 (XGBoost 1.7).
Status XgboostCollectiveSum(std::span<double> values) {
  if (values.empty() || XgboostCollectiveSize() <= 1) return Status::OK();
  return Check(XGCommunicatorAllreduce(values.data(), values.size(), 7, 2),
               "summing over the workers");
}

Status XgboostCollectiveMax(std::span<double> values) {
  if (values.empty() || XgboostCollectiveSize() <= 1) return Status::OK();
  return Check(XGCommunicatorAllreduce(values.data(), values.size(), 7, 0),
               "maximum over the workers");
}

// XgbMatrix ---------------------------------------------------------------------------------

Result<XgbMatrix> XgbMatrix::FromDense(const float* values, int64_t rows, int64_t cols,
                                       int threads) {
  DMatrixHandle h = nullptr;
  EMBER_XGB(XGDMatrixCreateFromMat_omp(values, static_cast<bst_ulong>(rows),
                                       static_cast<bst_ulong>(cols), NAN, &h, threads),
            "creating a dense matrix");
  return XgbMatrix(h);
}

Result<XgbMatrix> XgbMatrix::FromCsr(std::span<const size_t> indptr,
                                     std::span<const uint32_t> indices,
                                     std::span<const float> values, int64_t cols) {
  DMatrixHandle h = nullptr;
  EMBER_XGB(XGDMatrixCreateFromCSREx(indptr.data(), indices.data(), values.data(), indptr.size(),
                                     values.size(), static_cast<size_t>(cols), &h),
            "creating a sparse matrix");
  return XgbMatrix(h);
}

namespace {

// The iterator XGBoost pulls the batches from (its callbacks get this as the handle).
struct DenseBatchIterator {
  std::span<const XgbMatrix::DenseBatch> batches;
  int64_t cols;
  int margins_per_row;
  DMatrixHandle proxy;
  std::vector<const char*> feature_types;
  size_t next = 0;
  std::string error;  // the first failure inside a callback
};

void ResetBatches(DataIterHandle handle) { static_cast<DenseBatchIterator*>(handle)->next = 0; }

int NextBatch(DataIterHandle handle) {
  auto* it = static_cast<DenseBatchIterator*>(handle);
  if (it->next >= it->batches.size() || !it->error.empty()) return 0;
  const XgbMatrix::DenseBatch& b = it->batches[it->next++];
  char array[200];
  std::snprintf(array, sizeof(array),
                R"({"data": [%llu, true], "shape": [%lld, %lld], "typestr": "<f8", "version": 3})",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(b.values)),
                static_cast<long long>(b.rows), static_cast<long long>(it->cols));
  const bst_ulong n = static_cast<bst_ulong>(b.rows);
  int rc = XGProxyDMatrixSetDataDense(it->proxy, array);
  if (rc == 0) rc = XGDMatrixSetFloatInfo(it->proxy, "label", b.labels, n);
  if (rc == 0 && b.weights) rc = XGDMatrixSetFloatInfo(it->proxy, "weight", b.weights, n);
  if (rc == 0 && !it->feature_types.empty()) {
    rc = XGDMatrixSetStrFeatureInfo(it->proxy, "feature_type", it->feature_types.data(),
                                    it->feature_types.size());
  }
  if (rc == 0 && b.base_margin) {
    rc = XGDMatrixSetFloatInfo(it->proxy, "base_margin", b.base_margin,
                               n * static_cast<bst_ulong>(it->margins_per_row));
  }
  if (rc != 0) {
    it->error = XGBGetLastError();
    return 0;
  }
  return 1;
}

}  // namespace

Result<XgbMatrix> XgbMatrix::FromDenseBatches(std::span<const DenseBatch> batches, int64_t cols,
                                              int margins_per_row, int max_bin, int threads,
                                              const std::vector<std::string>& feature_types) {
  DMatrixHandle proxy = nullptr;
  EMBER_XGB(XGProxyDMatrixCreate(&proxy), "creating a proxy matrix");
  XgbMatrix proxy_owner(proxy);
  DenseBatchIterator it{batches, cols, margins_per_row, proxy, {}};
  for (const std::string& t : feature_types) it.feature_types.push_back(t.c_str());
  char config[120];
  std::snprintf(config, sizeof(config), R"({"missing": NaN, "nthread": %d, "max_bin": %d})",
                threads, max_bin);
  DMatrixHandle h = nullptr;
  const int rc =
      XGQuantileDMatrixCreateFromCallback(&it, proxy, nullptr, ResetBatches, NextBatch, config, &h);
  if (!it.error.empty()) return Internal("XGBoost reading a batch: " + it.error);
  EMBER_XGB(rc, "creating a quantile matrix");
  return XgbMatrix(h);
}

XgbMatrix::XgbMatrix(XgbMatrix&& o) noexcept : handle_(o.handle_) { o.handle_ = nullptr; }
XgbMatrix& XgbMatrix::operator=(XgbMatrix&& o) noexcept {
  std::swap(handle_, o.handle_);
  return *this;
}
XgbMatrix::~XgbMatrix() {
  if (handle_) XGDMatrixFree(handle_);
}

Status XgbMatrix::SetFloatInfo(const char* field, std::span<const float> values) {
  return Check(XGDMatrixSetFloatInfo(handle_, field, values.data(), values.size()),
               (std::string("setting ") + field).c_str());
}

Status XgbMatrix::SetUIntInfo(const char* field, std::span<const uint32_t> values) {
  return Check(XGDMatrixSetUIntInfo(handle_, field, values.data(), values.size()),
               (std::string("setting ") + field).c_str());
}

Status XgbMatrix::SetFeatureInfo(const char* field, const std::vector<std::string>& values) {
  std::vector<const char*> ptrs;
  for (const auto& v : values) ptrs.push_back(v.c_str());
  return Check(XGDMatrixSetStrFeatureInfo(handle_, field, ptrs.data(), ptrs.size()),
               (std::string("setting ") + field).c_str());
}

int64_t XgbMatrix::rows() const {
  bst_ulong n = 0;
  XGDMatrixNumRow(handle_, &n);
  return static_cast<int64_t>(n);
}

// XgbBooster --------------------------------------------------------------------------------

Result<XgbBooster> XgbBooster::Create(std::span<const XgbMatrix* const> matrices) {
  std::vector<DMatrixHandle> handles;
  for (const XgbMatrix* m : matrices) handles.push_back(m->handle());
  BoosterHandle h = nullptr;
  EMBER_XGB(XGBoosterCreate(handles.data(), handles.size(), &h), "creating a booster");
  return XgbBooster(h);
}

Result<XgbBooster> XgbBooster::Load(std::string_view bytes) {
  BoosterHandle h = nullptr;
  EMBER_XGB(XGBoosterCreate(nullptr, 0, &h), "creating a booster");
  XgbBooster b(h);
  EMBER_XGB(XGBoosterLoadModelFromBuffer(h, bytes.data(), bytes.size()), "loading a model");
  return b;
}

XgbBooster::XgbBooster(XgbBooster&& o) noexcept : handle_(o.handle_) { o.handle_ = nullptr; }
XgbBooster& XgbBooster::operator=(XgbBooster&& o) noexcept {
  std::swap(handle_, o.handle_);
  return *this;
}
XgbBooster::~XgbBooster() {
  if (handle_) XGBoosterFree(handle_);
}

Status XgbBooster::SetParam(const std::string& name, const std::string& value) {
  return Check(XGBoosterSetParam(handle_, name.c_str(), value.c_str()),
               ("setting " + name + "=" + value).c_str());
}

Status XgbBooster::Update(int iteration, const XgbMatrix& train) {
  return Check(XGBoosterUpdateOneIter(handle_, iteration, train.handle()), "boosting a round");
}

Status XgbBooster::Boost(const XgbMatrix& train, std::span<const float> grad,
                         std::span<const float> hess) {
  if (grad.size() != hess.size()) return InvalidArgument("gradients and hessians differ in length");
  return Check(XGBoosterBoostOneIter(handle_, train.handle(), const_cast<float*>(grad.data()),
                                     const_cast<float*>(hess.data()), grad.size()),
               "boosting a round from gradients");
}

Result<std::string> XgbBooster::Eval(int iteration, std::span<const XgbMatrix* const> matrices,
                                     const std::vector<std::string>& names) {
  std::vector<DMatrixHandle> handles;
  std::vector<const char*> name_ptrs;
  for (size_t i = 0; i < matrices.size(); ++i) {
    handles.push_back(matrices[i]->handle());
    name_ptrs.push_back(names[i].c_str());
  }
  const char* out = nullptr;
  EMBER_XGB(XGBoosterEvalOneIter(handle_, iteration, handles.data(), name_ptrs.data(),
                                 handles.size(), &out),
            "evaluating");
  return std::string(out);
}

Result<XgbPrediction> XgbBooster::Predict(const XgbMatrix& data, int type, int begin_round,
                                          int end_round, bool training) const {
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* values = nullptr;
  EMBER_XGB(XGBoosterPredictFromDMatrix(
                handle_, data.handle(),
                PredictConfig(type, begin_round, end_round, false, training).c_str(), &shape, &dim,
                &values),
            "predicting");
  return CopyPrediction(shape, dim, values);
}

Result<XgbPrediction> XgbBooster::PredictDense(const float* values, int64_t rows, int64_t cols,
                                               int type, int end_round) const {
  char array[200];
  std::snprintf(array, sizeof(array),
                R"({"data": [%llu, true], "shape": [%lld, %lld], "typestr": "<f4", "version": 3})",
                static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(values)),
                static_cast<long long>(rows), static_cast<long long>(cols));
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  EMBER_XGB(
      XGBoosterPredictFromDense(handle_, array, PredictConfig(type, 0, end_round, true).c_str(),
                                nullptr, &shape, &dim, &out),
      "predicting");
  return CopyPrediction(shape, dim, out);
}

Result<std::string> XgbBooster::Save(const std::string& format) const {
  const std::string config = R"({"format": ")" + format + R"("})";
  bst_ulong len = 0;
  const char* data = nullptr;
  EMBER_XGB(XGBoosterSaveModelToBuffer(handle_, config.c_str(), &len, &data), "saving the model");
  return std::string(data, len);
}

Result<XgbBooster> XgbBooster::Slice(int begin, int end) const {
  BoosterHandle h = nullptr;
  EMBER_XGB(XGBoosterSlice(handle_, begin, end, 1, &h), "slicing the model");
  return XgbBooster(h);
}

Result<int> XgbBooster::Rounds() const {
  int n = 0;
  EMBER_XGB(XGBoosterBoostedRounds(handle_, &n), "counting rounds");
  return n;
}

Result<int64_t> XgbBooster::NumFeatures() const {
  bst_ulong n = 0;
  EMBER_XGB(XGBoosterGetNumFeature(handle_, &n), "counting features");
  return static_cast<int64_t>(n);
}

Result<std::vector<std::pair<int64_t, double>>> XgbBooster::FeatureScore(
    const std::string& type) const {
  const std::string config = R"({"importance_type": ")" + type + R"("})";
  bst_ulong n = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  EMBER_XGB(XGBoosterFeatureScore(handle_, config.c_str(), &n, &names, &dim, &shape, &scores),
            "computing feature importances");
  // Multi-class gain scores have one column per class: summed per feature.
  size_t per = 1;
  for (bst_ulong i = 1; i < dim; ++i) per *= shape[i];
  std::vector<std::pair<int64_t, double>> out;
  for (bst_ulong i = 0; i < n; ++i) {
    if (names[i][0] != 'f')
      return Internal(std::string("XGBoost feature name '") + names[i] + "' is not f<index>");
    double s = 0;
    for (size_t k = 0; k < per; ++k) s += scores[i * per + k];
    out.emplace_back(std::strtoll(names[i] + 1, nullptr, 10), s);
  }
  return out;
}

Result<std::vector<std::string>> XgbBooster::DumpJson() const {
  bst_ulong n = 0;
  const char** dump = nullptr;
  EMBER_XGB(XGBoosterDumpModelEx(handle_, "", 1, "json", &n, &dump), "dumping the model");
  return std::vector<std::string>(dump, dump + n);
}

}  // namespace ember::gbdt
