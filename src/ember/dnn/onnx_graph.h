// What an ONNX file declares, read straight from its protobuf encoding (no protobuf library):
// the graph's inputs and outputs with element types and shapes, and its nodes in order. For
// `ember describe-model`, for checking feedDict/fetchDict against the model before a net is
// made, and for naming the node an importer cannot handle. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"

namespace ember::dnn {

struct OnnxTensorInfo {
  std::string name;
  int32_t elem_type = 0;  // TensorProto.DataType: 1 float, 7 int64, 11 double, ...
  // One per axis: the size, or -1 for a dynamic axis (named in dim_params).
  std::vector<int64_t> dims;
  std::vector<std::string> dim_params;
  bool has_shape = false;
};

struct OnnxNodeInfo {
  std::string name;
  std::string op_type;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

struct OnnxGraphInfo {
  int64_t ir_version = 0;
  int64_t opset = 0;  // of the default domain
  std::string producer;
  std::vector<OnnxTensorInfo> inputs;  // graph inputs that are not initializers (weights)
  std::vector<OnnxTensorInfo> outputs;
  std::vector<OnnxNodeInfo> nodes;  // in the file's (topological) order
};

// InvalidArgument "not an ONNX model: ..." when the bytes are not a ModelProto with a graph.
Result<OnnxGraphInfo> ParseOnnx(std::string_view bytes);

// "float", "int64", ... for an elem_type.
std::string ElemTypeName(int32_t elem_type);
// "[batch, 3, 224, 224]"-style text of a tensor's shape ("[?]" when it has none).
std::string ShapeText(const OnnxTensorInfo& t);

// The node that produces tensor `name`, or nullptr.
const OnnxNodeInfo* ProducerOf(const OnnxGraphInfo& g, const std::string& name);

}  // namespace ember::dnn
