#include "commands.h"

#include <gtest/gtest.h>

#include <sstream>

#include "ember/base/file_util.h"
#include "ember/io/table_io.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::cli {
namespace {

using ::ember::testing::IsOk;

struct Streams {
  std::ostringstream out, log;
  CliContext ctx() { return CliContext{ExecContext::Default(), out, log}; }
};

TEST(CliTest, DescribeListsStagesAndParams) {
  Streams s;
  ASSERT_THAT(Describe(s.ctx(), ""), IsOk());
  EXPECT_NE(s.out.str().find("SelectColumns: Keeps the listed columns"), std::string::npos);
  Streams one;
  ASSERT_THAT(Describe(one.ctx(), "Repartition"), IsOk());
  EXPECT_NE(one.out.str().find("n (int, default 1) [in [1, 1048576]]: Number of partitions."),
            std::string::npos) << one.out.str();
  Streams bad;
  Status st = Describe(bad.ctx(), "SelectColumn");
  EXPECT_NE(st.message().find("did you mean 'SelectColumns'?"), std::string::npos);
}

TEST(CliTest, FitThenTransformRoundTrip) {
  std::string dir = testing::NewTempDir("cli");
  ASSERT_THAT(WriteStringToFile(dir + "/train.csv", "a,b,c\n1,x,true\n2,y,false\n3,\"z,w\",true\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json", R"({"stages": [
      {"type": "SelectColumns", "params": {"cols": ["b", "a"]}},
      {"type": "RenameColumn", "params": {"inputCol": "b", "outputCol": "name"}}]})"), IsOk());
  Streams s;
  ASSERT_THAT(Fit(s.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/model", false), IsOk());
  EXPECT_NE(s.out.str().find("saved model to"), std::string::npos);
  EXPECT_NE(s.log.str().find("3 rows x 3 columns"), std::string::npos);
  // Refuses to overwrite without the flag.
  EXPECT_THAT(Fit(s.ctx(), dir + "/spec.json", dir + "/train.csv", dir + "/model", false),
              testing::StatusIs(StatusCode::kAlreadyExists));
  ASSERT_THAT(Transform(s.ctx(), dir + "/model", dir + "/train.csv", dir + "/out.jsonl"), IsOk());
  auto text = ReadFileToString(dir + "/out.jsonl");
  ASSERT_THAT(text, IsOk());
  EXPECT_EQ(*text, "{\"name\":\"x\",\"a\":1}\n{\"name\":\"y\",\"a\":2}\n{\"name\":\"z,w\",\"a\":3}\n");
}

TEST(CliTest, BadSpecIsRejectedBeforeReadingData) {
  std::string dir = testing::NewTempDir("cli_bad");
  ASSERT_THAT(WriteStringToFile(dir + "/spec.json",
                                R"({"stages": [{"type": "SelectColumns", "params": {"colls": ["a"]}}]})"),
              IsOk());
  Streams s;
  Status st = Fit(s.ctx(), dir + "/spec.json", dir + "/missing.csv", dir + "/model", false);
  EXPECT_NE(st.message().find("unknown param 'colls' for SelectColumns; did you mean 'cols'?"),
            std::string::npos) << st;
  EXPECT_NE(st.message().find("spec.json: stage 0"), std::string::npos) << st;
  EXPECT_EQ(s.log.str(), "");  // the data was never read
  ASSERT_THAT(WriteStringToFile(dir + "/data.csv", "a\n1\n"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/spec2.json",
                                R"({"stages": [{"type": "SelectColumns", "params": {"cols": ["b"]}}]})"),
              IsOk());
  Status missing = Fit(s.ctx(), dir + "/spec2.json", dir + "/data.csv", dir + "/model", false);
  EXPECT_NE(missing.message().find("column 'b' not found; columns are: a"), std::string::npos) << missing;
}

TEST(CliTest, SchemaHeadAndConvert) {
  std::string dir = testing::NewTempDir("cli_io");
  ASSERT_THAT(WriteStringToFile(dir + "/t.csv", "id,v\n1,0.5\n2,\n3,1.5\n"), IsOk());
  Streams s;
  ASSERT_THAT(Schema(s.ctx(), dir + "/t.csv"), IsOk());
  EXPECT_EQ(s.out.str(), "id: int64\nv: float64\n(3 rows)\n");
  Streams h;
  ASSERT_THAT(Head(h.ctx(), dir + "/t.csv", 2), IsOk());
  EXPECT_NE(h.out.str().find("1 more rows"), std::string::npos);
  Streams c;
  ASSERT_THAT(Convert(c.ctx(), dir + "/t.csv", dir + "/t.jsonl"), IsOk());
  auto text = ReadFileToString(dir + "/t.jsonl");
  EXPECT_EQ(*text, "{\"id\":1,\"v\":0.5}\n{\"id\":2,\"v\":null}\n{\"id\":3,\"v\":1.5}\n");
  EXPECT_FALSE(Convert(c.ctx(), dir + "/t.csv", dir + "/t.parquet").ok());
}

}  // namespace
}  // namespace ember::cli
