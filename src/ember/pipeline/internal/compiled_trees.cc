// The compiled kernel of a run ending in a tree ensemble (pipeline/fusion.h): each row's
// feature vector written straight from the run's input columns into a float row, as the
// stages would assemble it (a sparse vector's unstored entries missing, a dense vector's
// zeros kept), and scored by the model's RowScorer (gbdt's compiled trees).
#include <cmath>
#include <limits>
#include <optional>

#include "ember/core/builder.h"
#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/internal/compiled_run.h"

namespace ember::pipeline::internal {

namespace {

class CompiledTreeScorer final : public CompiledRun {
 public:
  CompiledTreeScorer(std::unique_ptr<BoundTransform> general, std::vector<ReplySource> reply,
                     std::vector<Part> parts, const RowLowering& model, std::vector<double> scale,
                     bool sparse)
      : CompiledRun(std::move(general), std::move(reply)),
        parts_(std::move(parts)),
        scorer_(*model.scorer),
        classes_(model.num_classes),
        thresholds_(model.thresholds ? *model.thresholds : std::vector<double>{}),
        exp_link_(model.exp_link),
        votes_(model.votes ? std::optional<VoteLink>(*model.votes) : std::nullopt),
        scale_(std::move(scale)),
        missing_(sparse ? std::numeric_limits<float>::quiet_NaN() : 0.0f),
        sparse_(sparse) {}

  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const int64_t n = in.num_rows();
    for (const Part& p : parts_) {
      if (in.column(p.input)->null_count() > 0) return Fallback(in, scratch);
    }
    const int k = scorer_.num_outputs();
    std::vector<float> margins(static_cast<size_t>(n * k));
    std::vector<float> row(static_cast<size_t>(scorer_.num_features()), missing_);
    std::vector<int64_t> set;  // the slots a row wrote, put back to missing after it
    for (int64_t r = 0; r < n; ++r) {
      if (!WriteRow(in, r, row.data(), &set)) return Fallback(in, scratch);
      scorer_.Predict(row.data(), margins.data() + r * k);
      for (int64_t j : set) row[j] = missing_;
      set.clear();
    }
    if (classes_ == 0) {  // a regressor: the prediction through the objective's link
      BufferBuilder values;
      values.ResizeUninitialized(n * 8);
      double* pred = values.mutable_data_as<double>();
      for (int64_t r = 0; r < n; ++r) {
        pred[r] = exp_link_ ? std::exp(static_cast<double>(margins[r])) : margins[r];
      }
      const ColumnPtr made[3] = {nullptr, nullptr,
                                 NumericColumnFromBuffers(Float64Type(), n, values.Finish())};
      return Reply(in, made);
    }
    ClassifierOutputs outputs(n, classes_);
    std::vector<double> row_margins(static_cast<size_t>(k));  // the stage's float -> double
    for (int64_t r = 0; r < n; ++r) {
      for (int c = 0; c < k; ++c) row_margins[c] = margins[r * k + c];
      outputs.prediction(r) =
          votes_ ? VoteOutputs(row_margins.data(), k, *votes_, 0.5, outputs.raw(r), outputs.prob(r))
                 : LogisticOutputs(row_margins.data(), k, 0.5, outputs.raw(r), outputs.prob(r));
      if (!thresholds_.empty())
        outputs.prediction(r) = ThresholdedPrediction(outputs.prob(r), thresholds_);
    }
    const ColumnPtr made[3] = {
        needs(ReplySource::kRaw) ? outputs.TakeRaw() : nullptr,
        needs(ReplySource::kProbability) ? outputs.TakeProbability() : nullptr,
        needs(ReplySource::kPrediction) ? outputs.TakePrediction() : nullptr};
    return Reply(in, made);
  }

 private:
  // Row r's features into `row` (its slots missing on entry), the slots written into `set`;
  // false when the row holds something the stages' kernels must handle (NaN, an invalid
  // category).
  bool WriteRow(const Batch& in, int64_t r, float* row, std::vector<int64_t>* set) const {
    for (const Part& p : parts_) {
      const Column& col = *in.column(p.input);
      if (p.kind == Part::kCategory) {
        const int64_t cat = p.Category(col.StringValue(r));
        if (cat < 0) return false;
        if (cat < p.width) {  // else the dropped last category: no entry
          const int64_t slot = p.offset + cat;
          row[slot] = static_cast<float>(scale_.empty() ? 1.0 : 1.0 * scale_[slot]);
          set->push_back(slot);
        }
        continue;
      }
      double v = p.Number(col, r);
      if (std::isnan(v)) return false;    // an error, a dropped row or a kept NaN
      if (sparse_ && v == 0.0) continue;  // the assembler stores no zeros: missing
      if (!scale_.empty()) v = v * scale_[p.offset];
      row[p.offset] = static_cast<float>(v);
      set->push_back(p.offset);
    }
    return true;
  }

  std::vector<Part> parts_;
  const RowScorer& scorer_;
  int classes_;
  std::vector<double> thresholds_;
  bool exp_link_;
  std::optional<VoteLink> votes_;
  std::vector<double> scale_;
  float missing_;
  bool sparse_;
};

}  // namespace

Result<std::unique_ptr<CompiledRun>> CompileTrees(const RowLowering& model, const Symbol& features,
                                                  const Schema& input,
                                                  std::unique_ptr<BoundTransform> general,
                                                  std::vector<ReplySource> reply) {
  int64_t width = 0;
  for (size_t i = 0; i < features.parts.size(); ++i) {
    width = features.offsets[i] +
            (features.parts[i].kind == Symbol::kOneHot ? features.parts[i].width : 1);
  }
  if (width != model.scorer->num_features()) {
    return FailedPrecondition("the assembled vector has " + std::to_string(width) +
                              " slots but the trees read " +
                              std::to_string(model.scorer->num_features()));
  }
  const int k = model.scorer->num_outputs();
  if (model.num_classes > 0 && k != (model.num_classes == 2 ? 1 : model.num_classes)) {
    return FailedPrecondition("the trees' outputs do not match the classes");
  }
  if (model.num_classes == 0 && k != 1) return FailedPrecondition("the trees have several outputs");
  return std::unique_ptr<CompiledRun>(new CompiledTreeScorer(std::move(general), std::move(reply),
                                                             MakeParts(features, input), model,
                                                             features.scale, features.sparse));
}

}  // namespace ember::pipeline::internal
