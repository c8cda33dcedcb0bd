#include "ember/frame/stratified_repartition.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/exec/communicator.h"
#include "ember/frame/internal/rows.h"
#include "ember/stages/string_indexer.h"  // LabelText

namespace ember {

namespace {

using P = StratifiedRepartitionParams;

constexpr std::string_view kNullLabel = "\x01null";  // a null label's key (no text has it)

Result<int> LabelColumn(const Schema& in, const P& p) {
  return in.GetFieldIndexOfType(
      p.label_col,
      [](const DataType& t) {
        return t.is_numeric() || t.is_binary_like() || t.id() == TypeId::kBool;
      },
      "a string, number or boolean column");
}

// splitmix64: the seed's starting slot of a label.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Start(int64_t seed, const std::string& label, int64_t slots) {
  uint64_t h = Mix(static_cast<uint64_t>(seed));
  for (unsigned char c : label) h = Mix(h ^ c);
  return h % static_cast<uint64_t>(slots);
}

// How many rows each label should have, from its count, by mode.
std::map<std::string, int64_t> Targets(const std::map<std::string, int64_t>& counts,
                                       StratifyMode mode, int64_t slots) {
  std::map<std::string, int64_t> out;
  int64_t most = slots;
  for (const auto& [l, c] : counts) most = std::max(most, c);
  double mean_fraction = 0;
  for (const auto& [l, c] : counts)
    mean_fraction += static_cast<double>(most) / static_cast<double>(c);
  mean_fraction /= static_cast<double>(counts.size());
  for (const auto& [l, c] : counts) {
    switch (mode) {
      case StratifyMode::kOriginal:
        out[l] = c;
        break;
      case StratifyMode::kEqual:
        out[l] = most;
        break;
      case StratifyMode::kMixed: {
        const double f = static_cast<double>(most) / static_cast<double>(c) / mean_fraction;
        out[l] = std::max<int64_t>(1, std::llround(f * static_cast<double>(c)));
        break;
      }
    }
  }
  return out;
}

}  // namespace

const ParamSpec<StratifiedRepartitionParams>& StratifiedRepartitionParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("StratifiedRepartition")
          .Add("labelCol", &P::label_col, "The label column whose values every partition needs.",
               NonEmpty<std::string>())
          .AddEnum("mode", &P::mode,
                   {{"original", StratifyMode::kOriginal},
                    {"equal", StratifyMode::kEqual},
                    {"mixed", StratifyMode::kMixed}},
                   "original: every row once; equal: each label up to the largest label's "
                   "count; mixed: each label to one count, equal's fractions scaled to average 1.")
          .Add("seed", &P::seed, "Chooses each label's first partition."));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> StratifiedRepartition::Bind(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(LabelColumn(in, params_).status());
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(in.fields(), in.metadata()));
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out](const Batch& b) { return Batch::Make(out, b.columns(), b.num_rows()); }));
}

Result<DataFrame> StratifiedRepartition::Transform(const DataFrame& in,
                                                   const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(int col, LabelColumn(*in.schema(), params_));
  const int ranks = ctx.comm ? ctx.comm->size() : 1;
  const int me = ctx.comm ? ctx.comm->rank() : 0;
  // Each row's label, and this rank's count of each.
  std::vector<std::vector<std::string>> labels(in.num_partitions());
  std::map<std::string, int64_t> mine;
  for (int p = 0; p < in.num_partitions(); ++p) {
    const Batch& b = in.partition(p);
    const Column& c = *b.column(col);
    std::string buf;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      labels[p].emplace_back(c.IsValid(r) ? LabelText(c, r, &buf) : kNullLabel);
      ++mine[labels[p].back()];
    }
  }
  // Every rank's counts (rank order) and partition counts.
  std::vector<std::map<std::string, int64_t>> per_rank(ranks);
  std::vector<int64_t> parts(ranks, std::max(1, in.num_partitions()));
  per_rank[me] = mine;
  if (ranks > 1) {
    const Deadline deadline = Deadline::In(std::chrono::minutes(30));
    std::vector<std::string_view> names;
    std::vector<double> header = {static_cast<double>(mine.size()),
                                  static_cast<double>(std::max(1, in.num_partitions()))};
    std::vector<double> ns;
    for (const auto& [l, n] : mine) {
      names.push_back(l);
      ns.push_back(static_cast<double>(n));
    }
    EMBER_ASSIGN_OR_RETURN(auto heads, AllGatherDoubles(*ctx.comm, header, deadline));
    EMBER_ASSIGN_OR_RETURN(auto all_names, AllGatherStrings(*ctx.comm, names, deadline));
    EMBER_ASSIGN_OR_RETURN(auto all_ns, AllGatherDoubles(*ctx.comm, ns, deadline));
    size_t at = 0;
    for (int r = 0; r < ranks; ++r) {
      per_rank[r].clear();
      parts[r] = static_cast<int64_t>(heads[2 * r + 1]);
      for (int64_t k = 0; k < static_cast<int64_t>(heads[2 * r]); ++k, ++at) {
        per_rank[r][all_names[at]] = static_cast<int64_t>(all_ns[at]);
      }
    }
  }
  std::map<std::string, int64_t> total;
  std::map<std::string, int64_t> before;  // this label's rows on lower ranks
  for (int r = 0; r < ranks; ++r) {
    for (const auto& [l, n] : per_rank[r]) {
      total[l] += n;
      if (r < me) before[l] += n;
    }
  }
  if (total.empty()) return in;
  int64_t slots = 0;
  std::vector<int64_t> first_slot(ranks);
  for (int r = 0; r < ranks; ++r) {
    first_slot[r] = slots;
    slots += parts[r];
  }
  const std::map<std::string, int64_t> target = Targets(total, params_.mode, slots);
  // Copies of each row, each with its slot; a slot is (rank, partition).
  std::map<std::string, int64_t> seen = before;
  std::vector<std::vector<int64_t>> take(in.num_partitions());
  std::vector<std::vector<int>> dest(in.num_partitions());
  std::vector<std::vector<int32_t>> slot_of(in.num_partitions());
  for (int p = 0; p < in.num_partitions(); ++p) {
    for (int64_t r = 0; r < static_cast<int64_t>(labels[p].size()); ++r) {
      const std::string& l = labels[p][r];
      const int64_t c = total[l];
      const int64_t n = target.at(l);
      const int64_t i = seen[l]++;
      const int64_t from = i * n / c;
      const int64_t to = (i + 1) * n / c;
      const uint64_t start = Start(params_.seed, l, slots);
      for (int64_t k = from; k < to; ++k) {
        const auto s =
            static_cast<int64_t>((static_cast<uint64_t>(k) + start) % static_cast<uint64_t>(slots));
        const int rank = static_cast<int>(
            std::upper_bound(first_slot.begin(), first_slot.end(), s) - first_slot.begin() - 1);
        take[p].push_back(r);
        dest[p].push_back(rank);
        slot_of[p].push_back(static_cast<int32_t>(s - first_slot[rank]));
      }
    }
  }
  // The copies with their slot as an extra column, sent to their ranks, then split.
  const std::string slot_name = "__stratified_slot";
  EMBER_ASSIGN_OR_RETURN(SchemaPtr with_slot,
                         in.schema()->AddField(MakeField(slot_name, Int32Type(), false)));
  std::vector<Batch> copies;
  for (int p = 0; p < in.num_partitions(); ++p) {
    EMBER_ASSIGN_OR_RETURN(Batch rows, TakeRows(in.partition(p), take[p]));
    std::vector<ColumnPtr> cols = rows.columns();
    NumericBuilder<int32_t> s(Int32Type());
    for (int32_t v : slot_of[p]) s.Append(v);
    cols.push_back(s.Finish());
    EMBER_ASSIGN_OR_RETURN(Batch b, Batch::Make(with_slot, std::move(cols), rows.num_rows()));
    copies.push_back(std::move(b));
  }
  EMBER_ASSIGN_OR_RETURN(DataFrame expanded, DataFrame::Make(with_slot, std::move(copies)));
  EMBER_ASSIGN_OR_RETURN(DataFrame here, frame::internal::SendRows(expanded, dest, ctx));
  const int n_parts = static_cast<int>(parts[me]);
  std::vector<std::vector<std::vector<int64_t>>> rows_of(
      here.num_partitions(), std::vector<std::vector<int64_t>>(n_parts));
  std::vector<Batch> plain;  // the received rows without the slot column
  for (int q = 0; q < here.num_partitions(); ++q) {
    const Batch& b = here.partition(q);
    const int32_t* s = b.column(b.num_columns() - 1)->Values<int32_t>();
    for (int64_t r = 0; r < b.num_rows(); ++r) rows_of[q][s[r]].push_back(r);
    std::vector<ColumnPtr> cols(b.columns().begin(), b.columns().end() - 1);
    EMBER_ASSIGN_OR_RETURN(Batch rows, Batch::Make(in.schema(), std::move(cols), b.num_rows()));
    plain.push_back(std::move(rows));
  }
  std::vector<Batch> out;
  for (int k = 0; k < n_parts; ++k) {
    std::vector<Batch> pieces;
    for (int q = 0; q < here.num_partitions(); ++q) {
      EMBER_ASSIGN_OR_RETURN(Batch piece, TakeRows(plain[q], rows_of[q][k]));
      pieces.push_back(std::move(piece));
    }
    if (pieces.empty()) {
      out.push_back(Batch::Empty(in.schema()));
    } else {
      EMBER_ASSIGN_OR_RETURN(Batch joined, ConcatBatches(pieces));
      out.push_back(std::move(joined));
    }
  }
  return DataFrame::Make(in.schema(), std::move(out));
}

}  // namespace ember
