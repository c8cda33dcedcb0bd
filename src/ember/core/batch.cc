#include "ember/core/batch.h"

#include <algorithm>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"

namespace ember {

Result<Batch> Batch::Make(SchemaPtr schema, std::vector<ColumnPtr> columns) {
  int64_t rows = columns.empty() ? 0 : columns[0]->length();
  return Make(std::move(schema), std::move(columns), rows);
}

Result<Batch> Batch::Make(SchemaPtr schema, std::vector<ColumnPtr> columns, int64_t num_rows) {
  if (schema == nullptr) return InvalidArgument("batch has no schema");
  if (static_cast<int>(columns.size()) != schema->num_fields()) {
    return InvalidArgument("batch has " + std::to_string(columns.size()) + " columns but its " +
                           "schema has " + std::to_string(schema->num_fields()) + " fields");
  }
  for (int i = 0; i < schema->num_fields(); ++i) {
    const Field& f = schema->field(i);
    if (columns[i] == nullptr) return InvalidArgument("column '" + f.name + "' is missing");
    if (!columns[i]->type()->Equals(*f.type)) {
      return TypeError("column '" + f.name + "': schema says " + f.type->ToString() + ", data is " +
                       columns[i]->type()->ToString());
    }
    if (columns[i]->length() != num_rows) {
      return InvalidArgument("column '" + f.name + "' has " + std::to_string(columns[i]->length()) +
                             " rows, expected " + std::to_string(num_rows));
    }
  }
  return Batch(std::move(schema), std::move(columns), num_rows);
}

Batch Batch::Empty(SchemaPtr schema) {
  std::vector<ColumnPtr> columns;
  for (const Field& f : schema->fields()) columns.push_back(MakeBuilder(f.type)->Finish());
  return Batch(std::move(schema), std::move(columns), 0);
}

Result<ColumnPtr> Batch::GetColumn(std::string_view name) const {
  EMBER_ASSIGN_OR_RETURN(int i, schema_->GetFieldIndex(name));
  return columns_[i];
}

Batch Batch::Slice(int64_t offset, int64_t length) const {
  offset = std::clamp<int64_t>(offset, 0, num_rows_);
  length = std::clamp<int64_t>(length, 0, num_rows_ - offset);
  std::vector<ColumnPtr> cols;
  cols.reserve(columns_.size());
  for (const auto& c : columns_) cols.push_back(c->Slice(offset, length));
  return Batch(schema_, std::move(cols), length);
}

std::string Batch::ToString(int64_t max_rows) const {
  if (!schema_) return "(empty batch)\n";
  const int n = num_columns();
  int64_t rows = std::min(max_rows, num_rows_);
  std::vector<std::vector<std::string>> cells(n);
  std::vector<size_t> width(n);
  for (int c = 0; c < n; ++c) {
    std::string head = schema_->field(c).name + ": " + schema_->field(c).type->ToString();
    cells[c].push_back(head);
    width[c] = head.size();
    for (int64_t r = 0; r < rows; ++r) {
      std::string v = FormatValue(*columns_[c], r);
      if (v.size() > 40) v = v.substr(0, 37) + "...";
      width[c] = std::max(width[c], v.size());
      cells[c].push_back(std::move(v));
    }
  }
  std::string out;
  for (int64_t r = 0; r <= rows; ++r) {
    for (int c = 0; c < n; ++c) {
      const std::string& v = cells[c][r];
      out += (c ? " | " : "") + v + std::string(width[c] - v.size(), ' ');
    }
    out += "\n";
    if (r == 0) {
      for (int c = 0; c < n; ++c) out += (c ? "-+-" : "") + std::string(width[c], '-');
      out += "\n";
    }
  }
  if (rows < num_rows_) out += "... (" + std::to_string(num_rows_ - rows) + " more rows)\n";
  return out;
}

Result<DataFrame> DataFrame::Make(SchemaPtr schema, std::vector<Batch> partitions) {
  if (schema == nullptr) return InvalidArgument("data frame has no schema");
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (partitions[i].schema() == nullptr || !partitions[i].schema()->Equals(*schema)) {
      return InvalidArgument("partition " + std::to_string(i) +
                             " has a different schema from the frame");
    }
  }
  return DataFrame(std::move(schema), std::move(partitions));
}

DataFrame DataFrame::FromBatch(Batch batch) {
  SchemaPtr schema = batch.schema();
  std::vector<Batch> parts;
  parts.push_back(std::move(batch));
  return DataFrame(std::move(schema), std::move(parts));
}

int64_t DataFrame::num_rows() const {
  int64_t n = 0;
  for (const Batch& b : partitions_) n += b.num_rows();
  return n;
}

Result<Batch> DataFrame::Collect() const {
  if (!schema_) return InvalidArgument("data frame has no schema");
  if (partitions_.empty()) return Batch::Empty(schema_);
  if (partitions_.size() == 1) return partitions_[0];
  return ConcatBatches(partitions_);
}

std::string DataFrame::ToString(int64_t max_rows) const {
  if (!schema_) return "(empty data frame)\n";
  std::string out;
  int64_t shown = 0;
  std::vector<Batch> head;
  for (const Batch& b : partitions_) {
    if (shown >= max_rows) break;
    head.push_back(b.Slice(0, max_rows - shown));
    shown += head.back().num_rows();
  }
  Result<Batch> first = head.empty() ? Batch::Empty(schema_) : ConcatBatches(head);
  if (first.ok()) out = first->Slice(0, max_rows).ToString(max_rows);
  int64_t total = num_rows();
  if (total > shown) out += "... (" + std::to_string(total - shown) + " more rows)\n";
  out += "[" + std::to_string(total) + " rows x " + std::to_string(schema_->num_fields()) +
         " columns in " + std::to_string(num_partitions()) + " partitions]\n";
  return out;
}

}  // namespace ember
