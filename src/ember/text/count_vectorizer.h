// Spark's CountVectorizer (an Estimator) and CountVectorizerModel: a vocabulary learned from
// list<string> documents, and each document as a sparse vector of its vocabulary terms'
// counts. Fitting keeps the terms in at least minDF and at most maxDF documents (a count
// when >= 1, else a share of the documents), then the vocabSize terms of largest total count
// (ties: alphabetical; Spark leaves their order open). Transforming drops a term whose count
// in the document is below minTF (a count when >= 1, else a share of the document's tokens);
// binary gives 1 for any kept term. The output vector's slot names are the terms. Null
// documents stay null; null tokens are skipped. Counts are merged over partitions and
// ranks. Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/base/string_lookup.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct CountVectorizerParams {
  std::string input_col;
  std::string output_col;
  int32_t vocab_size = 1 << 18;
  double min_df = 1.0;
  double max_df = 9.223372036854775807e18;
  double min_tf = 1.0;
  bool binary = false;
  static const ParamSpec<CountVectorizerParams>& Spec();
};

class CountVectorizerModel final
    : public StageBase<CountVectorizerModel, Transformer, CountVectorizerParams> {
 public:
  static constexpr std::string_view kTypeName = "CountVectorizerModel";
  static Result<std::shared_ptr<const CountVectorizerModel>> Make(
      Params params, std::vector<std::string> vocabulary, std::string uid = {});
  static Result<std::shared_ptr<const CountVectorizerModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const std::vector<std::string>& vocabulary() const { return vocabulary_; }

 private:
  CountVectorizerModel(Params p, std::vector<std::string> vocabulary, std::string uid);
  std::vector<std::string> vocabulary_;
  std::shared_ptr<const StringLookup> index_;
};

class CountVectorizer final : public StageBase<CountVectorizer, Estimator, CountVectorizerParams> {
 public:
  static constexpr std::string_view kTypeName = "CountVectorizer";
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterCountVectorizerStages(StageRegistry* registry);

}  // namespace ember
