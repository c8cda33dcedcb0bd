#include "ember/stages/repartition.h"

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"

namespace ember {

const ParamSpec<RepartitionParams>& RepartitionParams::Spec() {
  static const ParamSpec<RepartitionParams> spec = std::move(
      ParamSpec<RepartitionParams>("Repartition")
          .Add("n", &RepartitionParams::n, "Number of partitions.", InRange<int32_t>(1, 1 << 20))
          .Add("disable", &RepartitionParams::disable, "Pass the frame through unchanged."));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> Repartition::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(in.fields(), in.metadata()));
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [](const Batch& b) -> Result<Batch> { return b; }));
}

Result<DataFrame> Repartition::Transform(const DataFrame& in, const ExecContext& ctx) const {
  if (params_.disable) return in;
  return SplitEvenly(in, params_.n);
}

Result<DataFrame> SplitEvenly(const DataFrame& in, int n) {
  const int64_t total = in.num_rows();
  std::vector<Batch> out;
  int part = 0;
  int64_t row_in_part = 0;  // position within in.partition(part)
  for (int k = 0; k < n; ++k) {
    int64_t want = (k + 1) * total / n - k * total / n;
    std::vector<Batch> pieces;
    while (want > 0) {
      const Batch& src = in.partition(part);
      int64_t take = std::min(want, src.num_rows() - row_in_part);
      if (take > 0) pieces.push_back(src.Slice(row_in_part, take));
      want -= take;
      row_in_part += take;
      if (row_in_part >= src.num_rows()) {
        ++part;
        row_in_part = 0;
      }
    }
    if (pieces.empty()) {
      out.push_back(Batch::Empty(in.schema()));
    } else if (pieces.size() == 1) {
      out.push_back(std::move(pieces[0]));
    } else {
      EMBER_ASSIGN_OR_RETURN(Batch b, ConcatBatches(pieces));
      out.push_back(std::move(b));
    }
  }
  return DataFrame::Make(in.schema(), std::move(out));
}

}  // namespace ember
