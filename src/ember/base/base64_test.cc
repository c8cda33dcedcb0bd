#include "ember/base/base64.h"

#include <gtest/gtest.h>

#include <random>

namespace ember {
namespace {

std::string Encode(std::string_view bytes) {
  std::string out = "prefix:";  // AppendBase64 appends
  AppendBase64(bytes, &out);
  return out.substr(7);
}

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Encode(plain), encoded);
    Result<std::string> back = DecodeBase64(encoded);
    ASSERT_TRUE(back.ok()) << encoded << ": " << back.status();
    EXPECT_EQ(*back, plain);
  }
}

TEST(Base64Test, EveryLengthAndByteRoundTrips) {
  std::mt19937 rng(7);
  for (size_t n = 0; n < 300; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 255);
    Result<std::string> back = DecodeBase64(Encode(bytes));
    ASSERT_TRUE(back.ok()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
}

TEST(Base64Test, BadTextIsAnErrorThatSaysWhere) {
  auto message = [](std::string_view text) {
    Result<std::string> r = DecodeBase64(text);
    return r.ok() ? std::string("ok") : r.status().message();
  };
  EXPECT_NE(message("Zm9").find("multiple of 4"), std::string::npos);
  EXPECT_NE(message("Zm9vY%Fy").find("character at offset 5"), std::string::npos);
  EXPECT_NE(message("Zm9vYm!=").find("character at offset 6"), std::string::npos);
  EXPECT_NE(message("Zg==Zm9v").find("padding in the middle"), std::string::npos);
  EXPECT_NE(message("Zm=v").find("padding in the middle"), std::string::npos);
  EXPECT_NE(message("Z===").find("padding in the middle"), std::string::npos);
  EXPECT_NE(message("====").find("padding in the middle"), std::string::npos);
  EXPECT_NE(message("Zm9v\nYmFy").find("multiple of 4"), std::string::npos);
}

}  // namespace
}  // namespace ember
