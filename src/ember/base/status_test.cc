#include <gtest/gtest.h>

#include "ember/base/status_macros.h"
#include "ember/base/uid.h"

namespace ember {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd value " + std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  EMBER_ASSIGN_OR_RETURN(int h, Half(x));
  EMBER_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::OK();
}

TEST(StatusTest, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, ErrorCarriesCodeMessageAndContext) {
  Status s = NotFound("column 'x'");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.WithContext("stage Select").ToString(), "NotFound: stage Select: column 'x'");
  Status copy = s;  // NOLINT(performance-unnecessary-copy-initialization): copying is tested
  EXPECT_EQ(copy, s);
}

TEST(ResultTest, MacrosPropagateFirstError) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.message(), "odd value 3");
}

TEST(ResultTest, ResultFromOkStatusIsInternalError) {
  Result<int> r(Status::OK());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(UidTest, UidsAreUniqueAndValid) {
  std::string a = MakeUid("Stage"), b = MakeUid("Stage");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("Stage_", 0), 0u);
  EXPECT_TRUE(IsValidUid(a));
  EXPECT_FALSE(IsValidUid("../etc"));
  EXPECT_FALSE(IsValidUid(""));
}

}  // namespace
}  // namespace ember
