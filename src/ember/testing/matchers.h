// GoogleTest matchers for Ember types: IsOk(), StatusIs(code), FrameEq(expected).
#pragma once

#include <gmock/gmock.h>

#include "ember/base/result.h"
#include "ember/core/ops.h"

namespace ember::testing {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
const Status& GetStatus(const Result<T>& r) {
  return r.status();
}

MATCHER(IsOk, "is OK") {
  const Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + std::string(StatusCodeName(code))) {
  const Status& s = GetStatus(arg);
  *result_listener << s.ToString();
  return s.code() == code;
}

// Same schema and rows, whatever the partitioning; explains the first difference.
MATCHER_P(FrameEq, expected, "equals the expected frame") {
  std::string diff = DescribeDifference(arg, expected);
  if (!diff.empty()) *result_listener << diff;
  return diff.empty();
}

}  // namespace ember::testing
