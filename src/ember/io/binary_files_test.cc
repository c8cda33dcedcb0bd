#include "ember/io/binary_files.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

TEST(BinaryFilesTest, ReadsFilesSortedWithGlobAndRecursion) {
  std::string dir = testing::NewTempDir("bin");
  std::filesystem::create_directories(dir + "/sub");
  ASSERT_THAT(WriteStringToFile(dir + "/b.jpg", std::string("\xff\xd8\0x", 4)), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/a.jpg", "A"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/notes.txt", "text"), IsOk());
  ASSERT_THAT(WriteStringToFile(dir + "/sub/c.jpg", "C"), IsOk());
  auto flat = ReadBinaryFiles(ExecContext::Default(), dir, {.path_glob = "*.jpg"});
  ASSERT_THAT(flat, IsOk());
  Batch b = *flat->Collect();
  ASSERT_EQ(b.num_rows(), 2);
  EXPECT_EQ(b.column(0)->StringValue(0), dir + "/a.jpg");
  EXPECT_EQ(b.column(1)->StringValue(1), std::string("\xff\xd8\0x", 4));
  auto deep = ReadBinaryFiles(ExecContext::Default(), dir,
                              {.recursive = true, .path_glob = "*.jpg", .files_per_partition = 1});
  ASSERT_THAT(deep, IsOk());
  EXPECT_EQ(deep->num_rows(), 3);
  EXPECT_EQ(deep->num_partitions(), 3);
  auto missing = ReadBinaryFiles(ExecContext::Default(), dir + "/nope");
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace ember
