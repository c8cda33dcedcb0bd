// The serving codec: request bodies into batches of a pipeline's input schema, and rows of
// its output into reply bodies. Both are built once per model at start-up; decoding and
// encoding only walk the data.
//   request: one JSON object = one row; a JSON array of objects = many rows. A required
//            field (one the pipeline reads to predict) that is missing is an error naming
//            it; an explicit null is sent as null (a pipeline may impute it). The other
//            fields of the schema are accepted and ignored (a label the pipeline does not
//            need to predict): the batches hold the required fields only. Members that are
//            not in the schema are ignored, or with strict fields an error naming the
//            closest field.
//            An image field (Spark's image struct, as the image reader gives) is sent as the
//            encoded file's bytes: base64 in JSON, or the whole body with an image
//            Content-Type (DecodeImageBody); the pipeline's image stages decode it, so a
//            bad image is the pipeline's 400 naming the problem.
//   reply:   one JSON object for an object request, an array for an array request, holding
//            the chosen columns (vectors as arrays, sparse vectors as SparkML's
//            {"size", "indices", "values"}).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/base/string_lookup.h"
#include "ember/core/batch.h"
#include "ember/io/json_values.h"

namespace ember::serving {

// Why a request body did not fit: the row (0 for an object body), and the field, expected
// type and received value of JsonProblem (field empty when the body itself is wrong).
struct DecodeProblem {
  int64_t row = 0;
  JsonProblem problem;
};

class RequestDecoder {
 public:
  // `required`: per field of `schema`, whether a request must send it (empty: none).
  explicit RequestDecoder(SchemaPtr schema, std::vector<uint8_t> required = {},
                          bool strict_fields = false);
  const SchemaPtr& schema() const { return schema_; }
  // The schema of the decoded batches: the required fields (every field when none are
  // marked). The other fields of schema() are accepted and ignored.
  const SchemaPtr& output_schema() const { return out_schema_; }
  bool required(int field) const { return !required_.empty() && required_[field] != 0; }
  bool strict_fields() const { return strict_fields_; }

  // A body that is one encoded image (Content-Type image/*): one row whose image field holds
  // the bytes, the other fields null. InvalidArgument when the schema has no image field, or
  // several (then each is sent as base64 in JSON).
  Result<Batch> DecodeImageBody(std::string_view body) const;

  // Parses `body` into a batch of the schema; `*array` tells whether it was an array. An
  // error is InvalidArgument with a message naming the row and field, and `*problem` holds
  // the parts. Thread-safe (each thread parses with its own reused parser and buffer).
  Result<Batch> Decode(std::string_view body, bool* array, DecodeProblem* problem) const;

 private:
  SchemaPtr schema_;  // image fields as binary (the encoded bytes)
  SchemaPtr out_schema_;
  std::vector<int> image_fields_;  // in out_schema_
  std::vector<uint8_t> required_;
  bool strict_fields_ = false;
  StringLookup fields_;              // member name -> field index
  std::vector<ColumnPtr> one_null_;  // per field: a column of one null
};

class ReplyEncoder {
 public:
  // Encodes columns `names` of batches of schema `out`; NotFound naming a missing column.
  static Result<ReplyEncoder> Make(const Schema& out, const std::vector<std::string>& names);
  const std::vector<std::string>& names() const { return names_; }

  // Appends rows [begin, end) of `batch` to `*body`: one object when !array (end == begin
  // + 1), else an array of objects.
  void Encode(const Batch& batch, int64_t begin, int64_t end, bool array, std::string* body) const;

 private:
  std::vector<std::string> names_;
  std::vector<int> columns_;
  std::vector<std::string> keys_;  // "\"name\":" with the name escaped
};

}  // namespace ember::serving
