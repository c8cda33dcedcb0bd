// SQL's CAST over a Vec: see internal/cast.h.
#include "ember/sql/internal/cast.h"

#include <cmath>
#include <string>

#include "ember/base/datetime.h"
#include "ember/sql/internal/checker.h"
#include "ember/sql/internal/values.h"

namespace ember::sql::internal {

using namespace values;  // NOLINT: casts are these conversions

namespace {

// Casts to or from a date or timestamp (the checker allowed it: see Castable); `r` has the
// target type and a's validity.
Vec CastTemporal(const Vec& a, Vec r, Arena& arena) {
  const size_t n = r.size();  // a's validity moved to r
  namespace dt = datetime;
  for (size_t k = 0; k < n; ++k) {
    if (!r.valid[k]) continue;
    const int64_t v = a.i.empty() ? 0 : a.i[k];
    bool ok = true;
    switch (r.type) {
      case SqlType::kDate:
        if (a.type == SqlType::kString) {
          int32_t days = 0;
          ok = dt::ParseDate(a.s[k], &days);
          r.i[k] = days;
        } else {  // a timestamp
          r.i[k] = dt::FloorDiv(v, dt::kMicrosPerDay);
        }
        break;
      case SqlType::kTimestamp:
        if (a.type == SqlType::kString) {
          ok = dt::ParseTimestamp(a.s[k], &r.i[k]);
        } else if (a.type == SqlType::kDate) {
          r.i[k] = v * dt::kMicrosPerDay;
        } else {  // seconds since 1970, as Spark
          const double secs = a.type == SqlType::kDouble ? a.d[k]
                              : a.type == SqlType::kBool ? a.b[k]
                                                         : static_cast<double>(v);
          ok = std::fabs(secs) < 1e12;
          if (ok) r.i[k] = static_cast<int64_t>(std::llround(secs * 1e6));
          ok = ok && dt::TimestampInRange(r.i[k]);
        }
        break;
      case SqlType::kString:
        r.s[k] = arena.Keep(a.type == SqlType::kDate ? dt::FormatDate(v) : dt::FormatTimestamp(v));
        break;
      case SqlType::kInt:  // a timestamp's whole seconds
        r.i[k] = dt::FloorDiv(v, dt::kMicrosPerSecond);
        break;
      case SqlType::kDouble:
        r.d[k] = static_cast<double>(v) / static_cast<double>(dt::kMicrosPerSecond);
        break;
      default:
        ok = false;
    }
    r.valid[k] = ok;
  }
  return r;
}

}  // namespace

Vec CastVec(Vec a, SqlType to, Arena& arena) {
  const size_t n = a.size();
  if (a.type == to || to == SqlType::kNull) return a;
  Vec r(to, n);
  r.valid = std::move(a.valid);
  if (a.type == SqlType::kNull) return r;
  if (IsTemporal(to) || IsTemporal(a.type)) return CastTemporal(a, std::move(r), arena);
  for (size_t k = 0; k < n; ++k) {
    if (!r.valid[k]) continue;
    switch (to) {
      case SqlType::kBool:
        switch (a.type) {
          case SqlType::kInt:
            r.b[k] = a.i[k] != 0;
            break;
          case SqlType::kDouble:
            r.b[k] = a.d[k] != 0;
            break;
          case SqlType::kString: {
            bool v = false;
            r.valid[k] = ParseBool(a.s[k], &v);
            r.b[k] = v;
            break;
          }
          default:
            break;
        }
        break;
      case SqlType::kInt:
        switch (a.type) {
          case SqlType::kBool:
            r.i[k] = a.b[k];
            break;
          case SqlType::kDouble:
            r.valid[k] = DoubleToInt(a.d[k], &r.i[k]);
            break;
          case SqlType::kString:
            r.valid[k] = ParseInt(a.s[k], &r.i[k]);
            break;
          default:
            break;
        }
        break;
      case SqlType::kDouble:
        switch (a.type) {
          case SqlType::kBool:
            r.d[k] = a.b[k];
            break;
          case SqlType::kInt:
            r.d[k] = static_cast<double>(a.i[k]);
            break;
          case SqlType::kString:
            r.valid[k] = ParseDouble(a.s[k], &r.d[k]);
            break;
          default:
            break;
        }
        break;
      case SqlType::kString:
        switch (a.type) {
          case SqlType::kBool:
            r.s[k] = a.b[k] ? "true" : "false";
            break;
          case SqlType::kInt:
            r.s[k] = arena.Keep(std::to_string(a.i[k]));
            break;
          case SqlType::kDouble:
            r.s[k] = arena.Keep(DoubleToString(a.d[k]));
            break;
          default:
            break;
        }
        break;
      default:
        break;
    }
  }
  return r;
}

}  // namespace ember::sql::internal
