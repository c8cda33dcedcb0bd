// Writes a CSV of about the requested size with mixed column types (ints, floats, short
// and quoted strings with embedded commas, booleans, nulls), deterministically from a seed.
// Usage: ember_bench_csv_gen OUT.csv MEGABYTES
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.csv MEGABYTES\n", argv[0]);
    return 2;
  }
  const long long target = std::atoll(argv[2]) * 1000LL * 1000LL;
  std::FILE* f = std::fopen(argv[1], "wb");
  if (!f) {
    std::perror(argv[1]);
    return 1;
  }
  std::mt19937_64 rng(12345);
  const char* cities[] = {"Seattle", "New York", "San Francisco", "Austin", "Boston", "Denver"};
  const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"};
  std::string line;
  long long written = 0, id = 0;
  const char* header = "id,age,income,score,city,comment,active,count\n";
  written += std::fputs(header, f) >= 0 ? 46 : 0;
  while (written < target) {
    line.clear();
    line += std::to_string(id++);
    line += ',';
    if (rng() % 50) line += std::to_string(18 + rng() % 70);  // 2% null
    line += ',';
    line += std::to_string((rng() % 20000000) / 100.0);
    line += ',';
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.6f", (rng() % 1000000) / 1e6);
    line += buf;
    line += ',';
    line += cities[rng() % 6];
    line += ',';
    if (rng() % 4 == 0) {
      line += '"';
      line += words[rng() % 7];
      line += ", ";
      line += words[rng() % 7];
      line += '"';
    } else {
      line += words[rng() % 7];
    }
    line += ',';
    line += (rng() % 2) ? "true" : "false";
    line += ',';
    line += std::to_string(rng() % 1000000);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), f);
    written += static_cast<long long>(line.size());
  }
  std::fclose(f);
  std::printf("%lld bytes, %lld rows\n", written, id);
  return 0;
}
