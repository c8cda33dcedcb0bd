// The vector-in, vector-out convention of the scalers, Normalizer and VectorSlicer: the input
// must be a vector column and the output column must not exist yet. Internal to stages/.
#pragma once

#include <string>
#include <utility>

#include "ember/base/result.h"
#include "ember/core/schema.h"

namespace ember::stages::internal {

// The index of vector column `input` in `in`; AlreadyExists when `output` is taken.
Result<int> VectorInput(const Schema& in, const std::string& input, const std::string& output);

// VectorInput, and `in` with `output` added: a vector of the input's width (sparse when
// `sparse_out` and the input is sparse) carrying the input's slot names.
Result<std::pair<int, SchemaPtr>> BindVector(const Schema& in, const std::string& input,
                                             const std::string& output, bool sparse_out);

}  // namespace ember::stages::internal
