#include "ember/core/arrow_c.h"

#include <cstring>
#include <string>
#include <vector>

#include "ember/base/status_macros.h"

namespace ember {
namespace {

// --- Export -----------------------------------------------------------------------------

struct SchemaPrivate {
  std::string format, name, metadata;
  std::vector<ArrowSchema> child_structs;
  std::vector<ArrowSchema*> child_ptrs;
};

void ReleaseSchema(ArrowSchema* s) {
  if (s == nullptr || s->release == nullptr) return;
  auto* p = static_cast<SchemaPrivate*>(s->private_data);
  for (ArrowSchema& c : p->child_structs) {
    if (c.release) c.release(&c);
  }
  delete p;
  s->release = nullptr;
}

struct ArrayPrivate {
  std::vector<BufferPtr> buffers;  // keeps memory alive
  std::vector<const void*> buffer_ptrs;
  std::vector<ArrowArray> child_structs;
  std::vector<ArrowArray*> child_ptrs;
};

void ReleaseArray(ArrowArray* a) {
  if (a == nullptr || a->release == nullptr) return;
  auto* p = static_cast<ArrayPrivate*>(a->private_data);
  for (ArrowArray& c : p->child_structs) {
    if (c.release) c.release(&c);
  }
  delete p;
  a->release = nullptr;
}

void AppendInt32(int32_t v, std::string* out) { out->append(reinterpret_cast<char*>(&v), 4); }

std::string EncodeMetadata(const std::vector<std::pair<std::string, std::string>>& kv) {
  if (kv.empty()) return "";
  std::string out;
  AppendInt32(static_cast<int32_t>(kv.size()), &out);
  for (const auto& [k, v] : kv) {
    AppendInt32(static_cast<int32_t>(k.size()), &out);
    out += k;
    AppendInt32(static_cast<int32_t>(v.size()), &out);
    out += v;
  }
  return out;
}

void FillSchema(ArrowSchema* s, std::string format, std::string name,
                std::vector<std::pair<std::string, std::string>> metadata, bool nullable,
                std::vector<ArrowSchema> children) {
  auto* p = new SchemaPrivate;
  p->format = std::move(format);
  p->name = std::move(name);
  p->metadata = EncodeMetadata(metadata);
  p->child_structs = std::move(children);
  for (ArrowSchema& c : p->child_structs) p->child_ptrs.push_back(&c);
  s->format = p->format.c_str();
  s->name = p->name.c_str();
  s->metadata = p->metadata.empty() ? nullptr : p->metadata.data();
  s->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  s->n_children = static_cast<int64_t>(p->child_structs.size());
  s->children = p->child_ptrs.empty() ? nullptr : p->child_ptrs.data();
  s->dictionary = nullptr;
  s->release = ReleaseSchema;
  s->private_data = p;
}

void FillArray(ArrowArray* a, int64_t length, int64_t null_count, int64_t offset,
               std::vector<BufferPtr> buffers, std::vector<ArrowArray> children) {
  auto* p = new ArrayPrivate;
  p->buffers = std::move(buffers);
  for (const auto& b : p->buffers) p->buffer_ptrs.push_back(b ? b->data() : nullptr);
  p->child_structs = std::move(children);
  for (ArrowArray& c : p->child_structs) p->child_ptrs.push_back(&c);
  a->length = length;
  a->null_count = null_count;
  a->offset = offset;
  a->n_buffers = static_cast<int64_t>(p->buffer_ptrs.size());
  a->n_children = static_cast<int64_t>(p->child_structs.size());
  a->buffers = p->buffer_ptrs.data();
  a->children = p->child_ptrs.empty() ? nullptr : p->child_ptrs.data();
  a->dictionary = nullptr;
  a->release = ReleaseArray;
  a->private_data = p;
}

std::string FormatOf(const DataType& t) {
  switch (t.id()) {
    case TypeId::kBool:
      return "b";
    case TypeId::kInt32:
      return "i";
    case TypeId::kInt64:
      return "l";
    case TypeId::kDate:
      return "tdD";
    case TypeId::kTimestamp:
      return "tsu:UTC";
    case TypeId::kFloat32:
      return "f";
    case TypeId::kFloat64:
      return "g";
    case TypeId::kString:
      return "u";
    case TypeId::kBinary:
      return "z";
    case TypeId::kList:
      return "+l";
    case TypeId::kStruct:
      return "+s";
    case TypeId::kVector:
      return t.sparse() ? "+s" : "+w:" + std::to_string(t.vector_size());
  }
  return "";
}

void ExportOne(const ColumnPtr& col, const Field& field, ArrowSchema* s, ArrowArray* a) {
  const DataType& t = *field.type;
  std::vector<std::pair<std::string, std::string>> md;
  if (!field.metadata.is_null()) md.emplace_back("ember.metadata", field.metadata.Dump());
  std::vector<ArrowSchema> cs;
  std::vector<ArrowArray> ca;
  auto add_child = [&](const ColumnPtr& c, const Field& f) {
    cs.emplace_back();
    ca.emplace_back();
    ExportOne(c, f, &cs.back(), &ca.back());
  };
  switch (t.id()) {
    case TypeId::kList:
      add_child(col->child(0), MakeField("item", t.value_type()));
      break;
    case TypeId::kStruct:
      for (size_t i = 0; i < t.fields().size(); ++i) add_child(col->child(i), t.fields()[i]);
      break;
    case TypeId::kVector:
      if (!t.sparse()) {
        add_child(col->child(0), MakeField("item", Float64Type(), false));
      } else {
        md.emplace_back("ember.type", t.ToString());
        // Two list children over the same row offsets; the struct's offset applies to them,
        // so they span the raw buffers from row 0.
        int64_t rows = col->offset() + col->length();
        const char* names[2] = {"indices", "values"};
        TypePtr elem[2] = {Int32Type(), Float64Type()};
        for (int k = 0; k < 2; ++k) {
          ArrowSchema leaf_s;
          ArrowArray leaf_a;
          ExportOne(col->child(k), MakeField("item", elem[k], false), &leaf_s, &leaf_a);
          cs.emplace_back();
          ca.emplace_back();
          std::vector<ArrowSchema> ls;
          ls.push_back(leaf_s);
          std::vector<ArrowArray> la;
          la.push_back(leaf_a);
          FillSchema(&cs.back(), "+l", names[k], {}, false, std::move(ls));
          FillArray(&ca.back(), rows, 0, 0, {nullptr, col->buffers()[1]}, std::move(la));
        }
        FillSchema(s, "+s", field.name, std::move(md), field.nullable, std::move(cs));
        FillArray(a, col->length(), col->null_count(), col->offset(), {col->buffers()[0]},
                  std::move(ca));
        return;
      }
      break;
    default:
      break;
  }
  FillSchema(s, FormatOf(t), field.name, std::move(md), field.nullable, std::move(cs));
  std::vector<BufferPtr> buffers(col->buffers().begin(), col->buffers().end());
  if (col->null_count() == 0) buffers[0] = nullptr;
  FillArray(a, col->length(), col->null_count(), col->offset(), std::move(buffers), std::move(ca));
}

// --- Import -----------------------------------------------------------------------------

// Owns an imported ArrowArray; releasing it when the last column referring to it goes.
struct ImportedArray {
  ArrowArray array;
  ~ImportedArray() {
    if (array.release) array.release(&array);
  }
};

std::vector<std::pair<std::string, std::string>> DecodeMetadata(const char* md) {
  std::vector<std::pair<std::string, std::string>> out;
  if (md == nullptr) return out;
  int32_t n;
  std::memcpy(&n, md, 4);
  const char* p = md + 4;
  for (int32_t i = 0; i < n; ++i) {
    int32_t kl, vl;
    std::memcpy(&kl, p, 4);
    std::string k(p + 4, kl);
    p += 4 + kl;
    std::memcpy(&vl, p, 4);
    std::string v(p + 4, vl);
    p += 4 + vl;
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

Result<Field> ImportField(const ArrowSchema* s, int depth) {
  std::string name = s->name ? s->name : "";
  auto fail = [&](const std::string& why) {
    return TypeError("Arrow field '" + name + "' (format '" + (s->format ? s->format : "") +
                     "'): " + why);
  };
  if (depth > 64) return fail("nested too deeply");
  if (s->format == nullptr) return fail("no format");
  if (s->dictionary != nullptr) return fail("dictionary-encoded arrays are not supported");
  std::string format = s->format;
  Field f = MakeField(name, nullptr, (s->flags & ARROW_FLAG_NULLABLE) != 0);
  std::string ember_type;
  for (auto& [k, v] : DecodeMetadata(s->metadata)) {
    if (k == "ember.metadata") {
      Result<Json> md = Json::Parse(v);
      if (md.ok()) f.metadata = std::move(*md);
    } else if (k == "ember.type") {
      ember_type = v;
    }
  }
  auto child = [&](int64_t i) -> Result<Field> {
    if (i >= s->n_children || s->children == nullptr || s->children[i] == nullptr) {
      return fail("missing child " + std::to_string(i));
    }
    return ImportField(s->children[i], depth + 1);
  };
  if (format == "b")
    f.type = BoolType();
  else if (format == "i")
    f.type = Int32Type();
  else if (format == "l")
    f.type = Int64Type();
  else if (format == "tdD")
    f.type = DateType();
  else if (format == "tsu:" || format == "tsu:UTC" || format == "tsu:+00:00" ||
           format == "tsu:Etc/UTC")
    f.type = TimestampType();  // an instant in UTC; wall-clock (no zone) is read as UTC too
  else if (format.rfind("ts", 0) == 0 || format.rfind("td", 0) == 0)
    return fail(
        "only date32 (tdD) and timestamps in microseconds in UTC (tsu:UTC) are supported; "
        "cast other units or zones before handing the data to Ember");
  else if (format == "f")
    f.type = Float32Type();
  else if (format == "g")
    f.type = Float64Type();
  else if (format == "u")
    f.type = StringType();
  else if (format == "z")
    f.type = BinaryType();
  else if (format == "+l") {
    if (s->n_children != 1) return fail("a list needs one child");
    EMBER_ASSIGN_OR_RETURN(Field c, child(0));
    f.type = ListType(c.type);
  } else if (format.rfind("+w:", 0) == 0) {
    int64_t n = std::atoll(format.c_str() + 3);
    EMBER_ASSIGN_OR_RETURN(Field c, child(0));
    if (s->n_children != 1 || c.type->id() != TypeId::kFloat64 || n < 0) {
      return fail("only fixed-size lists of float64 are supported (as dense vectors)");
    }
    f.type = DenseVectorType(n);
  } else if (format == "+s" && !ember_type.empty()) {
    EMBER_ASSIGN_OR_RETURN(TypePtr t, ParseType(ember_type));
    if (t->id() != TypeId::kVector || !t->sparse() || s->n_children != 2) {
      return fail("bad ember.type '" + ember_type + "'");
    }
    f.type = t;
  } else if (format == "+s") {
    std::vector<Field> fields;
    for (int64_t i = 0; i < s->n_children; ++i) {
      EMBER_ASSIGN_OR_RETURN(Field c, child(i));
      fields.push_back(std::move(c));
    }
    f.type = StructType(std::move(fields));
  } else {
    return fail("unsupported type");
  }
  return f;
}

BufferPtr Wrap(const void* p, int64_t size, const std::shared_ptr<ImportedArray>& owner) {
  if (p == nullptr) return nullptr;
  return std::make_shared<const Buffer>(static_cast<const uint8_t*>(p), size, owner);
}

Result<ColumnPtr> ImportColumn(const ArrowArray* a, const Field& f,
                               const std::shared_ptr<ImportedArray>& owner) {
  const DataType& t = *f.type;
  auto fail = [&](const std::string& why) {
    return InvalidArgument("Arrow array for field '" + f.name + "': " + why);
  };
  if (a->length < 0 || a->offset < 0) return fail("negative length or offset");
  const int expected_buffers = (t.id() == TypeId::kVector && t.sparse()) ? 1 : NumBuffers(t);
  if (a->n_buffers != expected_buffers || a->buffers == nullptr) {
    return fail("expected " + std::to_string(expected_buffers) + " buffers, got " +
                std::to_string(a->n_buffers));
  }
  const int64_t end = a->offset + a->length;
  std::vector<BufferPtr> buffers;
  buffers.push_back(a->null_count == 0 ? nullptr : Wrap(a->buffers[0], BytesForBits(end), owner));
  std::vector<ColumnPtr> children;
  auto child = [&](int64_t i, const Field& cf) -> Result<ColumnPtr> {
    if (i >= a->n_children || a->children == nullptr || a->children[i] == nullptr) {
      return fail("missing child array " + std::to_string(i));
    }
    return ImportColumn(a->children[i], cf, owner);
  };
  auto offsets = [&](const void* p) -> Result<BufferPtr> {
    if (p == nullptr) return fail("missing offsets buffer");
    return Wrap(p, (end + 1) * 4, owner);
  };
  switch (t.id()) {
    case TypeId::kBool:
      buffers.push_back(Wrap(a->buffers[1], BytesForBits(end), owner));
      break;
    case TypeId::kInt32:
    case TypeId::kInt64:
    case TypeId::kFloat32:
    case TypeId::kFloat64:
    case TypeId::kDate:
    case TypeId::kTimestamp:
      buffers.push_back(Wrap(a->buffers[1], end * t.byte_width(), owner));
      break;
    case TypeId::kString:
    case TypeId::kBinary: {
      EMBER_ASSIGN_OR_RETURN(BufferPtr o, offsets(a->buffers[1]));
      int64_t data_size = o->data_as<int32_t>()[end];
      if (data_size < 0) return fail("negative offset");
      buffers.push_back(o);
      buffers.push_back(a->buffers[2] ? Wrap(a->buffers[2], data_size, owner) : Buffer::Zeros(0));
      break;
    }
    case TypeId::kList: {
      EMBER_ASSIGN_OR_RETURN(BufferPtr o, offsets(a->buffers[1]));
      buffers.push_back(o);
      EMBER_ASSIGN_OR_RETURN(ColumnPtr c, child(0, MakeField("item", t.value_type())));
      children.push_back(c);
      break;
    }
    case TypeId::kStruct:
      for (size_t i = 0; i < t.fields().size(); ++i) {
        EMBER_ASSIGN_OR_RETURN(ColumnPtr c, child(static_cast<int64_t>(i), t.fields()[i]));
        children.push_back(c);
      }
      break;
    case TypeId::kVector:
      if (!t.sparse()) {
        EMBER_ASSIGN_OR_RETURN(ColumnPtr c, child(0, MakeField("item", Float64Type())));
        children.push_back(c);
      } else {
        // Two lists sharing row offsets: take the offsets of the first, the leaves of both.
        for (int k = 0; k < 2; ++k) {
          if (k >= a->n_children || a->children == nullptr || a->children[k] == nullptr ||
              a->children[k]->n_buffers != 2 || a->children[k]->n_children != 1 ||
              a->children[k]->offset != 0 || a->children[k]->length < end) {
            return fail("sparse vector child " + std::to_string(k) + " has the wrong layout");
          }
        }
        EMBER_ASSIGN_OR_RETURN(BufferPtr o, offsets(a->children[0]->buffers[1]));
        if (std::memcmp(o->data(), a->children[1]->buffers[1], (end + 1) * 4) != 0) {
          return fail("sparse vector indices and values have different offsets");
        }
        buffers.push_back(o);
        EMBER_ASSIGN_OR_RETURN(ColumnPtr idx, ImportColumn(a->children[0]->children[0],
                                                           MakeField("i", Int32Type()), owner));
        EMBER_ASSIGN_OR_RETURN(ColumnPtr val, ImportColumn(a->children[1]->children[0],
                                                           MakeField("v", Float64Type()), owner));
        children = {idx, val};
      }
      break;
  }
  Result<ColumnPtr> col =
      Column::Make(f.type, a->length, std::move(buffers), std::move(children), -1, a->offset);
  if (!col.ok()) return col.status().WithContext("Arrow array for field '" + f.name + "'");
  return col;
}

}  // namespace

Status ExportColumn(const ColumnPtr& column, const Field& field, ArrowSchema* out_schema,
                    ArrowArray* out_array) {
  if (!column->type()->Equals(*field.type)) {
    return TypeError("column type " + column->type()->ToString() + " does not match field '" +
                     field.name + "'");
  }
  ExportOne(column, field, out_schema, out_array);
  return Status::OK();
}

Status ExportBatch(const Batch& batch, ArrowSchema* out_schema, ArrowArray* out_array) {
  if (!batch.schema()) return InvalidArgument("batch has no schema");
  std::vector<ArrowSchema> cs(batch.num_columns());
  std::vector<ArrowArray> ca(batch.num_columns());
  for (int i = 0; i < batch.num_columns(); ++i) {
    ExportOne(batch.column(i), batch.schema()->field(i), &cs[i], &ca[i]);
  }
  FillSchema(out_schema, "+s", "", {}, false, std::move(cs));
  FillArray(out_array, batch.num_rows(), 0, 0, {nullptr}, std::move(ca));
  return Status::OK();
}

Result<Batch> ImportBatch(ArrowSchema* schema, ArrowArray* array) {
  if (schema == nullptr || array == nullptr || schema->release == nullptr ||
      array->release == nullptr) {
    return InvalidArgument("ImportBatch: null or already released Arrow structs");
  }
  // Take ownership at once so every error path releases both.
  auto owner = std::make_shared<ImportedArray>();
  owner->array = *array;
  array->release = nullptr;
  ArrowSchema s = *schema;
  schema->release = nullptr;
  struct SchemaGuard {
    ArrowSchema* s;
    ~SchemaGuard() {
      if (s->release) s->release(s);
    }
  } guard{&s};

  EMBER_ASSIGN_OR_RETURN(Field top, ImportField(&s, 0));
  if (top.type->id() != TypeId::kStruct) {
    return TypeError("ImportBatch expects a struct array, got format '" + std::string(s.format) +
                     "'");
  }
  const ArrowArray* a = &owner->array;
  if (a->null_count > 0) return InvalidArgument("a record batch cannot have null rows");
  if (a->n_children != static_cast<int64_t>(top.type->fields().size()) ||
      (a->n_children > 0 && a->children == nullptr)) {
    return InvalidArgument("Arrow struct array has " + std::to_string(a->n_children) +
                           " children, its schema has " +
                           std::to_string(top.type->fields().size()));
  }
  std::vector<ColumnPtr> columns;
  for (int64_t i = 0; i < a->n_children; ++i) {
    const Field& f = top.type->fields()[i];
    if (a->children[i] == nullptr)
      return InvalidArgument("missing child array " + std::to_string(i));
    EMBER_ASSIGN_OR_RETURN(ColumnPtr c, ImportColumn(a->children[i], f, owner));
    if (a->offset != 0 || c->length() != a->length) {
      if (a->offset + a->length > c->length()) {
        return InvalidArgument("column '" + f.name + "' is shorter than the batch");
      }
      c = c->Slice(a->offset, a->length);
    }
    columns.push_back(std::move(c));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr sch, Schema::Make(top.type->fields()));
  return Batch::Make(sch, std::move(columns), a->length);
}

}  // namespace ember
