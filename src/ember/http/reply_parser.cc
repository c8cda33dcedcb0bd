#include "ember/http/reply_parser.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace ember::http::internal {

namespace {

constexpr size_t kMaxHead = 1 << 20;

bool IContains(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (IEquals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }

std::string Quoted(std::string_view s) {
  std::string out = "'";
  for (char ch : s.substr(0, 40)) out += (ch >= ' ' && ch < 0x7f) ? ch : '?';
  return out + (s.size() > 40 ? "...'" : "'");
}

}  // namespace

void ReplyParser::Reset(bool head_request) {
  head_request_ = head_request;
  state_ = State::kMore;
  phase_ = Phase::kHead;
  in_.clear();
  pos_ = 0;
  remaining_ = 0;
  keep_alive_ = true;
  extra_ = false;
  received_ = false;
  reply_ = Outcome();
  error_.clear();
}

ReplyParser::State ReplyParser::Feed(std::string_view bytes) {
  if (bytes.empty()) return state_;
  received_ = true;
  if (state_ == State::kDone) {
    extra_ = true;
    return state_;
  }
  if (state_ != State::kMore) return state_;
  in_.append(bytes);
  return Run();
}

ReplyParser::State ReplyParser::Closed() {
  if (state_ != State::kMore) return state_;
  if (phase_ == Phase::kUntilClose) {
    keep_alive_ = false;
    return Done();
  }
  return Fail(received_ ? "the connection closed before the reply was complete"
                        : "Empty reply from server");
}

ReplyParser::State ReplyParser::Fail(std::string why) {
  error_ = std::move(why);
  state_ = State::kError;
  return state_;
}

ReplyParser::State ReplyParser::Done() {
  state_ = State::kDone;
  reply_.kind = Outcome::Kind::kResponse;
  if (pos_ < in_.size()) extra_ = true;
  return state_;
}

void ReplyParser::Compact() {
  if (pos_ == in_.size()) {
    in_.clear();
    pos_ = 0;
  } else if (pos_ > (1 << 16)) {
    in_.erase(0, pos_);
    pos_ = 0;
  }
}

// The status line and headers (without the blank line); false after Fail.
bool ReplyParser::ParseHead(std::string_view head) {
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.substr(0, 7) != "HTTP/1.") {
    Fail("not an HTTP/1.x reply: it starts with " + Quoted(status_line.substr(0, 7)));
    return false;
  }
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !IsDigit(status_line[7]) || status_line[8] != ' ' || !IsDigit(status_line[9]) ||
      !IsDigit(status_line[10]) || !IsDigit(status_line[11]) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    Fail("not an HTTP/1.x reply: " + Quoted(status_line));
    return false;
  }
  const bool http10 = status_line[7] == '0';
  Outcome& o = reply_;
  o.status = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  o.reason = status_line.size() > 13 ? std::string(Trim(status_line.substr(13))) : "";
  o.headers.clear();
  std::optional<int64_t> length;
  bool chunked = false, close = http10, keep = false;
  size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    size_t next = head.find("\r\n", at);
    if (next == std::string_view::npos) next = head.size();
    const std::string_view line = head.substr(at, next - at);
    at = next + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = Trim(line.substr(0, colon)), value = Trim(line.substr(colon + 1));
    o.headers.push_back({std::string(name), std::string(value)});
    if (IEquals(name, "Content-Length")) {
      if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), IsDigit)) {
        Fail("a bad Content-Length: " + Quoted(value));
        return false;
      }
      int64_t v = 0;
      for (char ch : value) v = v * 10 + (ch - '0');
      if (length && *length != v) {
        Fail("two different Content-Lengths");
        return false;
      }
      length = v;
    } else if (IEquals(name, "Transfer-Encoding")) {
      chunked = IContains(value, "chunked");
    } else if (IEquals(name, "Connection")) {
      if (IContains(value, "close")) close = true;
      if (IContains(value, "keep-alive")) keep = true;
    }
  }
  if (o.status >= 100 && o.status < 200 && o.status != 101)
    return true;  // interim: the next head follows
  keep_alive_ = !close || (http10 && keep);
  if (head_request_ || o.status == 204 || o.status == 304) {
    Done();
  } else if (chunked) {
    phase_ = Phase::kChunkSize;
  } else if (length) {
    remaining_ = *length;
    phase_ = Phase::kBody;
    if (remaining_ == 0) {
      Done();
    } else {
      o.body.reserve(static_cast<size_t>(std::min<int64_t>(remaining_, 1 << 24)));
    }
  } else {
    phase_ = Phase::kUntilClose;
    keep_alive_ = false;
  }
  return true;
}

ReplyParser::State ReplyParser::Run() {
  Outcome& o = reply_;
  while (state_ == State::kMore) {
    const std::string_view rest = std::string_view(in_).substr(pos_);
    switch (phase_) {
      case Phase::kHead: {
        const size_t end = rest.find("\r\n\r\n");
        if (end == std::string_view::npos) {
          if (rest.size() > kMaxHead) return Fail("the reply's headers pass 1 MB");
          // Not HTTP at all: say so at once rather than wait for a blank line.
          if (rest.size() >= 7 && rest.substr(0, 7) != "HTTP/1.") {
            return Fail("not an HTTP/1.x reply: it starts with " + Quoted(rest.substr(0, 7)));
          }
          Compact();
          return state_;
        }
        pos_ += end + 4;
        if (!ParseHead(rest.substr(0, end))) return state_;
        continue;
      }
      case Phase::kBody:
      case Phase::kChunkData: {
        const size_t take =
            static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(rest.size())));
        o.body.append(rest.substr(0, take));
        pos_ += take;
        remaining_ -= static_cast<int64_t>(take);
        if (remaining_ > 0) {
          Compact();
          return state_;
        }
        if (phase_ == Phase::kBody) return Done();
        phase_ = Phase::kChunkEnd;
        continue;
      }
      case Phase::kChunkSize: {
        const size_t end = rest.find("\r\n");
        if (end == std::string_view::npos) {
          if (rest.size() > 1024) return Fail("a chunk size line of more than 1 KB");
          Compact();
          return state_;
        }
        std::string_view line = rest.substr(0, end);
        if (const size_t semi = line.find(';'); semi != std::string_view::npos)
          line = line.substr(0, semi);
        line = Trim(line);
        if (line.empty() || line.size() > 15)
          return Fail("a bad chunk size: " + Quoted(rest.substr(0, end)));
        int64_t size = 0;
        for (char ch : line) {
          const int digit = IsDigit(ch)                ? ch - '0'
                            : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
                            : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                                       : -1;
          if (digit < 0) return Fail("a bad chunk size: " + Quoted(rest.substr(0, end)));
          size = size * 16 + digit;
        }
        pos_ += end + 2;
        remaining_ = size;
        phase_ = size == 0 ? Phase::kTrailer : Phase::kChunkData;
        continue;
      }
      case Phase::kChunkEnd: {
        if (!rest.empty() && rest[0] != '\r') return Fail("a chunk not followed by CRLF");
        if (rest.size() < 2) {
          Compact();
          return state_;
        }
        if (rest[1] != '\n') return Fail("a chunk not followed by CRLF");
        pos_ += 2;
        phase_ = Phase::kChunkSize;
        continue;
      }
      case Phase::kTrailer: {
        const size_t end = rest.find("\r\n");
        if (end == std::string_view::npos) {
          if (rest.size() > kMaxHead) return Fail("the reply's trailers pass 1 MB");
          Compact();
          return state_;
        }
        pos_ += end + 2;
        if (end == 0) return Done();
        continue;
      }
      case Phase::kUntilClose: {
        o.body.append(rest);
        pos_ += rest.size();
        Compact();
        return state_;
      }
    }
  }
  return state_;
}

ReplyParser::State ParseWholeReply(std::string_view bytes, bool head_request, size_t piece,
                                   Outcome* reply, std::string* error) {
  ReplyParser p;
  p.Reset(head_request);
  piece = std::max<size_t>(piece, 1);
  for (size_t at = 0; at < bytes.size() && p.state() == ReplyParser::State::kMore; at += piece) {
    p.Feed(bytes.substr(at, piece));
  }
  const ReplyParser::State s = p.Closed();
  *reply = std::move(p.reply());
  *error = p.error();
  return s;
}

}  // namespace ember::http::internal
