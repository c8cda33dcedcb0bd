// Export and import through the Arrow C Data Interface (the two C structs of the Arrow
// spec), so that Ember batches can be handed to and taken from Arrow-based tools (pyarrow,
// DuckDB, Polars) without copying buffers.
//
// Type mapping: bool b, int32 i, int64 l, float32 f, float64 g, string u, binary z,
// list +l, struct +s, dense vector[n] +w:n of g (fixed-size list of float64), and sparse
// vector[n] as +s{indices: +l of i, values: +l of g} marked with field metadata
// "ember.type" = "sparse_vector[n]". Field metadata (ML attributes) travels as
// "ember.metadata" = JSON text.
#pragma once

#include <cstdint>

#include "ember/base/result.h"
#include "ember/core/batch.h"

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

extern "C" {
struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};
}
#endif  // ARROW_C_DATA_INTERFACE

namespace ember {

// Exports `batch` as a struct array (Arrow's record batch convention). The structs are
// filled in and own references to the batch's buffers until released by the consumer.
Status ExportBatch(const Batch& batch, ArrowSchema* out_schema, ArrowArray* out_array);
// Exports one column as a field called `name`.
Status ExportColumn(const ColumnPtr& column, const Field& field, ArrowSchema* out_schema,
                    ArrowArray* out_array);

// Imports a struct array as a batch without copying. Takes ownership of both structs
// (they are marked released); the buffers stay alive while any column refers to them.
// Errors name the field and the unsupported format, and nothing leaks on error.
Result<Batch> ImportBatch(ArrowSchema* schema, ArrowArray* array);

}  // namespace ember
