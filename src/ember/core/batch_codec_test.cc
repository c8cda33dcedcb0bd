#include "ember/core/batch_codec.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember {
namespace {

// A batch with a column of every type, nulls, metadata and a slice offset.
Batch EveryType() {
  ListBuilder list(ListType(Int64Type()));
  SparseVectorBuilder sparse(5);
  StringBuilder binary(BinaryType());
  for (int r = 0; r < 6; ++r) {
    if (r == 2) {
      list.AppendNull();
      sparse.AppendNull();
      binary.AppendNull();
      continue;
    }
    list.Append();
    for (int k = 0; k < r; ++k)
      static_cast<Int64Builder*>(list.value_builder())->Append(k * 10 + r);
    std::vector<int32_t> idx = {0, r % 5 == 0 ? 1 : r % 5};
    std::vector<double> val = {0.5 * r, -1.0};
    EXPECT_TRUE(sparse.Append(idx, val).ok());
    binary.Append(std::string("\0\1\2", 3) + std::to_string(r));
  }
  Field label = MakeField("label", Float64Type());
  label.metadata = *Json::Parse(R"({"ml_attr": {"type": "nominal", "vals": ["no", "yes"]}})");
  auto schema = *Schema::Make(
      {MakeField("b", BoolType()), MakeField("i32", Int32Type()), MakeField("i64", Int64Type()),
       MakeField("f32", Float32Type()), label, MakeField("s", StringType()),
       MakeField("bin", BinaryType()), MakeField("list", ListType(Int64Type())),
       MakeField("st", StructType({MakeField("a", Int32Type()), MakeField("b", StringType())})),
       MakeField("dense", DenseVectorType(2)), MakeField("sparse", SparseVectorType(5)),
       MakeField("date", DateType()), MakeField("ts", TimestampType())},
      *Json::Parse(R"({"source": "test"})"));
  Int32Builder dates(DateType());
  Int64Builder times(TimestampType());
  for (int r = 0; r < 6; ++r) {
    if (r == 3) {
      dates.AppendNull();
      times.AppendNull();
      continue;
    }
    dates.Append(19000 + r * 400);
    times.Append((int64_t{1} << 50) - r * 1234567);
  }
  return *Batch::Make(
      schema,
      {MakeColumn<bool>({true, false, std::nullopt, true, false, true}),
       MakeColumn<int32_t>({1, -2, 3, std::nullopt, 5, 6}),
       MakeColumn<int64_t>({int64_t{1} << 40, 2, 3, 4, std::nullopt, -6}),
       MakeColumn<float>({1.5f, 2.5f, std::nullopt, 4.5f, 5.5f, 6.5f}),
       MakeColumn<double>({0, 1, 1, std::nan(""), std::nullopt, 0}),
       MakeColumn<std::string>({"a", "", std::nullopt, "dddd", "é", "ff"}), binary.Finish(),
       list.Finish(),
       [&] {
         StructBuilder s2(StructType({MakeField("a", Int32Type()), MakeField("b", StringType())}));
         for (int r = 0; r < 6; ++r) {
           if (r == 2) {
             s2.AppendNull();
             continue;
           }
           s2.Append();
           static_cast<Int32Builder*>(s2.field_builder(0))->Append(r);
           static_cast<StringBuilder*>(s2.field_builder(1))
               ->Append(std::string(static_cast<size_t>(r), 'x'));
         }
         return s2.Finish();
       }(),
       MakeDenseVectorColumn({{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}, {11, 12}}, 2),
       sparse.Finish(), dates.Finish(), times.Finish()});
}

// Columns without nulls of every width the split scatters directly.
Batch Flat() {
  auto schema = *Schema::Make({MakeField("i64", Int64Type()), MakeField("f64", Float64Type()),
                               MakeField("i32", Int32Type()), MakeField("f32", Float32Type()),
                               MakeField("s", StringType()), MakeField("bin", BinaryType())});
  return *Batch::Make(
      schema, {MakeColumn<int64_t>({1, 2, 3, 4, 5, 6, 7}),
               MakeColumn<double>({.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5}),
               MakeColumn<int32_t>({-1, -2, -3, -4, -5, -6, -7}),
               MakeColumn<float>({1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f}),
               MakeColumn<std::string>({"", "a", "bb", "ccc", "dddd", "eeeee", "ffffff"}), [] {
                 StringBuilder bin(BinaryType());
                 for (const char* v : {"1", "22", "", "4444", "5", "66", "777"}) bin.Append(v);
                 return bin.Finish();
               }()});
}

Result<std::vector<Batch>> RoundTrip(const std::vector<Batch>& batches) {
  auto bytes = std::make_shared<std::string>();
  for (const Batch& b : batches) EncodeBatch(b, bytes.get());
  return DecodeBatches(bytes);
}

TEST(BatchCodecTest, EveryTypeRoundTripsWithNullsMetadataAndSlices) {
  const Batch b = EveryType();
  // Whole, sliced (offsets into the buffers), empty; several messages in one string.
  auto back = RoundTrip({b, b.Slice(1, 4), b.Slice(6, 0)});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_TRUE(BatchesEqual((*back)[0], b));
  EXPECT_TRUE(BatchesEqual((*back)[1], b.Slice(1, 4)));
  EXPECT_EQ((*back)[2].num_rows(), 0);
  EXPECT_TRUE((*back)[0].schema()->Equals(*b.schema(), /*check_metadata=*/true));
}

// Split by destination: every destination's message (and the kept batch) holds exactly its
// rows, in order; flat columns go the scattering way, the others the taking way.
TEST(BatchCodecTest, EncodeSplitSendsEachDestinationItsRows) {
  const Batch whole = EveryType();
  for (const Batch& b : {whole, whole.Slice(1, 5), Flat(), Flat().Slice(2, 5)}) {
    std::vector<int> dest;
    for (int64_t r = 0; r < b.num_rows(); ++r) dest.push_back(static_cast<int>((r * 5 + 1) % 3));
    std::vector<std::string> out(3);
    out[2] = "x";  // messages append to what is there
    auto kept = EncodeSplit(b, dest, 1, &out);
    ASSERT_TRUE(kept.ok()) << kept.status().ToString();
    EXPECT_TRUE(out[1].empty());
    for (int d = 0; d < 3; ++d) {
      std::vector<int64_t> rows;
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (dest[r] == d) rows.push_back(r);
      }
      const Batch want = *TakeRows(b, rows);
      if (d == 1) {
        EXPECT_TRUE(BatchesEqual(*kept, want)) << "kept rows";
        continue;
      }
      std::string bytes = d == 2 ? out[d].substr(8) : out[d];  // past "x" and its padding
      auto got = DecodeBatches(std::make_shared<std::string>(bytes));
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->size(), rows.empty() ? 0u : 1u);
      if (!rows.empty()) {
        EXPECT_TRUE(BatchesEqual((*got)[0], want)) << "destination " << d;
      }
    }
  }
  // Everything to the kept destination: the batch itself, nothing encoded.
  std::vector<std::string> out(2);
  auto kept = EncodeSplit(whole, std::vector<int>(6, 0), 0, &out);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(kept->column(0).get(), whole.column(0).get());
  EXPECT_TRUE(out[1].empty());
}

// Many batches split at once, for every way the rows are put in destination order (one pass
// for 2-4 destinations, counters beyond) and every way fixed-width values are packed (by
// bitmask, with vector instructions or without, for 2-4 destinations; gathered beyond):
// rows long enough to fill the staging blocks several times, batches of 1 and 2 rows (no
// full vector), strings of every length around the 16-byte copies and past a staging
// block, a string ending at the very end of its buffer, a sliced batch.
class EncodeSplitTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { was_ = UseVectorSplitting(GetParam()); }
  void TearDown() override { UseVectorSplitting(was_); }
  bool was_ = true;
};
INSTANTIATE_TEST_SUITE_P(VectorOrNot, EncodeSplitTest, ::testing::Bool());

TEST_P(EncodeSplitTest, ManyBatchesKeepEveryRowInOrder) {
  Int64Builder i64(Int64Type());
  Float32Builder f32(Float32Type());
  StringBuilder s, s8, s4(BinaryType());
  const int64_t rows = 5000;
  for (int64_t r = 0; r < rows; ++r) {
    i64.Append(r * 7 - 3);
    f32.Append(static_cast<float>(r) / 4);
    const size_t len =
        r % 97 == 0 ? 9000 : static_cast<size_t>(r % 35);  // 9000: past a staging block
    s.Append(std::string(len, static_cast<char>('a' + r % 26)));
    // Strings all of 8 or of 4 bytes: packed as fixed-width values.
    char text[16];
    std::snprintf(text, sizeof(text), "%08lld", static_cast<long long>(r) * 31);
    s8.Append(text);
    s4.Append(std::string(text + 4, 4));
  }
  auto schema = *Schema::Make({MakeField("i64", Int64Type()), MakeField("f32", Float32Type()),
                               MakeField("s", StringType()), MakeField("s8", StringType()),
                               MakeField("s4", BinaryType())});
  const Batch all =
      *Batch::Make(schema, {i64.Finish(), f32.Finish(), s.Finish(), s8.Finish(), s4.Finish()});
  const std::vector<Batch> batches = {all.Slice(0, 1999), all.Slice(1999, 1), all.Slice(2000, 3000),
                                      all.Slice(3, 2)};
  for (int n : {2, 3, 4, 5, 9}) {
    std::vector<std::vector<int>> dest;
    for (const Batch& b : batches) {
      dest.emplace_back();
      for (int64_t r = 0; r < b.num_rows(); ++r)
        dest.back().push_back(static_cast<int>(((static_cast<uint64_t>(r) * 2654435761u) >> 7) %
                                               static_cast<uint64_t>(n)));
    }
    const int keep = n / 2;
    std::vector<std::string> out(n);
    auto kept = EncodeSplit(batches, dest, keep, &out);
    ASSERT_TRUE(kept.ok()) << kept.status().ToString();
    for (int d = 0; d < n; ++d) {
      std::vector<Batch> want;
      for (size_t b = 0; b < batches.size(); ++b) {
        std::vector<int64_t> rows_of;
        for (int64_t r = 0; r < batches[b].num_rows(); ++r) {
          if (dest[b][r] == d) rows_of.push_back(r);
        }
        if (!rows_of.empty()) want.push_back(*TakeRows(batches[b], rows_of));
      }
      std::vector<Batch> got;
      if (d == keep) {
        got = *kept;
        EXPECT_TRUE(out[d].empty());
      } else {
        auto decoded = DecodeBatches(std::make_shared<std::string>(out[d]));
        ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
        got = *decoded;
      }
      ASSERT_EQ(got.size(), want.size()) << n << " destinations, destination " << d;
      for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(BatchesEqual(got[i], want[i]))
            << n << " destinations, destination " << d << ", batch " << i;
      }
    }
  }
  std::vector<std::string> out(2);
  auto mismatch = EncodeSplit(
      batches, std::vector<std::vector<int>>(batches.size(), std::vector<int>{0}), 0, &out);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("batch 0 has 1999 rows but 1 destinations"),
            std::string::npos)
      << mismatch.status().ToString();
}

TEST(BatchCodecTest, NoBatchesIsNoBytes) {
  auto back = DecodeBatches(std::make_shared<std::string>());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->empty());
}

TEST(BatchCodecTest, DamagedBytesAreAnErrorNeverACrash) {
  std::string good;
  EncodeBatch(EveryType(), &good);
  // Every truncation, and a flipped byte at every position: an error or a valid batch,
  // never a read out of bounds (AddressSanitizer watches).
  for (size_t n = 1; n < good.size(); n += 3) {
    auto r = DecodeBatches(std::make_shared<std::string>(good.substr(0, n)));
    EXPECT_FALSE(r.ok()) << "truncated at " << n;
  }
  int errors = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = std::make_shared<std::string>(good);
    (*bad)[i] = static_cast<char>((*bad)[i] ^ 0x5a);
    auto r = DecodeBatches(bad);
    errors += !r.ok();
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
    }
  }
  EXPECT_GT(errors, 0);
  auto r = DecodeBatches(std::make_shared<std::string>(std::string(16, 'x')));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("binary batch message 0"), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace ember
