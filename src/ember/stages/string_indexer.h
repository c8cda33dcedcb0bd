// StringIndexer (an Estimator) and its model, and IndexToString, with SparkML's semantics:
// values of any scalar column (strings, numbers, booleans, as text) are mapped to float64
// indices ordered by frequency (default) or alphabetically; the labels are recorded as
// nominal ML attributes on the output column. Invalid values (null, or unseen at transform
// time) are an error (default), dropped ("skip"), or given the extra index numLabels
// ("keep"). Fitting counts values per partition and merges the counts over ranks through
// the communicator, so every rank gets the same labels. Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ember/base/string_lookup.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

enum class HandleInvalid { kError, kSkip, kKeep };
enum class StringOrder { kFrequencyDesc, kFrequencyAsc, kAlphabetDesc, kAlphabetAsc };

struct StringIndexerParams {
  std::string input_col;
  std::string output_col;
  std::vector<std::string> input_cols;
  std::vector<std::string> output_cols;
  HandleInvalid handle_invalid = HandleInvalid::kError;
  StringOrder string_order_type = StringOrder::kFrequencyDesc;
  static const ParamSpec<StringIndexerParams>& Spec();
};

// The text by which StringIndexer indexes value r of `c` (a string as it is, a number in its
// shortest round-trip form, a bool as true/false); `buf` holds it when it is made.
std::string_view LabelText(const Column& c, int64_t r, std::string* buf);

class StringIndexerModel final
    : public StageBase<StringIndexerModel, Transformer, StringIndexerParams> {
 public:
  static constexpr std::string_view kTypeName = "StringIndexerModel";
  // `labels[k]` are the labels of the k-th input column, index order.
  static Result<std::shared_ptr<const StringIndexerModel>> Make(
      Params params, std::vector<std::vector<std::string>> labels, std::string uid = {});
  static Result<std::shared_ptr<const StringIndexerModel>> Load(const LoadContext& ctx);
  Status SaveContents(const std::string& stage_dir) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // Fusable: see pipeline/fusion.h.
  Result<RowLowering> Lower(const Schema& in) const override;

  const std::vector<std::vector<std::string>>& labels() const { return labels_; }
  // Label -> index of the k-th input column.
  const StringLookup& lookup(size_t k) const { return *index_[k]; }

 private:
  StringIndexerModel(Params p, std::vector<std::vector<std::string>> labels, std::string uid);
  std::vector<std::vector<std::string>> labels_;
  std::vector<std::shared_ptr<const StringLookup>> index_;  // label -> position, per column
};

class StringIndexer final : public StageBase<StringIndexer, Estimator, StringIndexerParams> {
 public:
  static constexpr std::string_view kTypeName = "StringIndexer";
  // Checks that exactly one of inputCol / inputCols is set, with matching outputs (called
  // by StageBase::Make).
  static Status Check(const Params& p);

  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct IndexToStringParams {
  std::string input_col;
  std::string output_col;
  // The labels; empty means those recorded on the input column (its nominal ML attribute).
  std::vector<std::string> labels;
  static const ParamSpec<IndexToStringParams>& Spec();
};

// Maps float64/int indices back to labels; null stays null; an index outside the labels is
// an error naming the value.
class IndexToString final : public StageBase<IndexToString, Transformer, IndexToStringParams> {
 public:
  static constexpr std::string_view kTypeName = "IndexToString";
  // The output column, without needing the labels yet: a pipeline checks its schemas
  // before fitting, when the prediction's labels (from the fitted classifier) are unknown.
  Result<SchemaPtr> TransformSchema(const Schema& in) const override;
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

Status RegisterStringIndexerStages(StageRegistry* registry);

}  // namespace ember
