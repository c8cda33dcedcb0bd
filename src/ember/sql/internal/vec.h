// One expression's values over the rows of a batch (internal to sql/): a value array of its
// type and a validity array. Dates and timestamps live in `i` (days; microseconds).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "ember/sql/internal/ast.h"

namespace ember::sql::internal {

struct Vec {
  SqlType type = SqlType::kNull;
  std::vector<uint8_t> valid;  // 1: a value; 0: NULL
  std::vector<uint8_t> b;
  std::vector<int64_t> i;
  std::vector<double> d;
  std::vector<std::string_view> s;

  Vec() = default;
  Vec(SqlType t, size_t n) : type(t), valid(n, 1) { Resize(n); }
  void Resize(size_t n) {
    switch (type) {
      case SqlType::kBool:
        b.resize(n);
        break;
      case SqlType::kInt:
      case SqlType::kDate:
      case SqlType::kTimestamp:
        i.resize(n);
        break;
      case SqlType::kDouble:
        d.resize(n);
        break;
      case SqlType::kString:
        s.resize(n);
        break;
      default:
        break;
    }
  }
  size_t size() const { return valid.size(); }
};

// Owns the strings computed while evaluating one batch (Vec holds views of them).
struct Arena {
  std::deque<std::string> strings;
  std::string_view Keep(std::string v) { return strings.emplace_back(std::move(v)); }
};

}  // namespace ember::sql::internal
