// Sorting and limiting frames across partitions and ranks (frame_ops.h).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/frame/frame_ops.h"
#include "ember/frame/internal/rows.h"

namespace ember::frame {

using internal::Columns;
using internal::Ranks;
using internal::RowRef;
using internal::SendRows;

// Sort -------------------------------------------------------------------------------------

namespace {

// Compares values of one sort-key column (nulls smallest), across batches.
struct KeyOrder {
  TypeId type;
  int Compare(const Column& a, int64_t i, const Column& b, int64_t j) const {
    const bool an = a.IsNull(i), bn = b.IsNull(j);
    if (an || bn) return an == bn ? 0 : (an ? -1 : 1);
    switch (type) {
      case TypeId::kString:
      case TypeId::kBinary: {
        const int c = a.StringValue(i).compare(b.StringValue(j));
        return c < 0 ? -1 : c > 0;
      }
      case TypeId::kInt64:
      case TypeId::kTimestamp: {
        const int64_t x = a.Values<int64_t>()[i], y = b.Values<int64_t>()[j];
        return x < y ? -1 : x > y;
      }
      default: {
        // NaN sorts after every number.
        const double x = NumericValue(a, i), y = NumericValue(b, j);
        if (std::isnan(x) || std::isnan(y))
          return std::isnan(x) == std::isnan(y) ? 0 : (std::isnan(x) ? 1 : -1);
        return x < y ? -1 : x > y;
      }
    }
  }
};

}  // namespace

Result<DataFrame> SortBy(const DataFrame& in, const std::string& key, bool ascending,
                         const ExecContext& ctx) {
  return SortBy(in, std::vector<SortKey>{{key, ascending}}, ctx);
}

Result<DataFrame> SortBy(const DataFrame& in, const std::vector<SortKey>& keys,
                         const ExecContext& ctx) {
  std::vector<std::string> names;
  for (const SortKey& k : keys) names.push_back(k.column);
  if (names.empty()) return in;
  EMBER_ASSIGN_OR_RETURN(std::vector<int> kc, Columns(*in.schema(), names, "SortBy"));
  std::vector<KeyOrder> orders;
  for (size_t i = 0; i < kc.size(); ++i) {
    const DataType& type = *in.schema()->field(kc[i]).type;
    if (!type.is_numeric() && !type.is_temporal() && type.id() != TypeId::kBool &&
        type.id() != TypeId::kString && type.id() != TypeId::kBinary) {
      return InvalidArgument("SortBy: column '" + names[i] + "' is " + type.ToString() +
                             "; sort keys are numbers, bools, strings, dates or timestamps");
    }
    orders.push_back(KeyOrder{type.id()});
  }
  // Row i of batch a against row j of batch b (the key columns at `ka` and `kb`).
  auto cmp = [&](const Batch& a, const std::vector<int>& ka, int64_t i, const Batch& b,
                 const std::vector<int>& kb, int64_t j) {
    for (size_t k = 0; k < orders.size(); ++k) {
      const Column& x = *a.column(ka[k]);
      const Column& y = *b.column(kb[k]);
      const int c =
          keys[k].ascending ? orders[k].Compare(x, i, y, j) : orders[k].Compare(y, j, x, i);
      if (c != 0) return c;
    }
    return 0;
  };
  DataFrame local = in;
  const int n = Ranks(ctx);
  if (n > 1) {
    // A sample of every rank's keys, evenly spaced; its quantiles split the key range.
    constexpr int64_t kSamplesPerRank = 128;
    std::vector<RowRef> picks;
    const int64_t rows = in.num_rows();
    const int64_t step = std::max<int64_t>(1, rows / kSamplesPerRank);
    int64_t at = 0;
    for (int p = 0; p < in.num_partitions(); ++p) {
      for (int64_t i = 0; i < in.partition(p).num_rows(); ++i, ++at) {
        if (at % step == 0) picks.push_back({p, i});
      }
    }
    std::vector<Field> sample_fields;
    for (int c : kc) sample_fields.push_back(in.schema()->field(c));
    EMBER_ASSIGN_OR_RETURN(SchemaPtr sample_schema, Schema::Make(sample_fields));
    Batch sample = Batch::Empty(sample_schema);
    if (!picks.empty()) {
      std::vector<ColumnPtr> cols;
      for (int c : kc) {
        std::vector<ColumnPtr> parts;
        for (const RowRef& ref : picks)
          parts.push_back(in.partition(ref.part).column(c)->Slice(ref.row, 1));
        EMBER_ASSIGN_OR_RETURN(ColumnPtr col, Concat(parts));
        cols.push_back(std::move(col));
      }
      EMBER_ASSIGN_OR_RETURN(sample, Batch::Make(sample_schema, std::move(cols)));
    }
    EMBER_ASSIGN_OR_RETURN(DataFrame all_samples,
                           AllGatherFrame(DataFrame::FromBatch(sample), ctx));
    EMBER_ASSIGN_OR_RETURN(Batch samples, all_samples.Collect());
    std::vector<int> sk(kc.size());
    std::iota(sk.begin(), sk.end(), 0);
    std::vector<int64_t> sorted(static_cast<size_t>(samples.num_rows()));
    std::iota(sorted.begin(), sorted.end(), 0);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [&](int64_t a, int64_t b) { return cmp(samples, sk, a, samples, sk, b) < 0; });
    std::vector<int64_t> splitters;  // rows of `samples`
    for (int i = 1; i < n && !sorted.empty(); ++i)
      splitters.push_back(sorted[sorted.size() * i / n]);
    // A row goes to the number of splitters at or below it: equal keys share a rank.
    std::vector<std::vector<int>> dest(in.num_partitions());
    for (int p = 0; p < in.num_partitions(); ++p) {
      const Batch& b = in.partition(p);
      for (int64_t i = 0; i < b.num_rows(); ++i) {
        int d = 0;
        while (d < static_cast<int>(splitters.size()) &&
               cmp(samples, sk, splitters[d], b, kc, i) <= 0)
          ++d;
        dest[p].push_back(std::min(d, n - 1));
      }
    }
    EMBER_ASSIGN_OR_RETURN(local, SendRows(in, dest, ctx));
  }
  EMBER_ASSIGN_OR_RETURN(Batch all, local.Collect());
  std::vector<int64_t> idx(static_cast<size_t>(all.num_rows()));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](int64_t a, int64_t b) { return cmp(all, kc, a, all, kc, b) < 0; });
  EMBER_ASSIGN_OR_RETURN(Batch sorted, TakeRows(all, idx));
  return DataFrame::FromBatch(std::move(sorted));
}

Result<DataFrame> Limit(const DataFrame& in, int64_t n, const ExecContext& ctx) {
  if (n < 0) return InvalidArgument("Limit: a negative row count " + std::to_string(n));
  int64_t before = 0;  // rows of the ranks before this one
  if (Ranks(ctx) > 1) {
    const double mine = static_cast<double>(in.num_rows());
    EMBER_ASSIGN_OR_RETURN(std::vector<double> counts,
                           AllGatherDoubles(*ctx.comm, std::span<const double>(&mine, 1),
                                            Deadline::In(kExchangeTimeout)));
    for (int r = 0; r < ctx.comm->rank(); ++r) before += static_cast<int64_t>(counts[r]);
  }
  int64_t keep = std::clamp<int64_t>(n - before, 0, in.num_rows());
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions()) {
    if (keep <= 0) break;
    const int64_t take = std::min(keep, b.num_rows());
    parts.push_back(take == b.num_rows() ? b : b.Slice(0, take));
    keep -= take;
  }
  return DataFrame::Make(in.schema(), std::move(parts));
}

}  // namespace ember::frame
