#include "ember/io/csv.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <thread>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::FrameEq;
using ::ember::testing::IsOk;

const ExecContext& Ctx() { return ExecContext::Default(); }

// `text` as one gzip member (zlib's own writer, so the reader is checked against it).
std::string GzipForTest(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Result<CsvReadResult> Parse(std::string_view text, CsvReadOptions o = {}) {
  return ParseCsv(Ctx(), text, "t.csv", o);
}

TEST(CsvReaderTest, InfersTypesAndNulls) {
  auto r = Parse("i,f,b,s,e\n1,1.5,true,x,\n2,,FALSE,\"y, z\",\n,3e2,true,NA,\n");
  ASSERT_THAT(r, IsOk());
  const DataFrame& f = r->frame;
  EXPECT_EQ(f.schema()->ToString(), "i: int64\nf: float64\nb: bool\ns: string\ne: string\n");
  Batch b = *f.Collect();
  EXPECT_EQ(FormatValue(*b.column(0), 2), "null");
  EXPECT_EQ(FormatValue(*b.column(1), 2), "300");
  EXPECT_EQ(FormatValue(*b.column(2), 1), "false");
  EXPECT_EQ(FormatValue(*b.column(3), 1), "y, z");
  EXPECT_EQ(FormatValue(*b.column(3), 2), "NA");  // only the empty field is null by default
  EXPECT_EQ(b.column(4)->null_count(), 3);
}

TEST(CsvReaderTest, NullTokensAreTheEmptyFieldUnlessAskedForPandasList) {
  const std::string csv = "country,x\nNA,1\nnull,NA\n,2\nFR,\n";
  auto plain = Parse(csv);
  ASSERT_THAT(plain, IsOk());
  Batch a = *plain->frame.Collect();
  EXPECT_EQ(FormatValue(*a.column(0), 0), "NA");    // Namibia
  EXPECT_EQ(FormatValue(*a.column(0), 1), "null");  // the word, not a null
  EXPECT_TRUE(a.column(0)->IsValid(1));
  EXPECT_TRUE(a.column(0)->IsNull(2));
  CsvReadOptions pandas;
  pandas.null_values = CsvReadOptions::PandasNullValues();
  auto r = Parse(csv, pandas);
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(r->frame.schema()->ToString(), "country: string\nx: int64\n");
  EXPECT_EQ(b.column(0)->null_count(), 3);  // NA, null and the empty field
  EXPECT_EQ(b.column(1)->null_count(), 2);
}

TEST(CsvReaderTest, QuotedFieldsWithNewlinesQuotesAndCrlf) {
  auto r = Parse("a,b\r\n\"line1\nline2\",\"say \"\"hi\"\"\"\r\n\"\",x\r\n");
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  ASSERT_EQ(b.num_rows(), 2);
  EXPECT_EQ(b.column(0)->StringValue(0), "line1\nline2");
  EXPECT_EQ(b.column(1)->StringValue(0), "say \"hi\"");
  // A quoted empty field is an empty string, not null.
  EXPECT_TRUE(b.column(0)->IsValid(1));
  EXPECT_EQ(b.column(0)->StringValue(1), "");
  EXPECT_EQ(b.column(1)->StringValue(1), "x");
}

TEST(CsvReaderTest, Utf8BomAndBlankLines) {
  auto r = Parse("\xEF\xBB\xBFname,n\n\nZoë,1\n\n東京,2");
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(b.schema()->field(0).name, "name");
  ASSERT_EQ(b.num_rows(), 2);
  EXPECT_EQ(b.column(0)->StringValue(1), "東京");
}

TEST(CsvReaderTest, HeaderOptions) {
  CsvReadOptions no_header;
  no_header.header = false;
  auto r = Parse("1,a\n2,b\n", no_header);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->frame.schema()->field_names(), (std::vector<std::string>{"_c0", "_c1"}));
  EXPECT_EQ(r->frame.num_rows(), 2);
  auto dup = Parse("a,a,,a\n1,2,3,4\n");
  ASSERT_THAT(dup, IsOk());
  EXPECT_EQ(dup->frame.schema()->field_names(),
            (std::vector<std::string>{"a", "a.1", "_c2", "a.2"}));
  CsvReadOptions skip;
  skip.skip_lines = 1;
  auto sk = Parse("150,4,setosa\nx,y\n1,2\n", skip);
  ASSERT_THAT(sk, IsOk());
  EXPECT_EQ(sk->frame.schema()->field_names(), (std::vector<std::string>{"x", "y"}));
  auto header_only = Parse("a,b\n");
  ASSERT_THAT(header_only, IsOk());
  EXPECT_EQ(header_only->frame.num_rows(), 0);
  EXPECT_FALSE(Parse("").ok());
}

TEST(CsvReaderTest, MalformedRowIsAnErrorNamingFileLineAndColumn) {
  std::string text = "a,b\n1,2\n\"multi\nline\",3\n4\n5,6\n";
  auto r = Parse(text);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "t.csv:5: expected 2 fields, got 1");
  CsvReadOptions typed;
  typed.schema = *Schema::Make({MakeField("a", Int64Type()), MakeField("b", Int64Type())});
  auto t = Parse("a,b\n1,2\n3,x4\n", typed);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "t.csv:3: column 2 ('b'): expected int64, got 'x4'");
  auto q = Parse("a,b\n1,2\n3,ab\"c\n");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("t.csv:3: column 2 ('b'): a quote inside an unquoted field"),
            std::string::npos)
      << q.status();
  auto u = Parse("a\n\"open\n");
  EXPECT_NE(u.status().message().find("not closed"), std::string::npos);
}

TEST(CsvReaderTest, SkipPolicyCountsAndKeepPolicyRecords) {
  std::string text = "a,b\n1,2\n3\n4,5\n6,7,8\n";
  CsvReadOptions skip;
  skip.bad_rows = BadRowPolicy::kSkip;
  auto s = Parse(text, skip);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->frame.num_rows(), 2);
  EXPECT_EQ(s->stats.bad_rows, 2);
  ASSERT_EQ(s->stats.first_errors.size(), 2u);
  EXPECT_EQ(s->stats.first_errors[0], "t.csv:3: expected 2 fields, got 1");

  CsvReadOptions keep;
  keep.bad_rows = BadRowPolicy::kKeep;
  auto k = Parse(text, keep);
  ASSERT_THAT(k, IsOk());
  Batch b = *k->frame.Collect();
  ASSERT_EQ(b.num_rows(), 4);
  EXPECT_EQ(b.schema()->field(2).name, "_corrupt_record");
  EXPECT_TRUE(b.column(2)->IsNull(0));
  EXPECT_EQ(b.column(2)->StringValue(1), "t.csv:3: expected 2 fields, got 1 | 3");
  EXPECT_TRUE(b.column(0)->IsNull(1));
  EXPECT_EQ(b.column(2)->StringValue(3), "t.csv:5: expected 2 fields, got 3 | 6,7,8");
}

TEST(CsvReaderTest, ExplicitSchemaTypes) {
  CsvReadOptions o;
  o.schema = *Schema::Make({MakeField("i", Int32Type()), MakeField("f", Float32Type()),
                            MakeField("v", DenseVectorType(2)), MakeField("s", StringType())});
  auto r = Parse("i,f,v,s\n7,0.5,\"[1,2]\",7\n", o);
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(b.column(0)->Values<int32_t>()[0], 7);
  EXPECT_EQ(b.column(2)->DenseRow(0)[1], 2);
  EXPECT_EQ(b.column(3)->StringValue(0), "7");
  auto mismatch = Parse("i,f,vv,s\n", o);
  EXPECT_EQ(mismatch.status().message(), "t.csv: header column 3 is 'vv' but the schema says 'v'");
  auto overflow = Parse("i,f,v,s\n3000000000,1,\"[1,2]\",x\n", o);
  EXPECT_NE(overflow.status().message().find("expected int32, got '3000000000'"),
            std::string::npos);
}

TEST(CsvReaderTest, NullInNonNullableColumnIsABadRow) {
  CsvReadOptions o;
  o.schema = *Schema::Make(
      {MakeField("id", Int64Type(), /*nullable=*/false), MakeField("s", StringType())});
  auto r = Parse("id,s\n1,a\n,b\n", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "t.csv:3: column 1 ('id'): null in a non-nullable column");
}

TEST(CsvReaderTest, InvalidUtf8IsABadRow) {
  auto r = Parse("s\nok\nbad\xff\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "t.csv:3: column 1 ('s'): invalid UTF-8");
}

// A CSV with every tricky construct, for block-split invariance.
std::string TrickyCsv(int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out = "id,num,text,flag\n";
  const char* texts[] = {
      "plain", "\"with, comma\"", "\"multi\nline\"", "\"q \"\"x\"\" q\"", "", "NA", "\"\"",
      "ünï",   "\"a\r\nb\""};
  for (int i = 0; i < rows; ++i) {
    out += std::to_string(i) + ",";
    int k = rng() % 4;
    out += k == 0   ? ""
           : k == 1 ? std::to_string(rng() % 1000)
                    : std::to_string((rng() % 1000) / 7.0);
    out += ",";
    out += texts[rng() % 9];
    out += ",";
    out += (rng() % 2) ? "true" : "false";
    out += (rng() % 5 == 0) ? "\r\n" : "\n";
    if (rng() % 17 == 0) out += "\n";  // blank line
  }
  return out;
}

TEST(CsvReaderTest, BlockSplitsAndThreadsDoNotChangeTheResult) {
  std::string text = TrickyCsv(300, 42);
  CsvReadOptions one;
  one.block_size = 1 << 30;
  auto ref = Parse(text, one);
  ASSERT_THAT(ref, IsOk());
  EXPECT_EQ(ref->frame.num_rows(), 300);
  EXPECT_EQ(ref->frame.schema()->field(1).type->ToString(), "float64");
  ThreadPool pool1(1), pool2(2);
  for (ThreadPool* pool : {&pool1, &pool2}) {
    for (int64_t bs : {1, 2, 3, 7, 16, 61, 256, 1000, 4096}) {
      CsvReadOptions o;
      o.block_size = bs;
      auto r = ParseCsv(ExecContext::WithPool(pool), text, "t.csv", o);
      ASSERT_THAT(r, IsOk()) << bs;
      EXPECT_THAT(r->frame, FrameEq(ref->frame)) << "block size " << bs;
    }
  }
}

TEST(CsvReaderTest, LineNumbersAreRightAcrossBlocks) {
  std::string text = "a,b\n";
  for (int i = 0; i < 50; ++i) text += "\"x\ny\",1\n";  // two physical lines per row
  text += "bad\n";
  for (int64_t bs : {5, 64, 1 << 20}) {
    CsvReadOptions o;
    o.block_size = bs;
    auto r = Parse(text, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "t.csv:102: expected 2 fields, got 1") << bs;
  }
}

TEST(CsvReaderTest, ColumnNumericInOneBlockAndTextInAnotherBecomesString) {
  std::string text = "v\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + "\n";
  text += "abc\n";
  CsvReadOptions o;
  o.block_size = 50;
  auto r = Parse(text, o);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->frame.schema()->field(0).type->id(), TypeId::kString);
  Batch b = *r->frame.Collect();
  EXPECT_EQ(b.column(0)->StringValue(42), "42");
  EXPECT_EQ(b.column(0)->StringValue(100), "abc");
  // Ints in one block and floats in another become float64.
  auto f = Parse("v\n1\n2\n3\n4\n5.5\n", [] {
    CsvReadOptions x;
    x.block_size = 4;
    return x;
  }());
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->frame.schema()->field(0).type->id(), TypeId::kFloat64);
}

TEST(CsvReaderTest, RanksReadTheirShareAndAgreeOnSchema) {
  std::string text = TrickyCsv(500, 7);
  auto ref = Parse(text);
  ASSERT_THAT(ref, IsOk());
  auto comms = LocalCommunicator::MakeGroup(3);
  std::vector<Result<CsvReadResult>> parts(3, Result<CsvReadResult>(Internal("not run")));
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      ExecContext ctx = Ctx();
      ctx.comm = comms[r].get();
      CsvReadOptions o;
      o.block_size = 300;
      o.collective_timeout_ms = 20000;
      parts[r] = ParseCsv(ctx, text, "t.csv", o);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<Batch> all;
  for (auto& p : parts) {
    ASSERT_THAT(p, IsOk());
    EXPECT_TRUE(p->frame.schema()->Equals(*ref->frame.schema()));
    for (const Batch& b : p->frame.partitions()) all.push_back(b);
  }
  EXPECT_GT(parts[1]->frame.num_rows(), 0);
  EXPECT_THAT(*DataFrame::Make(ref->frame.schema(), all), FrameEq(ref->frame));
}

TEST(CsvWriterTest, RoundTripOfAwkwardValues) {
  SchemaPtr schema = *Schema::Make({MakeField("s", StringType()), MakeField("d", Float64Type()),
                                    MakeField("i", Int64Type()), MakeField("b", BoolType())});
  std::vector<std::optional<std::string>> s = {"plain",  "",   std::nullopt, "a,b", "q\"q",
                                               "l1\nl2", "NA", " padded ",   "ünï", "cr\r\nlf"};
  std::vector<std::optional<double>> d = {0.1, 1e-300, std::nullopt, -2.5, 1e20,
                                          3,   0,      -0.0,         7.25, 1};
  std::vector<std::optional<int64_t>> i = {1, -2, 3, std::nullopt, INT64_MAX, INT64_MIN, 0,
                                           5, 6,  7};
  std::vector<std::optional<bool>> b = {true,  false, std::nullopt, true, true,
                                        false, true,  false,        true, true};
  Batch batch = *Batch::Make(schema, {MakeColumn(s), MakeColumn(d), MakeColumn(i), MakeColumn(b)});
  DataFrame frame = *DataFrame::Make(schema, {batch.Slice(0, 4), batch.Slice(4, 6)});
  std::string path = testing::NewTempDir("csv") + "/out.csv";
  ASSERT_THAT(WriteCsv(Ctx(), frame, path), IsOk());
  CsvReadOptions o;
  o.schema = schema;
  auto back = ReadCsvWithStats(Ctx(), path, o);
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(back->frame, FrameEq(frame));
  // And with inference the types come back the same.
  auto inferred = ReadCsv(Ctx(), path);
  ASSERT_THAT(inferred, IsOk());
  EXPECT_TRUE(inferred->schema()->Equals(*schema)) << inferred->schema()->ToString();
}

// Dates and timestamps are read with an explicit schema (text stays text unless asked),
// written as ISO 8601 (timestamps in UTC with a Z) and read back equal.
TEST(CsvReaderTest, DatesAndTimestampsWithASchemaRoundTrip) {
  CsvReadOptions o;
  o.schema = *Schema::Make({MakeField("d", DateType()), MakeField("t", TimestampType())});
  auto r =
      Parse("d,t\n2024-03-01,2024-03-01 10:00:00+01:00\n1969-12-31,2024-03-01T09:00:00.5Z\n,\n", o);
  ASSERT_THAT(r, IsOk());
  Batch b = *r->frame.Collect();
  EXPECT_EQ(FormatValue(*b.column(0), 0), "2024-03-01");
  EXPECT_EQ(FormatValue(*b.column(0), 1), "1969-12-31");
  EXPECT_EQ(FormatValue(*b.column(1), 0), "2024-03-01 09:00:00");  // in UTC
  EXPECT_EQ(FormatValue(*b.column(1), 1), "2024-03-01 09:00:00.5");
  EXPECT_EQ(b.column(0)->null_count(), 1);
  auto bad = Parse("d,t\n2024-02-30,2024-03-01\n", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("column 1 ('d'): expected date, got '2024-02-30'"),
            std::string::npos)
      << bad.status().ToString();
  // Without a schema the same text is a string column, as before.
  auto inferred = Parse("d\n2024-03-01\n");
  ASSERT_THAT(inferred, IsOk());
  EXPECT_EQ(inferred->frame.schema()->field(0).type->id(), TypeId::kString);

  std::string path = testing::NewTempDir("csv") + "/dates.csv";
  ASSERT_THAT(WriteCsv(Ctx(), r->frame, path), IsOk());
  Result<std::string> text = ReadFileToString(path);
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text, "d,t\n2024-03-01,2024-03-01T09:00:00Z\n1969-12-31,2024-03-01T09:00:00.5Z\n,\n");
  auto back = ReadCsvWithStats(Ctx(), path, o);
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(back->frame, FrameEq(r->frame));
}

// Space-separated files (scikit-learn's .csv.gz, R's write.table): runs of spaces and tabs
// are one separator, a line's leading and trailing ones are not fields, quotes keep theirs.
TEST(CsvReaderTest, WhitespaceDelimitedRuns) {
  CsvReadOptions o;
  o.whitespace_delimited = true;
  o.header = false;
  auto r = Parse("  59 2  32.1\t101.0 \n48\t\t1 21.6 \"a  b\"\r\n", o);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->frame.schema()->ToString(), "_c0: int64\n_c1: int64\n_c2: float64\n_c3: string\n");
  Batch b = *r->frame.Collect();
  ASSERT_EQ(b.num_rows(), 2);
  EXPECT_EQ(FormatValue(*b.column(2), 0), "32.1");
  EXPECT_EQ(FormatValue(*b.column(3), 0), "101.0");
  EXPECT_EQ(FormatValue(*b.column(3), 1), "a  b");
}

// Column names replace a header's or the generated _c0, _c1; their number must match.
TEST(CsvReaderTest, ColumnNamesReplaceHeaderOrGeneratedOnes) {
  CsvReadOptions o;
  o.header = false;
  o.skip_lines = 1;  // scikit-learn's counts line
  o.column_names = {"a", "b", "class"};
  auto r = Parse("150,4,setosa\n5.1,3.5,0\n4.9,3.0,1\n", o);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->frame.schema()->ToString(), "a: float64\nb: float64\nclass: int64\n");
  o.header = true;
  o.skip_lines = 0;
  auto renamed = Parse("x,y,z\n1,2,3\n", o);
  ASSERT_THAT(renamed, IsOk());
  EXPECT_EQ(renamed->frame.schema()->field_names(), (std::vector<std::string>{"a", "b", "class"}));
  o.column_names = {"a", "b"};
  auto wrong = Parse("x,y,z\n1,2,3\n", o);
  EXPECT_NE(wrong.status().message().find("2 column names given but the file has 3 columns"),
            std::string::npos)
      << wrong.status();
}

// A header byte that is not UTF-8 is an error naming the file, line and column (before, it
// reached JSON Lines output as invalid JSON); a header of numbers is a warning.
TEST(CsvReaderTest, HeaderThatIsNotUtf8OrLooksLikeData) {
  auto latin1 = Parse("id,caf\xE9\n1,2\n");
  ASSERT_FALSE(latin1.ok());
  EXPECT_NE(latin1.status().message().find("t.csv:1: column 2: the header is not valid UTF-8"),
            std::string::npos)
      << latin1.status();
  CsvReadOptions skip;
  skip.skip_lines = 2;
  auto later = Parse("a\nb\nx,\xff\n", skip);
  EXPECT_NE(later.status().message().find("t.csv:3: column 2"), std::string::npos)
      << later.status();
  CapturingLogger log;
  ExecContext ctx = Ctx();
  ctx.log = &log;
  auto numbers = ParseCsv(ctx, "14.23,1.71\n13.2,1.78\n", "wine.csv");
  ASSERT_THAT(numbers, IsOk());
  ASSERT_EQ(log.messages().size(), 1u);
  EXPECT_NE(log.messages()[0].find("wine.csv:1: the header row is all numbers"), std::string::npos)
      << log.messages()[0];
  auto named = ParseCsv(ctx, "x,1\n2,3\n", "ok.csv");
  ASSERT_THAT(named, IsOk());
  EXPECT_EQ(log.messages().size(), 1u);  // one name that is not a number: no warning
}

// gzip by extension or by option: the same frame as the plain file; concatenated members
// read as one stream (as gunzip does); a truncated or foreign file is named.
TEST(CsvReaderTest, GzipCompressedFiles) {
  const std::string dir = testing::NewTempDir("csv_gzip");
  const std::string text = "a,b\n1,x\n2,y\n";
  ASSERT_THAT(WriteStringToFile(dir + "/plain.csv", text), IsOk());
  auto gz = [&](const std::string& path, const std::vector<std::string>& members) {
    std::string bytes;
    for (const std::string& m : members) bytes += GzipForTest(m);
    return WriteStringToFile(path, bytes);
  };
  ASSERT_THAT(gz(dir + "/t.csv.gz", {text}), IsOk());
  ASSERT_THAT(gz(dir + "/two.csv.gz", {"a,b\n1,x\n", "2,y\n"}), IsOk());
  ASSERT_THAT(gz(dir + "/named.dat", {text}), IsOk());
  auto plain = ReadCsv(Ctx(), dir + "/plain.csv");
  ASSERT_THAT(plain, IsOk());
  for (const char* name : {"/t.csv.gz", "/two.csv.gz"}) {
    auto r = ReadCsv(Ctx(), dir + name);
    ASSERT_THAT(r, IsOk()) << name;
    EXPECT_THAT(*r, FrameEq(*plain)) << name;
  }
  CsvReadOptions o;
  o.compression = Compression::kGzip;
  auto forced = ReadCsv(Ctx(), dir + "/named.dat", o);
  ASSERT_THAT(forced, IsOk());
  EXPECT_THAT(*forced, FrameEq(*plain));
  auto not_gzip = ReadCsv(Ctx(), dir + "/plain.csv", o);
  EXPECT_NE(not_gzip.status().message().find("plain.csv: not a gzip file"), std::string::npos)
      << not_gzip.status();
  const std::string whole = GzipForTest(text);
  ASSERT_THAT(WriteStringToFile(dir + "/cut.csv.gz", whole.substr(0, whole.size() - 6)), IsOk());
  auto cut = ReadCsv(Ctx(), dir + "/cut.csv.gz");
  EXPECT_NE(cut.status().message().find("cut.csv.gz: the gzip stream is truncated"),
            std::string::npos)
      << cut.status();
}

TEST(CsvReaderTest, MissingFileNamesIt) {
  auto r = ReadCsv(Ctx(), "/nonexistent/x.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/x.csv"), std::string::npos);
}

}  // namespace
}  // namespace ember
