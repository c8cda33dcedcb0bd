#include "ember/dnn/internal/net.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <opencv2/core/utils/logger.hpp>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/core/image.h"

namespace ember::dnn::internal {

Result<std::shared_ptr<const OnnxBytes>> OnnxFromBytes(std::string bytes, std::string origin) {
  Result<OnnxGraphInfo> graph = ParseOnnx(bytes);
  if (!graph.ok()) return InvalidArgument("'" + origin + "': " + graph.status().message());
  auto m = std::make_shared<OnnxBytes>();
  m->bytes = std::move(bytes);
  m->graph = std::move(*graph);
  m->origin = std::move(origin);
  return std::shared_ptr<const OnnxBytes>(std::move(m));
}

Result<std::shared_ptr<const OnnxBytes>> ReadOnnx(const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(path));
  return OnnxFromBytes(std::move(bytes), path);
}

Result<std::shared_ptr<const OnnxBytes>> LoadModelBytes(const LoadContext& ctx,
                                                        const std::string& model_location,
                                                        const std::string& owner) {
  if (ctx.dir.empty()) {
    Result<std::shared_ptr<const OnnxBytes>> m = ReadOnnx(model_location);
    if (!m.ok()) return m.status().WithContext(owner + " param 'modelLocation'");
    return m;
  }
  const std::string path = ctx.dir + "/data/model.onnx";
  Result<std::string> bytes = ReadFileToString(path);
  if (!bytes.ok()) {
    return DataLoss(owner + ": " + path + " is missing or unreadable: " + bytes.status().message());
  }
  return OnnxFromBytes(std::move(*bytes), model_location);
}

Status SaveModelBytes(const OnnxBytes& model, const std::string& stage_dir) {
  std::error_code ec;
  std::filesystem::create_directories(stage_dir + "/data", ec);
  if (ec) return IoError("cannot create '" + stage_dir + "/data': " + ec.message());
  return WriteStringToFile(stage_dir + "/data/model.onnx", model.bytes);
}

void UseCallerThreadsForOpenCv() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::setNumThreads(1);
    // Import and run errors come back as statuses that carry OpenCV's message; its own log
    // line on stderr would say the same thing twice.
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_FATAL);
  });
}

Result<cv::dnn::Net> MakeNet(const OnnxBytes& model) {
  UseCallerThreadsForOpenCv();
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(model.bytes.data(), model.bytes.size());
    if (net.empty()) return InvalidArgument("'" + model.origin + "': OpenCV made an empty net");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    return InvalidArgument("OpenCV 4.6 DNN cannot import '" + model.origin + "': " + e.err +
                           " (docs/dnn.md lists the importer's limits and fixes)");
  }
}

Result<std::string> ResolveLayer(const cv::dnn::Net& net, const OnnxBytes& model,
                                 const std::string& name) {
  const std::vector<std::string> layers = net.getLayerNames();
  auto has = [&](const std::string& n) {
    return std::find(layers.begin(), layers.end(), n) != layers.end();
  };
  if (has(name)) return name;
  if (const OnnxNodeInfo* node = ProducerOf(model.graph, name)) {
    for (const std::string& candidate : {"onnx_node!" + node->name, node->name}) {
      if (!node->name.empty() && has(candidate)) return candidate;
    }
  }
  if (has("onnx_node!" + name)) return "onnx_node!" + name;
  std::string outputs, some;
  for (const OnnxTensorInfo& o : model.graph.outputs)
    outputs += (outputs.empty() ? "" : ", ") + o.name;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (i == 8 && layers.size() > 10) {
      some += ", ... (" + std::to_string(layers.size()) + " in all)";
      break;
    }
    some += (some.empty() ? "" : ", ") + layers[i];
  }
  return NotFound("'" + name + "' is neither an output, a tensor nor a layer of '" + model.origin +
                  "' (outputs: " + outputs + "; layers: " + some +
                  "; `ember describe-model` lists them; OpenCV fuses some nodes, such as batch "
                  "norm into a convolution, whose outputs then have no layer)");
}

std::string DimsText(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

Result<std::vector<int64_t>> RowDims(const OnnxBytes& model, const std::string& input) {
  const auto& ins = model.graph.inputs;
  auto it = std::find_if(ins.begin(), ins.end(),
                         [&](const OnnxTensorInfo& t) { return t.name == input; });
  if (it == ins.end()) {
    std::string names;
    for (const OnnxTensorInfo& t : ins)
      names += (names.empty() ? "" : ", ") + t.name + " " + ShapeText(t);
    return NotFound("'" + model.origin + "' has no input '" + input + "' (its inputs: " + names +
                    ")");
  }
  if (!it->has_shape || it->dims.empty()) {
    return InvalidArgument("input '" + input + "' of '" + model.origin +
                           "' declares no shape with a batch axis");
  }
  std::vector<int64_t> row(it->dims.begin() + 1, it->dims.end());
  for (int64_t d : row) {
    if (d <= 0) {
      return InvalidArgument("input '" + input + "' of '" + model.origin + "' is " +
                             ShapeText(*it) +
                             ": OpenCV 4.6 needs every axis but the batch fixed; fix the sizes "
                             "in the model (docs/dnn.md shows how)");
    }
  }
  return row;
}

namespace {

// The nesting depth of list type `t` and its innermost element type.
int ListDepth(const DataType& t, const DataType** leaf) {
  int depth = 0;
  const DataType* c = &t;
  while (c->id() == TypeId::kList) {
    ++depth;
    c = c->value_type().get();
  }
  *leaf = c;
  return depth;
}

// Walks nested lists level by level, checking each length against dims (flat: one level of
// `total` values). Returns false on a mismatch, leaving the shape it saw in *seen.
bool CopyNested(const Column& c, int64_t start, int64_t end, size_t level,
                const std::vector<int64_t>& dims, bool flat, float** out,
                std::vector<int64_t>* seen, bool* null_inside) {
  const int64_t n = end - start;
  if (seen->size() <= level) seen->push_back(n);
  const bool last = flat || level + 1 == dims.size();
  int64_t want = 1;
  if (flat) {
    for (int64_t d : dims) want *= d;
  } else {
    want = dims[level];
  }
  if (n != want) {
    (*seen)[level] = n;
    return false;
  }
  if (last) {
    for (int64_t i = start; i < end; ++i) {
      if (c.IsNull(i)) {
        *null_inside = true;
        return false;
      }
      *(*out)++ = static_cast<float>(NumericValue(c, i));
    }
    return true;
  }
  const Column& child = *c.child(0);
  const int32_t* o = c.Offsets();
  for (int64_t i = start; i < end; ++i) {
    if (c.IsNull(i)) {
      *null_inside = true;
      return false;
    }
    if (!CopyNested(child, o[i], o[i + 1], level + 1, dims, flat, out, seen, null_inside)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Feed> BindFeed(const Schema& in, const std::string& column, const std::string& input,
                      std::vector<int64_t> row_dims) {
  EMBER_ASSIGN_OR_RETURN(int index, in.GetFieldIndex(column));
  Feed f{input, index, column, std::move(row_dims), 1};
  for (int64_t d : f.row_dims) f.row_size *= d;
  const DataType& t = *in.field(index).type;
  auto refuse = [&](const std::string& why) {
    return InvalidArgument("column '" + column + "' (" + t.ToString() +
                           ") cannot feed model input '" + input + "' " + DimsText(f.row_dims) +
                           " per row: " + why);
  };
  if (t.id() == TypeId::kVector) {
    if (t.vector_size() != f.row_size) {
      return refuse("it holds " + std::to_string(t.vector_size()) + " values, the input " +
                    std::to_string(f.row_size));
    }
    return f;
  }
  if (t.id() == TypeId::kList) {
    const DataType* leaf = nullptr;
    const int depth = ListDepth(t, &leaf);
    if (!leaf->is_numeric() && leaf->id() != TypeId::kBool) return refuse("not numbers");
    if (depth != 1 && depth != static_cast<int>(f.row_dims.size())) {
      return refuse("lists nested " + std::to_string(depth) + " deep for an input of " +
                    std::to_string(f.row_dims.size()) + " axes");
    }
    return f;
  }
  if ((t.is_numeric() || t.id() == TypeId::kBool) && f.row_size == 1) return f;
  if (IsImageType(t)) {
    return refuse(
        "images become tensors through ImageTransformer (toTensor) or "
        "ImageFeaturizer");
  }
  return refuse("use a vector, nested lists of numbers or a number");
}

Status CopyRow(const Feed& feed, const Column& c, int64_t r, float* out) {
  switch (c.type_id()) {
    case TypeId::kVector:
      if (c.type()->sparse()) {
        std::fill(out, out + feed.row_size, 0.0f);
        ForEachVectorEntry(c, r, [&](int64_t k, double v) { out[k] = static_cast<float>(v); });
      } else {
        auto row = c.DenseRow(r);
        for (size_t k = 0; k < row.size(); ++k) out[k] = static_cast<float>(row[k]);
      }
      return Status::OK();
    case TypeId::kList: {
      const DataType* leaf = nullptr;
      const bool flat = ListDepth(*c.type(), &leaf) == 1 && feed.row_dims.size() != 1;
      const int32_t* o = c.Offsets();
      std::vector<int64_t> seen;
      bool null_inside = false;
      float* p = out;
      if (!CopyNested(*c.child(0), o[r], o[r + 1], 0,
                      feed.row_dims.empty() ? std::vector<int64_t>{1} : feed.row_dims, flat, &p,
                      &seen, &null_inside)) {
        if (null_inside) {
          return InvalidArgument("column '" + feed.column_name + "' row " + std::to_string(r) +
                                 ": a null inside the tensor");
        }
        std::vector<int64_t> want = feed.row_dims;
        if (flat) want = {feed.row_size};
        // The row's shape along its first elements; when that is the input's, the lists are
        // ragged and `seen` tells where.
        std::vector<int64_t> shape;
        const Column* level = &c;
        for (int64_t at = r; level->type_id() == TypeId::kList;) {
          const int32_t* lo = level->Offsets();
          shape.push_back(lo[at + 1] - lo[at]);
          if (lo[at + 1] == lo[at]) break;
          at = lo[at];
          level = level->child(0).get();
        }
        const std::string where = "column '" + feed.column_name + "' row " + std::to_string(r);
        if (shape == want) {
          return InvalidArgument(where + " has ragged lists (one of " +
                                 std::to_string(seen.back()) + " at depth " +
                                 std::to_string(seen.size()) + "), the model's input '" +
                                 feed.input + "' takes " + DimsText(want));
        }
        return InvalidArgument(where + " has shape " + DimsText(shape) + ", the model's input '" +
                               feed.input + "' takes " + DimsText(want));
      }
      return Status::OK();
    }
    default:
      *out = static_cast<float>(NumericValue(c, r));
      return Status::OK();
  }
}

Result<std::vector<cv::Mat>> Forward(cv::dnn::Net& net, const std::vector<std::string>& inputs,
                                     const std::vector<cv::Mat>& blobs,
                                     const std::vector<std::string>& layers,
                                     const std::string& origin) {
  std::vector<cv::Mat> outs;
  try {
    for (size_t i = 0; i < inputs.size(); ++i) net.setInput(blobs[i], inputs[i]);
    net.forward(outs, layers);
  } catch (const cv::Exception& e) {
    return InvalidArgument("OpenCV 4.6 DNN failed running '" + origin + "': " + e.err);
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    if (outs[i].depth() != CV_32F) {
      return InvalidArgument("'" + origin + "': output '" + layers[i] +
                             "' is not float32 (OpenCV depth " + std::to_string(outs[i].depth()) +
                             ")");
    }
  }
  return outs;
}

}  // namespace ember::dnn::internal
