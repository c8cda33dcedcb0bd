// HTTPTransformer in a pipeline against a local server: every row gets its response or an
// error, in order; null requests pass through.
#include "ember/http/http_stages.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/http/test_server.h"
#include "ember/pipeline/save_load.h"

namespace ember {
namespace {

using http::testing_server::Action;
using http::testing_server::Seen;
using http::testing_server::TestServer;

DataFrame RequestFrame(const std::vector<std::optional<http::Request>>& requests, int partitions) {
  std::vector<std::optional<int64_t>> ids;
  for (size_t i = 0; i < requests.size(); ++i) ids.push_back(static_cast<int64_t>(i));
  auto schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("request", HttpRequestType())});
  Batch all = *Batch::Make(schema, {MakeColumn(ids), RequestColumn(requests)});
  std::vector<Batch> parts;
  const int64_t n = all.num_rows();
  for (int p = 0; p < partitions; ++p) parts.push_back(all.Slice(n * p / partitions, n * (p + 1) / partitions - n * p / partitions));
  return *DataFrame::Make(schema, parts);
}

TEST(HTTPTransformerTest, EveryRowGetsItsResponseOrAnErrorInOrder) {
  TestServer server([](const Seen& s, int) {
    if (s.path.rfind("/missing", 0) == 0) return Action{.status = 404, .reason = "Not Found", .body = "nope"};
    return Action{.headers = {{"Content-Type", "application/json"}}, .body = "{\"echo\": \"" + s.path + " " + s.body + "\"}"};
  });
  std::vector<std::optional<http::Request>> requests;
  for (int i = 0; i < 60; ++i) {
    if (i % 10 == 7) {
      requests.emplace_back();  // a null request
    } else if (i % 10 == 3) {
      requests.push_back(http::Request{.url = server.Url("/missing/" + std::to_string(i))});
    } else {
      requests.push_back(http::Request{.method = "POST", .url = server.Url("/row/" + std::to_string(i)),
                                       .headers = {{"Content-Type", "application/json"}}, .body = std::to_string(i)});
    }
  }
  auto stage = *HTTPTransformer::Make({.concurrency = 4, .backoffs_ms = {}});
  auto out = stage->Transform(RequestFrame(requests, 3), ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  ASSERT_EQ(b.num_rows(), 60);
  EXPECT_EQ(b.schema()->field(2).name, "response");
  EXPECT_EQ(b.schema()->field(3).name, "error");
  auto bodies = *ResponseBodyAsString(*b.column(2));
  const Column& err = *b.column(3);
  for (int i = 0; i < 60; ++i) {
    EXPECT_EQ(b.column(0)->Values<int64_t>()[i], i);  // rows in order
    if (i % 10 == 7) {
      EXPECT_TRUE(b.column(2)->IsNull(i)) << i;
      EXPECT_TRUE(err.IsNull(i)) << i;
    } else if (i % 10 == 3) {
      EXPECT_EQ(FormatValue(err, i), R"j({"status":404,"message":"HTTP 404 Not Found (1 attempt)","body":"nope","attempts":1})j") << i;
      EXPECT_EQ(bodies->StringValue(i), "nope");
    } else {
      EXPECT_TRUE(err.IsNull(i)) << i << ": " << FormatValue(err, i);
      EXPECT_EQ(bodies->StringValue(i), "{\"echo\": \"/row/" + std::to_string(i) + " " + std::to_string(i) + "\"}");
    }
  }
  EXPECT_EQ(server.seen().size(), 54u);  // each non-null request exactly once
}

TEST(HTTPTransformerTest, ADeadServiceIsAnErrorPerRowNotAFailedJob) {
  auto stage = *HTTPTransformer::Make({.timeout = 2, .backoffs_ms = {1, 1}});
  std::vector<std::optional<http::Request>> requests(5, http::Request{.url = "http://127.0.0.1:1/"});
  auto out = stage->Transform(RequestFrame(requests, 1), ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(b.column(2)->IsNull(i));
    const std::string e = FormatValue(*b.column(3), i);
    EXPECT_NE(e.find("Couldn't connect"), std::string::npos) << e;
  }
  // The first call retries; once most calls failed, the retry budget stops retrying.
  EXPECT_NE(FormatValue(*b.column(3), 0).find(R"("attempts":3)"), std::string::npos);
  EXPECT_NE(FormatValue(*b.column(3), 4).find("retry budget exhausted"), std::string::npos);
}

TEST(HTTPTransformerTest, BindChecksTheColumnsAndParams) {
  auto schema = *Schema::Make({MakeField("request", StringType())});
  auto stage = *HTTPTransformer::Make({});
  auto bound = stage->Bind(*schema);
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.status().message().find("column 'request' is string, not an HTTP request"), std::string::npos)
      << bound.status().ToString();
  EXPECT_FALSE(HTTPTransformer::Make({.concurrency = 0}).ok());
  EXPECT_FALSE(HTTPTransformer::Make({.backoffs_ms = {-5}}).ok());
  EXPECT_FALSE(HTTPTransformer::Make({.output_col = "x", .error_col = "x"}).ok());
}

}  // namespace
}  // namespace ember
