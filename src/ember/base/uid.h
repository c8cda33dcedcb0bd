// Unique identifiers for stages, in SparkML's style: "<Prefix>_<12 hex digits>".
#pragma once

#include <string>
#include <string_view>

namespace ember {

// Returns a new uid, unique within the process and random across processes. Thread-safe.
std::string MakeUid(std::string_view prefix);

// True when `uid` is non-empty and only has [A-Za-z0-9_-.] (safe as a directory name).
bool IsValidUid(std::string_view uid);

}  // namespace ember
