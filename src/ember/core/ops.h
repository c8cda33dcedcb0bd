// Column and batch operations that copy rows: concatenation, take by index, filter by mask,
// and logical equality (for tests and round-trip checks). Slicing is zero-copy and lives on
// Column and Batch.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"

namespace ember {

// One column with the rows of `columns` in order. TypeError if the types differ.
Result<ColumnPtr> Concat(std::span<const ColumnPtr> columns);
// Batches must share field names and types.
Result<Batch> ConcatBatches(std::span<const Batch> batches);

// Rows `indices` of `column`, in that order (repeats allowed). OutOfRange names the index.
Result<ColumnPtr> Take(const Column& column, std::span<const int64_t> indices);
Result<Batch> TakeRows(const Batch& batch, std::span<const int64_t> indices);

// Rows where `mask` (a bool column of the same length) is true; null counts as false.
Result<ColumnPtr> Filter(const Column& column, const Column& mask);
Result<Batch> FilterRows(const Batch& batch, const Column& mask);

// Logical equality: same type, length, nulls and values (NaN equals NaN), whatever the
// offsets or buffer sharing.
bool ColumnsEqual(const Column& a, const Column& b);
bool BatchesEqual(const Batch& a, const Batch& b);
// Equal schemas and rows, whatever the partitioning.
bool FramesEqual(const DataFrame& a, const DataFrame& b);
// Empty when equal, else the first difference: "column 'x' row 3: 1 vs 2".
std::string DescribeDifference(const DataFrame& a, const DataFrame& b);

// One value as text: numbers in shortest round-trip form, strings raw, nested values in a
// JSON-like form, null as "null".
std::string FormatValue(const Column& column, int64_t row);
// Appends one value as JSON (strings quoted, binary as base64 string, vectors as arrays).
void AppendValueJson(const Column& column, int64_t row, std::string* out);

}  // namespace ember
