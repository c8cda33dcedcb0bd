// ONNXModel, as SynapseML's (deep-learning/ONNXModel.scala), on OpenCV 4.6's DNN module: runs
// an ONNX network over a frame in mini-batches.
//   modelLocation  the .onnx file; its bytes are kept in the stage and saved inside the model
//                  directory (data/model.onnx), so a saved pipeline is self-contained.
//   feedDict       model input name -> column: a vector of the input's per-row size, nested
//                  lists of its per-row shape (ImageTransformer's tensors), a flat list, or a
//                  number for a [batch] input. Every model input needs a column.
//   fetchDict      output column -> what to read: a graph output, any intermediate tensor or
//                  node of the graph, or an OpenCV layer name (`ember describe-model FILE`
//                  lists them). Empty: every graph output, in a column of its name. A per-row
//                  output of one axis becomes a dense vector, of no axis a float64, of more
//                  axes nested lists of float32.
//   softMaxDict    column -> new column: the softmax of a vector column (a fetched one).
//   argMaxDict     column -> new column: the index of a vector column's largest value
//                  (float64, as Ember's predictions).
//   miniBatchSize  rows per forward pass.
// A row with a null in any fed column gives nulls. Each thread makes its own net once (kernel
// state) and OpenCV runs on the calling thread only (Ember's threads give the parallelism).
// At bind the net is made and run once on zeros to learn the outputs' shapes, so a model that
// OpenCV cannot import or run fails then, naming the file and the node. Known limits of
// OpenCV 4.6's importer are in docs/dnn.md.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "ember/dnn/internal/net.h"
#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember::dnn {

struct ONNXModelParams {
  std::string model_location;
  std::map<std::string, std::string> feed_dict;
  std::map<std::string, std::string> fetch_dict;
  std::map<std::string, std::string> soft_max_dict;
  std::map<std::string, std::string> arg_max_dict;
  int32_t mini_batch_size = 10;
  static const ParamSpec<ONNXModelParams>& Spec();
};

class ONNXModel final : public StageBase<ONNXModel, Transformer, ONNXModelParams> {
 public:
  static constexpr std::string_view kTypeName = "ONNXModel";
  // Reads modelLocation.
  static Result<std::shared_ptr<const ONNXModel>> Make(Params p, std::string uid = {});
  // With the model's bytes in hand (modelLocation is then only recorded).
  static Result<std::shared_ptr<const ONNXModel>> FromBytes(Params p, std::string bytes,
                                                            std::string uid = {});
  // A spec (modelLocation) or a saved directory (data/model.onnx).
  static Result<std::shared_ptr<const ONNXModel>> MakeOrLoad(const LoadContext& ctx);

  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Status SaveContents(const std::string& stage_dir) const override;
  const internal::OnnxBytes& model() const { return *model_; }

 private:
  friend StageBase;
  ONNXModel(Params p, std::shared_ptr<const internal::OnnxBytes> model, std::string uid)
      : StageBase(std::move(p), std::move(uid)), model_(std::move(model)) {}
  static Status Check(const Params& p);
  static Result<std::shared_ptr<const ONNXModel>> Build(
      Params p, std::shared_ptr<const internal::OnnxBytes> model, std::string uid);

  std::shared_ptr<const internal::OnnxBytes> model_;
};

// Registers ONNXModel and ImageFeaturizer.
Status RegisterDnnStages(StageRegistry* registry);

}  // namespace ember::dnn
