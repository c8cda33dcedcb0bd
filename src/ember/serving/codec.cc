#include "ember/serving/codec.h"

#include <simdjson.h>

#include <memory>

#include "ember/base/json.h"
#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/image.h"
#include "ember/core/ops.h"
#include "ember/params/param_spec.h"

namespace ember::serving {

namespace dom = simdjson::dom;

namespace {

// `schema` with each image field (Spark's image struct) as binary: requests carry the encoded
// file, which the pipeline's image stages decode.
SchemaPtr ImagesAsBytes(SchemaPtr schema) {
  std::vector<Field> fields = schema->fields();
  bool any = false;
  for (Field& f : fields) {
    if (IsImageType(*f.type)) {
      f.type = BinaryType();
      any = true;
    }
  }
  return any ? *Schema::Make(std::move(fields), schema->metadata()) : schema;
}

}  // namespace

RequestDecoder::RequestDecoder(SchemaPtr schema, std::vector<uint8_t> required, bool strict_fields)
    : schema_(ImagesAsBytes(schema)),
      required_(std::move(required)),
      strict_fields_(strict_fields),
      fields_(schema_->field_names()) {
  required_.resize(required_.empty() ? 0 : static_cast<size_t>(schema_->num_fields()));
  for (const Field& f : schema_->fields()) one_null_.push_back(Column::MakeNull(f.type, 1));
  std::vector<Field> kept;
  for (int i = 0; i < schema_->num_fields(); ++i) {
    if (required_.empty() || required_[i]) kept.push_back(schema_->field(i));
  }
  out_schema_ = required_.empty() ? schema_ : *Schema::Make(std::move(kept), schema_->metadata());
  for (int i = 0; i < out_schema_->num_fields(); ++i) {
    const int at = schema->FindField(out_schema_->field(i).name);
    if (IsImageType(*schema->field(at).type)) image_fields_.push_back(i);
  }
}

Result<Batch> RequestDecoder::DecodeImageBody(std::string_view body) const {
  if (image_fields_.size() != 1) {
    return InvalidArgument(
        image_fields_.empty()
            ? "this model's input has no image field: send JSON rows (Content-Type "
              "application/json)"
            : "this model's input has " + std::to_string(image_fields_.size()) +
                  " image fields: send JSON rows with each image as base64");
  }
  std::vector<ColumnPtr> cols;
  for (int i = 0; i < out_schema_->num_fields(); ++i) {
    if (i == image_fields_[0]) {
      StringBuilder bytes(BinaryType());
      bytes.Append(body);
      cols.push_back(bytes.Finish());
    } else {
      cols.push_back(one_null_[schema_->FindField(out_schema_->field(i).name)]);
    }
  }
  return Batch::Make(out_schema_, std::move(cols), 1);
}

Result<Batch> RequestDecoder::Decode(std::string_view body, bool* array,
                                     DecodeProblem* problem) const {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end: parse a padded copy kept per
  // thread, so a request costs no allocation once the buffer has grown.
  thread_local dom::parser parser;
  thread_local std::string padded;
  padded.assign(body);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  auto fail = [&](int64_t row, JsonProblem p) -> Status {
    *problem = DecodeProblem{row, p};
    std::string where = *array ? "row " + std::to_string(row) + ": " : "";
    return InvalidArgument(where + (p.field.empty() ? p.detail : p.message()));
  };
  *array = false;
  dom::element doc;
  if (auto err = parser.parse(padded.data(), body.size(), false).get(doc)) {
    return fail(0, {"", "a JSON object or an array of objects", "invalid JSON",
                    std::string("invalid JSON: ") + simdjson::error_message(err)});
  }
  const int n_fields = schema_->num_fields();
  // Builders only for fields that some row has; the others become null columns (for one
  // row, a shared one built at start-up), so an input the requests never send (the label)
  // costs nothing.
  // Per-thread scratch, so a request allocates only its columns.
  thread_local std::vector<std::unique_ptr<ColumnBuilder>> builders;
  thread_local std::vector<dom::element> values;
  thread_local std::vector<uint8_t> present;
  builders.clear();
  builders.resize(n_fields);
  values.resize(n_fields);
  present.resize(n_fields);
  int64_t rows = 0;
  // A required field missing from the row: named, with the others missing after it.
  auto missing = [&](int first) {
    std::string others;
    for (int i = first + 1; i < n_fields; ++i) {
      if (required_[i] && !present[i])
        others += (others.empty() ? "'" : ", '") + schema_->field(i).name + "'";
    }
    return JsonProblem{schema_->field(first).name, "a value (null for an unknown one)", "nothing",
                       "missing; the pipeline reads it (send null for an unknown value)" +
                           (others.empty() ? std::string() : "; also missing: " + others)};
  };
  auto unknown = [&](std::string_view key) {
    std::string detail = "not an input of the pipeline (strict fields)";
    const std::string close = ClosestName(key, schema_->field_names());
    if (!close.empty()) detail += "; did you mean '" + close + "'?";
    return JsonProblem{std::string(key), "a field of the input schema", "an unknown field",
                       detail + "; fields are: " + schema_->NamesForMessage()};
  };
  auto add_row = [&](dom::element e, int64_t row) -> Status {
    if (!e.is_object()) {
      const std::string got = JsonKind(e);
      return fail(row, {"", "a JSON object", got,
                        (*array ? "expected a JSON object, got "
                                : "expected a JSON object or an array of objects, got ") +
                            got});
    }
    std::fill(present.begin(), present.end(), 0);
    const dom::object obj = e.get_object().value();  // named: ranging over a temporary dangles
    for (dom::key_value_pair member : obj) {
      const int64_t i = fields_.Find(member.key);
      if (i < 0) {
        if (!strict_fields_) continue;  // not an input of the pipeline
        return fail(row, unknown(member.key));
      }
      if (!required_.empty() && !required_[i])
        continue;  // known, but the pipeline does not read it
      values[i] = member.value;
      present[i] = 1;
    }
    if (!required_.empty()) {
      for (int i = 0; i < n_fields; ++i) {
        if (required_[i] && !present[i]) return fail(row, missing(i));
      }
    }
    for (int i = 0; i < n_fields; ++i) {
      if (!present[i]) continue;
      JsonProblem p = CheckJsonValue(values[i], *schema_->field(i).type, schema_->field(i).name);
      if (!p.empty()) return fail(row, std::move(p));
    }
    for (int i = 0; i < n_fields; ++i) {
      if (present[i]) {
        if (!builders[i]) {
          builders[i] = MakeBuilder(schema_->field(i).type);
          for (int64_t k = 0; k < rows; ++k) builders[i]->AppendNull();
        }
        AppendJsonValue(values[i], builders[i].get());
      } else if (builders[i]) {
        builders[i]->AppendNull();
      }
    }
    ++rows;
    return Status::OK();
  };
  if (doc.is_array()) {
    *array = true;
    int64_t row = 0;
    const dom::array rows_json = doc.get_array().value();
    for (dom::element e : rows_json) EMBER_RETURN_IF_ERROR(add_row(e, row++));
  } else {
    EMBER_RETURN_IF_ERROR(add_row(doc, 0));
  }
  std::vector<ColumnPtr> cols;
  cols.reserve(n_fields);
  for (int i = 0; i < n_fields; ++i) {
    if (!required_.empty() && !required_[i]) continue;
    if (builders[i]) {
      cols.push_back(builders[i]->Finish());
    } else {
      cols.push_back(rows == 1 ? one_null_[i] : Column::MakeNull(schema_->field(i).type, rows));
    }
  }
  return Batch::Make(out_schema_, std::move(cols), rows);
}

Result<ReplyEncoder> ReplyEncoder::Make(const Schema& out, const std::vector<std::string>& names) {
  ReplyEncoder e;
  for (const std::string& name : names) {
    const int i = out.FindField(name);
    if (i < 0)
      return NotFound("reply column '" + name +
                      "' is not in the output; columns are: " + out.NamesForMessage());
    e.names_.push_back(name);
    e.columns_.push_back(i);
    std::string key;
    AppendJsonString(name, &key);
    key.push_back(':');
    e.keys_.push_back(std::move(key));
  }
  return e;
}

void ReplyEncoder::Encode(const Batch& batch, int64_t begin, int64_t end, bool array,
                          std::string* body) const {
  if (array) body->push_back('[');
  for (int64_t r = begin; r < end; ++r) {
    if (r > begin) body->push_back(',');
    body->push_back('{');
    for (size_t j = 0; j < columns_.size(); ++j) {
      if (j) body->push_back(',');
      body->append(keys_[j]);
      const Column& c = *batch.column(columns_[j]);
      if (c.IsNull(r))
        body->append("null");
      else
        AppendValueJson(c, r, body);
    }
    body->push_back('}');
  }
  if (array) body->push_back(']');
}

}  // namespace ember::serving
