#include "ember/base/json.h"

#include <gtest/gtest.h>

namespace ember {
namespace {

TEST(JsonTest, RoundTripKeepsKeyOrderAndTypes) {
  Json o = Json::MakeObject();
  o.Set("zeta", 1);
  o.Set("alpha", 2.5);
  o.Set("list", Json(Json::Array{Json("a"), Json(true), Json()}));
  o.Set("whole", 3.0);
  std::string text = o.Dump();
  EXPECT_EQ(text, R"({"zeta":1,"alpha":2.5,"list":["a",true,null],"whole":3.0})");
  Result<Json> back = Json::Parse(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, o);
  EXPECT_TRUE(back->Find("whole")->kind() == Json::Kind::kDouble);
  EXPECT_TRUE(back->Find("zeta")->is_int());
}

TEST(JsonTest, EscapesControlCharacters) {
  Json s(std::string("a\"b\\c\n\x01"));
  EXPECT_EQ(s.Dump(), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(*Json::Parse(s.Dump()), s);
}

TEST(JsonTest, PrettyPrintParsesBack) {
  Json o = Json::MakeObject();
  o.Set("a", Json(Json::Array{Json(1), Json(2)}));
  std::string pretty = o.Dump(2);
  EXPECT_NE(pretty.find('\n'), std::string::npos);
  EXPECT_EQ(*Json::Parse(pretty), o);
}

TEST(JsonTest, InvalidJsonIsAnError) {
  EXPECT_FALSE(Json::Parse("{\"a\":").ok());
  EXPECT_FALSE(Json::Parse("").ok());
  EXPECT_FALSE(Json::Parse("[1,2").ok());
}

TEST(JsonTest, InvalidJsonSaysWhereByLineAndColumn) {
  // A missing comma between members, on line 3 (as in a hand-written pipeline spec).
  auto r =
      Json::Parse("{\"stages\": [\n  {\"type\": \"A\"},\n  {\"type\": \"B\" \"params\": {}}\n]}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid JSON at line 3, column 16:"), std::string::npos)
      << r.status();
  auto trailing = Json::Parse("[1, 2,]");
  EXPECT_NE(trailing.status().message().find("at line 1, column 7"), std::string::npos)
      << trailing.status();
  auto unclosed = Json::Parse("{\"a\": [1, 2");
  EXPECT_NE(unclosed.status().message().find("at line 1, column 12"), std::string::npos)
      << unclosed.status();
  // Deep nesting stops the locator without exhausting the stack.
  auto deep = Json::Parse(std::string(100000, '[') + "x");
  EXPECT_FALSE(deep.ok());
}

TEST(JsonTest, SetReplacesExistingKey) {
  Json o = Json::MakeObject();
  o.Set("k", 1);
  o.Set("k", 2);
  EXPECT_EQ(o.as_object().size(), 1u);
  EXPECT_EQ(o.Find("k")->as_int(), 2);
  EXPECT_EQ(o.Find("missing"), nullptr);
}

}  // namespace
}  // namespace ember
