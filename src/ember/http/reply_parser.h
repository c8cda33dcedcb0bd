// An HTTP/1.x reply parser, fed bytes as they arrive (the native transport's; internal).
// Reads the status line and headers (at most 1 MB), skips interim 1xx replies, and the body
// by Content-Length, chunked transfer coding (extensions and trailers skipped), or until the
// connection closes; HEAD, 204 and 304 replies have none. Never reads past its input and
// never trusts a size it was sent: bad bytes are an error that says what was wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ember/http/transport.h"

namespace ember::http::internal {

class ReplyParser {
 public:
  enum class State { kMore, kDone, kError };

  // A reply to a HEAD request (true) carries no body whatever its headers say.
  void Reset(bool head_request);
  // Takes the next bytes of the connection. After kDone, extra() tells whether bytes past
  // the reply came (a server that answered more than was asked: the connection is not
  // reused).
  State Feed(std::string_view bytes);
  // The connection closed: kDone for a body that runs until the close, else kError.
  State Closed();

  State state() const { return state_; }
  // The reply so far (status, reason, headers, body): whole once kDone.
  Outcome& reply() { return reply_; }
  // Why kError.
  const std::string& error() const { return error_; }
  // kDone: whether the connection may carry another request.
  bool keep_alive() const { return keep_alive_ && !extra_; }
  bool extra() const { return extra_; }
  bool received_any() const { return received_; }

 private:
  enum class Phase { kHead, kBody, kChunkSize, kChunkData, kChunkEnd, kTrailer, kUntilClose };
  State Run();
  bool ParseHead(std::string_view head);
  State Fail(std::string why);
  State Done();
  void Compact();

  bool head_request_ = false;
  State state_ = State::kMore;
  Phase phase_ = Phase::kHead;
  std::string in_;  // bytes not parsed yet start at pos_
  size_t pos_ = 0;
  int64_t remaining_ = 0;
  bool keep_alive_ = true;
  bool extra_ = false;
  bool received_ = false;
  Outcome reply_;
  std::string error_;
};

// Parses `bytes` as one reply arriving in pieces of `piece` bytes, then the connection
// closing (for tests and the fuzzer).
ReplyParser::State ParseWholeReply(std::string_view bytes, bool head_request, size_t piece,
                                   Outcome* reply, std::string* error);

}  // namespace ember::http::internal
