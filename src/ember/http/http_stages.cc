#include "ember/http/http_stages.h"

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"

namespace ember {

TypePtr HttpHeaderType() {
  static const TypePtr t = StructType({MakeField("name", StringType()), MakeField("value", StringType())});
  return t;
}

TypePtr HttpRequestType() {
  static const TypePtr t = StructType({MakeField("method", StringType()), MakeField("url", StringType()),
                                       MakeField("headers", ListType(HttpHeaderType())),
                                       MakeField("body", BinaryType())});
  return t;
}

TypePtr HttpResponseType() {
  static const TypePtr t = StructType({MakeField("status", Int32Type()), MakeField("reason", StringType()),
                                       MakeField("headers", ListType(HttpHeaderType())),
                                       MakeField("body", BinaryType()), MakeField("elapsed_ms", Float64Type()),
                                       MakeField("attempts", Int32Type())});
  return t;
}

TypePtr HttpErrorType() {
  static const TypePtr t = StructType({MakeField("status", Int32Type()), MakeField("message", StringType()),
                                       MakeField("body", StringType()), MakeField("attempts", Int32Type())});
  return t;
}

namespace {

std::string StringAt(const Column& c, int64_t row) { return c.IsNull(row) ? "" : std::string(c.StringValue(row)); }

std::vector<http::Header> HeadersAt(const Column& list, int64_t row) {
  std::vector<http::Header> out;
  if (list.IsNull(row)) return out;
  const int32_t* o = list.Offsets();
  const Column& h = *list.child(0);
  for (int64_t k = o[row]; k < o[row + 1]; ++k) {
    if (h.IsNull(k)) continue;
    out.push_back({StringAt(*h.child(0), h.offset() + k), StringAt(*h.child(1), h.offset() + k)});
  }
  return out;
}

void AppendHeaders(ListBuilder* list, const std::vector<http::Header>& headers) {
  list->Append();
  auto* h = static_cast<StructBuilder*>(list->value_builder());
  for (const http::Header& x : headers) {
    h->Append();
    static_cast<StringBuilder*>(h->field_builder(0))->Append(x.name);
    static_cast<StringBuilder*>(h->field_builder(1))->Append(x.value);
  }
}

}  // namespace

Result<std::vector<std::optional<http::Request>>> RequestsOfColumn(const Column& c) {
  if (!c.type()->Equals(*HttpRequestType())) {
    return TypeError("an HTTP request column must be " + HttpRequestType()->ToString() + ", not " +
                     c.type()->ToString());
  }
  std::vector<std::optional<http::Request>> out;
  out.reserve(static_cast<size_t>(c.length()));
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i)) {
      out.emplace_back();
      continue;
    }
    const int64_t row = c.offset() + i;
    http::Request r;
    if (c.child(0)->IsValid(row)) r.method = std::string(c.child(0)->StringValue(row));
    r.url = StringAt(*c.child(1), row);
    r.headers = HeadersAt(*c.child(2), row);
    r.body = StringAt(*c.child(3), row);
    out.push_back(std::move(r));
  }
  return out;
}

ColumnPtr RequestColumn(const std::vector<std::optional<http::Request>>& requests) {
  StructBuilder b(HttpRequestType());
  for (const auto& r : requests) {
    if (!r) {
      b.AppendNull();
      continue;
    }
    b.Append();
    static_cast<StringBuilder*>(b.field_builder(0))->Append(r->method);
    static_cast<StringBuilder*>(b.field_builder(1))->Append(r->url);
    AppendHeaders(static_cast<ListBuilder*>(b.field_builder(2)), r->headers);
    static_cast<StringBuilder*>(b.field_builder(3))->Append(r->body);
  }
  return b.Finish();
}

Result<ColumnPtr> ResponseBodyAsString(const Column& c) {
  if (!c.type()->Equals(*HttpResponseType())) {
    return TypeError("an HTTP response column must be " + HttpResponseType()->ToString() + ", not " +
                     c.type()->ToString());
  }
  StringBuilder out;
  const Column& body = *c.child(3);
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i) || body.IsNull(c.offset() + i)) {
      out.AppendNull();
    } else {
      out.Append(body.StringValue(c.offset() + i));
    }
  }
  return out.Finish();
}

const ParamSpec<HTTPTransformerParams>& HTTPTransformerParams::Spec() {
  using P = HTTPTransformerParams;
  static const auto* spec = &(*new ParamSpec<P>("HTTPTransformer"))
      .Add("inputCol", &P::input_col, "The request column (struct: method, url, headers, body).", NonEmpty<std::string>())
      .Add("outputCol", &P::output_col, "The response column added (status, reason, headers, body, elapsed_ms, attempts).",
           NonEmpty<std::string>())
      .Add("errorCol", &P::error_col, "The error column added: null for calls that succeeded (2xx).",
           NonEmpty<std::string>())
      .Add("concurrency", &P::concurrency, "Requests in flight at most, per partition.", InRange<int64_t>(1, 4096))
      .Add("timeout", &P::timeout, "Seconds one attempt may take.", AtLeast(0.001))
      .Add("concurrentTimeout", &P::concurrent_timeout,
           "Seconds all of one partition's calls may take; calls not done by then fail. 0: no limit.", AtLeast(0.0))
      .Add("backoffsMs", &P::backoffs_ms,
           "Milliseconds to wait before each retry (5xx, 408, 429, connection errors), with +-20% jitter; "
           "its length is the number of retries.")
      .Add("maxRetryAfter", &P::max_retry_after, "The longest Retry-After (of 429 and 503) honoured, in seconds.",
           AtLeast(0.0))
      .Add("maxTotalWait", &P::max_total_wait, "Seconds one call may spend waiting between its attempts.",
           AtLeast(0.0))
      .Add("maxRequestsPerSecond", &P::max_requests_per_second,
           "Attempts started per second, per partition; 0: no limit.", AtLeast(0.0));
  return *spec;
}

Result<std::shared_ptr<const HTTPTransformer>> HTTPTransformer::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  for (int64_t b : p.backoffs_ms) {
    if (b < 0) return InvalidArgument("HTTPTransformer param 'backoffsMs': waits must be >= 0, got " + std::to_string(b));
  }
  if (p.output_col == p.error_col) {
    return InvalidArgument("HTTPTransformer params 'outputCol' and 'errorCol' are both '" + p.output_col + "'");
  }
  return std::shared_ptr<const HTTPTransformer>(new HTTPTransformer(std::move(p), std::move(uid)));
}

http::ClientOptions HTTPTransformer::ClientOptions() const {
  auto ms = [](double seconds) { return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)); };
  http::ClientOptions o;
  o.concurrency = static_cast<int>(params_.concurrency);
  o.timeout = ms(params_.timeout);
  o.retry.backoff.clear();
  for (int64_t b : params_.backoffs_ms) o.retry.backoff.push_back(std::chrono::milliseconds(b));
  o.retry.max_retry_after = ms(params_.max_retry_after);
  o.retry.max_total_wait = ms(params_.max_total_wait);
  o.max_requests_per_second = params_.max_requests_per_second;
  return o;
}

namespace {

class HttpBound final : public BoundTransform {
 public:
  HttpBound(SchemaPtr out, int input, http::ClientOptions options, double concurrent_timeout)
      : out_(std::move(out)), input_(input), options_(std::move(options)), concurrent_timeout_(concurrent_timeout) {}
  const SchemaPtr& output_schema() const override { return out_; }

  Result<Batch> Apply(const Batch& in, KernelScratch&) const override {
    EMBER_ASSIGN_OR_RETURN(auto requests, RequestsOfColumn(*in.column(input_)));
    std::vector<http::Request> to_send;
    std::vector<int64_t> row_of;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!requests[i]) continue;
      to_send.push_back(std::move(*requests[i]));
      row_of.push_back(static_cast<int64_t>(i));
    }
    http::ClientOptions o = options_;
    if (concurrent_timeout_ > 0) o.deadline = Deadline::In(std::chrono::milliseconds(static_cast<int64_t>(concurrent_timeout_ * 1000)));
    const std::vector<http::Response> responses = http::SendAll(to_send, o);

    StructBuilder resp(HttpResponseType());
    StructBuilder err(HttpErrorType());
    size_t next = 0;
    for (int64_t i = 0; i < in.num_rows(); ++i) {
      if (next >= row_of.size() || row_of[next] != i) {  // a null request
        resp.AppendNull();
        err.AppendNull();
        continue;
      }
      const http::Response& r = responses[next++];
      if (r.status == 0) {
        resp.AppendNull();
      } else {
        resp.Append();
        static_cast<Int32Builder*>(resp.field_builder(0))->Append(r.status);
        static_cast<StringBuilder*>(resp.field_builder(1))->Append(r.reason);
        AppendHeaders(static_cast<ListBuilder*>(resp.field_builder(2)), r.headers);
        static_cast<StringBuilder*>(resp.field_builder(3))->Append(r.body);
        static_cast<Float64Builder*>(resp.field_builder(4))->Append(r.elapsed_ms);
        static_cast<Int32Builder*>(resp.field_builder(5))->Append(r.attempts);
      }
      if (r.ok()) {
        err.AppendNull();
      } else {
        err.Append();
        static_cast<Int32Builder*>(err.field_builder(0))->Append(r.status);
        static_cast<StringBuilder*>(err.field_builder(1))->Append(r.error);
        static_cast<StringBuilder*>(err.field_builder(2))->Append(r.body);
        static_cast<Int32Builder*>(err.field_builder(3))->Append(r.attempts);
      }
    }
    std::vector<ColumnPtr> cols = in.columns();
    cols.push_back(resp.Finish());
    cols.push_back(err.Finish());
    return Batch::Make(out_, std::move(cols), in.num_rows());
  }

 private:
  SchemaPtr out_;
  int input_;
  http::ClientOptions options_;
  double concurrent_timeout_;
};

}  // namespace

Result<std::unique_ptr<BoundTransform>> HTTPTransformer::Bind(const Schema& in) const {
  const std::string owner = Describe();
  Result<int> input = in.GetFieldIndex(params_.input_col);
  if (!input.ok()) return input.status().WithContext(owner + " param 'inputCol'");
  const DataType& type = *in.field(*input).type;
  if (!type.Equals(*HttpRequestType())) {
    return TypeError(owner + ": column '" + params_.input_col + "' is " + type.ToString() + ", not an HTTP request " +
                     HttpRequestType()->ToString());
  }
  for (const std::string& name : {params_.output_col, params_.error_col}) {
    if (in.FindField(name) >= 0) return AlreadyExists(owner + ": column '" + name + "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr with_response, in.AddField(MakeField(params_.output_col, HttpResponseType())));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, with_response->AddField(MakeField(params_.error_col, HttpErrorType())));
  return std::unique_ptr<BoundTransform>(new HttpBound(out, *input, ClientOptions(), params_.concurrent_timeout));
}

Status RegisterHttpStages(StageRegistry* r) {
  return RegisterStage<HTTPTransformer>(
      r, "Sends each row's HTTP request (concurrently, with retries) and adds the response and an error column.");
}

}  // namespace ember
