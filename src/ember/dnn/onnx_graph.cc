#include "ember/dnn/onnx_graph.h"

#include <unordered_set>

#include "ember/base/status_macros.h"

namespace ember::dnn {

namespace {

// A protobuf message being read: fields one at a time, bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : p_(bytes) {}
  bool done() const { return pos_ >= p_.size(); }

  // The next field's number and wire type.
  Status Next(uint32_t* field, uint32_t* wire) {
    uint64_t key = 0;
    EMBER_RETURN_IF_ERROR(Varint(&key));
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    if (*field == 0) return Bad("field number 0");
    return Status::OK();
  }
  Status Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= p_.size()) return Bad("truncated varint");
      const auto b = static_cast<uint8_t>(p_[pos_++]);
      v |= uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return Status::OK();
      }
    }
    return Bad("varint longer than 10 bytes");
  }
  Status Bytes(std::string_view* out) {
    uint64_t n = 0;
    EMBER_RETURN_IF_ERROR(Varint(&n));
    if (n > p_.size() - pos_) return Bad("length past the end");
    *out = p_.substr(pos_, n);
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint32_t wire) {
    uint64_t v = 0;
    std::string_view s;
    switch (wire) {
      case 0:
        return Varint(&v);
      case 1:
        return Advance(8);
      case 2:
        return Bytes(&s);
      case 5:
        return Advance(4);
      default:
        return Bad("unsupported wire type " + std::to_string(wire));
    }
  }

 private:
  Status Advance(size_t n) {
    if (n > p_.size() - pos_) return Bad("truncated fixed-width field");
    pos_ += n;
    return Status::OK();
  }
  static Status Bad(const std::string& what) {
    return InvalidArgument("not an ONNX model: malformed protobuf (" + what + ")");
  }
  std::string_view p_;
  size_t pos_ = 0;
};

Status ParseShape(std::string_view bytes, OnnxTensorInfo* t) {
  t->has_shape = true;
  Reader r(bytes);
  while (!r.done()) {
    uint32_t f, w;
    EMBER_RETURN_IF_ERROR(r.Next(&f, &w));
    if (f != 1 || w != 2) {
      EMBER_RETURN_IF_ERROR(r.Skip(w));
      continue;
    }
    std::string_view dim;
    EMBER_RETURN_IF_ERROR(r.Bytes(&dim));
    int64_t value = -1;
    std::string param;
    Reader d(dim);
    while (!d.done()) {
      uint32_t df, dw;
      EMBER_RETURN_IF_ERROR(d.Next(&df, &dw));
      if (df == 1 && dw == 0) {
        uint64_t v;
        EMBER_RETURN_IF_ERROR(d.Varint(&v));
        value = static_cast<int64_t>(v);
      } else if (df == 2 && dw == 2) {
        std::string_view s;
        EMBER_RETURN_IF_ERROR(d.Bytes(&s));
        param = std::string(s);
      } else {
        EMBER_RETURN_IF_ERROR(d.Skip(dw));
      }
    }
    t->dims.push_back(value);
    t->dim_params.push_back(param);
  }
  return Status::OK();
}

// ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1; shape = 2 } } }
Status ParseValueInfo(std::string_view bytes, OnnxTensorInfo* t) {
  Reader r(bytes);
  while (!r.done()) {
    uint32_t f, w;
    EMBER_RETURN_IF_ERROR(r.Next(&f, &w));
    std::string_view s;
    if (f == 1 && w == 2) {
      EMBER_RETURN_IF_ERROR(r.Bytes(&s));
      t->name = std::string(s);
    } else if (f == 2 && w == 2) {
      EMBER_RETURN_IF_ERROR(r.Bytes(&s));
      Reader type(s);
      while (!type.done()) {
        uint32_t tf, tw;
        EMBER_RETURN_IF_ERROR(type.Next(&tf, &tw));
        if (tf != 1 || tw != 2) {
          EMBER_RETURN_IF_ERROR(type.Skip(tw));
          continue;
        }
        std::string_view tensor;
        EMBER_RETURN_IF_ERROR(type.Bytes(&tensor));
        Reader tr(tensor);
        while (!tr.done()) {
          uint32_t ef, ew;
          EMBER_RETURN_IF_ERROR(tr.Next(&ef, &ew));
          if (ef == 1 && ew == 0) {
            uint64_t v;
            EMBER_RETURN_IF_ERROR(tr.Varint(&v));
            t->elem_type = static_cast<int32_t>(v);
          } else if (ef == 2 && ew == 2) {
            std::string_view shape;
            EMBER_RETURN_IF_ERROR(tr.Bytes(&shape));
            EMBER_RETURN_IF_ERROR(ParseShape(shape, t));
          } else {
            EMBER_RETURN_IF_ERROR(tr.Skip(ew));
          }
        }
      }
    } else {
      EMBER_RETURN_IF_ERROR(r.Skip(w));
    }
  }
  return Status::OK();
}

Status ParseNode(std::string_view bytes, OnnxNodeInfo* n) {
  Reader r(bytes);
  while (!r.done()) {
    uint32_t f, w;
    EMBER_RETURN_IF_ERROR(r.Next(&f, &w));
    if (w != 2 || f < 1 || f > 4) {
      EMBER_RETURN_IF_ERROR(r.Skip(w));
      continue;
    }
    std::string_view s;
    EMBER_RETURN_IF_ERROR(r.Bytes(&s));
    if (f == 1) n->inputs.emplace_back(s);
    if (f == 2) n->outputs.emplace_back(s);
    if (f == 3) n->name = std::string(s);
    if (f == 4) n->op_type = std::string(s);
  }
  return Status::OK();
}

// TensorProto's name (field 8), skipping its data.
Status InitializerName(std::string_view bytes, std::string* name) {
  Reader r(bytes);
  while (!r.done()) {
    uint32_t f, w;
    EMBER_RETURN_IF_ERROR(r.Next(&f, &w));
    if (f == 8 && w == 2) {
      std::string_view s;
      EMBER_RETURN_IF_ERROR(r.Bytes(&s));
      *name = std::string(s);
    } else {
      EMBER_RETURN_IF_ERROR(r.Skip(w));
    }
  }
  return Status::OK();
}

Status ParseGraph(std::string_view bytes, OnnxGraphInfo* g) {
  Reader r(bytes);
  std::vector<OnnxTensorInfo> inputs;
  std::unordered_set<std::string> initializers;
  while (!r.done()) {
    uint32_t f, w;
    EMBER_RETURN_IF_ERROR(r.Next(&f, &w));
    if (w != 2 || (f != 1 && f != 5 && f != 11 && f != 12)) {
      EMBER_RETURN_IF_ERROR(r.Skip(w));
      continue;
    }
    std::string_view s;
    EMBER_RETURN_IF_ERROR(r.Bytes(&s));
    if (f == 1) {
      EMBER_RETURN_IF_ERROR(ParseNode(s, &g->nodes.emplace_back()));
    } else if (f == 5) {
      std::string name;
      EMBER_RETURN_IF_ERROR(InitializerName(s, &name));
      initializers.insert(name);
    } else {
      EMBER_RETURN_IF_ERROR(
          ParseValueInfo(s, f == 11 ? &inputs.emplace_back() : &g->outputs.emplace_back()));
    }
  }
  for (OnnxTensorInfo& t : inputs) {
    if (!initializers.count(t.name)) g->inputs.push_back(std::move(t));
  }
  return Status::OK();
}

}  // namespace

Result<OnnxGraphInfo> ParseOnnx(std::string_view bytes) {
  if (bytes.empty()) return InvalidArgument("not an ONNX model: the file is empty");
  OnnxGraphInfo g;
  bool has_graph = false;
  Reader r(bytes);
  while (!r.done()) {
    uint32_t f, w;
    EMBER_RETURN_IF_ERROR(r.Next(&f, &w));
    std::string_view s;
    uint64_t v;
    if (f == 1 && w == 0) {
      EMBER_RETURN_IF_ERROR(r.Varint(&v));
      g.ir_version = static_cast<int64_t>(v);
    } else if (f == 2 && w == 2) {
      EMBER_RETURN_IF_ERROR(r.Bytes(&s));
      g.producer = std::string(s);
    } else if (f == 7 && w == 2) {
      EMBER_RETURN_IF_ERROR(r.Bytes(&s));
      EMBER_RETURN_IF_ERROR(ParseGraph(s, &g));
      has_graph = true;
    } else if (f == 8 && w == 2) {  // OperatorSetIdProto { domain = 1; version = 2 }
      EMBER_RETURN_IF_ERROR(r.Bytes(&s));
      Reader o(s);
      std::string domain;
      int64_t version = 0;
      while (!o.done()) {
        uint32_t of, ow;
        EMBER_RETURN_IF_ERROR(o.Next(&of, &ow));
        std::string_view d;
        if (of == 1 && ow == 2) {
          EMBER_RETURN_IF_ERROR(o.Bytes(&d));
          domain = std::string(d);
        } else if (of == 2 && ow == 0) {
          EMBER_RETURN_IF_ERROR(o.Varint(&v));
          version = static_cast<int64_t>(v);
        } else {
          EMBER_RETURN_IF_ERROR(o.Skip(ow));
        }
      }
      if (domain.empty() || domain == "ai.onnx") g.opset = version;
    } else {
      EMBER_RETURN_IF_ERROR(r.Skip(w));
    }
  }
  if (!has_graph || g.ir_version == 0) {
    return InvalidArgument("not an ONNX model: no graph or IR version in the file");
  }
  if (g.outputs.empty()) return InvalidArgument("not an ONNX model: the graph has no outputs");
  return g;
}

std::string ElemTypeName(int32_t t) {
  static const char* const kNames[] = {"undefined",  "float",   "uint8",  "int8",   "uint16",
                                       "int16",      "int32",   "int64",  "string", "bool",
                                       "float16",    "double",  "uint32", "uint64", "complex64",
                                       "complex128", "bfloat16"};
  if (t >= 0 && t < static_cast<int32_t>(std::size(kNames))) return kNames[t];
  return "type " + std::to_string(t);
}

std::string ShapeText(const OnnxTensorInfo& t) {
  if (!t.has_shape) return "[?]";
  std::string s = "[";
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i) s += ", ";
    s += t.dims[i] >= 0            ? std::to_string(t.dims[i])
         : t.dim_params[i].empty() ? "?"
                                   : t.dim_params[i];
  }
  return s + "]";
}

const OnnxNodeInfo* ProducerOf(const OnnxGraphInfo& g, const std::string& name) {
  for (const OnnxNodeInfo& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      if (o == name) return &n;
    }
  }
  return nullptr;
}

}  // namespace ember::dnn
