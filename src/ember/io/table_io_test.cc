#include "ember/io/table_io.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/core/ops.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::FrameEq;
using ::ember::testing::IsOk;

TEST(TableIoTest, FormatByExtension) {
  EXPECT_EQ(*FormatOfPath("a/b.CSV"), TableFormat::kCsv);
  EXPECT_EQ(*FormatOfPath("x.ndjson"), TableFormat::kJsonLines);
  EXPECT_EQ(*FormatOfPath("data/diabetes.csv.gz"), TableFormat::kCsv);
  EXPECT_EQ(*FormatOfPath("logs.jsonl.GZ"), TableFormat::kJsonLines);
  EXPECT_FALSE(FormatOfPath("x.gz").ok());
  EXPECT_NE(FormatOfPath("x.parquet").status().message().find("unknown table format '.parquet'"),
            std::string::npos);
}

TEST(TableIoTest, FolderOfFilesReadsAsOneFrame) {
  std::string dir = testing::NewTempDir("table");
  ASSERT_THAT(WriteStringToFile(dir + "/part-1.csv", "a,b\n3,z\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/part-0.csv", "a,b\n1,x\n2,y\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/README.txt", "not data"), IsOk());
  auto f = ReadTable(ExecContext::Default(), dir);
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->num_rows(), 3);
  EXPECT_EQ(FormatValue(*f->Collect()->column(0), 2), "3");
  ASSERT_THAT(WriteStringToFile(dir + "/part-2.csv", "a,c\n1,2\n"), IsOk());
  auto bad = ReadTable(ExecContext::Default(), dir);
  EXPECT_NE(bad.status().message().find("part-2.csv' has schema"), std::string::npos);
}

TEST(TableIoTest, WriteThenReadBothFormats) {
  DataFrame in = testing::MixedFrame();
  std::string dir = testing::NewTempDir("table2");
  ASSERT_THAT(WriteTable(ExecContext::Default(), in, dir + "/t.jsonl"), IsOk());
  auto back = ReadTable(ExecContext::Default(), dir + "/t.jsonl");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->num_rows(), in.num_rows());
  SchemaPtr flat =
      *Schema::Make({in.schema()->field(0), in.schema()->field(1), in.schema()->field(2)});
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions())
    parts.push_back(*Batch::Make(flat, {b.column(0), b.column(1), b.column(2)}));
  DataFrame simple = *DataFrame::Make(flat, parts);
  ASSERT_THAT(WriteTable(ExecContext::Default(), simple, dir + "/t.csv"), IsOk());
  auto csv = ReadTable(ExecContext::Default(), dir + "/t.csv");
  ASSERT_THAT(csv, IsOk());
  EXPECT_THAT(*csv, FrameEq(simple));
}

}  // namespace
}  // namespace ember
