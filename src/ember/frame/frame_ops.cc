#include "ember/frame/frame_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ember/base/status_macros.h"
#include "ember/core/batch_codec.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/frame/internal/rows.h"

namespace ember::frame {

namespace {

using internal::Ranks;
int MyRank(const ExecContext& ctx) { return ctx.comm ? ctx.comm->rank() : 0; }
Deadline ExchangeDeadline() { return Deadline::In(kExchangeTimeout); }

// The partitions of `frame` as binary batch messages.
std::string EncodeFrame(const DataFrame& frame) {
  std::string out;
  for (const Batch& b : frame.partitions()) EncodeBatch(b, &out);
  return out;
}

// Decodes `bytes` (one rank's messages) into `parts`, checking them against `schema`.
Status DecodeInto(const RawBytes& bytes, const SchemaPtr& schema, int sender,
                  std::vector<Batch>* parts) {
  Result<std::vector<Batch>> batches = DecodeBatches(bytes.view(), bytes.data);
  if (!batches.ok())
    return batches.status().WithContext("rows from rank " + std::to_string(sender));
  for (Batch& b : *batches) {
    if (!b.schema()->Equals(*schema)) {
      return FailedPrecondition("rank " + std::to_string(sender) + " sent rows of schema " +
                                b.schema()->ToString() + ", not " + schema->ToString() +
                                ": every rank must hold the same columns");
    }
    parts->push_back(std::move(b));
  }
  return Status::OK();
}

}  // namespace

namespace internal {

int Ranks(const ExecContext& ctx) { return ctx.comm ? ctx.comm->size() : 1; }

// The one shuffle: the rows of partition p go to the ranks routings[p] says. This rank's
// result holds the rows it received, senders in rank order, each sender's rows in its order.
Result<DataFrame> SendRows(const DataFrame& in, std::span<const Routing> routings,
                           const ExecContext& ctx) {
  const int n = Ranks(ctx), me = MyRank(ctx);
  std::vector<std::string> out(n);
  EMBER_ASSIGN_OR_RETURN(std::vector<Batch> mine,
                         EncodeRouted(in.partitions(), routings, me, &out));
  if (n == 1) return DataFrame::Make(in.schema(), std::move(mine));
  EMBER_ASSIGN_OR_RETURN(std::vector<RawBytes> in_bytes,
                         ctx.comm->AllToAllRaw(std::move(out), ExchangeDeadline()));
  std::vector<Batch> parts;
  for (int s = 0; s < n; ++s) {
    if (s == me) {
      for (Batch& b : mine) parts.push_back(std::move(b));
    } else {
      EMBER_RETURN_IF_ERROR(DecodeInto(in_bytes[s], in.schema(), s, &parts));
    }
  }
  return DataFrame::Make(in.schema(), std::move(parts));
}

// The same with row r of partition p going to rank dest[p][r].
Result<DataFrame> SendRows(const DataFrame& in, const std::vector<std::vector<int>>& dest,
                           const ExecContext& ctx) {
  if (dest.size() != static_cast<size_t>(in.num_partitions()))
    return Internal("SendRows: one destination list per partition");
  std::vector<Routing> routings;
  for (int p = 0; p < in.num_partitions(); ++p) {
    if (static_cast<int64_t>(dest[p].size()) != in.partition(p).num_rows()) {
      return Internal("SendRows: partition " + std::to_string(p) + " has " +
                      std::to_string(in.partition(p).num_rows()) + " rows but " +
                      std::to_string(dest[p].size()) + " destinations");
    }
    routings.push_back(Route(dest[p], Ranks(ctx)));
  }
  return SendRows(in, routings, ctx);
}

// Column indexes of `names` in `schema`; InvalidArgument naming the missing one.
Result<std::vector<int>> Columns(const Schema& schema, const std::vector<std::string>& names,
                                 const char* what) {
  std::vector<int> out;
  for (const std::string& name : names) {
    const int i = schema.FindField(name);
    if (i < 0)
      return InvalidArgument(std::string(what) + ": no column '" + name + "' in " +
                             schema.ToString());
    out.push_back(i);
  }
  return out;
}

}  // namespace internal

namespace {

using internal::Columns;
using internal::SendRows;

// A row's values of `cols` as bytes that are equal exactly when the values are: integers
// (and bools) as int64, floats as double (-0 as 0, one NaN), strings and binaries as their
// bytes, other types as their text. A null is one 0 byte.
void AppendKey(const Column& c, int64_t r, std::string* key) {
  if (c.IsNull(r)) {
    key->push_back('\0');
    return;
  }
  auto put = [key](char tag, const void* p, size_t n) {
    key->push_back(tag);
    key->append(static_cast<const char*>(p), n);
  };
  switch (c.type_id()) {
    case TypeId::kBool:
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kDate:
    case TypeId::kTimestamp: {
      const int w = c.type()->byte_width();
      const int64_t v = c.type_id() == TypeId::kBool ? (c.BoolValue(r) ? 1 : 0)
                        : w == 8                     ? c.Values<int64_t>()[r]
                                                     : c.Values<int32_t>()[r];
      put('i', &v, sizeof(v));
      return;
    }
    case TypeId::kFloat32:
    case TypeId::kFloat64: {
      double v = NumericValue(c, r);
      if (v == 0) v = 0.0;
      if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
      put('f', &v, sizeof(v));
      return;
    }
    case TypeId::kString:
    case TypeId::kBinary: {
      const std::string_view s = c.StringValue(r);
      const uint32_t n = static_cast<uint32_t>(s.size());
      put('s', &n, sizeof(n));
      key->append(s);
      return;
    }
    default: {
      const std::string s = FormatValue(c, r);
      const uint32_t n = static_cast<uint32_t>(s.size());
      put('o', &n, sizeof(n));
      key->append(s);
    }
  }
}

std::string RowKey(const Batch& b, const std::vector<int>& cols, int64_t r) {
  std::string key;
  for (int c : cols) AppendKey(*b.column(c), r, &key);
  return key;
}

bool KeyHasNull(const Batch& b, const std::vector<int>& cols, int64_t r) {
  for (int c : cols) {
    if (b.column(c)->IsNull(r)) return true;
  }
  return false;
}

// FNV-1a: the same on every rank and every build.
uint64_t HashBytes(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
  return h;
}

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

// Folds column `c`'s values into `hashes` (one per row), so that rows whose values are equal
// as AppendKey sees them get equal hashes: column by column, without building keys.
void HashColumn(const Column& c, std::vector<uint64_t>* hashes) {
  const int64_t n = c.length();
  auto fold = [hashes](int64_t r, uint64_t v) {
    (*hashes)[r] = Mix((*hashes)[r] * 0x9e3779b97f4a7c15ull + v);
  };
  auto nulls = [&](int64_t r) { return c.IsNull(r); };
  switch (c.type_id()) {
    case TypeId::kInt64:
    case TypeId::kTimestamp: {
      const int64_t* v = c.Values<int64_t>();
      if (c.null_count() == 0) {
        uint64_t* h = hashes->data();
        for (int64_t r = 0; r < n; ++r)
          h[r] = Mix(h[r] * 0x9e3779b97f4a7c15ull + static_cast<uint64_t>(v[r]) + 1);
        return;
      }
      for (int64_t r = 0; r < n; ++r)
        fold(r, nulls(r) ? 0x5bd1e995u : static_cast<uint64_t>(v[r]) + 1);
      return;
    }
    case TypeId::kInt32:
    case TypeId::kDate: {
      const int32_t* v = c.Values<int32_t>();
      for (int64_t r = 0; r < n; ++r)
        fold(r, nulls(r) ? 0x5bd1e995u : static_cast<uint64_t>(int64_t{v[r]}) + 1);
      return;
    }
    case TypeId::kString:
    case TypeId::kBinary:
      for (int64_t r = 0; r < n; ++r) fold(r, nulls(r) ? 0x5bd1e995u : HashBytes(c.StringValue(r)));
      return;
    default: {
      std::string key;
      for (int64_t r = 0; r < n; ++r) {
        key.clear();
        AppendKey(c, r, &key);
        fold(r, HashBytes(key));
      }
    }
  }
}

// The rank of a row whose key hashes to `hash`: its high 32 bits scaled to [0, n), as even
// as `% n` without a division per row.
int Destination(uint64_t hash, int n) {
  return static_cast<int>(((hash >> 32) * static_cast<uint64_t>(n)) >> 32);
}

// The bitmasks of 64 rows' destinations among n (2 to 4) ranks by the hash of their int64
// keys `v`: m[d] bit j set when row j goes to d (HashColumn's hash of one column, then
// Destination, the same numbers as the scalar form).
void HashBits64Scalar(const int64_t* v, int64_t rows, int n, uint64_t* m) {
  for (int d = 0; d < n; ++d) m[d] = 0;
  for (int64_t j = 0; j < rows; ++j) {
    const int to = Destination(Mix(static_cast<uint64_t>(v[j]) + 1), n);
    for (int d = 0; d < n; ++d) m[d] |= static_cast<uint64_t>(to == d) << j;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define EMBER_HASH_AVX2 1
// Four rows at a time: Mix's 64-bit multiply from three 32-bit ones.
__attribute__((target("avx2"))) void HashBits64Avx2(const int64_t* v, int n, uint64_t* m) {
  const __m256i one = _mm256_set1_epi64x(1);
  const __m256i c = _mm256_set1_epi64x(static_cast<long long>(0xff51afd7ed558ccdull));
  const __m256i c_hi = _mm256_srli_epi64(c, 32);
  const __m256i ranks = _mm256_set1_epi64x(n);
  uint64_t bits[4] = {0, 0, 0, 0};
  for (int j = 0; j < 64; j += 4) {
    __m256i h = _mm256_add_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + j)), one);
    h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 33));
    const __m256i lo = _mm256_mul_epu32(h, c);
    const __m256i cross =
        _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(h, 32), c), _mm256_mul_epu32(h, c_hi));
    h = _mm256_add_epi64(lo, _mm256_slli_epi64(cross, 32));
    h = _mm256_xor_si256(h, _mm256_srli_epi64(h, 33));
    const __m256i to = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(h, 32), ranks), 32);
    for (int d = 0; d < n; ++d) {
      const __m256i is = _mm256_cmpeq_epi64(to, _mm256_set1_epi64x(d));
      bits[d] |= static_cast<uint64_t>(_mm256_movemask_pd(_mm256_castsi256_pd(is))) << j;
    }
  }
  for (int d = 0; d < n; ++d) m[d] = bits[d];
}
#endif

// The routing of `rows` rows with int64 keys `v` (no nulls) to n (2 to 4) ranks by hash,
// straight to the destination bitmasks.
Routing RouteInt64Keys(const int64_t* v, int64_t rows, int n) {
  Routing out;
  out.count.assign(n, 0);
  out.words = (rows + 63) / 64;
  out.bits.assign(static_cast<size_t>(out.words * n), 0);
  uint64_t m[4];
  for (int64_t w = 0; w < out.words; ++w) {
    const int64_t from = w * 64, k = std::min<int64_t>(64, rows - from);
#ifdef EMBER_HASH_AVX2
    if (k == 64 && VectorSplitting()) {
      HashBits64Avx2(v + from, n, m);
    } else {
      HashBits64Scalar(v + from, k, n, m);
    }
#else
    HashBits64Scalar(v + from, k, n, m);
#endif
    for (int d = 0; d < n; ++d) {
      out.bits[static_cast<size_t>(d * out.words + w)] = m[d];
      out.count[d] += std::popcount(m[d]);
    }
  }
  return out;
}

// Where each row goes when rows with equal keys must meet: one routing per partition.
std::vector<Routing> HashRoutings(const DataFrame& in, const std::vector<int>& cols, int n) {
  std::vector<Routing> out;
  std::vector<uint64_t> hashes;
  std::vector<int> dest;
  for (int p = 0; p < in.num_partitions(); ++p) {
    const Batch& b = in.partition(p);
    const Column& first = *b.column(cols[0]);
    if (cols.size() == 1 && first.type_id() == TypeId::kInt64 && first.null_count() == 0 &&
        n >= 2 && n <= 4) {
      // One integer key without nulls (the common case): HashColumn's hash, in one pass.
      out.push_back(RouteInt64Keys(first.Values<int64_t>(), b.num_rows(), n));
      continue;
    }
    hashes.assign(static_cast<size_t>(b.num_rows()), 0);
    for (int c : cols) HashColumn(*b.column(c), &hashes);
    dest.resize(hashes.size());
    for (size_t r = 0; r < hashes.size(); ++r) dest[r] = Destination(hashes[r], n);
    out.push_back(Route(dest, n));
  }
  return out;
}

// A builder per field of `schema`.
std::vector<std::unique_ptr<ColumnBuilder>> Builders(const Schema& schema) {
  std::vector<std::unique_ptr<ColumnBuilder>> out;
  for (int i = 0; i < schema.num_fields(); ++i) out.push_back(MakeBuilder(schema.field(i).type));
  return out;
}

Result<Batch> Finish(const SchemaPtr& schema, std::vector<std::unique_ptr<ColumnBuilder>>& builders,
                     int64_t rows) {
  std::vector<ColumnPtr> cols;
  for (auto& b : builders) cols.push_back(b->Finish());
  return Batch::Make(schema, std::move(cols), rows);
}

using internal::RowRef;

}  // namespace

// Repartitioning ------------------------------------------------------------------------------

Result<DataFrame> RepartitionRoundRobin(const DataFrame& in, const ExecContext& ctx) {
  const int n = Ranks(ctx);
  if (n == 1) return in;
  std::vector<int64_t> counts(n, 0);
  counts[MyRank(ctx)] = in.num_rows();
  EMBER_RETURN_IF_ERROR(
      ctx.comm->AllReduce(std::span<int64_t>(counts), ReduceOp::kSum, ExchangeDeadline()));
  int64_t at = std::accumulate(counts.begin(), counts.begin() + MyRank(ctx), int64_t{0});
  std::vector<std::vector<int>> dest(in.num_partitions());
  for (int p = 0; p < in.num_partitions(); ++p) {
    for (int64_t r = 0; r < in.partition(p).num_rows(); ++r)
      dest[p].push_back(static_cast<int>(at++ % n));
  }
  return SendRows(in, dest, ctx);
}

Result<DataFrame> RepartitionByHash(const DataFrame& in, const std::vector<std::string>& keys,
                                    const ExecContext& ctx) {
  if (keys.empty()) return InvalidArgument("RepartitionByHash: no key columns");
  EMBER_ASSIGN_OR_RETURN(std::vector<int> cols, Columns(*in.schema(), keys, "RepartitionByHash"));
  if (Ranks(ctx) == 1) return in;
  return SendRows(in, HashRoutings(in, cols, Ranks(ctx)), ctx);
}

// Whole frames -----------------------------------------------------------------------------

Result<DataFrame> BroadcastFrame(const DataFrame& in, int root, const ExecContext& ctx) {
  if (Ranks(ctx) == 1) return in;
  Bytes bytes = MyRank(ctx) == root ? EncodeFrame(in) : Bytes();
  EMBER_RETURN_IF_ERROR(ctx.comm->Broadcast(&bytes, root, ExchangeDeadline()));
  if (MyRank(ctx) == root) return in;
  std::vector<Batch> parts;
  EMBER_RETURN_IF_ERROR(DecodeInto(RawBytes::Of(std::move(bytes)), in.schema(), root, &parts));
  return DataFrame::Make(in.schema(), std::move(parts));
}

Result<DataFrame> AllGatherFrame(const DataFrame& in, const ExecContext& ctx) {
  if (Ranks(ctx) == 1) return in;
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> all,
                         ctx.comm->AllGather(EncodeFrame(in), ExchangeDeadline()));
  std::vector<Batch> parts;
  for (int s = 0; s < Ranks(ctx); ++s) {
    if (s == MyRank(ctx)) {
      parts.insert(parts.end(), in.partitions().begin(), in.partitions().end());
    } else {
      EMBER_RETURN_IF_ERROR(DecodeInto(RawBytes::Of(std::move(all[s])), in.schema(), s, &parts));
    }
  }
  return DataFrame::Make(in.schema(), std::move(parts));
}

Result<DataFrame> CollectToRank(const DataFrame& in, int root, const ExecContext& ctx) {
  if (Ranks(ctx) == 1) return in;
  EMBER_ASSIGN_OR_RETURN(std::vector<Bytes> all,
                         ctx.comm->Gather(EncodeFrame(in), root, ExchangeDeadline()));
  std::vector<Batch> parts;
  if (MyRank(ctx) == root) {
    for (int s = 0; s < Ranks(ctx); ++s) {
      if (s == root) {
        parts.insert(parts.end(), in.partitions().begin(), in.partitions().end());
      } else {
        EMBER_RETURN_IF_ERROR(DecodeInto(RawBytes::Of(std::move(all[s])), in.schema(), s, &parts));
      }
    }
  }
  return DataFrame::Make(in.schema(), std::move(parts));
}

// Join -------------------------------------------------------------------------------------

Result<DataFrame> Join(const DataFrame& left, const DataFrame& right, const JoinOptions& options,
                       const ExecContext& ctx) {
  if (options.keys.empty()) return InvalidArgument("Join: no key columns");
  EMBER_ASSIGN_OR_RETURN(std::vector<int> lkeys,
                         Columns(*left.schema(), options.keys, "Join (left side)"));
  EMBER_ASSIGN_OR_RETURN(std::vector<int> rkeys,
                         Columns(*right.schema(), options.keys, "Join (right side)"));
  for (size_t k = 0; k < lkeys.size(); ++k) {
    const Field& l = left.schema()->field(lkeys[k]);
    const Field& r = right.schema()->field(rkeys[k]);
    if (!l.type->Equals(*r.type)) {
      return InvalidArgument("Join: key '" + l.name + "' is " + l.type->ToString() +
                             " on the left and " + r.type->ToString() + " on the right");
    }
  }
  // The output schema: left fields, then the right ones but the keys.
  std::vector<Field> fields;
  for (int i = 0; i < left.schema()->num_fields(); ++i) fields.push_back(left.schema()->field(i));
  std::vector<int> rcols;
  for (int i = 0; i < right.schema()->num_fields(); ++i) {
    if (std::find(rkeys.begin(), rkeys.end(), i) != rkeys.end()) continue;
    Field f = right.schema()->field(i);
    if (left.schema()->FindField(f.name) >= 0) {
      return InvalidArgument("Join: column '" + f.name +
                             "' is on both sides; rename one (RenameColumn) first");
    }
    if (options.type == JoinType::kLeft) f.nullable = true;
    fields.push_back(std::move(f));
    rcols.push_back(i);
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr schema, Schema::Make(fields));

  // Bring matching rows together: a small right side everywhere, else both by key hash.
  DataFrame l = left, r = right;
  if (Ranks(ctx) > 1) {
    std::vector<int64_t> right_rows = {right.num_rows()};
    EMBER_RETURN_IF_ERROR(
        ctx.comm->AllReduce(std::span<int64_t>(right_rows), ReduceOp::kSum, ExchangeDeadline()));
    if (right_rows[0] <= options.broadcast_max_rows) {
      EMBER_ASSIGN_OR_RETURN(r, AllGatherFrame(right, ctx));
    } else {
      EMBER_ASSIGN_OR_RETURN(l, RepartitionByHash(left, options.keys, ctx));
      EMBER_ASSIGN_OR_RETURN(r, RepartitionByHash(right, options.keys, ctx));
    }
  }
  std::unordered_map<std::string, std::vector<RowRef>> table;
  for (int p = 0; p < r.num_partitions(); ++p) {
    const Batch& b = r.partition(p);
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      if (!KeyHasNull(b, rkeys, i)) table[RowKey(b, rkeys, i)].push_back({p, i});
    }
  }
  const int nleft = left.schema()->num_fields();
  std::vector<Batch> parts;
  for (int p = 0; p < l.num_partitions(); ++p) {
    const Batch& b = l.partition(p);
    auto builders = Builders(*schema);
    int64_t rows = 0;
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      const std::vector<RowRef>* matches = nullptr;
      if (!KeyHasNull(b, lkeys, i)) {
        auto it = table.find(RowKey(b, lkeys, i));
        if (it != table.end()) matches = &it->second;
      }
      if (matches == nullptr && options.type == JoinType::kInner) continue;
      const size_t times = matches ? matches->size() : 1;
      for (size_t m = 0; m < times; ++m) {
        for (int c = 0; c < nleft; ++c) builders[c]->AppendFrom(*b.column(c), i);
        for (size_t c = 0; c < rcols.size(); ++c) {
          if (matches) {
            const RowRef& ref = (*matches)[m];
            builders[nleft + c]->AppendFrom(*r.partition(ref.part).column(rcols[c]), ref.row);
          } else {
            builders[nleft + c]->AppendNull();
          }
        }
        ++rows;
      }
    }
    EMBER_ASSIGN_OR_RETURN(Batch out, Finish(schema, builders, rows));
    parts.push_back(std::move(out));
  }
  return DataFrame::Make(schema, std::move(parts));
}

namespace {

// Adds row `i` of vector column `c` to `sums` slot by slot.
void AddVectorRow(const Column& c, int64_t i, std::vector<double>& sums) {
  if (c.type()->sparse()) {
    auto idx = c.SparseIndices(i);
    auto val = c.SparseValues(i);
    for (size_t k = 0; k < idx.size(); ++k) sums[static_cast<size_t>(idx[k])] += val[k];
    return;
  }
  auto row = c.DenseRow(i);
  for (size_t k = 0; k < row.size(); ++k) sums[k] += row[k];
}

}  // namespace

// Group-by and distinct --------------------------------------------------------------------

Result<DataFrame> GroupBy(const DataFrame& in, const std::vector<std::string>& keys,
                          const std::vector<Aggregate>& aggregates, const ExecContext& ctx) {
  if (keys.empty()) return InvalidArgument("GroupBy: no key columns");
  EMBER_ASSIGN_OR_RETURN(std::vector<int> kcols, Columns(*in.schema(), keys, "GroupBy"));
  std::vector<Field> fields;
  for (int k : kcols) fields.push_back(in.schema()->field(k));
  std::vector<int> acols;
  for (const Aggregate& a : aggregates) {
    int c = -1;
    if (!a.column.empty()) {
      EMBER_ASSIGN_OR_RETURN(auto found, Columns(*in.schema(), {a.column}, "GroupBy aggregate"));
      c = found[0];
    } else if (a.kind != Aggregate::Kind::kCount) {
      return InvalidArgument("GroupBy aggregate '" + a.output + "': needs a column");
    }
    const bool numeric = c >= 0 && (in.schema()->field(c).type->is_numeric() ||
                                    in.schema()->field(c).type->id() == TypeId::kBool);
    const bool vector = c >= 0 && in.schema()->field(c).type->id() == TypeId::kVector;
    TypePtr type;
    switch (a.kind) {
      case Aggregate::Kind::kCount:
        type = Int64Type();
        break;
      case Aggregate::Kind::kCollect:
        type = ListType(in.schema()->field(c).type);
        break;
      case Aggregate::Kind::kSum:
      case Aggregate::Kind::kMean:
        if (vector) {
          type = DenseVectorType(in.schema()->field(c).type->vector_size());
          break;
        }
        [[fallthrough]];
      default:
        if (!numeric) {
          return InvalidArgument("GroupBy aggregate '" + a.output + "': column '" + a.column +
                                 "' is " + in.schema()->field(c).type->ToString() +
                                 ", not numeric");
        }
        type = Float64Type();
    }
    if (a.output.empty())
      return InvalidArgument("GroupBy: an aggregate of column '" + a.column +
                             "' has no output name");
    fields.push_back(MakeField(a.output, type, a.kind != Aggregate::Kind::kCount));
    acols.push_back(c);
  }
  Result<SchemaPtr> schema = Schema::Make(fields);
  if (!schema.ok()) return schema.status().WithContext("GroupBy output");
  EMBER_ASSIGN_OR_RETURN(DataFrame local, RepartitionByHash(in, keys, ctx));

  std::unordered_map<std::string, int64_t> index;
  std::vector<RowRef> first;
  struct State {
    int64_t count = 0;
    double sum = 0, min = 0, max = 0;
    std::vector<RowRef> rows;
    std::vector<double> sums;  // a vector column's slot sums
  };
  std::vector<std::vector<State>> states(aggregates.size());
  for (int p = 0; p < local.num_partitions(); ++p) {
    const Batch& b = local.partition(p);
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      auto [it, added] = index.emplace(RowKey(b, kcols, i), static_cast<int64_t>(first.size()));
      if (added) {
        first.push_back({p, i});
        for (auto& s : states) s.emplace_back();
      }
      for (size_t a = 0; a < aggregates.size(); ++a) {
        State& s = states[a][it->second];
        if (acols[a] < 0) {
          ++s.count;
          continue;
        }
        const Column& col = *b.column(acols[a]);
        if (col.IsNull(i)) continue;
        if (aggregates[a].kind == Aggregate::Kind::kCollect) {
          s.rows.push_back({p, i});
        } else if (col.type_id() == TypeId::kVector) {
          if (s.sums.empty()) s.sums.assign(static_cast<size_t>(col.type()->vector_size()), 0.0);
          AddVectorRow(col, i, s.sums);
        } else if (aggregates[a].kind != Aggregate::Kind::kCount) {
          const double v = NumericValue(col, i);
          s.min = s.count == 0 ? v : std::min(s.min, v);
          s.max = s.count == 0 ? v : std::max(s.max, v);
          s.sum += v;
        }
        ++s.count;
      }
    }
  }
  auto builders = Builders(**schema);
  for (size_t g = 0; g < first.size(); ++g) {
    const Batch& b = local.partition(first[g].part);
    for (size_t k = 0; k < kcols.size(); ++k)
      builders[k]->AppendFrom(*b.column(kcols[k]), first[g].row);
    for (size_t a = 0; a < aggregates.size(); ++a) {
      ColumnBuilder* out = builders[kcols.size() + a].get();
      const State& s = states[a][g];
      if (aggregates[a].kind == Aggregate::Kind::kCount) {
        static_cast<Int64Builder*>(out)->Append(s.count);
        continue;
      }
      if (aggregates[a].kind == Aggregate::Kind::kCollect) {
        auto* list = static_cast<ListBuilder*>(out);
        list->Append();
        for (const RowRef& ref : s.rows)
          list->value_builder()->AppendFrom(*local.partition(ref.part).column(acols[a]), ref.row);
        continue;
      }
      if (s.count == 0) {
        out->AppendNull();
        continue;
      }
      if (out->type()->id() == TypeId::kVector) {
        std::vector<double> v = s.sums;
        if (aggregates[a].kind == Aggregate::Kind::kMean) {
          for (double& x : v) x /= static_cast<double>(s.count);
        }
        EMBER_RETURN_IF_ERROR(static_cast<DenseVectorBuilder*>(out)->Append(v));
        continue;
      }
      double v = 0;
      switch (aggregates[a].kind) {
        case Aggregate::Kind::kSum:
          v = s.sum;
          break;
        case Aggregate::Kind::kMean:
          v = s.sum / static_cast<double>(s.count);
          break;
        case Aggregate::Kind::kMin:
          v = s.min;
          break;
        default:
          v = s.max;
          break;
      }
      static_cast<Float64Builder*>(out)->Append(v);
    }
  }
  EMBER_ASSIGN_OR_RETURN(Batch out, Finish(*schema, builders, static_cast<int64_t>(first.size())));
  return DataFrame::FromBatch(std::move(out));
}

Result<DataFrame> Distinct(const DataFrame& in, const std::vector<std::string>& cols,
                           const ExecContext& ctx) {
  std::vector<std::string> names = cols;
  if (names.empty()) {
    for (int i = 0; i < in.schema()->num_fields(); ++i) names.push_back(in.schema()->field(i).name);
  }
  if (names.empty()) return in;
  EMBER_ASSIGN_OR_RETURN(std::vector<int> kcols, Columns(*in.schema(), names, "Distinct"));
  EMBER_ASSIGN_OR_RETURN(
      DataFrame local, Ranks(ctx) == 1 ? Result<DataFrame>(in) : RepartitionByHash(in, names, ctx));
  std::unordered_set<std::string> seen;
  std::vector<Batch> parts;
  for (const Batch& b : local.partitions()) {
    std::vector<int64_t> keep;
    for (int64_t i = 0; i < b.num_rows(); ++i) {
      if (seen.insert(RowKey(b, kcols, i)).second) keep.push_back(i);
    }
    if (static_cast<int64_t>(keep.size()) == b.num_rows()) {
      parts.push_back(b);
    } else {
      EMBER_ASSIGN_OR_RETURN(Batch kept, TakeRows(b, keep));
      parts.push_back(std::move(kept));
    }
  }
  return DataFrame::Make(in.schema(), std::move(parts));
}

}  // namespace ember::frame
