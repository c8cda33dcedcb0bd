// Ember Serving over real sockets: a raw-socket HTTP client (so that tests can also send
// malformed, slow and abandoned requests) against a server on an ephemeral port.
#include "ember/serving/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#if EMBER_WITH_HTTP
#include "ember/http/http_stages.h"
#include "ember/http/test_server.h"
#endif
#include "ember/io/csv.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/server_test_util.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::serving {
namespace {

using ::ember::testing::IsOk;
using test_util::Client;
using test_util::ExpectedReply;
using test_util::FitAndSave;
using test_util::ServerTest;
using test_util::TrainingCsv;

TEST_F(ServerTest, RepliesEqualTheBatchTransformOfEachRow) {
  auto server = Start({});
  ASSERT_TRUE(server);
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  auto r = c.Request("POST", "/predict", R"({"x": 0.4, "color": "red", "label": 1})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, ExpectedReply(dir_, 0.4, "red"));
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("X-Ember-Model-Version"), "1");
  // Same connection (keep-alive), an array of rows.
  auto many =
      c.Request("POST", "/predict", R"([{"x": 0.4, "color": "red"}, {"x": 1.5, "color": "blue"}])");
  EXPECT_EQ(many.status, 200) << many.body;
  EXPECT_EQ(many.body,
            "[" + ExpectedReply(dir_, 0.4, "red") + "," + ExpectedReply(dir_, 1.5, "blue") + "]");
  auto none = c.Request("POST", "/predict", "[]");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, "[]");
  EXPECT_EQ(server->metrics().Count(0, 200), 3);
}

TEST_F(ServerTest, EveryErrorGetsExactlyOneReply) {
  auto server = Start({.max_body_bytes = 1000});
  ASSERT_TRUE(server);
  Client c(server->port());
  auto bad_json = c.Request("POST", "/predict", R"({"x": 0.4,)");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(bad_json.body.find("invalid JSON"), std::string::npos) << bad_json.body;
  auto wrong =
      c.Request("POST", "/predict", R"([{"x": 1, "color": "red"}, {"x": "high", "color": "red"}])");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.body, R"({"error":"row 1: field 'x': expected float64, got string","field":"x",)"
                        R"("expected":"float64","received":"string","row":1})");
  auto unseen = c.Request("POST", "/predict", R"({"x": 1, "color": "purple"})");
  EXPECT_EQ(unseen.status, 400);
  EXPECT_NE(unseen.body.find("'purple'"), std::string::npos) << unseen.body;
  auto null_color =
      c.Request("POST", "/predict", R"({"x": 1, "color": null})");  // StringIndexer's error
  EXPECT_EQ(null_color.status, 400);
  EXPECT_NE(null_color.body.find("null in column 'color'"), std::string::npos) << null_color.body;
  auto nowhere = c.Request("POST", "/nowhere", "{}");
  EXPECT_EQ(nowhere.status, 404);
  auto get = c.Request("GET", "/predict");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.Header("Allow"), "POST");
  auto deadline =
      c.Request("POST", "/predict", R"({"x": 1, "color": "red"})", "X-Ember-Deadline-Ms: soon\r\n");
  EXPECT_EQ(deadline.status, 400);
  EXPECT_NE(deadline.body.find("X-Ember-Deadline-Ms"), std::string::npos);
  // Still serving on the same connection after all of these.
  EXPECT_EQ(c.Request("POST", "/predict", R"({"x": 1, "color": "red"})").status, 200);
  // Too large: refused from its Content-Length, and the connection closed.
  auto big = c.Request("POST", "/predict", std::string(2000, ' ') + "{}");
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(c.ClosedWithin(2000));
  // Not HTTP at all.
  Client garbage(server->port());
  garbage.SendRaw("HELLO THERE\r\n\r\n");
  EXPECT_EQ(garbage.Read().status, 400);
  EXPECT_TRUE(garbage.ClosedWithin(2000));
}

TEST_F(ServerTest, HealthReadyMetricsModelsAndApiKey) {
  auto server = Start({.api_key = "s3cret"});
  ASSERT_TRUE(server);
  Client c(server->port());
  EXPECT_EQ(c.Request("GET", "/health").status, 200);
  EXPECT_EQ(c.Request("GET", "/ready").status, 200);
  auto denied = c.Request("POST", "/predict", R"({"x": 1, "color": "red"})");
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(
      c.Request("POST", "/predict", R"({"x": 1, "color": "red"})", "X-API-Key: wrong\r\n").status,
      401);
  EXPECT_EQ(
      c.Request("POST", "/predict", R"({"x": 1, "color": "red"})", "X-API-Key: s3cret\r\n").status,
      200);
  EXPECT_EQ(c.Request("POST", "/predict", R"({"x": 1, "color": "red"})",
                      "Authorization: Bearer s3cret\r\n")
                .status,
            200);
  auto metrics = c.Request("GET", "/metrics", "", "X-API-Key: s3cret\r\n");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("ember_requests_total{route=\"/predict\",status=\"401\"} 2"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("ember_requests_total{route=\"/predict\",status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("ember_model_version{route=\"/predict\"} 1"), std::string::npos);
  auto models = c.Request("GET", "/models", "", "X-API-Key: s3cret\r\n");
  EXPECT_EQ(models.status, 200);
  auto parsed = Json::Parse(models.body);
  ASSERT_THAT(parsed, IsOk());
  const Json& route = parsed->Find("routes")->as_array()[0];
  EXPECT_EQ(route.Find("path")->as_string(), "/predict");
  EXPECT_EQ(route.Find("replyColumns")->Dump(), R"(["rawPrediction","probability","prediction"])");
  // What a request must send: x and color; the label only training read.
  const Json& fields = *route.Find("inputSchema");
  ASSERT_EQ(fields.as_array().size(), 2u) << fields.Dump();
  EXPECT_EQ(fields.as_array()[0].Find("name")->as_string(), "x");
  EXPECT_EQ(fields.as_array()[1].Find("name")->as_string(), "color");
  EXPECT_EQ(route.Find("optionalFields")->Dump(), R"(["label"])");
}

// A request that leaves out a field the pipeline reads is a 400 naming it (before, {} got a
// 200 and a confident prediction); an explicit null still reaches the pipeline; fields it
// does not read (the label) may be left out; unknown fields are ignored, or named with
// strict fields; in a batch the row is named.
TEST_F(ServerTest, MissingFieldsAreNamedAndStrictFieldsRejectUnknownOnes) {
  auto server = Start({});
  ASSERT_TRUE(server);
  Client c(server->port());
  auto empty = c.Request("POST", "/predict", "{}");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.body,
            R"j({"error":"field 'x': missing; the pipeline reads it (send null for an unknown )j"
            R"j(value); also missing: 'color'","field":"x","expected":"a value (null for an )j"
            R"j(unknown one)","received":"nothing"})j");
  auto row = c.Request("POST", "/predict", R"([{"x": 1, "color": "red"}, {"x": 2}])");
  EXPECT_EQ(row.status, 400);
  EXPECT_NE(row.body.find(R"("error":"row 1: field 'color': missing)"), std::string::npos)
      << row.body;
  EXPECT_NE(row.body.find(R"("row":1)"), std::string::npos) << row.body;
  // Explicit null: the pipeline decides (here VectorAssembler refuses a null number).
  auto null_x = c.Request("POST", "/predict", R"({"x": null, "color": "red"})");
  EXPECT_EQ(null_x.body.find("missing"), std::string::npos) << null_x.body;
  // No label, an unknown field: fine by default.
  EXPECT_EQ(c.Request("POST", "/predict", R"({"x": 1, "color": "red", "X": 2})").status, 200);

  auto strict = Start({.routes = {{.path = "/predict", .model_dir = dir_, .strict_fields = true}}});
  ASSERT_TRUE(strict);
  Client s(strict->port());
  auto typo = s.Request("POST", "/predict", R"({"X": 1, "color": "red"})");
  EXPECT_EQ(typo.status, 400);
  EXPECT_NE(typo.body.find("field 'X': not an input of the pipeline (strict fields); did you "
                           "mean 'x'?; fields are: x, color, label"),
            std::string::npos)
      << typo.body;
  EXPECT_EQ(s.Request("POST", "/predict", R"({"x": 1, "color": "red", "label": 0})").status, 200);
  auto models = s.Request("GET", "/models");
  EXPECT_NE(models.body.find(R"("strictFields":true)"), std::string::npos) << models.body;
}

// SparkML's pattern, labels end to end: a StringIndexer of the label inside the spec, and an
// IndexToString given no labels (it takes them from the prediction column, which carries
// the label's nominal values). The fitted pipeline scores and serves rows without a label.
TEST_F(ServerTest, ALabelIndexedInsideTheSpecServesRowsWithoutOne) {
  const std::string tmp = testing::NewTempDir("serving_labels");
  std::string csv = "x,color,answer\n";
  const char* colors[] = {"red", "green", "blue"};
  for (int r = 0; r < 200; ++r) {
    const double x = (r * 37 % 100) / 50.0;
    csv += std::to_string(x) + "," + colors[r % 3] + "," + (x > 1 ? "yes" : "no") + "\n";
  }
  ASSERT_THAT(WriteStringToFile(tmp + "/train.csv", csv), IsOk());
  auto frame = ReadTable(ExecContext::Default(), tmp + "/train.csv");
  ASSERT_THAT(frame, IsOk());
  auto spec = Json::Parse(R"({"stages": [
      {"type": "StringIndexer", "params": {"inputCol": "answer", "outputCol": "label"}},
      {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "ci"}},
      {"type": "VectorAssembler", "params": {"inputCols": ["x", "ci"], "outputCol": "features"}},
      {"type": "LogisticRegression", "params": {"regParam": 0.01}},
      {"type": "IndexToString", "params": {"inputCol": "prediction", "outputCol": "predictedAnswer"}}]})");
  auto model = (*Pipeline::FromSpec(*spec, DefaultRegistry()))->Fit(*frame, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  ASSERT_THAT(SaveStage(**model, tmp + "/m", {.input_schema = frame->schema()}), IsOk());
  // Batch scoring of unlabelled rows.
  auto unlabelled = ParseCsv(ExecContext::Default(), "x,color\n1.8,red\n0.1,blue\n", "u.csv");
  ASSERT_THAT(unlabelled, IsOk());
  auto scored = (*model)->Transform(unlabelled->frame, ExecContext::Default());
  ASSERT_THAT(scored, IsOk());
  Batch b = *scored->Collect();
  const int answer = b.schema()->FindField("predictedAnswer");
  ASSERT_GE(answer, 0) << b.schema()->ToString();
  EXPECT_EQ(b.column(answer)->StringValue(0), "yes");
  EXPECT_EQ(b.column(answer)->StringValue(1), "no");
  // Served: the label is not a required field, and the reply is the answer.
  auto server = Start({.routes = {{.path = "/predict", .model_dir = tmp + "/m"}}});
  ASSERT_TRUE(server);
  Client c(server->port());
  auto r = c.Request("POST", "/predict", R"({"x": 1.8, "color": "red"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"predictedAnswer":"yes"})");
  auto models = c.Request("GET", "/models");
  EXPECT_NE(models.body.find(R"("optionalFields":["answer"])"), std::string::npos) << models.body;
}

// A pipeline that ends in a projection replies with the projection's columns, including one
// that replaces a column of the same name; a route may name its own reply columns.
TEST_F(ServerTest, AProjectionIsTheDefaultReply) {
  const std::string tmp = testing::NewTempDir("serving_projection");
  ASSERT_THAT(WriteStringToFile(tmp + "/train.csv", TrainingCsv(200)), IsOk());
  auto frame = ReadTable(ExecContext::Default(), tmp + "/train.csv");
  ASSERT_THAT(frame, IsOk());
  auto spec = Json::Parse(R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["x"], "outputCol": "features"}},
      {"type": "LogisticRegression", "params": {"regParam": 0.01}},
      {"type": "SqlTransformer", "params": {"statement":
        "SELECT probability[1] AS probability, x * 2 AS x2 FROM __THIS__"}}]})");
  auto model = (*Pipeline::FromSpec(*spec, DefaultRegistry()))->Fit(*frame, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  ASSERT_THAT(SaveStage(**model, tmp + "/m", {.input_schema = frame->schema()}), IsOk());
  auto server = Start({.routes = {{.path = "/predict", .model_dir = tmp + "/m"},
                                  {.path = "/x2", .model_dir = tmp + "/m", .reply_cols = {"x2"}}}});
  ASSERT_TRUE(server);
  Client c(server->port());
  auto r = c.Request("POST", "/predict", R"({"x": 1.5})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.rfind(R"({"probability":0.)", 0), 0u) << r.body;
  EXPECT_NE(r.body.find(R"(,"x2":3})"), std::string::npos) << r.body;
  auto x2 = c.Request("POST", "/x2", R"({"x": 1.5})");
  EXPECT_EQ(x2.body, R"({"x2":3})");
}

// A pipeline that filters or groups rows cannot answer row for row: a 400 that says why,
// for a single row and for a batch; rows it keeps are answered.
TEST_F(ServerTest, RowsAPipelineFiltersOrGroupsAreA400NamingWhy) {
  const std::string tmp = testing::NewTempDir("serving_dropped");
  ASSERT_THAT(WriteStringToFile(tmp + "/train.csv", TrainingCsv(50)), IsOk());
  auto frame = ReadTable(ExecContext::Default(), tmp + "/train.csv");
  ASSERT_THAT(frame, IsOk());
  const std::pair<const char*, bool> cases[] = {
      // statement, drops a single row x = 0.5
      {"SELECT x FROM __THIS__ WHERE x > 1", true},
      {"SELECT color, count(*) AS n FROM __THIS__ GROUP BY color", false}};
  int k = 0;
  for (const auto& [statement, drops_single] : cases) {
    auto spec = Json::Parse(std::string(R"({"stages": [{"type": "SqlTransformer", "params":
        {"statement": ")") + statement +
                            "\"}}]}");
    ASSERT_THAT(spec, IsOk());
    auto model =
        (*Pipeline::FromSpec(*spec, DefaultRegistry()))->Fit(*frame, ExecContext::Default());
    ASSERT_THAT(model, IsOk());
    const std::string dir = tmp + "/m" + std::to_string(k++);
    ASSERT_THAT(SaveStage(**model, dir, {.input_schema = frame->schema()}), IsOk());
    auto server = Start({.routes = {{.path = "/predict", .model_dir = dir}}});
    ASSERT_TRUE(server);
    Client c(server->port());
    auto batch =
        c.Request("POST", "/predict", R"([{"x": 2, "color": "red"}, {"x": 0.5, "color": "red"}])");
    EXPECT_EQ(batch.status, 400) << statement;
    EXPECT_NE(batch.body.find("the pipeline dropped 1 of 2 rows"), std::string::npos) << batch.body;
    EXPECT_NE(batch.body.find("GROUP BY"), std::string::npos) << batch.body;
    auto single = c.Request("POST", "/predict", R"({"x": 0.5, "color": "red"})");
    EXPECT_EQ(single.status, drops_single ? 400 : 200) << statement << " " << single.body;
    if (drops_single) {
      EXPECT_NE(single.body.find("the pipeline dropped this row"), std::string::npos)
          << single.body;
    }
  }
}

TEST_F(ServerTest, MicroBatchesAnswerEachRequestFromItsOwnRows) {
  auto server = Start({.batch_max_rows = 32, .batch_wait_us = 2000});
  ASSERT_TRUE(server);
  const char* colors[] = {"red", "green", "blue"};
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) expected.push_back(ExpectedReply(dir_, i / 10.0, colors[i % 3]));
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      Client c(server->port());
      for (int k = 0; k < 40; ++k) {
        const int i = (t * 7 + k) % 30;
        auto r = c.Request(
            "POST", "/predict",
            "{\"x\": " + std::to_string(i / 10.0) + ", \"color\": \"" + colors[i % 3] + "\"}");
        if (r.status != 200 || r.body != expected[i]) ++wrong;
        ++done;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(done.load(), 240);
  EXPECT_EQ(wrong.load(), 0);
  // One bad request in a micro-batch fails alone.
  Client a(server->port()), b(server->port());
  a.Post(R"({"x": 1, "color": "purple"})");
  b.Post(R"({"x": 1, "color": "red"})");
  EXPECT_EQ(a.Read().status, 400);
  auto good = b.Read();
  EXPECT_EQ(good.status, 200);
  EXPECT_EQ(good.body, ExpectedReply(dir_, 1, "red"));
}

TEST_F(ServerTest, DeadlinesAndOverload) {
  // Requests wait 300 ms for their micro-batch: a 50 ms deadline passes first (504), and
  // with at most one request in flight a second one is refused (503).
  auto server =
      Start({.threads = 1, .max_in_flight = 1, .batch_max_rows = 1000, .batch_wait_us = 300000});
  ASSERT_TRUE(server);
  Client late(server->port());
  auto r = late.Request("POST", "/predict", R"({"x": 1, "color": "red"})",
                        "X-Ember-Deadline-Ms: 50\r\n");
  EXPECT_EQ(r.status, 504) << r.body;
  Client first(server->port()), second(server->port());
  first.Post(R"({"x": 1, "color": "red"})");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto refused = second.Request("POST", "/predict", R"({"x": 1, "color": "red"})");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.Header("Retry-After"), "1");
  EXPECT_EQ(first.Read().status, 200);
}

TEST_F(ServerTest, SlowAndVanishingClientsDoNotHoldTheServer) {
  auto server = Start({.threads = 1, .header_timeout_ms = 200, .body_timeout_ms = 200});
  ASSERT_TRUE(server);
  // Headers or a body that do not arrive in time: the connection is closed (nobody is
  // reading a reply), within the timeout plus the loop's reaction time.
  Client slow(server->port());
  slow.SendRaw("POST /predict HTTP/1.1\r\nContent-Le");  // and nothing more
  EXPECT_TRUE(slow.ClosedWithin(2000));
  Client slow_body(server->port());
  slow_body.SendRaw("POST /predict HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"x\":");
  EXPECT_TRUE(slow_body.ClosedWithin(2000));
  {
    Client gone(server->port());  // half a body, then gone
    gone.SendRaw("POST /predict HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"x\": 1");
  }
  Client idle(server->port());
  EXPECT_TRUE(idle.ClosedWithin(3000));  // an idle connection is closed without a reply
  Client ok(server->port());
  EXPECT_EQ(ok.Request("POST", "/predict", R"({"x": 1, "color": "red"})").status, 200);
}

TEST_F(ServerTest, ReloadSwapsWholeModelsAndKeepsTheOldOneOnFailure) {
  auto server = Start({});
  ASSERT_TRUE(server);
  Client c(server->port());
  const std::string before = c.Request("POST", "/predict", R"({"x": 0.4, "color": "red"})").body;
  FitAndSave(dir_, 90);  // a different model in the same directory
  auto reloaded = c.Request("POST", "/admin/reload");
  EXPECT_EQ(reloaded.status, 200) << reloaded.body;
  auto after = c.Request("POST", "/predict", R"({"x": 0.4, "color": "red"})");
  EXPECT_EQ(after.Header("X-Ember-Model-Version"), "2");
  EXPECT_EQ(after.body, ExpectedReply(dir_, 0.4, "red"));
  EXPECT_NE(after.body, before);
  // A broken model directory: the reload fails and version 2 keeps serving.
  ASSERT_THAT(WriteStringToFile(dir_ + "/metadata.json", "{"), IsOk());
  auto failed = c.Request("POST", "/admin/reload");
  EXPECT_EQ(failed.status, 500);
  EXPECT_NE(failed.body.find("previous models keep serving"), std::string::npos) << failed.body;
  auto still = c.Request("POST", "/predict", R"({"x": 0.4, "color": "red"})");
  EXPECT_EQ(still.status, 200);
  EXPECT_EQ(still.Header("X-Ember-Model-Version"), "2");
  EXPECT_EQ(still.body, after.body);
  // A saved input schema declaring an absurd size is refused before anything is allocated
  // (before, it took the server down); version 2 keeps serving.
  FitAndSave(dir_, 90);
  auto meta = ReadFileToString(dir_ + "/metadata.json");
  ASSERT_THAT(meta, IsOk());
  const size_t name = meta->find(R"("name": "label")");
  ASSERT_NE(name, std::string::npos) << *meta;
  const size_t type = meta->find(R"("type": ")", name) + 9;
  meta->replace(type, meta->find('"', type) - type, "vector[1000000000]");
  ASSERT_THAT(WriteStringToFile(dir_ + "/metadata.json", *meta), IsOk());
  auto absurd = c.Request("POST", "/admin/reload");
  EXPECT_EQ(absurd.status, 500);
  EXPECT_NE(absurd.body.find("vector[1000000000], larger than Ember serves"), std::string::npos)
      << absurd.body;
  EXPECT_EQ(c.Request("POST", "/predict", R"({"x": 0.4, "color": "red"})").body, after.body);
}

TEST_F(ServerTest, ReloadUnderLoadDropsNothing) {
  auto server = Start({});
  ASSERT_TRUE(server);
  const std::string v1 = ExpectedReply(dir_, 0.4, "red");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      Client c(server->port());
      while (!stop) {
        auto r = c.Request("POST", "/predict", R"({"x": 0.4, "color": "red"})");
        ++answered;
        // Either model's exact reply: never an error, a half-loaded model or no reply.
        if (r.status != 200 || (r.Header("X-Ember-Model-Version") == "1" && r.body != v1)) ++bad;
      }
    });
  }
  FitAndSave(dir_, 90);
  const std::string v2 = ExpectedReply(dir_, 0.4, "red");
  for (int i = 0; i < 5; ++i) EXPECT_THAT(server->Reload(), IsOk());
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(answered.load(), 0);
  Client c(server->port());
  auto last = c.Request("POST", "/predict", R"({"x": 0.4, "color": "red"})");
  EXPECT_EQ(last.Header("X-Ember-Model-Version"), "6");
  EXPECT_EQ(last.body, v2);
}

TEST_F(ServerTest, ShutdownAnswersWhatIsInFlightThenStops) {
  auto server = Start({.threads = 1, .batch_max_rows = 1000, .batch_wait_us = 200000});
  ASSERT_TRUE(server);
  const int port = server->port();
  Client waiting(port), idle(port);
  waiting.Post(R"({"x": 1, "color": "red"})");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server->Shutdown();
  auto r = waiting.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Connection"), "close");
  EXPECT_TRUE(idle.ClosedWithin(2000));
  server->Wait();
  Client after(port);
  EXPECT_FALSE(after.connected());
}

// Passes its input through: no "reply" column.
class PassThrough final : public Transformer {
 public:
  PassThrough() : Transformer("", "Identity") {}
  std::string_view type_name() const override { return "Identity"; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    SchemaPtr out = *Schema::Make(in.fields(), in.metadata());
    return std::unique_ptr<BoundTransform>(
        new FunctionBoundTransform(out, [](const Batch& b) -> Result<Batch> { return b; }));
  }
};

// Passes its input through after sleeping `ms` per batch, and says it blocks: a stand-in
// for a stage that calls a remote service or runs a deep network.
class SlowPassThrough final : public Transformer {
 public:
  SlowPassThrough(int ms, bool declare_blocking)
      : Transformer("", "Slow"), ms_(ms), blocking_(declare_blocking) {}
  std::string_view type_name() const override { return "Slow"; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    return std::unique_ptr<BoundTransform>(
        new Kernel(*Schema::Make(in.fields(), in.metadata()), ms_, blocking_));
  }

 private:
  class Kernel final : public BoundTransform {
   public:
    Kernel(SchemaPtr out, int ms, bool blocking)
        : out_(std::move(out)), ms_(ms), blocking_(blocking) {}
    const SchemaPtr& output_schema() const override { return out_; }
    bool blocking() const override { return blocking_; }
    Result<Batch> Apply(const Batch& in, KernelScratch&) const override {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
      return in;
    }

   private:
    SchemaPtr out_;
    int ms_;
    bool blocking_;
  };
  int ms_;
  bool blocking_;
};

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// A route whose stage takes 200 ms per request, with 32 requests in flight on it, must not
// hold up the loop that reads them: /health and a fast route on the same server (one event
// loop) answer with a p99 under 5 ms meanwhile, and every slow request gets its reply.
TEST(BlockingRouteTest, ASlowRouteDoesNotStallHealthOrAFastRoute) {
  auto input = Schema::Make({MakeField("x", Float64Type())});
  auto slow = LoadedModel::FromTransformer(std::make_shared<const SlowPassThrough>(200, true),
                                           *input, {"x"}, 1);
  auto fast = LoadedModel::FromTransformer(std::make_shared<const PassThrough>(), *input, {"x"}, 1);
  ASSERT_THAT(slow, IsOk());
  ASSERT_THAT(fast, IsOk());
  EXPECT_TRUE((*slow)->blocking());
  EXPECT_FALSE((*fast)->blocking());
  auto server = Server::Start(
      {.port = 0, .threads = 1, .routes = {{.path = "/slow"}, {.path = "/fast"}}}, {*slow, *fast});
  ASSERT_THAT(server, IsOk());
  const int port = (*server)->port();
  constexpr int kSlow = 32;
  std::vector<int> statuses(kSlow, 0);
  std::atomic<int> started{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kSlow; ++i) {
    clients.emplace_back([&, i] {
      Client c(port);
      c.SendRaw("POST /slow HTTP/1.1\r\nContent-Length: 8\r\n\r\n{\"x\": 1}");
      ++started;
      statuses[i] = c.Read(30000).status;
    });
  }
  while (started.load() < kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::this_thread::sleep_for(
      std::chrono::milliseconds(20));  // the slow requests are read and running
  Client health(port), quick(port);
  std::vector<double> health_ms, fast_ms;
  for (int i = 0; i < 100; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(health.Request("GET", "/health").status, 200);
    auto t1 = std::chrono::steady_clock::now();
    EXPECT_EQ(quick.Request("POST", "/fast", "{\"x\": 2}").status, 200);
    auto t2 = std::chrono::steady_clock::now();
    health_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    fast_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  const int64_t still_running = (*server)->metrics().in_flight.load();
  for (auto& t : clients) t.join();
  EXPECT_GT(still_running, 2) << "the slow requests finished before the fast ones were measured";
  for (int i = 0; i < kSlow; ++i) EXPECT_EQ(statuses[i], 200) << i;
  std::printf("while %d slow requests ran: /health p99 %.2f ms, fast route p99 %.2f ms\n", kSlow,
              Percentile(health_ms, 0.99), Percentile(fast_ms, 0.99));
  EXPECT_LT(Percentile(health_ms, 0.99), 5.0);
  EXPECT_LT(Percentile(fast_ms, 0.99), 5.0);
}

// A blocking route's requests still get exactly one reply each when they time out waiting
// for the compute pool (504), and the pool's size is the server's option.
TEST(BlockingRouteTest, RequestsPastTheirDeadlineInThePoolGet504) {
  auto input = Schema::Make({MakeField("x", Float64Type())});
  auto slow = LoadedModel::FromTransformer(std::make_shared<const SlowPassThrough>(300, true),
                                           *input, {"x"}, 1);
  ASSERT_THAT(slow, IsOk());
  auto server = Server::Start({.port = 0,
                               .threads = 1,
                               .blocking_threads = 1,
                               .routes = {{.path = "/predict"}},
                               .deadline_ms = 200},
                              {*slow});
  ASSERT_THAT(server, IsOk());
  Client a((*server)->port()), b((*server)->port());
  a.Post("{\"x\": 1}");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  b.Post("{\"x\": 2}");  // waits behind the first in the one-thread pool, past its deadline
  EXPECT_EQ(a.Read().status, 200);
  auto late = b.Read();
  EXPECT_EQ(late.status, 504) << late.body;
  EXPECT_FALSE(
      Server::Start({.port = 0, .blocking_threads = -1, .routes = {{.path = "/predict"}}}, {*slow})
          .ok());
}

// A raw-mode pipeline written in C++: replies 201 with the method, path, query, the
// X-Test header and the body, and an X-Echo header.
class EchoReply final : public Transformer {
 public:
  EchoReply() : Transformer("", "EchoReply") {}
  std::string_view type_name() const override { return "EchoReply"; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndex("request"));
    TypePtr header =
        StructType({MakeField("name", StringType()), MakeField("value", StringType())});
    TypePtr reply =
        StructType({MakeField("status", Int32Type()), MakeField("headers", ListType(header)),
                    MakeField("body", StringType())});
    EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(MakeField("reply", reply)));
    return std::unique_ptr<BoundTransform>(
        new FunctionBoundTransform(out, [out, i, reply](const Batch& b) -> Result<Batch> {
          const Column& req = *b.column(i);
          StructBuilder rb(reply);
          for (int64_t r = 0; r < b.num_rows(); ++r) {
            const int64_t at = req.offset() + r;
            std::string test;
            const Column& hl = *req.child(3);
            const Column& pairs = *hl.child(0);
            for (int32_t e = hl.Offsets()[at]; e < hl.Offsets()[at + 1]; ++e) {
              if (pairs.child(0)->StringValue(e) == "X-Test") test = pairs.child(1)->StringValue(e);
            }
            rb.Append();
            static_cast<Int32Builder*>(rb.field_builder(0))->Append(201);
            auto* hs = static_cast<ListBuilder*>(rb.field_builder(1));
            hs->Append();
            auto* h = static_cast<StructBuilder*>(hs->value_builder());
            h->Append();
            static_cast<StringBuilder*>(h->field_builder(0))->Append("X-Echo");
            static_cast<StringBuilder*>(h->field_builder(1))->Append("yes");
            h->Append();
            static_cast<StringBuilder*>(h->field_builder(0))->Append("Content-Type");
            static_cast<StringBuilder*>(h->field_builder(1))->Append("text/plain");
            static_cast<StringBuilder*>(rb.field_builder(2))
                ->Append(std::string(req.child(0)->StringValue(at)) + " " +
                         std::string(req.child(1)->StringValue(at)) + " ?" +
                         std::string(req.child(2)->StringValue(at)) + " " + test + " " +
                         std::string(req.child(4)->StringValue(at)));
          }
          std::vector<ColumnPtr> cols = b.columns();
          cols.push_back(rb.Finish());
          return Batch::Make(out, std::move(cols), b.num_rows());
        }));
  }
};

#if EMBER_WITH_HTTP
// Time-interval mini-batching of calls to another service: Ember Serving gathers the rows
// of requests arriving within batch_wait_us, and the served SimpleHTTPTransformer sends them
// upstream as one JSON array per miniBatchSize rows. 24 clients that each send one row at
// once make a few upstream calls, not 24, and each gets the answer for its own row.
TEST(ServedHttpStageTest, RowsArrivingWithinTheWaitGoUpstreamTogether) {
  using http::testing_server::Action;
  using http::testing_server::Seen;
  http::testing_server::TestServer upstream([](const Seen& s, int) {
    // The body is [{"x": 1.0}, ...]: reply [{"y": 2x}, ...].
    auto rows = Json::Parse(s.body);
    std::string out = "[";
    for (size_t i = 0; rows.ok() && i < rows->as_array().size(); ++i) {
      const Json* x_value = rows->as_array()[i].Find("x");
      const double x = x_value ? x_value->as_double() : -1;
      out += (i ? "," : "") + std::string("{\"y\": ") + std::to_string(2 * x) + "}";
    }
    return Action{.headers = {{"Content-Type", "application/json"}}, .body = out + "]"};
  });
  SimpleHTTPTransformer::Params p;
  p.input_cols = {"x"};
  p.url = upstream.Url("/double");
  p.mini_batch_size = 64;
  p.output_type = "struct<y:float64>";
  p.output_col = "out";
  auto stage = SimpleHTTPTransformer::Make(p);
  ASSERT_THAT(stage, IsOk());
  auto input = Schema::Make({MakeField("x", Float64Type())});
  auto model = LoadedModel::FromTransformer(*stage, *input, {"out"}, 1);
  ASSERT_THAT(model, IsOk());
  auto server = Server::Start({.port = 0,
                               .threads = 1,
                               .routes = {{.path = "/predict"}},
                               .batch_max_rows = 64,
                               .batch_wait_us = 200000},
                              {*model});
  ASSERT_THAT(server, IsOk());
  constexpr int kClients = 24;
  std::vector<std::string> replies(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Client c((*server)->port());
      replies[i] = c.Request("POST", "/predict", "{\"x\": " + std::to_string(i) + "}").body;
    });
  }
  for (auto& t : clients) t.join();
  for (int i = 0; i < kClients; ++i) {
    EXPECT_EQ(replies[i], "{\"out\":{\"y\":" + std::to_string(2 * i) + "}}") << i;
  }
  const auto calls = upstream.seen();
  size_t rows = 0;
  for (const Seen& s : calls) rows += Json::Parse(s.body)->as_array().size();
  EXPECT_EQ(rows, static_cast<size_t>(kClients));  // every row went once
  EXPECT_LE(calls.size(), 4u) << "rows arriving within the wait were not gathered";
  std::printf("%d one-row requests made %zu upstream calls\n", kClients, calls.size());
}

#endif  // EMBER_WITH_HTTP

TEST(RawServerTest, ThePipelineSeesTheWholeRequestAndWritesTheReply) {
  auto raw = LoadedModel::RawFromTransformer(std::make_shared<const EchoReply>(), 1);
  ASSERT_THAT(raw, IsOk());
  auto server =
      Server::Start({.port = 0, .threads = 1, .routes = {{.path = "/echo", .raw = true}}}, {*raw});
  ASSERT_THAT(server, IsOk());
  Client c((*server)->port());
  auto r = c.Request("PUT", "/echo?a=1&b=2", "hello", "X-Test: 42\r\n");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "PUT /echo ?a=1&b=2 42 hello");
  EXPECT_EQ(r.Header("X-Echo"), "yes");
  EXPECT_EQ(r.Header("Content-Type"), "text/plain");
  // A pipeline without a usable reply column is refused at start-up, naming the problem.
  auto plain = LoadedModel::RawFromTransformer(std::make_shared<const PassThrough>(), 1);
  EXPECT_FALSE(plain.ok());
  EXPECT_NE(plain.status().message().find("reply"), std::string::npos) << plain.status();
}

TEST(RawServerTest, BadRepliesAreNamed) {
  auto raw = LoadedModel::RawFromTransformer(std::make_shared<const EchoReply>(), 1);
  ASSERT_THAT(raw, IsOk());
  auto in = RawRequestBatch("GET", "/x", {}, "");
  ASSERT_THAT(in, IsOk());
  KernelScratch scratch;
  auto out = (*raw)->kernel().Apply(*in, scratch);
  ASSERT_THAT(out, IsOk());
  auto good = ReadRawReply(**raw, *out);
  ASSERT_THAT(good, IsOk());
  EXPECT_EQ(good->status, 201);
  EXPECT_EQ(good->content_type, "text/plain");
  // A reply with status 42 and a header with a line break: both refused, by name.
  const TypePtr reply_type = (*raw)->kernel().output_schema()->field(0).type;
  auto one_reply = [&](int32_t status, const std::string& header_value) {
    StructBuilder rb(reply_type);
    rb.Append();
    static_cast<Int32Builder*>(rb.field_builder(0))->Append(status);
    auto* hs = static_cast<ListBuilder*>(rb.field_builder(1));
    hs->Append();
    auto* h = static_cast<StructBuilder*>(hs->value_builder());
    h->Append();
    static_cast<StringBuilder*>(h->field_builder(0))->Append("X-A");
    static_cast<StringBuilder*>(h->field_builder(1))->Append(header_value);
    static_cast<StringBuilder*>(rb.field_builder(2))->Append("b");
    return *Batch::Make((*raw)->kernel().output_schema(), {rb.Finish()}, 1);
  };
  EXPECT_EQ(ReadRawReply(**raw, one_reply(42, "v")).status().message(),
            "the pipeline's reply status 42 is not an HTTP status");
  EXPECT_EQ(ReadRawReply(**raw, one_reply(200, "v\r\nX-Evil: 1")).status().message(),
            "the pipeline's reply header 'X-A' is not a valid header");
  EXPECT_THAT(ReadRawReply(**raw, one_reply(204, "v")), IsOk());
}

TEST(ServerStartTest, BadOptionsAreNamed) {
  auto no_routes = Server::Start(ServerOptions{});
  EXPECT_NE(no_routes.status().message().find("at least one route"), std::string::npos);
  auto missing = Server::Start({.port = 0,
                                .routes = {{.path = "/p", .model_dir = "/nonexistent/model"}},
                                .registry = &DefaultRegistry()});
  EXPECT_NE(missing.status().message().find("/nonexistent/model"), std::string::npos)
      << missing.status();
}

}  // namespace
}  // namespace ember::serving
