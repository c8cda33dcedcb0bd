#include "ember/io/libsvm.h"

#include <gtest/gtest.h>

#include "ember/core/ops.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::FrameEq;
using ::ember::testing::IsOk;

TEST(LibSvmTest, ReadsLabelsAndSparseFeatures) {
  auto r = ParseLibSvm(ExecContext::Default(), "+1 1:0.5 3:2\n-1 2:1 # comment\n\n0 qid:3 4:-1e2\n",
                       "t");
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->schema()->ToString(), "label: float64\nfeatures: sparse_vector[4]\n");
  Batch b = *r->Collect();
  ASSERT_EQ(b.num_rows(), 3);
  EXPECT_EQ(FormatValue(*b.column(0), 1), "-1");
  EXPECT_EQ(FormatValue(*b.column(1), 0), R"({"size":4,"indices":[0,2],"values":[0.5,2]})");
  EXPECT_EQ(FormatValue(*b.column(1), 2), R"({"size":4,"indices":[3],"values":[-100]})");
}

TEST(LibSvmTest, MalformedLinesNameTheLine) {
  auto r = ParseLibSvm(ExecContext::Default(), "1 1:1\n1 0:1\n", "t");
  EXPECT_EQ(r.status().message(), "t:2: feature index 0 out of range (indices start at 1)");
  auto u = ParseLibSvm(ExecContext::Default(), "1 2:1 1:1\n", "t");
  EXPECT_EQ(u.status().message(), "t:1: feature indices must increase, got 2 then 1");
  LibSvmReadOptions skip;
  skip.bad_rows = BadRowPolicy::kSkip;
  CsvReadStats stats;
  auto s = ParseLibSvm(ExecContext::Default(), "x 1:1\n1 1:1\n1 a\n", "t", skip, &stats);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->num_rows(), 1);
  EXPECT_EQ(stats.bad_rows, 2);
  auto small = ParseLibSvm(ExecContext::Default(), "1 5:1\n", "t", {.num_features = 3});
  EXPECT_NE(small.status().message().find("num_features is 3"), std::string::npos);
}

TEST(LibSvmTest, BlockSizeDoesNotChangeResult) {
  std::string text;
  for (int i = 0; i < 200; ++i)
    text +=
        std::to_string(i % 2) + " " + std::to_string(i % 7 + 1) + ":" + std::to_string(i) + "\n";
  auto ref = ParseLibSvm(ExecContext::Default(), text, "t");
  ASSERT_THAT(ref, IsOk());
  for (int64_t bs : {1, 9, 100}) {
    LibSvmReadOptions o;
    o.block_size = bs;
    auto r = ParseLibSvm(ExecContext::Default(), text, "t", o);
    ASSERT_THAT(r, IsOk());
    EXPECT_THAT(*r, FrameEq(*ref));
  }
}

}  // namespace
}  // namespace ember
