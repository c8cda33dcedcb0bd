// How SendAll's attempts travel (internal to the HTTP client). SendAll's scheduling (the
// window, retries, waits, the retry budget, the rate limit, the deadline) is one loop over
// this interface; two transports carry the bytes:
//   - libcurl's multi interface: every URL scheme libcurl knows, TLS, HTTP/2;
//   - a native HTTP/1.1 client over non-blocking sockets and epoll, for plain http:// URLs:
//     keep-alive connections per host, Content-Length, chunked and until-close bodies. It
//     costs a fraction of libcurl's CPU per call (bench/http).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ember/http/http_client.h"

namespace ember::http::internal {

// The end of one attempt.
struct Outcome {
  enum class Kind { kResponse, kTimedOut, kFailed };
  size_t call = 0;
  Kind kind = Kind::kFailed;
  int status = 0;  // kResponse
  std::string reason;
  std::vector<Header> headers;
  std::string body;
  std::string error;  // kFailed: why ("Couldn't connect to server: ...", "Recv failure: ...")
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Starts one attempt of `request` for call `call`; it ends (kTimedOut) after `timeout`.
  virtual void Start(size_t call, const Request& request, std::chrono::milliseconds timeout) = 0;
  // Moves every attempt forward without blocking; appends those that ended.
  virtual void Progress(std::vector<Outcome>* ended) = 0;
  // Blocks until an attempt can move, one of its timers fires, or `ms` pass.
  virtual void Wait(int ms) = 0;
  // Attempts started and not yet returned by Progress.
  virtual size_t active() const = 0;
  // Drops every attempt not yet returned by Progress; returns their calls.
  virtual std::vector<size_t> Abandon() = 0;
};

std::unique_ptr<Transport> MakeCurlTransport(const std::string& user_agent);
std::unique_ptr<Transport> MakeNativeTransport(const std::string& user_agent);
// Whether the native transport can send `request`: an http:// URL it parses, without user
// information.
bool NativeCanSend(const Request& request);

// Whether two ASCII strings are equal ignoring case (header names, schemes, tokens).
bool IEquals(std::string_view a, std::string_view b);
// A header of `headers` by name, case-insensitively; null when absent.
const std::string* FindHeader(const std::vector<Header>& headers, const std::string& name);

}  // namespace ember::http::internal
