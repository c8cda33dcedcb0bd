#include "ember/base/base64.h"

#include <array>
#include <cstdint>
#include <string>

namespace ember {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// Each byte's 6-bit value, or 64 for a byte that is not in the alphabet.
constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = 64;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<uint8_t>(i);
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();
}  // namespace

void AppendBase64(std::string_view bytes, std::string* out) {
  const size_t at = out->size();
  out->resize(at + (bytes.size() + 2) / 3 * 4);
  char* o = out->data() + at;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3, o += 4) {
    const uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    o[0] = kAlphabet[v >> 18];
    o[1] = kAlphabet[(v >> 12) & 63];
    o[2] = kAlphabet[(v >> 6) & 63];
    o[3] = kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return;
  const uint32_t v = (p[i] << 16) | (rest == 2 ? p[i + 1] << 8 : 0);
  o[0] = kAlphabet[v >> 18];
  o[1] = kAlphabet[(v >> 12) & 63];
  o[2] = rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
  o[3] = '=';
}

Result<std::string> DecodeBase64(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("base64 text length is not a multiple of 4");
  const size_t pad = !text.empty() && text.back() == '=' ? 1 + (text[text.size() - 2] == '=') : 0;
  std::string out(text.size() / 4 * 3 - pad, '\0');
  auto* o = reinterpret_cast<uint8_t*>(out.data());
  const auto* t = reinterpret_cast<const uint8_t*>(text.data());
  // Every quad but the last (which may hold padding): four table lookups, three bytes out. An
  // invalid character (table value 64 or more) sets bit 6 of `bad`, checked once per quad.
  const size_t full = pad ? text.size() - 4 : text.size();
  size_t i = 0;
  for (; i < full; i += 4, o += 3) {
    const uint32_t a = kDecode[t[i]], b = kDecode[t[i + 1]], c = kDecode[t[i + 2]],
                   d = kDecode[t[i + 3]];
    if ((a | b | c | d) & 64) {
      for (size_t k = i;; ++k) {
        if (kDecode[t[k]] & 64) {
          return InvalidArgument(t[k] == '='
                                     ? "base64 padding in the middle of the text"
                                     : "invalid base64 character at offset " + std::to_string(k));
        }
      }
    }
    const uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<uint8_t>(v >> 16);
    o[1] = static_cast<uint8_t>(v >> 8);
    o[2] = static_cast<uint8_t>(v);
  }
  if (pad) {  // the last quad: 2 or 3 characters, then '=' padding
    uint32_t v = 0;
    for (size_t k = i; k < i + 4 - pad; ++k) {
      if (kDecode[t[k]] & 64) {
        return InvalidArgument(t[k] == '='
                                   ? "base64 padding in the middle of the text"
                                   : "invalid base64 character at offset " + std::to_string(k));
      }
      v |= kDecode[t[k]] << (18 - 6 * (k - i));
    }
    o[0] = static_cast<uint8_t>(v >> 16);
    if (pad == 1) o[1] = static_cast<uint8_t>(v >> 8);
  }
  return out;
}

}  // namespace ember
