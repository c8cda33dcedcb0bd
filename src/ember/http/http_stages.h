// HTTP requests and responses as column types, and HTTPTransformer: a pipeline stage that
// sends each row's request (see http_client.h for the concurrency, retries and deadlines)
// and adds its response and, for calls that failed, an error. SynapseML's "HTTP on Spark".
//
//   header   struct{name: string, value: string}
//   request  struct{method: string, url: string, headers: list<header>, body: binary}
//   response struct{status: int32, reason: string, headers: list<header>, body: binary,
//                   elapsed_ms: float64, attempts: int32}
//   error    struct{status: int32, message: string, body: string, attempts: int32}
//
// A null request gives a null response and a null error. A call that failed gives an error
// (and the last response when one came, else a null response): no row is ever dropped, and
// a null response always comes with an error or a null request.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ember/core/batch.h"
#include "ember/http/http_client.h"
#include "ember/params/param_spec.h"
#include "ember/params/scalar_or_column.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

TypePtr HttpHeaderType();
TypePtr HttpRequestType();
TypePtr HttpResponseType();
TypePtr HttpErrorType();

// The requests of a request column (nullopt for null rows). A null method is GET; null
// url, headers or body are empty.
Result<std::vector<std::optional<http::Request>>> RequestsOfColumn(const Column& requests);
// A request column from requests (nullopt: a null row).
ColumnPtr RequestColumn(const std::vector<std::optional<http::Request>>& requests);

// A request column from columns of equal length: a request per row whose url is not null
// (null url: a null request). `method` for every row, or `method_column` (string; a null
// value: `method`); `body` a string or binary column (null values: no body); `headers` with
// every request and `header_columns` (string; a null value sends no such header) per row.
// Errors name the part that is missing, of the wrong type or of another length.
struct RequestParts {
  const Column* url = nullptr;
  std::string method = "GET";
  const Column* method_column = nullptr;
  const Column* body = nullptr;
  std::vector<http::Header> headers;
  std::vector<std::pair<std::string, const Column*>> header_columns;
};
Result<ColumnPtr> RequestColumnFromParts(const RequestParts& parts);

// Reading a response column: each row's body as a string column, or as a binary column
// (null where the response is null).
Result<ColumnPtr> ResponseBodyAsString(const Column& responses);
Result<ColumnPtr> ResponseBodyAsBinary(const Column& responses);
// Each row's body parsed as JSON into `type` (as the JSON Lines reader does): `values` is
// null where the response is null or its body does not parse or fit, and `problems` (a
// string column) says why for those rows ("not JSON: ...", "field 'x.score': expected
// float64, got string"), null elsewhere.
struct ParsedBodies {
  ColumnPtr values;
  ColumnPtr problems;
};
Result<ParsedBodies> ResponseBodyAsJson(const Column& responses, const TypePtr& type);

// The client params shared by HTTPTransformer and SimpleHTTPTransformer, a param group
// (ParamSpec::AddGroup): in JSON they sit beside the stage's own params (concurrency,
// timeout, concurrentTimeout, backoffsMs, maxRetryAfter, maxTotalWait,
// maxRequestsPerSecond, retryBudget, engine); in C++ they are the member `call`.
struct HttpCallParams {
  int64_t concurrency = 1;
  double timeout = 60;            // seconds, per attempt
  double concurrent_timeout = 0;  // seconds for a partition; 0: none
  std::vector<int64_t> backoffs_ms = {100, 500, 1000};
  double max_retry_after = 60;  // seconds
  double max_total_wait = 120;  // seconds of waiting, per call
  double max_requests_per_second = 0;
  double retry_budget = -1;  // tokens; -1: 10 + 2 x concurrency; 0: no budget
  http::Engine engine = http::Engine::kAuto;
  static const ParamSpec<HttpCallParams>& Spec();
};

struct HTTPTransformerParams {
  std::string input_col = "request";
  std::string output_col = "response";
  std::string error_col = "error";
  HttpCallParams call;
  static const ParamSpec<HTTPTransformerParams>& Spec();
};

class HTTPTransformer final
    : public StageBase<HTTPTransformer, Transformer, HTTPTransformerParams> {
 public:
  static constexpr std::string_view kTypeName = "HTTPTransformer";
  static Result<std::shared_ptr<const HTTPTransformer>> Make(Params params, std::string uid = {});
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // The same stage (params and uid) sending through `client` instead of
  // http::DefaultClient(): a fake in tests, another transport.
  std::shared_ptr<const HTTPTransformer> WithClient(
      std::shared_ptr<const http::Client> client) const {
    auto copy = std::shared_ptr<HTTPTransformer>(new HTTPTransformer(params_, uid()));
    copy->client_ = std::move(client);
    return copy;
  }

 private:
  HTTPTransformer(Params p, std::string uid) : StageBase(std::move(p), std::move(uid)) {}
  std::shared_ptr<const http::Client> client_ = http::DefaultClient();
};

struct SimpleHTTPTransformerParams {
  // The columns sent as one JSON object per row ({"col": value, ...}); with
  // miniBatchSize > 0, a JSON array of such objects per request.
  std::vector<std::string> input_cols;
  ScalarOrColumn<std::string> url;
  ScalarOrColumn<std::string> method = std::string("POST");
  std::map<std::string, std::string> headers;  // {"Name": "value"}: sent with every request
  std::map<std::string, std::string>
      header_cols;              // {"Name": "column"}: a per-row value (an API key)
  int64_t mini_batch_size = 0;  // rows per request; 0: one request per row
  // The reply's type: "string" (the body as text), or a type the JSON reply is parsed into
  // ("struct<label:string,score:float64>", "float64", "list<float64>", ...). With
  // mini-batching the reply must be a JSON array of one such value per row.
  std::string output_type = "string";
  std::string output_col = "output";
  std::string error_col = "error";
  HttpCallParams call;
  static const ParamSpec<SimpleHTTPTransformerParams>& Spec();
};

// Calls a JSON web service with columns of each row and adds its reply, parsed into a
// declared type, and an error column (HttpErrorType): SynapseML's SimpleHTTPTransformer
// with the JSON input and output parsers. Rows whose url is null send nothing and get nulls.
// A failed call (or a reply that does not parse) gives a null output and an error naming
// the problem; an error of a mini-batch's call is on every row of the batch.
class SimpleHTTPTransformer final
    : public StageBase<SimpleHTTPTransformer, Transformer, SimpleHTTPTransformerParams> {
 public:
  static constexpr std::string_view kTypeName = "SimpleHTTPTransformer";
  static Result<std::shared_ptr<const SimpleHTTPTransformer>> Make(Params params,
                                                                   std::string uid = {});
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  // The same stage sending through `client` (see HTTPTransformer::WithClient).
  std::shared_ptr<const SimpleHTTPTransformer> WithClient(
      std::shared_ptr<const http::Client> client) const {
    auto copy = std::shared_ptr<SimpleHTTPTransformer>(
        new SimpleHTTPTransformer(params_, output_type_, uid()));
    copy->client_ = std::move(client);
    return copy;
  }

 private:
  SimpleHTTPTransformer(Params p, TypePtr output_type, std::string uid)
      : StageBase(std::move(p), std::move(uid)), output_type_(std::move(output_type)) {}
  TypePtr output_type_;
  std::shared_ptr<const http::Client> client_ = http::DefaultClient();
};

Status RegisterHttpStages(StageRegistry* registry);

}  // namespace ember
