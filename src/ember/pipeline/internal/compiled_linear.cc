// The compiled kernel of a run ending in a linear model (pipeline/fusion.h): each row's
// margins from the run's input columns, a category's contribution looked up, numbers
// scaled and multiplied as the stages would, in the order the stages add them.
#include <algorithm>
#include <cmath>

#include "ember/pipeline/classifier_outputs.h"
#include "ember/pipeline/internal/compiled_run.h"

namespace ember::pipeline::internal {

namespace {

class CompiledLinearScorer final : public CompiledRun {
 public:
  CompiledLinearScorer(std::unique_ptr<BoundTransform> general, std::vector<Part> parts,
                       std::vector<double> coef, std::vector<double> intercepts,
                       std::vector<double> scale, int64_t d, int k, double threshold,
                       std::vector<ReplySource> reply)
      : CompiledRun(std::move(general), std::move(reply)),
        parts_(std::move(parts)),
        coef_(std::move(coef)),
        intercepts_(std::move(intercepts)),
        scale_(std::move(scale)),
        d_(d),
        k_(k),
        threshold_(threshold) {}

  Result<Batch> Apply(const Batch& in, KernelScratch& scratch) const override {
    const int64_t n = in.num_rows();
    ClassifierOutputs outputs(n, k_);
    const int rows = static_cast<int>(intercepts_.size());
    if (n >= kColumnarRows) {
      // A block of rows: tile by tile (the margins of a tile stay in the first-level cache),
      // column by column within a tile (no per-row dispatch over the parts), then the
      // outputs row by row. Each row's additions are the same, in the same order, as Margins'.
      const int64_t tile = std::min<int64_t>(n, kTileRows);
      std::vector<double> m(static_cast<size_t>(tile * rows));
      for (int64_t begin = 0; begin < n; begin += tile) {
        const int64_t end = std::min(n, begin + tile);
        if (!BlockMargins(in, begin, end, m.data())) return Fallback(in, scratch);
        for (int64_t r = begin; r < end; ++r) {
          outputs.prediction(r) = LogisticOutputs(m.data() + (r - begin) * rows, rows, threshold_,
                                                  outputs.raw(r), outputs.prob(r));
        }
      }
    } else {
      double stack_margins[8];
      std::vector<double> heap_margins;
      double* m = stack_margins;
      if (rows > 8) {
        heap_margins.resize(static_cast<size_t>(rows));
        m = heap_margins.data();
      }
      for (int64_t r = 0; r < n; ++r) {
        if (!Margins(in, r, m)) return Fallback(in, scratch);
        outputs.prediction(r) =
            LogisticOutputs(m, rows, threshold_, outputs.raw(r), outputs.prob(r));
      }
    }
    const ColumnPtr made[3] = {
        needs(ReplySource::kRaw) ? outputs.TakeRaw() : nullptr,
        needs(ReplySource::kProbability) ? outputs.TakeProbability() : nullptr,
        needs(ReplySource::kPrediction) ? outputs.TakePrediction() : nullptr};
    return Reply(in, made);
  }

 private:
  // Adds the contribution of category `value` of part `p` to one row's margins `m`; false
  // when the value is one the general kernel must handle (unseen or invalid under "error").
  static bool AddCategory(const Part& p, std::string_view value, int rows, double* m) {
    const int64_t cat = p.Category(value);
    if (cat < 0) return false;
    if (cat < p.width) {  // else the dropped last category: no entry
      const double* add = p.contrib.data() + cat * rows;
      for (int c = 0; c < rows; ++c) m[c] += add[c];
    }
    return true;
  }

  // From this many rows on, margins are computed column by column, a tile of rows at a time.
  static constexpr int64_t kColumnarRows = 16;
  static constexpr int64_t kTileRows = 512;

  // The margins of rows [begin, end) (row r's at m[(r - begin) * rows ..]), part by part over
  // the rows: for each row the same additions in the same order as Margins, so the same bits.
  // False when any row holds something the general kernel must handle.
  bool BlockMargins(const Batch& in, int64_t begin, int64_t end, double* m) const {
    const int rows = static_cast<int>(intercepts_.size());
    for (int64_t r = 0; r < end - begin; ++r) {
      for (int c = 0; c < rows; ++c) m[r * rows + c] = intercepts_[c];
    }
    for (const Part& p : parts_) {
      const Column& col = *in.column(p.input);
      if (col.null_count() > 0) return false;
      if (p.kind == Part::kCategory) {
        for (int64_t r = begin; r < end; ++r) {
          if (!AddCategory(p, col.StringValue(r), rows, m + (r - begin) * rows)) return false;
        }
        continue;
      }
      const double factor = scale_.empty() ? 1.0 : scale_[p.offset];
      const bool scaled = !scale_.empty();
      auto numbers = [&](const auto* values) {
        if (rows == 1) {  // binary: one margin per row, a loop the compiler vectorizes
          bool nan = false;
          for (int64_t r = begin; r < end; ++r) nan |= std::isnan(static_cast<double>(values[r]));
          if (nan) return false;
          const double w = coef_[p.offset];
          for (int64_t r = begin; r < end; ++r) {
            double v = static_cast<double>(values[r]);
            if (scaled) v = v * factor;
            const double sum = m[r - begin] + w * v;
            m[r - begin] = v == 0.0 ? m[r - begin] : sum;  // the assembler stores no zeros
          }
          return true;
        }
        for (int64_t r = begin; r < end; ++r) {
          double v = static_cast<double>(values[r]);
          if (v == 0.0) continue;  // the assembler stores no zeros
          if (std::isnan(v)) return false;
          if (scaled) v = v * factor;
          double* mr = m + (r - begin) * rows;
          for (int c = 0; c < rows; ++c) mr[c] += coef_[c * d_ + p.offset] * v;
        }
        return true;
      };
      bool ok = true;
      switch (p.kind) {
        case Part::kFloat64:
          ok = numbers(col.Values<double>());
          break;
        case Part::kFloat32:
          ok = numbers(col.Values<float>());
          break;
        case Part::kInt32:
          ok = numbers(col.Values<int32_t>());
          break;
        default:
          ok = numbers(col.Values<int64_t>());
          break;
      }
      if (!ok) return false;
    }
    return true;
  }

  // Row r's margins, added in the order the stages' kernels add them: the intercepts, then
  // each stored entry of the (scaled) feature vector in slot order. False when the row
  // holds something the general kernel must handle (null, NaN, an invalid category).
  bool Margins(const Batch& in, int64_t r, double* m) const {
    const int rows = static_cast<int>(intercepts_.size());
    for (int c = 0; c < rows; ++c) m[c] = intercepts_[c];
    for (const Part& p : parts_) {
      const Column& col = *in.column(p.input);
      if (col.null_count() > 0 && col.IsNull(r)) return false;
      if (p.kind == Part::kCategory) {
        if (!AddCategory(p, col.StringValue(r), rows, m)) return false;
        continue;
      }
      double v = p.Number(col, r);
      if (v == 0.0) continue;           // the assembler stores no zeros
      if (std::isnan(v)) return false;  // an error, a dropped row or a kept NaN
      if (!scale_.empty()) v = v * scale_[p.offset];
      for (int c = 0; c < rows; ++c) m[c] += coef_[c * d_ + p.offset] * v;
    }
    return true;
  }

  std::vector<Part> parts_;
  std::vector<double> coef_;
  std::vector<double> intercepts_;
  std::vector<double> scale_;
  int64_t d_;
  int k_;
  double threshold_;
};

}  // namespace

std::vector<Part> MakeParts(const Symbol& features, const Schema& input) {
  std::vector<Part> parts;
  for (size_t i = 0; i < features.parts.size(); ++i) {
    const Symbol& s = features.parts[i];
    Part p{Part::kCategory, s.input,   features.offsets[i],
           s.lookup,        s.unknown, s.categories,
           s.invalid,       s.width,   {}};
    if (s.kind != Symbol::kOneHot) {
      switch (input.field(s.input).type->id()) {
        case TypeId::kFloat64:
          p.kind = Part::kFloat64;
          break;
        case TypeId::kFloat32:
          p.kind = Part::kFloat32;
          break;
        case TypeId::kInt32:
          p.kind = Part::kInt32;
          break;
        default:
          p.kind = Part::kInt64;
          break;
      }
    }
    parts.push_back(std::move(p));
  }
  return parts;
}

Result<std::unique_ptr<CompiledRun>> CompileLinear(const RowLowering& lr, const Symbol& features,
                                                   const Schema& input,
                                                   std::unique_ptr<BoundTransform> general,
                                                   std::vector<ReplySource> reply) {
  if (!features.sparse) return FailedPrecondition("the assembled vector is dense");
  const int64_t d = lr.num_features;
  const int rows = static_cast<int>(lr.intercepts->size());
  const std::vector<double>& coef = *lr.coefficients;
  std::vector<Part> parts = MakeParts(features, input);
  for (Part& p : parts) {
    if (p.kind != Part::kCategory) continue;
    // Category c's entry is 1.0 (times the scale) at slot offset + c; the model adds
    // coefficient * value to each margin.
    p.contrib.resize(static_cast<size_t>(p.width * rows));
    for (int64_t c = 0; c < p.width; ++c) {
      const int64_t slot = p.offset + c;
      const double v = features.scale.empty() ? 1.0 : 1.0 * features.scale[slot];
      for (int row = 0; row < rows; ++row) p.contrib[c * rows + row] = coef[row * d + slot] * v;
    }
  }
  return std::unique_ptr<CompiledRun>(
      new CompiledLinearScorer(std::move(general), std::move(parts), coef, *lr.intercepts,
                               features.scale, d, lr.num_classes, lr.threshold, std::move(reply)));
}

}  // namespace ember::pipeline::internal
