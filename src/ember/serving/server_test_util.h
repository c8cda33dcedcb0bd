// What the server's tests share: a raw-socket HTTP/1.1 client (so that tests can also send
// malformed, slow and abandoned requests), the paper's LR pipeline fitted and saved, and a
// fixture that starts a server on an ephemeral port. Test-only.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "ember/base/file_util.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/server.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember::serving::test_util {

using ::ember::testing::IsOk;

// One client connection speaking HTTP/1.1 by hand.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void SendRaw(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  struct Response {
    int status = 0;  // 0: no response (connection closed or timed out)
    std::string head;
    std::string body;
    std::string Header(const std::string& name) const {
      const std::string key = "\r\n" + name + ": ";
      const size_t at = head.find(key);
      if (at == std::string::npos) return "";
      const size_t begin = at + key.size();
      return head.substr(begin, head.find("\r\n", begin) - begin);
    }
  };

  // Reads one response (Content-Length framed), waiting up to `timeout_ms`.
  Response Read(int timeout_ms = 5000) {
    Response r;
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    size_t header_end;
    while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(until)) return r;
    }
    r.head = pending_.substr(0, header_end + 2);
    r.status = std::atoi(r.head.c_str() + 9);
    const std::string length = r.Header("Content-Length");
    const size_t n = length.empty() ? 0 : std::stoul(length);
    while (pending_.size() < header_end + 4 + n) {
      if (!Fill(until)) return Response{};
    }
    r.body = pending_.substr(header_end + 4, n);
    pending_.erase(0, header_end + 4 + n);
    return r;
  }

  // Sends a POST of `body` without waiting for the reply.
  void Post(const std::string& body) {
    SendRaw("POST /predict HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body);
  }

  Response Request(const std::string& method, const std::string& path, const std::string& body = "",
                   const std::string& extra_headers = "") {
    SendRaw(method + " " + path + " HTTP/1.1\r\nHost: test\r\n" + extra_headers +
            "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body);
    return Read();
  }

  // True when the server closed the connection (EOF) within `timeout_ms`.
  bool ClosedWithin(int timeout_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      pollfd p{fd_, POLLIN, 0};
      const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            until - std::chrono::steady_clock::now())
                                            .count());
      if (left <= 0 || poll(&p, 1, left) <= 0) return false;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return true;
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point until) {
    const int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          until - std::chrono::steady_clock::now())
                                          .count());
    pollfd p{fd_, POLLIN, 0};
    if (left <= 0 || poll(&p, 1, left) <= 0) return false;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

inline std::string TrainingCsv(int rows) {
  std::string csv = "x,color,label\n";
  const char* colors[] = {"red", "green", "blue"};
  for (int r = 0; r < rows; ++r) {
    const double x = (r * 37 % 100) / 50.0;
    const int c = r * 7 % 3;
    csv += std::to_string(x) + "," + colors[c] + "," + (x + (c == 0) > 1 ? "1" : "0") + "\n";
  }
  return csv;
}

// StringIndexer + OneHotEncoder + VectorAssembler + LogisticRegression, the paper's "LR"
// pipeline, fitted and saved (with its input schema) into `dir`; `seed_rows` varies the fit.
inline void FitAndSave(const std::string& dir, int rows = 300) {
  const std::string tmp = testing::NewTempDir("serving_data");
  ASSERT_THAT(WriteStringToFile(tmp + "/train.csv", TrainingCsv(rows)), IsOk());
  auto frame = ReadTable(ExecContext::Default(), tmp + "/train.csv");
  ASSERT_THAT(frame, IsOk());
  auto spec = Json::Parse(R"({"stages": [
      {"type": "StringIndexer", "params": {"inputCol": "color", "outputCol": "ci"}},
      {"type": "OneHotEncoder", "params": {"inputCols": ["ci"], "outputCols": ["cv"]}},
      {"type": "VectorAssembler", "params": {"inputCols": ["x", "cv"], "outputCol": "features"}},
      {"type": "LogisticRegression", "params": {"regParam": 0.01}}]})");
  auto pipeline = Pipeline::FromSpec(*spec, DefaultRegistry());
  ASSERT_THAT(pipeline, IsOk());
  auto model = (*pipeline)->Fit(*frame, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  ASSERT_THAT(SaveStage(**model, dir, {.overwrite = true, .input_schema = frame->schema()}),
              IsOk());
}

// The batch Transform's reply for one row, as the server should encode it.
inline std::string ExpectedReply(const std::string& dir, double x, const std::string& color) {
  auto model = LoadTransformer(dir, DefaultRegistry());
  auto input = LoadInputSchema(dir);
  EXPECT_THAT(model, IsOk());
  RequestDecoder d(*input);
  bool array;
  DecodeProblem p;
  auto rows =
      d.Decode("{\"x\": " + std::to_string(x) + ", \"color\": \"" + color + "\"}", &array, &p);
  auto out = (*model)->Transform(DataFrame::FromBatch(*rows), ExecContext::Default());
  EXPECT_THAT(out, IsOk());
  auto enc = ReplyEncoder::Make(*out->schema(), {"rawPrediction", "probability", "prediction"});
  std::string body;
  enc->Encode(out->partition(0), 0, 1, false, &body);
  return body;
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("serving_model") + "/model";
    FitAndSave(dir_);
  }
  std::unique_ptr<Server> Start(ServerOptions o) {
    o.port = 0;
    o.threads = o.threads ? o.threads : 2;
    if (o.routes.empty()) o.routes = {{.path = "/predict", .model_dir = dir_}};
    o.registry = &DefaultRegistry();
    auto s = Server::Start(std::move(o));
    EXPECT_THAT(s, IsOk());
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_;
};

}  // namespace ember::serving::test_util
