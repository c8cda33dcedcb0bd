// Fuzzes the native HTTP client's reply parser with what a server might send: any bytes,
// fed whole and in small pieces, either parse into a reply or fail saying why, the same
// way whatever the pieces; no crash, no hang, no read past the input.
#include <cstdint>
#include <string>
#include <string_view>

#include "ember/http/reply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using ember::http::internal::Outcome;
  using ember::http::internal::ParseWholeReply;
  using State = ember::http::internal::ReplyParser::State;
  if (size == 0) return 0;
  const bool head = (data[0] & 1) != 0;
  const size_t piece = 1 + data[0] / 2;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  Outcome whole, pieces;
  std::string whole_error, pieces_error;
  const State a = ParseWholeReply(bytes, head, bytes.size() + 1, &whole, &whole_error);
  const State b = ParseWholeReply(bytes, head, piece, &pieces, &pieces_error);
  if (a == State::kMore || b == State::kMore)
    __builtin_trap();  // a closed connection ends every reply
  if (a == State::kError && whole_error.empty()) __builtin_trap();  // every failure says why
  // Where the pieces split cannot change a reply that parsed (errors may differ in kind:
  // "not HTTP" can be noticed before or after the head is whole).
  if (a == State::kDone &&
      (b != State::kDone || whole.status != pieces.status || whole.body != pieces.body)) {
    __builtin_trap();
  }
  return 0;
}
