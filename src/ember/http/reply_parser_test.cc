// The native client's reply parser on its own: every framing fed whole and one byte at a
// time gives the same reply, and bad replies fail saying what was wrong.
#include "ember/http/reply_parser.h"

#include <gtest/gtest.h>

namespace ember::http::internal {
namespace {

using State = ReplyParser::State;

struct Parsed {
  State state;
  Outcome reply;
  std::string error;
};

Parsed Parse(std::string_view bytes, bool head, size_t piece) {
  Parsed p;
  p.state = ParseWholeReply(bytes, head, piece, &p.reply, &p.error);
  return p;
}

TEST(ReplyParserTest, EveryFramingGivesTheSameReplyWhateverThePieces) {
  struct Case {
    std::string bytes;
    bool head;
    int status;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false, 200, "hello"},
      {"HTTP/1.1 200 OK\r\ncontent-length:  0 \r\n\r\n", false, 200, ""},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
       "chunked\r\n\r\n3\r\nabc\r\n10;x=\"y\"\r\n0123456789abcdef\r\n0\r\n"
       "X-Trailer: 1\r\n\r\n",
       false, 200, "abc0123456789abcdef"},
      {"HTTP/1.0 404 Not Found\r\n\r\nuntil the end", false, 404, "until the end"},
      {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 202 "
       "Accepted\r\nContent-Length: 1\r\n\r\nk",
       false, 202, "k"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true, 200, ""},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", false, 304, ""},
      {"HTTP/1.1 500\r\nContent-Length: 2\r\n\r\nno", false, 500, "no"},
  };
  for (const Case& c : cases) {
    for (size_t piece : {c.bytes.size(), size_t{1}, size_t{7}}) {
      const Parsed p = Parse(c.bytes, c.head, piece);
      ASSERT_EQ(p.state, State::kDone) << c.bytes << " in pieces of " << piece << ": " << p.error;
      EXPECT_EQ(p.reply.status, c.status) << c.bytes;
      EXPECT_EQ(p.reply.body, c.body) << c.bytes;
    }
  }
  const Parsed p = Parse(cases[2].bytes, false, 1);
  ASSERT_EQ(p.reply.headers.size(), 1u);  // the trailer is not a header
  EXPECT_EQ(p.reply.headers[0].name, "Transfer-Encoding");
  EXPECT_EQ(p.reply.reason, "OK");
}

TEST(ReplyParserTest, KeepAliveFollowsTheVersionTheConnectionHeaderAndExtraBytes) {
  auto keep = [](std::string_view bytes) {
    ReplyParser p;
    p.Reset(false);
    EXPECT_EQ(p.Feed(bytes), State::kDone) << bytes;
    return p.keep_alive();
  };
  EXPECT_TRUE(keep("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keep("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(
      keep("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK"));  // more than asked for
}

TEST(ReplyParserTest, BadRepliesFailSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SSH-2.0-OpenSSH_9.2\r\n", "not an HTTP/1.x reply: it starts with 'SSH-2.0'"},
      {"HTTP/2 200\r\n\r\n", "not an HTTP/1.x reply: it starts with 'HTTP/2 '"},
      {"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x reply: 'HTTP/1.1 2000 OK'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "a bad Content-Length: '-1'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
       "a bad Content-Length: '99999999999999999999'"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       "two different Content-Lengths"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "a bad chunk size: 'zz'"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX",
       "a chunk not followed by CRLF"},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
       "the connection closed before the reply was complete"},
      {"", "Empty reply from server"},
      {"HTTP/1.1 200 OK\r\nX: " + std::string(1 << 20, 'a'), "the reply's headers pass 1 MB"},
  };
  for (const auto& [bytes, why] : cases) {
    for (size_t piece : {bytes.size() + 1, size_t{3}}) {
      const Parsed p = Parse(bytes, false, piece);
      EXPECT_EQ(p.state, State::kError) << bytes.substr(0, 60);
      EXPECT_EQ(p.error, why) << bytes.substr(0, 60);
    }
  }
}

}  // namespace
}  // namespace ember::http::internal
