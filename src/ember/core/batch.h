// Batch: a schema and one column per field, all of the same length; the unit that bound
// kernels transform. DataFrame: a schema and a list of batches (its partitions). Both are
// cheap to copy: columns are shared, never copied. Immutable, so thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/column.h"
#include "ember/core/schema.h"

namespace ember {

class Batch {
 public:
  Batch() = default;
  // Checks one column per field, matching types and equal lengths.
  static Result<Batch> Make(SchemaPtr schema, std::vector<ColumnPtr> columns);
  // As Make, with `num_rows` for batches with no columns.
  static Result<Batch> Make(SchemaPtr schema, std::vector<ColumnPtr> columns, int64_t num_rows);
  // An empty batch (zero rows) of `schema`.
  static Batch Empty(SchemaPtr schema);

  const SchemaPtr& schema() const { return schema_; }
  int64_t num_rows() const { return num_rows_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  const ColumnPtr& column(int i) const { return columns_[i]; }
  const std::vector<ColumnPtr>& columns() const { return columns_; }
  // The column called `name`, or NotFound listing the columns that exist.
  Result<ColumnPtr> GetColumn(std::string_view name) const;

  // Zero-copy rows [offset, offset + length); clamps to the batch.
  Batch Slice(int64_t offset, int64_t length) const;

  // A table of at most `max_rows` rows, with a header of names and types.
  std::string ToString(int64_t max_rows = 20) const;

 private:
  Batch(SchemaPtr schema, std::vector<ColumnPtr> columns, int64_t num_rows)
      : schema_(std::move(schema)), columns_(std::move(columns)), num_rows_(num_rows) {}
  SchemaPtr schema_;
  std::vector<ColumnPtr> columns_;
  int64_t num_rows_ = 0;
};

class DataFrame {
 public:
  DataFrame() = default;
  // Checks that every partition has `schema` (field names and types).
  static Result<DataFrame> Make(SchemaPtr schema, std::vector<Batch> partitions);
  static DataFrame FromBatch(Batch batch);

  const SchemaPtr& schema() const { return schema_; }
  int num_partitions() const { return static_cast<int>(partitions_.size()); }
  const Batch& partition(int i) const { return partitions_[i]; }
  const std::vector<Batch>& partitions() const { return partitions_; }
  int64_t num_rows() const;

  // All rows in one batch (concatenated in partition order).
  Result<Batch> Collect() const;
  // The first `max_rows` rows as a table, with the total row and partition counts.
  std::string ToString(int64_t max_rows = 20) const;

 private:
  DataFrame(SchemaPtr schema, std::vector<Batch> partitions)
      : schema_(std::move(schema)), partitions_(std::move(partitions)) {}
  SchemaPtr schema_;
  std::vector<Batch> partitions_;
};

}  // namespace ember
