// Fuzzes the JSON Lines reader and the Json value parser: no crash, no hang, and JSON that
// parses must print and parse back to the same value.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ember/base/json.h"
#include "ember/io/json_lines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static ember::ThreadPool pool(2);
  ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  ctx.log = nullptr;
  ember::JsonReadOptions o;
  o.bad_rows = ember::BadRowPolicy::kKeep;
  o.block_size = 64;
  (void)ember::ParseJsonLines(ctx, text, "fuzz.jsonl", o);
  auto j = ember::Json::Parse(text);
  if (j.ok()) {
    auto again = ember::Json::Parse(j->Dump());
    if (!again.ok() || !(*again == *j)) std::abort();
  }
  return 0;
}
