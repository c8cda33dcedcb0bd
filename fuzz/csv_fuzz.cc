// Fuzzes the CSV reader: any bytes must give a frame or an error, never a crash; and the
// result must not depend on how the input is cut into blocks.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ember/core/ops.h"
#include "ember/io/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the options; the rest is the file.
  const uint8_t mode = data[0];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  ember::CsvReadOptions whole;
  whole.header = mode & 1;
  whole.bad_rows = (mode & 2) ? ember::BadRowPolicy::kKeep : ember::BadRowPolicy::kSkip;
  whole.delimiter = (mode & 4) ? ';' : ',';
  whole.whitespace_delimited = (mode & 0x80) != 0;  // runs of spaces and tabs
  whole.block_size = 1 << 30;
  static ember::ThreadPool pool(2);
  ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  ctx.log = nullptr;
  auto a = ember::ParseCsv(ctx, text, "fuzz.csv", whole);
  ember::CsvReadOptions split = whole;
  split.block_size = 1 + (mode >> 3);
  auto b = ember::ParseCsv(ctx, text, "fuzz.csv", split);
  if (a.ok() != b.ok()) std::abort();
  if (a.ok() && !ember::DescribeDifference(a->frame, b->frame).empty()) std::abort();
  return 0;
}
