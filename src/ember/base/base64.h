// Base64 (RFC 4648, standard alphabet, padded), for binary values in JSON.
#pragma once

#include <string>
#include <string_view>

#include "ember/base/result.h"

namespace ember {

void AppendBase64(std::string_view bytes, std::string* out);
// InvalidArgument on characters outside the alphabet or bad padding.
Result<std::string> DecodeBase64(std::string_view text);

}  // namespace ember
