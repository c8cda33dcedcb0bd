// HTTPTransformer in a pipeline against a local server: every row gets its response or an
// error, in order; null requests pass through.
#include "ember/http/http_stages.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/http/fake_client.h"
#include "ember/http/test_server.h"
#include "ember/pipeline/save_load.h"
#include "ember/sql/query.h"

namespace ember {
namespace {

using http::testing_server::Action;
using http::testing_server::Seen;
using http::testing_server::TestServer;

DataFrame RequestFrame(const std::vector<std::optional<http::Request>>& requests, int partitions) {
  std::vector<std::optional<int64_t>> ids;
  for (size_t i = 0; i < requests.size(); ++i) ids.push_back(static_cast<int64_t>(i));
  auto schema =
      *Schema::Make({MakeField("id", Int64Type()), MakeField("request", HttpRequestType())});
  Batch all = *Batch::Make(schema, {MakeColumn(ids), RequestColumn(requests)});
  std::vector<Batch> parts;
  const int64_t n = all.num_rows();
  for (int p = 0; p < partitions; ++p)
    parts.push_back(all.Slice(n * p / partitions, n * (p + 1) / partitions - n * p / partitions));
  return *DataFrame::Make(schema, parts);
}

// On every engine (the engine param; auto is native here: the URLs are plain http://).
TEST(HTTPTransformerTest, EveryRowGetsItsResponseOrAnErrorInOrder) {
  for (http::Engine engine : {http::Engine::kAuto, http::Engine::kLibcurl, http::Engine::kNative}) {
    SCOPED_TRACE(static_cast<int>(engine));
    TestServer server([](const Seen& s, int) {
      if (s.path.rfind("/missing", 0) == 0)
        return Action{.status = 404, .reason = "Not Found", .body = "nope"};
      return Action{.headers = {{"Content-Type", "application/json"}},
                    .body = "{\"echo\": \"" + s.path + " " + s.body + "\"}"};
    });
    std::vector<std::optional<http::Request>> requests;
    for (int i = 0; i < 60; ++i) {
      if (i % 10 == 7) {
        requests.emplace_back();  // a null request
      } else if (i % 10 == 3) {
        requests.push_back(http::Request{.url = server.Url("/missing/" + std::to_string(i))});
      } else {
        requests.push_back(http::Request{.method = "POST",
                                         .url = server.Url("/row/" + std::to_string(i)),
                                         .headers = {{"Content-Type", "application/json"}},
                                         .body = std::to_string(i)});
      }
    }
    auto stage =
        *HTTPTransformer::Make({.call = {.concurrency = 4, .backoffs_ms = {}, .engine = engine}});
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
        EXPECT_EQ(
            FormatValue(err, i),
            R"j({"status":404,"message":"HTTP 404 Not Found (1 attempt)","body":"nope","attempts":1})j")
            << i;
        EXPECT_EQ(bodies->StringValue(i), "nope");
      } else {
        EXPECT_TRUE(err.IsNull(i)) << i << ": " << FormatValue(err, i);
        EXPECT_EQ(bodies->StringValue(i),
                  "{\"echo\": \"/row/" + std::to_string(i) + " " + std::to_string(i) + "\"}");
      }
    }
    EXPECT_EQ(server.seen().size(), 54u);  // each non-null request exactly once
  }
}

// A batch against a service that turns away 30% of first attempts (429 with Retry-After,
// 503 without, or no answer within the timeout) ends with every row answered, with the
// default retry params: the server-directed waits cost no budget, and the budget lets the
// others retry while most attempts succeed. (Before, the budget stopped retrying after a
// handful of failures and 88 of 300 rows ended as errors.)
TEST(HTTPTransformerTest, AFlakyThrottlingServiceAnswersEveryRowWithDefaultRetries) {
  TestServer server([](const Seen& s, int attempt) {
    const int i = std::stoi(s.path.substr(s.path.rfind('/') + 1));
    if (attempt == 1 && i % 10 < 3) {
      if (i % 3 == 0)
        return Action{
            .status = 429, .reason = "Too Many Requests", .headers = {{"Retry-After", "1"}}};
      if (i % 3 == 1) return Action{.status = 503, .reason = "Service Unavailable"};
      return Action{.body = "late", .delay = std::chrono::milliseconds(600)};
    }
    return Action{.body = std::to_string(i)};
  });
  std::vector<std::optional<http::Request>> requests;
  for (int i = 0; i < 300; ++i)
    requests.push_back(http::Request{.url = server.Url("/row/" + std::to_string(i))});
  // Only the concurrency and the attempt timeout differ from the defaults (to keep the test
  // short); every retry param is the default.
  auto stage = *HTTPTransformer::Make({.call = {.concurrency = 16, .timeout = 0.3}});
  auto out = stage->Transform(RequestFrame(requests, 1), ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  auto bodies = *ResponseBodyAsString(*b.column(2));
  int answered = 0;
  for (int i = 0; i < 300; ++i) {
    EXPECT_TRUE(b.column(3)->IsNull(i)) << i << ": " << FormatValue(*b.column(3), i);
    answered += !b.column(3)->IsNull(i) ? 0 : bodies->StringValue(i) == std::to_string(i);
  }
  EXPECT_EQ(answered, 300);
}

// Requests built from columns, sent, and the replies read back as text, bytes and JSON.
TEST(HttpColumnsTest, RequestsFromColumnsAndRepliesAsStringBinaryAndJson) {
  TestServer server([](const Seen& s, int) {
    std::string key = "-";
    for (const http::Header& h : s.headers) {
      if (h.name == "X-Key") key = h.value;
    }
    if (s.path == "/text") return Action{.body = "plain words"};
    if (s.path == "/odd") return Action{.body = R"({"label": 3, "score": "high"})"};
    return Action{.body = R"({"label": ")" + s.method + " " + s.path + " " + s.body +
                          R"(", "score": 0.5, "key": ")" + key + R"("})"};
  });
  auto url = MakeColumn<std::string>(
      {server.Url("/a"), server.Url("/b"), std::nullopt, server.Url("/text"), server.Url("/odd")});
  auto method = MakeColumn<std::string>({"POST", std::nullopt, "PUT", "GET", "GET"});
  auto body = MakeColumn<std::string>({"one", std::nullopt, "three", std::nullopt, std::nullopt});
  auto key = MakeColumn<std::string>({"k1", "k2", "k3", std::nullopt, std::nullopt});
  RequestParts parts{.url = url.get(),
                     .method = "GET",
                     .method_column = method.get(),
                     .body = body.get(),
                     .headers = {{"Accept", "application/json"}},
                     .header_columns = {{"X-Key", key.get()}}};
  auto requests = RequestColumnFromParts(parts);
  ASSERT_TRUE(requests.ok()) << requests.status().ToString();
  auto read = RequestsOfColumn(**requests);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE((*read)[2].has_value());  // a null url: a null request
  EXPECT_EQ((*read)[1]->method, "GET");  // a null method: the default
  ASSERT_EQ((*read)[0]->headers.size(), 2u);
  EXPECT_EQ((*read)[3]->headers.size(), 1u);  // a null header value sends no header

  auto schema = *Schema::Make({MakeField("request", HttpRequestType())});
  auto out = (*HTTPTransformer::Make({.call = {.backoffs_ms = {}}}))
                 ->Transform(DataFrame::FromBatch(*Batch::Make(schema, {*requests})),
                             ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Batch b = *out->Collect();
  const Column& responses = *b.column(1);
  auto text = ResponseBodyAsString(responses);
  auto bytes = ResponseBodyAsBinary(responses);
  ASSERT_TRUE(text.ok() && bytes.ok());
  EXPECT_EQ((*bytes)->type_id(), TypeId::kBinary);
  EXPECT_EQ((*text)->StringValue(0), R"({"label": "POST /a one", "score": 0.5, "key": "k1"})");
  EXPECT_EQ((*bytes)->StringValue(1), R"({"label": "GET /b ", "score": 0.5, "key": "k2"})");
  EXPECT_TRUE((*text)->IsNull(2));
  auto type = *ParseType("struct<label:string,score:float64>");
  auto json = ResponseBodyAsJson(responses, type);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  EXPECT_EQ(FormatValue(*json->values, 0), R"({"label":"POST /a one","score":0.5})");
  EXPECT_TRUE(json->problems->IsNull(0));
  EXPECT_TRUE(json->values->IsNull(2));
  EXPECT_TRUE(json->problems->IsNull(2));  // a null response is no problem
  EXPECT_TRUE(json->values->IsNull(3));
  EXPECT_EQ(json->problems->StringValue(3).substr(0, 10), "not JSON: ");
  EXPECT_TRUE(json->values->IsNull(4));
  EXPECT_NE(json->problems->StringValue(4).find("score"), std::string_view::npos)
      << json->problems->StringValue(4);

  // Parts that do not fit are named.
  auto number = MakeColumn<int64_t>({1, 2, 3, 4, 5});
  auto shorter = MakeColumn<std::string>({"a"});
  EXPECT_EQ(RequestColumnFromParts({}).status().message(),
            "HTTP requests from columns: no url column");
  EXPECT_EQ(RequestColumnFromParts({.url = url.get(), .body = number.get()}).status().message(),
            "HTTP requests from columns: the body column is int64, not string or binary");
  EXPECT_EQ(RequestColumnFromParts({.url = url.get(), .header_columns = {{"X-Key", shorter.get()}}})
                .status()
                .message(),
            "HTTP requests from columns: the 'X-Key' header column has 1 rows, the url column 5");
  EXPECT_EQ(ResponseBodyAsJson(*url, type).status().code(), StatusCode::kTypeError);
}

TEST(HTTPTransformerTest, ADeadServiceIsAnErrorPerRowNotAFailedJob) {
  auto stage = *HTTPTransformer::Make({.call = {.timeout = 2, .backoffs_ms = {1, 1}}});
  std::vector<std::optional<http::Request>> requests(5,
                                                     http::Request{.url = "http://127.0.0.1:1/"});
  auto out = stage->Transform(RequestFrame(requests, 1), ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(b.column(2)->IsNull(i));
    const std::string e = FormatValue(*b.column(3), i);
    EXPECT_NE(e.find("Couldn't connect"), std::string::npos) << e;
  }
  // The first calls retry; once most calls failed, the retry budget stops retrying: fewer
  // than the 15 attempts 3 per row would be, and the errors say why.
  const Column& attempts = *b.column(3)->child(3);
  int64_t total = 0, stopped = 0;
  for (int i = 0; i < 5; ++i) {
    total += attempts.Values<int32_t>()[b.column(3)->offset() + i];
    stopped += FormatValue(*b.column(3), i).find("retry budget exhausted") != std::string::npos;
  }
  EXPECT_LT(total, 15);
  EXPECT_GE(total, 7);  // 5 tokens' worth of failures at least before the budget stops
  EXPECT_GT(stopped, 0);
  // Without a budget every row makes all its attempts.
  auto unlimited = *HTTPTransformer::Make({.call = {.backoffs_ms = {1, 1}, .retry_budget = 0}});
  auto all = unlimited->Transform(RequestFrame(requests, 1), ExecContext::Default());
  ASSERT_TRUE(all.ok());
  Batch c = *all->Collect();
  for (int i = 0; i < 5; ++i)
    EXPECT_NE(FormatValue(*c.column(3), i).find(R"("attempts":3)"), std::string::npos) << i;
}

TEST(HTTPTransformerTest, BindChecksTheColumnsAndParams) {
  auto schema = *Schema::Make({MakeField("request", StringType())});
  auto stage = *HTTPTransformer::Make({});
  auto bound = stage->Bind(*schema);
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.status().message().find("column 'request' is string, not an HTTP request"),
            std::string::npos)
      << bound.status().ToString();
  EXPECT_FALSE(HTTPTransformer::Make({.call = {.concurrency = 0}}).ok());
  auto negative = HTTPTransformer::Make({.call = {.backoffs_ms = {10, -5}}});
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().ToString().find("HTTPTransformer param 'backoffsMs'"),
            std::string::npos)
      << negative.status();
  EXPECT_NE(negative.status().ToString().find("element 1"), std::string::npos) << negative.status();
  // The call params sit in the stage's flat JSON; a wrong type names the stage and the param.
  auto from_json = HTTPTransformer::Params::Spec().FromJson(
      *Json::Parse(R"({"concurrency": 3, "engine": "native"})"));
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_EQ(from_json->call.concurrency, 3);
  EXPECT_EQ(from_json->call.engine, http::Engine::kNative);
  EXPECT_EQ(HTTPTransformer::Params::Spec().ToJson(*from_json).Find("concurrency")->as_int(), 3);
  auto wrong = HTTPTransformer::Params::Spec().FromJson(*Json::Parse(R"({"concurrency": "four"})"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().ToString().find("HTTPTransformer param 'concurrency'"),
            std::string::npos)
      << wrong.status();
  EXPECT_FALSE(HTTPTransformer::Make({.output_col = "x", .error_col = "x"}).ok());
}

// A frame of rows (id, text, key): the service scores text; key is a per-row API key.
DataFrame TextFrame(int rows, int partitions) {
  std::vector<std::optional<int64_t>> ids;
  std::vector<std::optional<std::string>> texts, keys;
  for (int i = 0; i < rows; ++i) {
    ids.push_back(i);
    texts.push_back("text " + std::to_string(i));
    keys.push_back(i % 5 == 4 ? std::nullopt
                              : std::optional<std::string>("key" + std::to_string(i % 2)));
  }
  auto schema = *Schema::Make({MakeField("id", Int64Type()), MakeField("text", StringType()),
                               MakeField("key", StringType())});
  Batch all = *Batch::Make(schema, {MakeColumn(ids), MakeColumn(texts), MakeColumn(keys)});
  std::vector<Batch> parts;
  const int64_t n = all.num_rows();
  for (int p = 0; p < partitions; ++p)
    parts.push_back(all.Slice(n * p / partitions, n * (p + 1) / partitions - n * p / partitions));
  return *DataFrame::Make(schema, parts);
}

// A scoring service: {"id": n, "text": ...} -> {"label": "even"|"odd", "score": n / 10};
// a JSON array of those -> an array of replies. Id 13 gets malformed JSON (null inside a
// batch's array), id 17 a reply of the wrong shape.
Action Score(const Seen& s, int) {
  if (s.path == "/wrong-type")
    return Action{.headers = {{"Content-Type", "text/plain"}}, .body = "not json at all"};
  auto one = [](const std::string& obj) {
    const size_t at = obj.find("\"id\":") + 5;
    const int id = std::stoi(obj.substr(at));
    if (id == 13) return std::string("{\"label\": ");
    if (id == 17) return std::string("{\"label\": 5, \"score\": \"high\"}");
    return "{\"label\": \"" + std::string(id % 2 ? "odd" : "even") +
           "\", \"score\": " + std::to_string(id / 10.0) + "}";
  };
  std::string body;
  if (s.body[0] == '[') {
    body = "[";
    size_t from = 1;
    while (from < s.body.size()) {
      const size_t end = s.body.find('}', from);
      if (end == std::string::npos) break;
      if (body.size() > 1) body += ",";
      const std::string reply = one(s.body.substr(from, end - from + 1));
      body += reply.back() == '}' ? reply : "null";
      from = end + 2;
    }
    body += "]";
  } else {
    body = one(s.body);
  }
  return Action{.headers = {{"Content-Type", "application/json"}}, .body = body};
}

TEST(SimpleHTTPTransformerTest, RowsBecomeJsonCallsAndRepliesParseIntoTheDeclaredType) {
  TestServer server(Score);
  for (int64_t batch : {0, 4}) {
    SimpleHTTPTransformer::Params p;
    p.input_cols = {"id", "text"};
    p.url = server.Url("/score");
    p.output_type = "struct<label:string,score:float64>";
    p.header_cols = {{"Authorization", "key"}};
    p.headers = {{"X-Client", "ember-test"}};
    p.mini_batch_size = batch;
    p.call.concurrency = 3;
    p.call.backoffs_ms = {};
    auto stage = SimpleHTTPTransformer::Make(p);
    ASSERT_TRUE(stage.ok()) << stage.status().ToString();
    auto out = (*stage)->Transform(TextFrame(30, 2), ExecContext::Default());
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    Batch b = *out->Collect();
    ASSERT_EQ(b.num_rows(), 30);
    for (int i = 0; i < 30; ++i) {
      EXPECT_EQ(b.column(0)->Values<int64_t>()[i], i);
      const std::string output = FormatValue(*b.column(3), i), error = FormatValue(*b.column(4), i);
      if (i == 13 && batch == 0) {
        EXPECT_EQ(output, "null");
        EXPECT_NE(error.find("the reply is not JSON"), std::string::npos) << error;
      } else if (i == 13) {
        // The batch's reply says null for this row: a null output, and no error.
        EXPECT_EQ(output, "null");
        EXPECT_EQ(error, "null");
      } else if (i == 17) {
        EXPECT_EQ(output, "null");
        EXPECT_NE(error.find("does not fit struct<label: string, score: float64>: field "
                             "'output.score': expected float64, got string"),
                  std::string::npos)
            << error;
      } else {
        EXPECT_EQ(error, "null") << i;
        EXPECT_EQ(output, std::string(R"({"label":")") + (i % 2 ? "odd" : "even") +
                              R"(","score":)" + FormatValue(*MakeColumn<double>({i / 10.0}), 0) +
                              "}")
            << i;
      }
    }
    // Each row sent once; per-row keys and fixed headers went along; mini-batches of at
    // most 4 rows sharing a key.
    size_t rows_sent = 0;
    for (const Seen& s : server.seen()) {
      rows_sent += static_cast<size_t>(std::count(s.body.begin(), s.body.end(), '{'));
    }
    EXPECT_EQ(rows_sent, 30u * (batch == 0 ? 1 : 2));
  }
}

TEST(SimpleHTTPTransformerTest, AFailedCallIsAnErrorOnEveryRowOfItsBatch) {
  TestServer server([](const Seen&, int) {
    return Action{.status = 503, .reason = "Service Unavailable", .body = "busy"};
  });
  SimpleHTTPTransformer::Params p;
  p.input_cols = {"text"};
  p.url = server.Url("/down");
  p.mini_batch_size = 10;
  p.call.backoffs_ms = {1};
  auto out = (*SimpleHTTPTransformer::Make(p))->Transform(TextFrame(25, 1), ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  // Batches of rows 0-9, 10-19 and 20-24: each row carries its batch's error. (Each batch
  // makes 2 attempts unless the retry budget, spent by the others, stops its retry.)
  int64_t attempts = 0;
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(FormatValue(*b.column(3), i), "null");
    const std::string e = FormatValue(*b.column(4), i);
    EXPECT_NE(e.find("HTTP 503 Service Unavailable ("), std::string::npos) << e;
    EXPECT_EQ(e, FormatValue(*b.column(4), i < 10 ? 0 : i < 20 ? 10 : 20)) << i;
    if (i % 10 == 0)
      attempts += b.column(4)->child(3)->Values<int32_t>()[b.column(4)->offset() + i];
  }
  EXPECT_EQ(server.seen().size(), static_cast<size_t>(attempts));
  EXPECT_GE(attempts, 5);  // all 3 batches, and at least 2 retries
}

TEST(SimpleHTTPTransformerTest, AUrlPerRowAndNullUrlsSendNothing) {
  TestServer server([](const Seen& s, int) { return Action{.body = s.path}; });
  auto schema =
      *Schema::Make({MakeField("text", StringType()), MakeField("endpoint", StringType())});
  auto frame = DataFrame::FromBatch(*Batch::Make(
      schema, {MakeColumn<std::string>({"a", "b", "c"}),
               MakeColumn<std::string>({server.Url("/one"), std::nullopt, server.Url("/two")})}));
  SimpleHTTPTransformer::Params p;
  p.input_cols = {"text"};
  p.url = ScalarOrColumn<std::string>::Column("endpoint");
  auto out = (*SimpleHTTPTransformer::Make(p))->Transform(frame, ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  EXPECT_EQ(FormatValue(*b.column(2), 0), "/one");
  EXPECT_EQ(FormatValue(*b.column(2), 1), "null");
  EXPECT_EQ(FormatValue(*b.column(3), 1), "null");
  EXPECT_EQ(FormatValue(*b.column(2), 2), "/two");
  EXPECT_EQ(server.seen().size(), 2u);
}

// The OpenAI-compatible chat-completions shapes: a "model" column and a "messages" column
// (list<struct<role, content>>) make the request body; the reply parses into CHAT_REPLY.
constexpr const char* kChatReply =
    "struct<id:string,choices:list<struct<index:int64,message:struct<role:string,content:string>,"
    "finish_reason:string>>,usage:struct<prompt_tokens:int64,completion_tokens:int64,total_tokens:"
    "int64>>";

TEST(SimpleHTTPTransformerTest, ChatCompletionsRequestAndReplyShapes) {
  TestServer server([](const Seen& s, int n) {
    // Echo the last message's content back, in the chat-completions reply shape.
    const size_t at = s.body.rfind("\"content\":\"") + 11;
    const std::string content = s.body.substr(at, s.body.find('"', at) - at);
    return Action{
        .headers = {{"Content-Type", "application/json"}},
        .body =
            R"({"id": "chatcmpl-)" + std::to_string(n) +
            R"(", "object": "chat.completion", "choices": [)"
            R"({"index": 0, "message": {"role": "assistant", "content": "echo: )" +
            content +
            R"("}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}})"};
  });
  ListBuilder messages(
      ListType(StructType({MakeField("role", StringType()), MakeField("content", StringType())})));
  for (const char* question : {"hello", "what is 2+2"}) {
    messages.Append();
    auto* m = static_cast<StructBuilder*>(messages.value_builder());
    for (const auto& [role, content] :
         {std::pair<std::string, std::string>{"system", "be brief"}, {"user", question}}) {
      m->Append();
      static_cast<StringBuilder*>(m->field_builder(0))->Append(role);
      static_cast<StringBuilder*>(m->field_builder(1))->Append(content);
    }
  }
  ColumnPtr msgs = messages.Finish();
  auto schema =
      *Schema::Make({MakeField("model", StringType()), MakeField("messages", msgs->type())});
  auto frame = DataFrame::FromBatch(
      *Batch::Make(schema, {MakeColumn<std::string>({"local-model", "local-model"}), msgs}));
  SimpleHTTPTransformer::Params p;
  p.input_cols = {"model", "messages"};
  p.url = server.Url("/v1/chat/completions");
  p.header_cols = {};
  p.headers = {{"Authorization", "Bearer test-key"}};
  p.output_type = kChatReply;
  p.output_col = "reply";
  auto out = (*SimpleHTTPTransformer::Make(p))->Transform(frame, ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Batch b = *out->Collect();
  EXPECT_EQ(
      server.seen()[0].body,
      R"({"model":"local-model","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}]})");
  EXPECT_EQ(FormatValue(*b.column(3), 1), "null");  // no error
  const std::string reply = FormatValue(*b.column(2), 1);
  EXPECT_NE(reply.find(R"("content":"echo: what is 2+2")"), std::string::npos) << reply;
  EXPECT_NE(reply.find(R"("total_tokens":7)"), std::string::npos) << reply;
  // The text, taken out of the reply struct by SQL (as docs/http.md shows).
  auto answer = SqlQuery::Compile("SELECT reply.choices[0].message.content AS answer FROM __THIS__",
                                  *b.schema());
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  auto text = (*answer)->Run(b);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->column(0)->StringValue(1), "echo: what is 2+2");
}

// The client is a seam: with a fake, the stages run with no socket at all, each row's call
// reaches the fake once, and failures the fake reports become per-row errors.
TEST(HttpClientSeamTest, StagesSendThroughAnInjectedClient) {
  auto fake = std::make_shared<const http::FakeClient>([](const http::Request& r) {
    if (r.url.find("/missing") != std::string::npos)
      return http::Response{.status = 404, .reason = "Not Found"};
    return http::Response{.status = 200, .reason = "OK", .body = "{\"echo\": \"" + r.url + "\"}"};
  });
  std::vector<std::optional<http::Request>> requests;
  for (int i = 0; i < 6; ++i) {
    requests.push_back(
        http::Request{.url = "http://nowhere.invalid/" + std::string(i == 4 ? "missing" : "ok")});
  }
  requests[2].reset();
  auto stage = (*HTTPTransformer::Make({}))->WithClient(fake);
  auto out = stage->Transform(RequestFrame(requests, 2), ExecContext::Default());
  ASSERT_TRUE(out.ok()) << out.status();
  Batch b = *out->Collect();
  EXPECT_EQ(fake->seen().size(), 5u);  // the null request sends nothing
  auto bodies = ResponseBodyAsString(*b.column(2));
  ASSERT_TRUE(bodies.ok());
  EXPECT_EQ((*bodies)->StringValue(0), R"({"echo": "http://nowhere.invalid/ok"})");
  EXPECT_TRUE((*bodies)->IsNull(2));
  EXPECT_NE(FormatValue(*b.column(3), 4).find("HTTP 404 Not Found"), std::string::npos)
      << FormatValue(*b.column(3), 4);
  EXPECT_EQ(FormatValue(*b.column(3), 0), "null");
  EXPECT_EQ(stage->uid(), (*HTTPTransformer::Make({}, stage->uid()))->uid());

  SimpleHTTPTransformer::Params p;
  p.input_cols = {"id"};
  p.url = std::string("http://nowhere.invalid/score");
  p.output_type = "struct<echo:string>";
  auto simple = (*SimpleHTTPTransformer::Make(p))->WithClient(fake);
  auto scored = simple->Transform(RequestFrame(requests, 1), ExecContext::Default());
  ASSERT_TRUE(scored.ok()) << scored.status();
  EXPECT_EQ(FormatValue(*scored->Collect()->column(2), 3),
            R"({"echo":"http://nowhere.invalid/score"})");
  EXPECT_EQ(fake->seen().size(), 5u + 6u);
  EXPECT_EQ(fake->seen().back().method, "POST");
}

TEST(SimpleHTTPTransformerTest, ParamsAreChecked) {
  SimpleHTTPTransformer::Params p;
  p.input_cols = {"text"};
  p.url = std::string("http://127.0.0.1:1/");
  p.output_type = "struct<a:nonsense>";
  EXPECT_FALSE(SimpleHTTPTransformer::Make(p).ok());
  p.output_type = "string";
  p.method = std::string("GET");
  EXPECT_NE(SimpleHTTPTransformer::Make(p).status().message().find("'GET' sends no body"),
            std::string::npos);
  p.method = std::string("POST");
  // A header that is not a string: the error names the stage, the param and the key.
  auto bad_header = SimpleHTTPTransformer::Params::Spec().FromJson(*Json::Parse(
      R"({"inputCols": ["text"], "url": "http://127.0.0.1:1/", "headers": {"X": 1}})"));
  ASSERT_FALSE(bad_header.ok());
  EXPECT_NE(bad_header.status().ToString().find("SimpleHTTPTransformer param 'headers'"),
            std::string::npos)
      << bad_header.status();
  EXPECT_NE(bad_header.status().ToString().find("key 'X'"), std::string::npos)
      << bad_header.status();
  p.headers = {};
  auto stage = *SimpleHTTPTransformer::Make(p);
  auto schema = *Schema::Make({MakeField("other", StringType())});
  EXPECT_NE(stage->Bind(*schema).status().message().find("inputCols"), std::string::npos);
}

}  // namespace
}  // namespace ember
