// The request side of the HTTP server: a Beast parser that stores a request into
// RequestData (reused strings, no header map). Included only by server.cc, which is the one
// translation unit that includes Beast.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::serving::internal {

namespace beast = boost::beast;
namespace http = beast::http;

// What the server keeps of a request: the method, path and the few headers it reads, in
// strings whose capacity is reused from request to request on a connection.
struct RequestData {
  http::verb method = http::verb::unknown;
  std::string method_name;
  std::string target;
  std::string body;
  std::string api_key;        // X-API-Key
  std::string authorization;  // Authorization
  std::string deadline;       // X-Ember-Deadline-Ms
  std::string content_type;   // Content-Type
  bool has_deadline = false;
  bool expect_continue = false;
  // Raw routes get every header; the paths come from the server.
  const std::vector<std::string>* raw_paths = nullptr;
  bool all_headers = false;
  std::vector<std::pair<std::string, std::string>> headers;
  int version = 11;
  bool keep_alive = true;
  void Clear() {
    method = http::verb::unknown;
    method_name.clear();
    target.clear();
    body.clear();
    api_key.clear();
    authorization.clear();
    deadline.clear();
    content_type.clear();
    has_deadline = expect_continue = all_headers = false;
    headers.clear();
    version = 11;
    keep_alive = true;
  }
};

// A request parser that stores into RequestData instead of a fields container: no heap
// allocation per request once the strings have grown.
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(RequestData* out) : out_(out) {}

 private:
  void on_request_impl(http::verb method, beast::string_view method_str, beast::string_view target,
                       int version, beast::error_code&) override {
    out_->method = method;
    out_->method_name.assign(method_str.data(), method_str.size());
    out_->target.assign(target.data(), target.size());
    out_->version = version;
    if (out_->raw_paths != nullptr) {
      const std::string_view path =
          std::string_view(out_->target).substr(0, out_->target.find('?'));
      for (const std::string& p : *out_->raw_paths)
        out_->all_headers = out_->all_headers || p == path;
    }
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code&) override {
    if (out_->all_headers) out_->headers.emplace_back(std::string(name_string), std::string(value));
    if (name == http::field::content_length) {
      content_length_ = true;
    } else if (name == http::field::transfer_encoding) {
      // Only "chunked", once: anything else (gzip, chunked twice, a list) would be framed
      // one way here and another way by a proxy in front (request smuggling).
      chunked_only_ = transfer_encodings_++ == 0 && beast::iequals(value, "chunked");
    }
    if (name == http::field::authorization) {
      out_->authorization.assign(value.data(), value.size());
    } else if (name == http::field::content_type) {
      out_->content_type.assign(value.data(), value.size());
    } else if (name == http::field::expect) {
      out_->expect_continue = beast::iequals(value, "100-continue");
    } else if (name == http::field::unknown) {
      if (beast::iequals(name_string, "X-API-Key")) {
        out_->api_key.assign(value.data(), value.size());
      } else if (beast::iequals(name_string, "X-Ember-Deadline-Ms")) {
        out_->deadline.assign(value.data(), value.size());
        out_->has_deadline = true;
      }
    }
  }
  void on_header_impl(beast::error_code& ec) override {
    out_->keep_alive = keep_alive();
    if (transfer_encodings_ > 0 && (!chunked_only_ || content_length_))
      ec = http::error::bad_transfer_encoding;
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    if (length) out_->body.reserve(static_cast<size_t>(*length));
  }
  size_t on_body_impl(beast::string_view body, beast::error_code&) override {
    out_->body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
    out_->body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}
  RequestData* out_;
  bool content_length_ = false;
  int transfer_encodings_ = 0;
  bool chunked_only_ = false;
};

}  // namespace ember::serving::internal
