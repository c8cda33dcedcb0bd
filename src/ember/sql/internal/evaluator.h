// The vectorized evaluator of SqlQuery (internal to sql/; query.cc is its one user): every
// expression node evaluates to a Vec, one value array of its type and one validity array,
// over all rows of the batch. Strings computed on the way live in the batch's Arena.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ember/base/datetime.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/sql/internal/ast.h"
#include "ember/sql/internal/cast.h"
#include "ember/sql/internal/checker.h"
#include "ember/sql/internal/datetime_functions.h"
#include "ember/sql/internal/values.h"
#include "ember/sql/internal/vec.h"

namespace ember::sql::internal {

using Kind = Expr::Kind;
using namespace values;  // NOLINT: the evaluator is built on these conversions

class Evaluator {
 public:
  Evaluator(const Batch& b, Arena& arena)
      : b_(b), arena_(arena), n_(static_cast<size_t>(b.num_rows())) {}

  Vec Eval(const Expr& e) {
    switch (e.kind) {
      case Kind::kColumn:
        return ReadColumn(*b_.column(e.column));
      case Kind::kLiteral:
        return Literal(e);
      case Kind::kUnary:
        return Unary(e);
      case Kind::kBinary:
        return Binary(e);
      case Kind::kIsNull: {
        Vec a = Eval(*e.args[0]);
        Vec r(SqlType::kBool, n_);
        for (size_t k = 0; k < n_; ++k) r.b[k] = (a.valid[k] == 0) != e.negated;
        return r;
      }
      case Kind::kIn:
        return In(e);
      case Kind::kBetween:
        return Between(e);
      case Kind::kCase:
        return Case(e);
      case Kind::kCast:
        return Cast(Eval(*e.args[0]), e.type);
      case Kind::kCall:
        return Call(e);
      case Kind::kIndex:
      case Kind::kField:
        return Navigate(e);
    }
    return Vec(SqlType::kNull, n_);
  }

  // Converts between the checked types: NULL to anything, bigint to double, or any CAST.
  Vec Cast(Vec a, SqlType to) { return CastVec(std::move(a), to, arena_); }

 private:
  Vec ReadColumn(const Column& c) {
    Vec r(ScalarTypeOf(*c.type()), n_);
    for (size_t k = 0; k < n_; ++k) r.valid[k] = c.IsValid(static_cast<int64_t>(k));
    switch (c.type_id()) {
      case TypeId::kBool:
        for (size_t k = 0; k < n_; ++k) r.b[k] = c.BoolValue(static_cast<int64_t>(k));
        break;
      case TypeId::kInt32:
      case TypeId::kDate:
        std::copy_n(c.Values<int32_t>(), n_, r.i.begin());
        break;
      case TypeId::kInt64:
      case TypeId::kTimestamp:
        std::copy_n(c.Values<int64_t>(), n_, r.i.begin());
        break;
      case TypeId::kFloat32:
        std::copy_n(c.Values<float>(), n_, r.d.begin());
        break;
      case TypeId::kFloat64:
        std::copy_n(c.Values<double>(), n_, r.d.begin());
        break;
      case TypeId::kString:
        for (size_t k = 0; k < n_; ++k) {
          if (r.valid[k]) r.s[k] = c.StringValue(static_cast<int64_t>(k));
        }
        break;
      default:
        break;  // opaque: only its validity is used (IS NULL)
    }
    return r;
  }

  Vec Literal(const Expr& e) {
    Vec r(e.lit_type, n_);
    switch (e.lit_type) {
      case SqlType::kNull:
        std::fill(r.valid.begin(), r.valid.end(), 0);
        break;
      case SqlType::kBool:
        std::fill(r.b.begin(), r.b.end(), e.lit_bool);
        break;
      case SqlType::kInt:
      case SqlType::kDate:
      case SqlType::kTimestamp:
        std::fill(r.i.begin(), r.i.end(), e.lit_int);
        break;
      case SqlType::kDouble:
        std::fill(r.d.begin(), r.d.end(), e.lit_double);
        break;
      case SqlType::kString:
        std::fill(r.s.begin(), r.s.end(), std::string_view(e.lit_string));
        break;
      default:
        break;
    }
    return r;
  }

  Vec Unary(const Expr& e) {
    Vec a = Cast(Eval(*e.args[0]), e.type);
    if (e.op == "NOT") {
      for (size_t k = 0; k < n_; ++k) a.b[k] = !a.b[k];
    } else if (a.type == SqlType::kInt) {
      for (size_t k = 0; k < n_; ++k)
        a.i[k] = static_cast<int64_t>(0ULL - static_cast<uint64_t>(a.i[k]));
    } else {
      for (size_t k = 0; k < n_; ++k) a.d[k] = -a.d[k];
    }
    return a;
  }

  static Vec And(Vec a, const Vec& b, bool is_and) {
    // AND: false wins, then NULL; OR: true wins, then NULL.
    for (size_t k = 0; k < a.size(); ++k) {
      const bool a_decides = a.valid[k] && a.b[k] != is_and;
      const bool b_decides = b.valid[k] && b.b[k] != is_and;
      if (a_decides || b_decides) {
        a.valid[k] = 1;
        a.b[k] = !is_and;
      } else {
        a.valid[k] = a.valid[k] && b.valid[k];
        a.b[k] = is_and;
      }
    }
    return a;
  }

  // Three-way comparison of a[k] and b[k] (same type, both valid).
  template <typename F>
  static void Compare(const Vec& a, const Vec& b, F&& f) {
    auto run = [&](const auto& x, const auto& y) {
      for (size_t k = 0; k < a.size(); ++k) {
        if (a.valid[k] && b.valid[k]) f(k, x[k] < y[k] ? -1 : (y[k] < x[k] ? 1 : 0));
      }
    };
    switch (a.type) {
      case SqlType::kBool:
        run(a.b, b.b);
        break;
      case SqlType::kInt:
      case SqlType::kDate:
      case SqlType::kTimestamp:
        run(a.i, b.i);
        break;
      case SqlType::kDouble:
        run(a.d, b.d);
        break;
      case SqlType::kString:
        run(a.s, b.s);
        break;
      default:
        break;
    }
  }

  Vec CompareOp(Vec a, Vec b, std::string_view op) {
    const SqlType u = ComparisonType(a.type, b.type);
    const SqlType t = u == SqlType::kNull ? SqlType::kInt : u;
    a = Cast(std::move(a), t);
    b = Cast(std::move(b), t);
    Vec r(SqlType::kBool, n_);
    for (size_t k = 0; k < n_; ++k) r.valid[k] = a.valid[k] && b.valid[k];
    int code = op == "=" ? 0 : op == "<>" ? 1 : op == "<" ? 2 : op == "<=" ? 3 : op == ">" ? 4 : 5;
    Compare(a, b, [&](size_t k, int c) {
      switch (code) {
        case 0:
          r.b[k] = c == 0;
          break;
        case 1:
          r.b[k] = c != 0;
          break;
        case 2:
          r.b[k] = c < 0;
          break;
        case 3:
          r.b[k] = c <= 0;
          break;
        case 4:
          r.b[k] = c > 0;
          break;
        default:
          r.b[k] = c >= 0;
          break;
      }
    });
    return r;
  }

  Vec Binary(const Expr& e) {
    const std::string& op = e.op;
    if (op == "AND" || op == "OR") {
      return And(Cast(Eval(*e.args[0]), SqlType::kBool), Cast(Eval(*e.args[1]), SqlType::kBool),
                 op == "AND");
    }
    if (op == "||") return Concat({Eval(*e.args[0]), Eval(*e.args[1])});
    if (e.type == SqlType::kDate) {  // date + n, n + date, date - n
      const bool date_first = e.args[0]->type == SqlType::kDate;
      Vec d = Cast(Eval(*e.args[date_first ? 0 : 1]), SqlType::kDate);
      Vec by = Cast(Eval(*e.args[date_first ? 1 : 0]), SqlType::kInt);
      for (size_t k = 0; k < n_; ++k) {
        d.valid[k] = d.valid[k] && by.valid[k] && std::llabs(by.i[k]) < (int64_t{1} << 32);
        if (!d.valid[k]) continue;
        d.i[k] = op == "-" ? d.i[k] - by.i[k] : d.i[k] + by.i[k];
        d.valid[k] = datetime::DateInRange(d.i[k]);
      }
      return d;
    }
    if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
      const SqlType t = op == "/" ? SqlType::kDouble : e.type;
      Vec a = Cast(Eval(*e.args[0]), t);
      Vec b = Cast(Eval(*e.args[1]), t);
      for (size_t k = 0; k < n_; ++k) a.valid[k] = a.valid[k] && b.valid[k];
      const char o = op[0];
      if (t == SqlType::kInt) {
        for (size_t k = 0; k < n_; ++k) {
          const uint64_t x = static_cast<uint64_t>(a.i[k]), y = static_cast<uint64_t>(b.i[k]);
          switch (o) {  // wraps on overflow, as Spark
            case '+':
              a.i[k] = static_cast<int64_t>(x + y);
              break;
            case '-':
              a.i[k] = static_cast<int64_t>(x - y);
              break;
            case '*':
              a.i[k] = static_cast<int64_t>(x * y);
              break;
            default:
              if (b.i[k] == 0) {
                a.valid[k] = 0;
              } else {
                a.i[k] = b.i[k] == -1 ? 0 : a.i[k] % b.i[k];
              }
          }
        }
      } else {
        for (size_t k = 0; k < n_; ++k) {
          const double x = a.d[k], y = b.d[k];
          switch (o) {
            case '+':
              a.d[k] = x + y;
              break;
            case '-':
              a.d[k] = x - y;
              break;
            case '*':
              a.d[k] = x * y;
              break;
            case '/':
              if (y == 0)
                a.valid[k] = 0;
              else
                a.d[k] = x / y;
              break;
            default:
              if (y == 0)
                a.valid[k] = 0;
              else
                a.d[k] = std::fmod(x, y);
          }
        }
      }
      return a;
    }
    return CompareOp(Eval(*e.args[0]), Eval(*e.args[1]), op);
  }

  Vec In(const Expr& e) {
    Vec x = Eval(*e.args[0]);
    Vec r(SqlType::kBool, n_);
    std::vector<uint8_t> saw_null(n_, 0);
    std::fill(r.b.begin(), r.b.end(), 0);
    for (size_t a = 1; a < e.args.size(); ++a) {
      Vec eq = CompareOp(x, Eval(*e.args[a]), "=");
      for (size_t k = 0; k < n_; ++k) {
        if (!eq.valid[k])
          saw_null[k] = 1;
        else if (eq.b[k])
          r.b[k] = 1;
      }
    }
    for (size_t k = 0; k < n_; ++k) {
      r.valid[k] = r.b[k] || !saw_null[k];
      if (e.negated) r.b[k] = !r.b[k];
    }
    return r;
  }

  Vec Between(const Expr& e) {
    Vec x = Eval(*e.args[0]);
    Vec r = And(CompareOp(x, Eval(*e.args[1]), ">="), CompareOp(x, Eval(*e.args[2]), "<="), true);
    if (e.negated) {
      for (size_t k = 0; k < n_; ++k) r.b[k] = !r.b[k];
    }
    return r;
  }

  // Copies row k of `from` into row k of `to` (same type).
  static void Assign(Vec& to, const Vec& from, size_t k) {
    to.valid[k] = from.valid[k];
    switch (to.type) {
      case SqlType::kBool:
        to.b[k] = from.b[k];
        break;
      case SqlType::kInt:
      case SqlType::kDate:
      case SqlType::kTimestamp:
        to.i[k] = from.i[k];
        break;
      case SqlType::kDouble:
        to.d[k] = from.d[k];
        break;
      case SqlType::kString:
        to.s[k] = from.s[k];
        break;
      default:
        break;
    }
  }

  Vec Case(const Expr& e) {
    Vec r(e.type, n_);
    std::fill(r.valid.begin(), r.valid.end(), 0);
    std::vector<uint8_t> done(n_, 0);
    size_t k = 0;
    Vec operand;
    if (e.has_operand) operand = Eval(*e.args[k++]);
    const size_t end = e.args.size() - (e.has_else ? 1 : 0);
    for (; k + 1 < end; k += 2) {
      Vec cond = e.has_operand ? CompareOp(operand, Eval(*e.args[k]), "=")
                               : Cast(Eval(*e.args[k]), SqlType::kBool);
      Vec then = Cast(Eval(*e.args[k + 1]), e.type);
      for (size_t row = 0; row < n_; ++row) {
        if (done[row] || !cond.valid[row] || !cond.b[row]) continue;
        done[row] = 1;
        Assign(r, then, row);
      }
    }
    if (e.has_else) {
      Vec other = Cast(Eval(*e.args.back()), e.type);
      for (size_t row = 0; row < n_; ++row) {
        if (!done[row]) Assign(r, other, row);
      }
    }
    return r;
  }

  Vec Concat(std::vector<Vec> parts) {
    Vec r(SqlType::kString, n_);
    for (auto& p : parts) p = Cast(std::move(p), SqlType::kString);
    std::string buf;
    for (size_t k = 0; k < n_; ++k) {
      buf.clear();
      for (const auto& p : parts) {
        if (!p.valid[k]) {
          r.valid[k] = 0;
          break;
        }
        buf.append(p.s[k]);
      }
      if (r.valid[k]) r.s[k] = arena_.Keep(buf);
    }
    return r;
  }

  // Applies a double -> double function; NaN results (out of the domain) become NULL.
  template <typename F>
  Vec MathD(const Expr& e, F&& f) {
    Vec a = Cast(Eval(*e.args[0]), SqlType::kDouble);
    for (size_t k = 0; k < n_; ++k) {
      if (!a.valid[k]) continue;
      a.d[k] = f(a.d[k]);
      if (std::isnan(a.d[k])) a.valid[k] = 0;
    }
    return a;
  }

  // SQL LIKE: '%' any run of characters, '_' one character (a UTF-8 code point), '\\'
  // escapes the next; case-sensitive, as Spark.
  static bool Like(std::string_view s, std::string_view p) {
    size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
    auto char_len = [](std::string_view t, size_t at) -> size_t {
      const auto c = static_cast<unsigned char>(t[at]);
      const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      return std::min(n, t.size() - at);
    };
    while (si < s.size()) {
      if (pi < p.size() && p[pi] == '%') {
        star_p = ++pi;
        star_s = si;
        continue;
      }
      if (pi < p.size()) {
        const bool escaped = p[pi] == '\\' && pi + 1 < p.size();
        const size_t at = escaped ? pi + 1 : pi;
        const size_t pl = char_len(p, at), sl = char_len(s, si);
        if ((!escaped && p[pi] == '_') || (pl == sl && s.compare(si, sl, p.substr(at, pl)) == 0)) {
          si += sl;
          pi = at + pl;
          continue;
        }
      }
      if (star_p == std::string_view::npos) return false;
      pi = star_p;  // let the last % take one more character
      star_s += char_len(s, star_s);
      si = star_s;
    }
    while (pi < p.size() && p[pi] == '%') ++pi;
    return pi == p.size();
  }

  const std::regex& Regex(std::string_view pattern) {
    auto it = regexes_.find(std::string(pattern));
    if (it == regexes_.end()) {
      std::regex re;
      try {
        re = std::regex(std::string(pattern));
      } catch (const std::regex_error&) {
        re = std::regex("(?!)");  // a pattern from a column that does not compile matches nothing
      }
      it = regexes_.emplace(std::string(pattern), std::move(re)).first;
    }
    return it->second;
  }

  Vec Call(const Expr& e) {
    const std::string& f = e.name;
    if (IsDateFunction(f)) {
      std::vector<Vec> args;
      for (const auto& a : e.args) args.push_back(Eval(*a));
      return EvalDateCall(
          e, std::move(args), [this](Vec v, SqlType t) { return Cast(std::move(v), t); }, arena_,
          n_);
    }
    if (f == "if" || f == "iif") {
      Vec cond = Cast(Eval(*e.args[0]), SqlType::kBool);
      Vec r = Cast(Eval(*e.args[1]), e.type);
      Vec other = Cast(Eval(*e.args[2]), e.type);
      for (size_t k = 0; k < n_; ++k) {
        if (!(cond.valid[k] && cond.b[k])) Assign(r, other, k);  // NULL takes the else branch
      }
      return r;
    }
    if (f == "greatest" || f == "least") {
      // Nulls are skipped (Spark); NULL only when every argument is.
      const bool most = f == "greatest";
      Vec r = Cast(Eval(*e.args[0]), e.type);
      for (size_t a = 1; a < e.args.size(); ++a) {
        Vec next = Cast(Eval(*e.args[a]), e.type);
        for (size_t k = 0; k < n_; ++k) {
          if (!next.valid[k]) continue;
          bool take = !r.valid[k];
          if (!take && (e.type == SqlType::kInt || IsTemporal(e.type)))
            take = most ? next.i[k] > r.i[k] : next.i[k] < r.i[k];
          if (!take && e.type == SqlType::kDouble)
            take = most ? next.d[k] > r.d[k] : next.d[k] < r.d[k];
          if (!take && e.type == SqlType::kString)
            take = most ? next.s[k] > r.s[k] : next.s[k] < r.s[k];
          if (take) Assign(r, next, k);
        }
      }
      return r;
    }
    if (f == "like") {
      Vec a = Cast(Eval(*e.args[0]), SqlType::kString);
      Vec p = Cast(Eval(*e.args[1]), SqlType::kString);
      Vec r(SqlType::kBool, n_);
      for (size_t k = 0; k < n_; ++k) {
        r.valid[k] = a.valid[k] && p.valid[k];
        r.b[k] = r.valid[k] && Like(a.s[k], p.s[k]);
      }
      return r;
    }
    if (f == "replace" || f == "regexp_replace" || f == "regexp_extract") {
      Vec a = Cast(Eval(*e.args[0]), SqlType::kString);
      Vec b = Cast(Eval(*e.args[1]), SqlType::kString);
      Vec c;
      if (e.args.size() > 2) {
        c = Cast(Eval(*e.args[2]), f == "regexp_extract" ? SqlType::kInt : SqlType::kString);
      }
      for (size_t k = 0; k < n_; ++k) {
        a.valid[k] = a.valid[k] && b.valid[k] && (e.args.size() < 3 || c.valid[k]);
        if (!a.valid[k]) continue;
        if (f == "replace") {
          // Every occurrence of b by c (default ''); an empty b leaves the string as it is.
          if (b.s[k].empty()) continue;
          const std::string_view with = e.args.size() > 2 ? c.s[k] : std::string_view();
          std::string out;
          size_t at = 0;
          for (size_t hit; (hit = a.s[k].find(b.s[k], at)) != std::string_view::npos;
               at = hit + b.s[k].size()) {
            out.append(a.s[k].substr(at, hit - at));
            out.append(with);
          }
          out.append(a.s[k].substr(at));
          a.s[k] = arena_.Keep(std::move(out));
        } else if (f == "regexp_replace") {
          const std::string in(a.s[k]);
          a.s[k] = arena_.Keep(std::regex_replace(in, Regex(b.s[k]), std::string(c.s[k])));
        } else {
          // The group (default 1) of the first match; '' when nothing matches (Spark), NULL
          // for a group the pattern does not have.
          const std::string in(a.s[k]);
          std::smatch m;
          const int64_t group = e.args.size() > 2 ? c.i[k] : 1;
          if (!std::regex_search(in, m, Regex(b.s[k]))) {
            a.s[k] = std::string_view();
          } else if (group < 0 || static_cast<size_t>(group) >= m.size()) {
            a.valid[k] = 0;
          } else {
            a.s[k] = arena_.Keep(m[static_cast<size_t>(group)].str());
          }
        }
      }
      return a;
    }
    if (f == "coalesce" || f == "nvl" || f == "ifnull") {
      Vec r = Cast(Eval(*e.args[0]), e.type);
      for (size_t a = 1; a < e.args.size(); ++a) {
        Vec next = Cast(Eval(*e.args[a]), e.type);
        for (size_t k = 0; k < n_; ++k) {
          if (!r.valid[k]) Assign(r, next, k);
        }
      }
      return r;
    }
    if (f == "concat") {
      std::vector<Vec> parts;
      for (const auto& a : e.args) parts.push_back(Eval(*a));
      return Concat(std::move(parts));
    }
    if (f == "lower" || f == "upper" || f == "trim" || f == "ltrim" || f == "rtrim") {
      Vec a = Cast(Eval(*e.args[0]), SqlType::kString);
      for (size_t k = 0; k < n_; ++k) {
        if (!a.valid[k]) continue;
        if (f == "lower" || f == "upper") {
          std::string v(a.s[k]);
          for (char& c : v) {
            if (f == "lower" && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (f == "upper" && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
          }
          a.s[k] = arena_.Keep(std::move(v));
        } else {
          a.s[k] = TrimSpaces(a.s[k], f != "rtrim", f != "ltrim");
        }
      }
      return a;
    }
    if (f == "length") {
      Vec a = Cast(Eval(*e.args[0]), SqlType::kString);
      Vec r(SqlType::kInt, n_);
      r.valid = a.valid;
      for (size_t k = 0; k < n_; ++k) r.i[k] = a.valid[k] ? CountChars(a.s[k]) : 0;
      return r;
    }
    if (f == "substr" || f == "substring") {
      Vec a = Cast(Eval(*e.args[0]), SqlType::kString);
      Vec pos = Cast(Eval(*e.args[1]), SqlType::kInt);
      Vec len;
      if (e.args.size() > 2) len = Cast(Eval(*e.args[2]), SqlType::kInt);
      for (size_t k = 0; k < n_; ++k) {
        a.valid[k] = a.valid[k] && pos.valid[k] && (e.args.size() < 3 || len.valid[k]);
        if (!a.valid[k]) continue;
        // Spark's substringSQL: 1-based; negative counts from the end; 0 acts as 1.
        const int64_t chars = CountChars(a.s[k]);
        const int64_t p = pos.i[k];
        int64_t start = p > 0 ? p - 1 : (p < 0 ? chars + p : 0);
        constexpr int64_t kHuge =
            int64_t{1} << 62;  // start is within [-2^63, 2^63); clamp so sums cannot overflow
        const int64_t l = e.args.size() > 2 ? std::clamp(len.i[k], -kHuge, kHuge) : kHuge;
        start = std::clamp(start, -kHuge, kHuge);
        const int64_t end = start + l;
        start = std::max<int64_t>(start, 0);
        a.s[k] = start >= end ? std::string_view() : Utf8Substring(a.s[k], start, end);
      }
      return a;
    }
    // Numeric.
    if (f == "abs") {
      Vec a = Cast(Eval(*e.args[0]), e.type);
      for (size_t k = 0; k < n_; ++k) {
        if (a.type == SqlType::kInt) {
          a.i[k] = a.i[k] < 0 ? static_cast<int64_t>(0ULL - static_cast<uint64_t>(a.i[k])) : a.i[k];
        } else {
          a.d[k] = std::fabs(a.d[k]);
        }
      }
      return a;
    }
    if (f == "floor" || f == "ceil" || f == "ceiling") {
      Vec a = Eval(*e.args[0]);
      if (a.type != SqlType::kDouble) return Cast(std::move(a), SqlType::kInt);
      Vec r(SqlType::kInt, n_);
      r.valid = a.valid;
      for (size_t k = 0; k < n_; ++k) {
        if (r.valid[k])
          r.valid[k] = DoubleToInt(f == "floor" ? std::floor(a.d[k]) : std::ceil(a.d[k]), &r.i[k]);
      }
      return r;
    }
    if (f == "round") return Round(e);
    if (f == "sqrt") return MathD(e, [](double x) { return x < 0 ? NAN : std::sqrt(x); });
    if (f == "exp") return MathD(e, [](double x) { return std::exp(x); });
    if (f == "ln" || (f == "log" && e.args.size() == 1)) {
      return MathD(e, [](double x) { return x <= 0 ? NAN : std::log(x); });
    }
    if (f == "log10") return MathD(e, [](double x) { return x <= 0 ? NAN : std::log10(x); });
    // Two-argument: pow(x, y), log(base, x).
    Vec a = Cast(Eval(*e.args[0]), SqlType::kDouble);
    Vec b = Cast(Eval(*e.args[1]), SqlType::kDouble);
    for (size_t k = 0; k < n_; ++k) {
      a.valid[k] = a.valid[k] && b.valid[k];
      if (!a.valid[k]) continue;
      if (f == "log") {
        a.d[k] = (a.d[k] <= 0 || b.d[k] <= 0) ? NAN : std::log(b.d[k]) / std::log(a.d[k]);
      } else {
        a.d[k] = std::pow(a.d[k], b.d[k]);
      }
      if (std::isnan(a.d[k])) a.valid[k] = 0;
    }
    return a;
  }

  // round(x[, d]): half away from zero, as Spark's HALF_UP.
  Vec Round(const Expr& e) {
    const int64_t d = e.args.size() > 1 ? e.args[1]->lit_int : 0;
    Vec a = Cast(Eval(*e.args[0]), e.type);
    if (a.type == SqlType::kInt) {
      if (d >= 0) return a;
      if (d < -18) {
        std::fill(a.i.begin(), a.i.end(), 0);
        return a;
      }
      int64_t p = 1;
      for (int64_t k = 0; k < -d; ++k) p *= 10;
      for (size_t k = 0; k < n_; ++k) {
        const int64_t q = a.i[k] / p, rem = a.i[k] % p;
        int64_t out = q;
        if (rem >= 0 ? 2 * rem >= p : -2 * rem >= p) out += rem >= 0 ? 1 : -1;
        a.i[k] = static_cast<int64_t>(static_cast<uint64_t>(out) * static_cast<uint64_t>(p));
      }
      return a;
    }
    const double p = std::pow(10.0, static_cast<double>(std::llabs(d)));
    for (size_t k = 0; k < n_; ++k) {
      const double x = a.d[k];
      if (!std::isfinite(x)) continue;
      if (d >= 0) {
        const double y = x * p;
        if (std::isfinite(y) && std::fabs(y) < 4503599627370496.0) a.d[k] = std::round(y) / p;
      } else {
        a.d[k] = std::round(x / p) * p;
      }
    }
    return a;
  }

  // A field or element of a column, row by row: `e` is a chain of kField and kIndex over a
  // kColumn, ending in a scalar (the checker saw to it).
  Vec Navigate(const Expr& e) {
    std::unordered_map<const Expr*, Vec> indexes;  // each [i]'s index, for every row
    for (const Expr* x = &e; x->kind != Kind::kColumn; x = x->args[0].get()) {
      if (x->kind == Kind::kIndex) indexes.emplace(x, Cast(Eval(*x->args[1]), SqlType::kInt));
    }
    const bool vector_slot =
        e.kind == Kind::kIndex && e.args[0]->data_type->id() == TypeId::kVector;
    Vec r(e.type, n_);
    for (size_t k = 0; k < n_; ++k) {
      r.valid[k] = 0;
      const Column* c = nullptr;
      int64_t row = 0;
      if (!Locate(vector_slot ? *e.args[0] : e, k, indexes, &c, &row)) continue;
      if (vector_slot) {
        const Vec& ix = indexes.at(&e);
        if (!ix.valid[k] || ix.i[k] < 0 || ix.i[k] >= c->type()->vector_size()) continue;
        const int64_t at = ix.i[k];
        if (c->type()->sparse()) {
          auto idx = c->SparseIndices(row);
          auto it = std::lower_bound(idx.begin(), idx.end(), at);
          r.d[k] = (it != idx.end() && *it == at) ? c->SparseValues(row)[it - idx.begin()] : 0.0;
        } else {
          r.d[k] = c->DenseRow(row)[at];
        }
        r.valid[k] = 1;
        continue;
      }
      r.valid[k] = 1;
      switch (c->type_id()) {
        case TypeId::kBool:
          r.b[k] = c->BoolValue(row);
          break;
        case TypeId::kInt32:
        case TypeId::kDate:
          r.i[k] = c->Values<int32_t>()[row];
          break;
        case TypeId::kInt64:
        case TypeId::kTimestamp:
          r.i[k] = c->Values<int64_t>()[row];
          break;
        case TypeId::kFloat32:
          r.d[k] = c->Values<float>()[row];
          break;
        case TypeId::kFloat64:
          r.d[k] = c->Values<double>()[row];
          break;
        case TypeId::kString:
          r.s[k] = c->StringValue(row);
          break;
        default:
          r.valid[k] = 0;
      }
    }
    return r;
  }

  // Where `e` (a column, or a field or element of one) is in row k: its column and its row
  // there; false when it is null or out of range on the way.
  bool Locate(const Expr& e, size_t k, const std::unordered_map<const Expr*, Vec>& indexes,
              const Column** c, int64_t* row) {
    if (e.kind == Kind::kColumn) {
      *c = b_.column(e.column).get();
      *row = static_cast<int64_t>(k);
      return (*c)->IsValid(*row);
    }
    const Column* base = nullptr;
    int64_t at = 0;
    if (!Locate(*e.args[0], k, indexes, &base, &at)) return false;
    if (e.kind == Kind::kField) {  // a struct's children line up with it, past its offset
      *c = base->child(e.field).get();
      *row = base->offset() + at;
      return (*c)->IsValid(*row);
    }
    const Vec& ix = indexes.at(&e);
    if (!ix.valid[k] || ix.i[k] < 0) return false;
    const int32_t* off = base->Offsets();
    if (ix.i[k] >= off[at + 1] - off[at]) return false;
    *c = base->child(0).get();
    *row = off[at] + ix.i[k];
    return (*c)->IsValid(*row);
  }

  const Batch& b_;
  Arena& arena_;
  size_t n_;
  std::unordered_map<std::string, std::regex> regexes_;  // compiled once per pattern
};

}  // namespace ember::sql::internal
