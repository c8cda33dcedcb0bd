// `ember describe-model FILE.onnx`: what a network takes and gives, so that a user can write
// ONNXModel's feedDict and fetchDict (and ImageFeaturizer's featureTensorName) without
// another tool; and whether OpenCV's importer takes it.
#include "commands.h"

#if EMBER_WITH_OPENCV
#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/dnn/internal/net.h"
#include "ember/dnn/onnx_graph.h"
#endif

namespace ember::cli {

#if EMBER_WITH_OPENCV
Status DescribeOnnx(const CliContext& c, const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(auto model, dnn::internal::ReadOnnx(path));
  const dnn::OnnxGraphInfo& g = model->graph;
  c.out << path << ": ONNX IR " << g.ir_version << ", opset " << g.opset
        << (g.producer.empty() ? "" : ", made by " + g.producer) << ", " << g.nodes.size()
        << " nodes\n";
  auto list = [&](const char* title, const std::vector<dnn::OnnxTensorInfo>& tensors) {
    c.out << title << "\n";
    for (const auto& t : tensors) {
      c.out << "  " << t.name << "  " << dnn::ElemTypeName(t.elem_type) << " " << dnn::ShapeText(t)
            << "\n";
    }
  };
  list("inputs (feedDict keys):", g.inputs);
  list("outputs (fetchDict values):", g.outputs);
  c.out << "intermediate tensors (also fetchDict values), by the node that makes them:\n";
  for (const auto& n : g.nodes) {
    for (const std::string& o : n.outputs) {
      c.out << "  " << o << "  " << n.op_type << (n.name.empty() ? "" : " " + n.name) << "\n";
    }
  }
  Result<cv::dnn::Net> net = dnn::internal::MakeNet(*model);
  if (net.ok()) {
    c.out << "OpenCV 4.6 DNN imports it (" << net->getLayerNames().size() << " layers)\n";
  } else {
    c.out << "OpenCV 4.6 DNN does not import it: " << net.status().message() << "\n";
  }
  return Status::OK();
}
#else
Status DescribeOnnx(const CliContext&, const std::string&) {
  return FailedPrecondition(
      "describe-model needs the dnn module; build with -DEMBER_WITH_OPENCV=ON (needs "
      "libopencv-dev)");
}
#endif

}  // namespace ember::cli
