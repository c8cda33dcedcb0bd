#include "ember/http/http_stages.h"

#include "ember/base/json.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/json_values.h"

namespace ember {

TypePtr HttpHeaderType() {
  static const TypePtr t =
      StructType({MakeField("name", StringType()), MakeField("value", StringType())});
  return t;
}

TypePtr HttpRequestType() {
  static const TypePtr t = StructType(
      {MakeField("method", StringType()), MakeField("url", StringType()),
       MakeField("headers", ListType(HttpHeaderType())), MakeField("body", BinaryType())});
  return t;
}

TypePtr HttpResponseType() {
  static const TypePtr t =
      StructType({MakeField("status", Int32Type()), MakeField("reason", StringType()),
                  MakeField("headers", ListType(HttpHeaderType())), MakeField("body", BinaryType()),
                  MakeField("elapsed_ms", Float64Type()), MakeField("attempts", Int32Type())});
  return t;
}

TypePtr HttpErrorType() {
  static const TypePtr t =
      StructType({MakeField("status", Int32Type()), MakeField("message", StringType()),
                  MakeField("body", StringType()), MakeField("attempts", Int32Type())});
  return t;
}

namespace {

std::string StringAt(const Column& c, int64_t row) {
  return c.IsNull(row) ? "" : std::string(c.StringValue(row));
}

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

void AppendError(StructBuilder* err, int status, const std::string& message,
                 const std::string& body, int attempts) {
  err->Append();
  static_cast<Int32Builder*>(err->field_builder(0))->Append(status);
  static_cast<StringBuilder*>(err->field_builder(1))->Append(message);
  static_cast<StringBuilder*>(err->field_builder(2))->Append(body);
  static_cast<Int32Builder*>(err->field_builder(3))->Append(attempts);
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

Result<ColumnPtr> RequestColumnFromParts(const RequestParts& parts) {
  if (parts.url == nullptr) return InvalidArgument("HTTP requests from columns: no url column");
  const int64_t rows = parts.url->length();
  auto check = [&](const Column* c, const std::string& what, bool binary_ok) -> Status {
    if (c == nullptr) return Status::OK();
    const TypeId id = c->type_id();
    if (id != TypeId::kString && !(binary_ok && id == TypeId::kBinary)) {
      return TypeError("HTTP requests from columns: the " + what + " column is " +
                       c->type()->ToString() + ", not " +
                       (binary_ok ? "string or binary" : "string"));
    }
    if (c->length() != rows) {
      return InvalidArgument("HTTP requests from columns: the " + what + " column has " +
                             std::to_string(c->length()) + " rows, the url column " +
                             std::to_string(rows));
    }
    return Status::OK();
  };
  EMBER_RETURN_IF_ERROR(check(parts.url, "url", false));
  EMBER_RETURN_IF_ERROR(check(parts.method_column, "method", false));
  EMBER_RETURN_IF_ERROR(check(parts.body, "body", true));
  for (const auto& [name, column] : parts.header_columns) {
    if (column == nullptr)
      return InvalidArgument("HTTP requests from columns: no column for header '" + name + "'");
    EMBER_RETURN_IF_ERROR(check(column, "'" + name + "' header", false));
  }
  std::vector<std::optional<http::Request>> requests(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) {
    if (parts.url->IsNull(i)) continue;
    http::Request r;
    r.url = std::string(parts.url->StringValue(i));
    r.method = parts.method_column && parts.method_column->IsValid(i)
                   ? std::string(parts.method_column->StringValue(i))
                   : parts.method;
    if (parts.body && parts.body->IsValid(i)) r.body = std::string(parts.body->StringValue(i));
    r.headers = parts.headers;
    for (const auto& [name, column] : parts.header_columns) {
      if (column->IsValid(i)) r.headers.push_back({name, std::string(column->StringValue(i))});
    }
    requests[static_cast<size_t>(i)] = std::move(r);
  }
  return RequestColumn(requests);
}

namespace {

// The body child of a response column, checked; rows are c.offset() + i.
Result<const Column*> Bodies(const Column& c) {
  if (!c.type()->Equals(*HttpResponseType())) {
    return TypeError("an HTTP response column must be " + HttpResponseType()->ToString() +
                     ", not " + c.type()->ToString());
  }
  return c.child(3).get();
}

Result<ColumnPtr> BodiesAs(const Column& c, TypePtr type) {
  EMBER_ASSIGN_OR_RETURN(const Column* body, Bodies(c));
  StringBuilder out(std::move(type));
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i) || body->IsNull(c.offset() + i)) {
      out.AppendNull();
    } else {
      out.Append(body->StringValue(c.offset() + i));
    }
  }
  return out.Finish();
}

}  // namespace

Result<ColumnPtr> ResponseBodyAsString(const Column& c) { return BodiesAs(c, StringType()); }
Result<ColumnPtr> ResponseBodyAsBinary(const Column& c) { return BodiesAs(c, BinaryType()); }

Result<ParsedBodies> ResponseBodyAsJson(const Column& c, const TypePtr& type) {
  EMBER_ASSIGN_OR_RETURN(const Column* body, Bodies(c));
  std::unique_ptr<ColumnBuilder> values = MakeBuilder(type);
  StringBuilder problems;
  simdjson::dom::parser parser;
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i) || body->IsNull(c.offset() + i)) {
      values->AppendNull();
      problems.AppendNull();
      continue;
    }
    const std::string_view text = body->StringValue(c.offset() + i);
    simdjson::dom::element doc;
    if (auto e = parser.parse(text.data(), text.size()).get(doc); e) {
      values->AppendNull();
      problems.Append(std::string("not JSON: ") + simdjson::error_message(e));
      continue;
    }
    JsonProblem problem = CheckJsonValue(doc, *type, "body");
    if (!problem.empty()) {
      values->AppendNull();
      problems.Append(problem.message());
      continue;
    }
    AppendJsonValue(doc, values.get());
    problems.AppendNull();
  }
  return ParsedBodies{values->Finish(), problems.Finish()};
}

const ParamSpec<HttpCallParams>& HttpCallParams::Spec() {
  using P = HttpCallParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("HTTP call")
          .Add("concurrency", &P::concurrency, "Requests in flight at most, per partition.",
               InRange<int64_t>(1, 4096))
          .Add("timeout", &P::timeout, "Seconds one attempt may take.", AtLeast(0.001))
          .Add("concurrentTimeout", &P::concurrent_timeout,
               "Seconds all of one partition's calls may take; calls not done by then fail. 0: no "
               "limit.",
               AtLeast(0.0))
          .Add("backoffsMs", &P::backoffs_ms,
               "Milliseconds to wait before each retry (5xx, 408, 429, connection errors), with "
               "+-20% jitter; "
               "its length is the number of retries.",
               Each(AtLeast<int64_t>(0)))
          .Add("maxRetryAfter", &P::max_retry_after,
               "The longest Retry-After (of 429 and 503) honoured, in seconds.", AtLeast(0.0))
          .Add("maxTotalWait", &P::max_total_wait,
               "Seconds one call may spend waiting between its attempts.", AtLeast(0.0))
          .Add("maxRequestsPerSecond", &P::max_requests_per_second,
               "Attempts started per second, per partition; 0: no limit.", AtLeast(0.0))
          .Add("retryBudget", &P::retry_budget,
               "Retry tokens per partition (gRPC's retry throttling): a failed attempt costs one, "
               "a success gives back one, and nothing is retried at half or fewer left (retries "
               "go on while fewer than about half of the attempts fail); a 429 or 503 with "
               "Retry-After costs nothing and is always honoured; -1: 10 + 2 x concurrency; 0 "
               "turns it off.",
               AtLeast(-1.0))
          .AddEnum("engine", &P::engine,
                   {{"auto", http::Engine::kAuto},
                    {"libcurl", http::Engine::kLibcurl},
                    {"native", http::Engine::kNative}},
                   "What sends the requests: 'native' (Ember's HTTP/1.1 client; plain http:// "
                   "URLs only, the fastest), "
                   "'libcurl' (any URL: https, HTTP/2, proxies), or 'auto': native when every "
                   "request of a partition is "
                   "plain http:// and no proxy variable is set, else libcurl."));
  return spec;
}

namespace {

// What SendAll is given for one partition (its deadline starts now).
http::ClientOptions CallOptions(const HttpCallParams& p) {
  auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  };
  http::ClientOptions o;
  o.concurrency = static_cast<int>(p.concurrency);
  o.timeout = ms(p.timeout);
  o.retry.backoff.clear();
  for (int64_t b : p.backoffs_ms) o.retry.backoff.push_back(std::chrono::milliseconds(b));
  o.retry.max_retry_after = ms(p.max_retry_after);
  o.retry.max_total_wait = ms(p.max_total_wait);
  o.max_requests_per_second = p.max_requests_per_second;
  o.retry.budget_max_tokens = p.retry_budget;
  o.engine = p.engine;
  if (p.concurrent_timeout > 0) o.deadline = Deadline::In(ms(p.concurrent_timeout));
  return o;
}

}  // namespace

const ParamSpec<HTTPTransformerParams>& HTTPTransformerParams::Spec() {
  using P = HTTPTransformerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("HTTPTransformer")
          .Add("inputCol", &P::input_col,
               "The request column (struct: method, url, headers, body).", NonEmpty<std::string>())
          .Add("outputCol", &P::output_col,
               "The response column added (status, reason, headers, body, elapsed_ms, attempts).",
               NonEmpty<std::string>())
          .Add("errorCol", &P::error_col,
               "The error column added: null for calls that succeeded (2xx).",
               NonEmpty<std::string>())
          .AddGroup(&P::call, HttpCallParams::Spec()));
  return spec;
}

Result<std::shared_ptr<const HTTPTransformer>> HTTPTransformer::Make(Params p, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (p.output_col == p.error_col) {
    return InvalidArgument("HTTPTransformer params 'outputCol' and 'errorCol' are both '" +
                           p.output_col + "'");
  }
  return std::shared_ptr<const HTTPTransformer>(new HTTPTransformer(std::move(p), std::move(uid)));
}

namespace {

class HttpBound final : public BoundTransform {
 public:
  HttpBound(SchemaPtr out, int input, HTTPTransformerParams params,
            std::shared_ptr<const http::Client> client)
      : out_(std::move(out)),
        input_(input),
        params_(std::move(params)),
        client_(std::move(client)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override { return true; }  // waits for the service

  Result<Batch> Apply(const Batch& in, KernelScratch&) const override {
    EMBER_ASSIGN_OR_RETURN(auto requests, RequestsOfColumn(*in.column(input_)));
    std::vector<http::Request> to_send;
    std::vector<int64_t> row_of;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (!requests[i]) continue;
      to_send.push_back(std::move(*requests[i]));
      row_of.push_back(static_cast<int64_t>(i));
    }
    const std::vector<http::Response> responses =
        client_->SendAll(to_send, CallOptions(params_.call));

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
        AppendError(&err, r.status, r.error, r.body, r.attempts);
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
  HTTPTransformerParams params_;
  std::shared_ptr<const http::Client> client_;
};

}  // namespace

Result<std::unique_ptr<BoundTransform>> HTTPTransformer::Bind(const Schema& in) const {
  const std::string owner = Describe();
  Result<int> input = in.GetFieldIndex(params_.input_col);
  if (!input.ok()) return input.status().WithContext(owner + " param 'inputCol'");
  const DataType& type = *in.field(*input).type;
  if (!type.Equals(*HttpRequestType())) {
    return TypeError(owner + ": column '" + params_.input_col + "' is " + type.ToString() +
                     ", not an HTTP request " + HttpRequestType()->ToString());
  }
  for (const std::string& name : {params_.output_col, params_.error_col}) {
    if (in.FindField(name) >= 0)
      return AlreadyExists(owner + ": column '" + name + "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr with_response,
                         in.AddField(MakeField(params_.output_col, HttpResponseType())));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out,
                         with_response->AddField(MakeField(params_.error_col, HttpErrorType())));
  return std::unique_ptr<BoundTransform>(new HttpBound(out, *input, params_, client_));
}

// SimpleHTTPTransformer ------------------------------------------------------------------

const ParamSpec<SimpleHTTPTransformerParams>& SimpleHTTPTransformerParams::Spec() {
  using P = SimpleHTTPTransformerParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("SimpleHTTPTransformer")
          .Add("inputCols", &P::input_cols,
               "The columns sent as one JSON object per row ({\"col\": value, ...}).",
               NonEmpty<std::vector<std::string>>())
          .Add("url", &P::url,
               "The service's URL, or {\"column\": name} for a URL per row (a null URL sends "
               "nothing).")
          .Add("method", &P::method, "POST, PUT or PATCH, or {\"column\": name} for one per row.")
          .Add("headers", &P::headers, "Headers sent with every request: {\"Name\": \"value\"}.")
          .Add("headerCols", &P::header_cols,
               "Headers with a value per row: {\"Name\": \"column\"} (an API key per row).")
          .Add("miniBatchSize", &P::mini_batch_size,
               "Rows per request, sent as a JSON array of row objects (the reply must be an array "
               "of one value per row); "
               "0: one request per row.",
               AtLeast<int64_t>(0))
          .Add("outputType", &P::output_type,
               "\"string\" for the reply's text, or the type its JSON is parsed into "
               "(\"struct<label:string,score:float64>\").",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The parsed reply column added.",
               NonEmpty<std::string>())
          .Add("errorCol", &P::error_col,
               "The error column added: null for rows whose call and parse succeeded.",
               NonEmpty<std::string>())
          .AddGroup(&P::call, HttpCallParams::Spec()));
  return spec;
}

namespace {

// The string members of a JSON object param; InvalidArgument naming the param otherwise.
bool SendsBody(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

class SimpleHttpBound final : public BoundTransform {
 public:
  SimpleHttpBound(SchemaPtr out, SimpleHTTPTransformerParams p, TypePtr output_type,
                  std::vector<int> inputs, ScalarOrColumn<std::string>::Bound url,
                  ScalarOrColumn<std::string>::Bound method,
                  std::vector<std::pair<std::string, std::string>> headers,
                  std::vector<std::pair<std::string, int>> header_cols,
                  std::shared_ptr<const http::Client> client)
      : out_(std::move(out)),
        p_(std::move(p)),
        type_(std::move(output_type)),
        inputs_(std::move(inputs)),
        url_(std::move(url)),
        method_(std::move(method)),
        headers_(std::move(headers)),
        header_cols_(std::move(header_cols)),
        client_(std::move(client)) {}
  const SchemaPtr& output_schema() const override { return out_; }
  bool blocking() const override { return true; }  // waits for the service

  Result<Batch> Apply(const Batch& in, KernelScratch&) const override {
    const auto url = url_.Resolve(in);
    const auto method = method_.Resolve(in);
    // Rows in groups of consecutive rows with one url, method and header values: one
    // request each (a group is one row without mini-batching).
    struct Group {
      int64_t begin, end;
    };
    std::vector<Group> groups;
    std::vector<http::Request> requests;
    const int64_t batch_rows = p_.mini_batch_size > 0 ? p_.mini_batch_size : 1;
    for (int64_t i = 0; i < in.num_rows();) {
      std::optional<std::string> u = url.Get(i);
      if (!u) {
        ++i;
        continue;
      }
      http::Request r;
      r.url = *u;
      r.method = method.Get(i).value_or("POST");
      r.headers.push_back({"Content-Type", "application/json"});
      for (const auto& [name, value] : headers_) r.headers.push_back({name, value});
      for (const auto& [name, col] : header_cols_) {
        const Column& c = *in.column(col);
        if (c.IsValid(i)) r.headers.push_back({name, std::string(c.StringValue(i))});
      }
      int64_t end = i + 1;
      while (p_.mini_batch_size > 0 && end < in.num_rows() && end - i < batch_rows &&
             SameCall(in, url, method, i, end)) {
        ++end;
      }
      if (SendsBody(r.method)) {
        if (p_.mini_batch_size > 0) r.body.push_back('[');
        for (int64_t k = i; k < end; ++k) {
          if (k > i) r.body.push_back(',');
          AppendRowObject(in, k, &r.body);
        }
        if (p_.mini_batch_size > 0) r.body.push_back(']');
      }
      groups.push_back({i, end});
      requests.push_back(std::move(r));
      i = end;
    }
    const std::vector<http::Response> responses = client_->SendAll(requests, CallOptions(p_.call));

    std::unique_ptr<ColumnBuilder> output = MakeBuilder(type_);
    StructBuilder err(HttpErrorType());
    int64_t row = 0;
    simdjson::dom::parser parser;
    for (size_t g = 0; g < groups.size(); ++g) {
      for (; row < groups[g].begin; ++row) {  // rows with a null URL
        output->AppendNull();
        err.AppendNull();
      }
      AppendReplies(responses[g], groups[g].end - groups[g].begin, parser, output.get(), &err);
      row = groups[g].end;
    }
    for (; row < in.num_rows(); ++row) {
      output->AppendNull();
      err.AppendNull();
    }
    std::vector<ColumnPtr> cols = in.columns();
    cols.push_back(output->Finish());
    cols.push_back(err.Finish());
    return Batch::Make(out_, std::move(cols), in.num_rows());
  }

 private:
  bool SameCall(const Batch& in, const ScalarOrColumn<std::string>::View& url,
                const ScalarOrColumn<std::string>::View& method, int64_t a, int64_t b) const {
    if (url.Get(a) != url.Get(b) || method.Get(a) != method.Get(b)) return false;
    for (const auto& [name, col] : header_cols_) {
      const Column& c = *in.column(col);
      if (c.IsNull(a) != c.IsNull(b) || (c.IsValid(a) && c.StringValue(a) != c.StringValue(b)))
        return false;
    }
    return true;
  }

  void AppendRowObject(const Batch& in, int64_t row, std::string* out) const {
    out->push_back('{');
    for (size_t k = 0; k < inputs_.size(); ++k) {
      if (k) out->push_back(',');
      AppendJsonString(in.schema()->field(inputs_[k]).name, out);
      out->push_back(':');
      AppendValueJson(*in.column(inputs_[k]), row, out);
    }
    out->push_back('}');
  }

  // The outputs and errors of the `rows` rows one response answers.
  void AppendReplies(const http::Response& r, int64_t rows, simdjson::dom::parser& parser,
                     ColumnBuilder* output, StructBuilder* err) const {
    auto fail_all = [&](const std::string& message) {
      for (int64_t k = 0; k < rows; ++k) {
        output->AppendNull();
        AppendError(err, r.status, message, r.body, r.attempts);
      }
    };
    if (!r.ok()) return fail_all(r.error);
    const bool raw_text = type_->id() == TypeId::kString && p_.mini_batch_size == 0;
    if (raw_text) {
      static_cast<StringBuilder*>(output)->Append(r.body);
      err->AppendNull();
      return;
    }
    simdjson::dom::element doc;
    if (auto e = parser.parse(r.body).get(doc); e) {
      return fail_all(std::string("the reply is not JSON: ") + simdjson::error_message(e));
    }
    std::vector<simdjson::dom::element> values;
    if (p_.mini_batch_size > 0) {
      simdjson::dom::array array;
      if (doc.get_array().get(array))
        return fail_all("the reply to a mini-batch is not a JSON array");
      for (simdjson::dom::element v : array) values.push_back(v);
      if (static_cast<int64_t>(values.size()) != rows) {
        return fail_all("the reply has " + std::to_string(values.size()) +
                        " values for a mini-batch of " + std::to_string(rows) + " rows");
      }
    } else {
      values.push_back(doc);
    }
    for (const simdjson::dom::element& v : values) {
      JsonProblem problem = CheckJsonValue(v, *type_, p_.output_col);
      if (!problem.empty()) {
        output->AppendNull();
        AppendError(err, r.status,
                    "the reply does not fit " + type_->ToString() + ": " + problem.message(),
                    r.body, r.attempts);
        continue;
      }
      AppendJsonValue(v, output);
      err->AppendNull();
    }
  }

  SchemaPtr out_;
  SimpleHTTPTransformerParams p_;
  TypePtr type_;
  std::vector<int> inputs_;
  ScalarOrColumn<std::string>::Bound url_, method_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::pair<std::string, int>> header_cols_;
  std::shared_ptr<const http::Client> client_;
};

}  // namespace

Result<std::shared_ptr<const SimpleHTTPTransformer>> SimpleHTTPTransformer::Make(Params p,
                                                                                 std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (!p.method.is_column() && !SendsBody(p.method.scalar())) {
    return InvalidArgument("SimpleHTTPTransformer param 'method': '" + p.method.scalar() +
                           "' sends no body; use POST, PUT or PATCH");
  }
  if (!p.url.is_column() && p.url.scalar().empty()) {
    return InvalidArgument("SimpleHTTPTransformer param 'url': must not be empty");
  }
  if (p.output_col == p.error_col) {
    return InvalidArgument("SimpleHTTPTransformer params 'outputCol' and 'errorCol' are both '" +
                           p.output_col + "'");
  }
  Result<TypePtr> type = ParseType(p.output_type);
  if (!type.ok()) return type.status().WithContext("SimpleHTTPTransformer param 'outputType'");
  return std::shared_ptr<const SimpleHTTPTransformer>(
      new SimpleHTTPTransformer(std::move(p), *type, std::move(uid)));
}

Result<std::unique_ptr<BoundTransform>> SimpleHTTPTransformer::Bind(const Schema& in) const {
  const std::string owner = Describe();
  std::vector<int> inputs;
  for (const std::string& name : params_.input_cols) {
    Result<int> i = in.GetFieldIndex(name);
    if (!i.ok()) return i.status().WithContext(owner + " param 'inputCols'");
    inputs.push_back(*i);
  }
  auto url = params_.url.Bind(in, "url");
  if (!url.ok()) return url.status().WithContext(owner);
  auto method = params_.method.Bind(in, "method");
  if (!method.ok()) return method.status().WithContext(owner);
  std::vector<std::pair<std::string, std::string>> headers(params_.headers.begin(),
                                                           params_.headers.end());
  std::vector<std::pair<std::string, int>> header_cols;
  for (const auto& [name, col] : params_.header_cols) {
    Result<int> i = in.GetFieldIndex(col);
    if (!i.ok()) return i.status().WithContext(owner + " param 'headerCols'");
    if (in.field(*i).type->id() != TypeId::kString) {
      return TypeError(owner + " param 'headerCols': column '" + col + "' is " +
                       in.field(*i).type->ToString() + ", not string");
    }
    header_cols.emplace_back(name, *i);
  }
  for (const std::string& name : {params_.output_col, params_.error_col}) {
    if (in.FindField(name) >= 0)
      return AlreadyExists(owner + ": column '" + name + "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr with_output,
                         in.AddField(MakeField(params_.output_col, output_type_)));
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out,
                         with_output->AddField(MakeField(params_.error_col, HttpErrorType())));
  return std::unique_ptr<BoundTransform>(
      new SimpleHttpBound(out, params_, output_type_, std::move(inputs), *url, *method,
                          std::move(headers), std::move(header_cols), client_));
}

Status RegisterHttpStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<HTTPTransformer>(r,
                                     "Sends each row's HTTP request (concurrently, with retries) "
                                     "and adds the response and an error column."));
  return RegisterStage<SimpleHTTPTransformer>(
      r,
      "Calls a JSON web service with columns of each row (optionally in mini-batches) and adds its "
      "parsed reply.");
}

}  // namespace ember
