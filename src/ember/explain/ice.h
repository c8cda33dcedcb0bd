// ICETransformer, as SynapseML's (C/explainers/ICEExplainer.scala): how a model's output moves
// as one feature sweeps a grid of values with the others held at each row's own.
//   model, targetCol, targetClasses   as the other explainers (explainer.h).
//   numericFeatures       [{"name", "numSplits": 10, "rangeMin", "rangeMax", "outputColName"}]:
//                         numSplits + 1 evenly spaced values over [rangeMin, rangeMax] (default:
//                         the data's minimum and maximum).
//   categoricalFeatures   [{"name", "numTopValues": 100, "outputColName"}]: the data's most
//                         frequent values (ties: first seen first).
//   kind                  individual (ICE: every row with one column per feature), average
//                         (partial dependence: one row, each grid value's mean over the rows) or
//                         feature (one row per feature: its PDP-based importance, the standard
//                         deviation of a numeric feature's curve or (max - min) / 4 of a
//                         categorical one, per class, sorted by the first class, descending).
//   numSamples            explain at most this many rows, drawn at random with `seed` (0: all).
//   featureNameCol, dependenceNameCol  the columns of kind feature.
// A feature's column (outputColName, default "<name>_dependence") holds, per grid value in
// order, {value, dependence}: the value, and the mean target of each class. The grids come
// from the whole frame (every rank's rows under mpirun); one batch alone (serving, Bind) is its
// own frame.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ember/explain/explainer.h"

namespace ember::explain {

enum class IceKind { kIndividual, kAverage, kFeature };

struct ICETransformerParams {
  std::string model;
  std::string target_col = "probability";
  std::vector<int32_t> target_classes;
  std::vector<Json> numeric_features;
  std::vector<Json> categorical_features;
  IceKind kind = IceKind::kIndividual;
  int32_t num_samples = 0;
  int64_t seed = 0;
  std::string feature_name_col = "featureNames";
  std::string dependence_name_col = "pdpBasedDependence";
  static const ParamSpec<ICETransformerParams>& Spec();
};

class ICETransformer final : public StageBase<ICETransformer, Transformer, ICETransformerParams> {
 public:
  static constexpr std::string_view kTypeName = "ICETransformer";
  static Result<std::shared_ptr<const ICETransformer>> Make(
      Params p, std::shared_ptr<const Transformer> model, std::string uid = {});
  // A spec (model: a saved directory) or a saved directory (model/ inside it).
  static Result<std::shared_ptr<const ICETransformer>> MakeOrLoad(const LoadContext& ctx);

  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  Result<DataFrame> Transform(const DataFrame& in, const ExecContext& ctx) const override;
  bool partition_local() const override { return false; }
  Status SaveContents(const std::string& stage_dir) const override;

  // One parsed feature of numericFeatures or categoricalFeatures.
  struct Feature {
    std::string name;
    bool categorical = false;
    int32_t num_splits = 10;
    int32_t num_top_values = 100;
    std::optional<double> range_min, range_max;
    std::string output_col;
  };

 private:
  friend StageBase;
  using StageBase::StageBase;
  static Result<std::vector<Feature>> Parse(const Params& p);

  std::shared_ptr<const Transformer> model_;
  std::vector<Feature> features_;
};

// Registers ICETransformer.
Status RegisterIceStage(StageRegistry* registry);

}  // namespace ember::explain
