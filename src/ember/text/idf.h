// IDF (an Estimator) and IDFModel, as SparkML's: over a vector column of term frequencies,
// idf(t) = ln((m + 1) / (df(t) + 1)) with m documents (non-null rows) and df(t) the
// documents where slot t is non-zero, counted over partitions and ranks; a term seen in
// fewer than minDocFreq documents gets 0. The model multiplies each slot by its idf
// (sparse stays sparse). Immutable and thread-safe.
#pragma once

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct IDFParams {
  std::string input_col;
  std::string output_col;
  int32_t min_doc_freq = 0;
  static const ParamSpec<IDFParams>& Spec();
};

class IDFModel final : public StageBase<IDFModel, Transformer, IDFParams> {
 public:
  static constexpr std::string_view kTypeName = "IDFModel";
  static Result<std::shared_ptr<const IDFModel>> Make(Params params, int64_t num_docs,
                                                      std::vector<int64_t> doc_freq,
                                                      std::string uid = {});
  static Result<std::shared_ptr<const IDFModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<double>& idf() const { return *idf_; }
  const std::vector<int64_t>& doc_freq() const { return doc_freq_; }
  int64_t num_docs() const { return num_docs_; }

 private:
  IDFModel(Params p, int64_t num_docs, std::vector<int64_t> doc_freq, std::vector<double> idf,
           std::string uid)
      : StageBase(std::move(p), std::move(uid)),
        num_docs_(num_docs),
        doc_freq_(std::move(doc_freq)),
        idf_(std::make_shared<const std::vector<double>>(std::move(idf))) {}
  int64_t num_docs_;
  std::vector<int64_t> doc_freq_;
  std::shared_ptr<const std::vector<double>> idf_;  // shared with bound kernels, not copied
};

class IDF final : public StageBase<IDF, Estimator, IDFParams> {
 public:
  static constexpr std::string_view kTypeName = "IDF";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterIdfStages(StageRegistry* registry);

}  // namespace ember
