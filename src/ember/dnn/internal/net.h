// What ONNXModel and ImageFeaturizer share: making OpenCV DNN nets from ONNX bytes (with the
// importer's errors turned into ones that name the node), resolving the names users fetch to
// the net's layers, and filling input blobs from columns row by row. Internal to dnn/.
#pragma once

#include <memory>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"
#include "ember/dnn/onnx_graph.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"

namespace ember::dnn::internal {

// An ONNX model's bytes and what its file declares. Immutable, shared by a stage's kernels.
struct OnnxBytes {
  std::string bytes;
  OnnxGraphInfo graph;
  std::string origin;  // the file it came from, for messages
};

// Reads and parses an ONNX file; errors name the file.
Result<std::shared_ptr<const OnnxBytes>> ReadOnnx(const std::string& path);
Result<std::shared_ptr<const OnnxBytes>> OnnxFromBytes(std::string bytes, std::string origin);

// The model bytes of a stage being built: from `model_location` for a spec (ctx.dir empty,
// errors name the param), else from the saved directory's data/model.onnx.
Result<std::shared_ptr<const OnnxBytes>> LoadModelBytes(const LoadContext& ctx,
                                                        const std::string& model_location,
                                                        const std::string& owner);
// Writes the bytes to stage_dir/data/model.onnx.
Status SaveModelBytes(const OnnxBytes& model, const std::string& stage_dir);

// Runs OpenCV's own parallel loops on the calling thread only: Ember's threads give the
// parallelism (one partition or request per thread), so nets and pools do not oversubscribe
// the cores. Also quiets OpenCV's logging below fatal (its errors reach the user as
// statuses). Idempotent; the first net made calls it.
void UseCallerThreadsForOpenCv();

// A net from the model, ready for inference on the CPU. Import errors name the model file
// and, where OpenCV says which, the unsupported node and its op type.
Result<cv::dnn::Net> MakeNet(const OnnxBytes& model);

// The net layer that computes `name`: a layer name, a graph output, or any tensor of the
// graph (an intermediate output: its producing node's layer). NotFound listing the graph's
// outputs and a few layer names.
Result<std::string> ResolveLayer(const cv::dnn::Net& net, const OnnxBytes& model,
                                 const std::string& name);

// The per-row dims of model input `input` (its declared dims after the batch axis); errors
// when an axis other than the batch is dynamic.
Result<std::vector<int64_t>> RowDims(const OnnxBytes& model, const std::string& input);

// "[3, 224, 224]".
std::string DimsText(const std::vector<int64_t>& dims);

// How a column feeds a model input.
struct Feed {
  std::string input;  // the model's input name
  int column = -1;
  std::string column_name;
  std::vector<int64_t> row_dims;
  int64_t row_size = 1;
};

// Checks that column `column` of `in` can feed `row_dims` (a dense or sparse vector of that
// many values, nested lists of that shape, a list of numbers, or a number for a scalar).
Result<Feed> BindFeed(const Schema& in, const std::string& column, const std::string& input,
                      std::vector<int64_t> row_dims);

// Copies row r of the feed's column into `out` (row_size floats). The error for nested lists
// of another shape gives both shapes.
Status CopyRow(const Feed& feed, const Column& column, int64_t r, float* out);

// The per-thread state of a net kernel: its net, made on first use.
struct NetState final : public KernelState {
  cv::dnn::Net net;
  bool ready = false;
};

// Runs the net on blobs (one per input name) and returns the requested layers' outputs.
Result<std::vector<cv::Mat>> Forward(cv::dnn::Net& net, const std::vector<std::string>& inputs,
                                     const std::vector<cv::Mat>& blobs,
                                     const std::vector<std::string>& layers,
                                     const std::string& origin);

}  // namespace ember::dnn::internal
