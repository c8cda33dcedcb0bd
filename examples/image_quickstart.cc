// Ember's image quick start, on real images from Debian's packages and a real network from
// npm (scripts/fetch_data.sh, scripts/fetch_models.sh):
//   cut opencv-doc's digits.png (5,000 handwritten 20x20 digits) into a labelled folder
//   (OUT_DIR/digits/<digit>/<n>.png), as a user's photos would be -> read it (labels from the
//   subfolders) -> split 80/20 with a seed -> fit ImageFeaturizer (MobileNetV2, its 1280-d
//   pooled output) -> StringIndexer -> LogisticRegression -> held-out accuracy -> save, load
//   -> featurize a folder of photos (opencv-doc's, scikit-learn's, darknet's) and print each
//   one's most similar photo by the features' cosine.
// Usage: ember_image_quickstart IMAGES_DIR MOBILENET_V2.onnx OUT_DIR [DIGITS_PER_CLASS=100]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <string>

#include "ember/base/status_macros.h"
#include "ember/core/image.h"
#include "ember/image/image_reader.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/stages/model_statistics.h"
#include "ember/stages/random_split.h"

namespace {

using ember::Status;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// digits.png holds 50 rows of 100 digits of 20x20 pixels; rows 5d .. 5d+4 are digit d.
Status CutDigits(const std::string& png, const std::string& dir, int per_class) {
  const cv::Mat sheet = cv::imread(png, cv::IMREAD_GRAYSCALE);
  if (sheet.empty()) return ember::NotFound("cannot read " + png);
  if (sheet.cols != 2000 || sheet.rows != 1000) {
    return ember::InvalidArgument(png + " is not opencv-doc's 2000x1000 digits sheet");
  }
  for (int d = 0; d < 10; ++d) {
    std::filesystem::create_directories(dir + "/" + std::to_string(d));
    for (int n = 0; n < per_class; ++n) {
      const int row = 5 * d + n / 100, col = n % 100;
      const std::string path = dir + "/" + std::to_string(d) + "/" + std::to_string(n) + ".png";
      if (!cv::imwrite(path, sheet(cv::Rect(col * 20, row * 20, 20, 20)))) {
        return ember::IoError("cannot write " + path);
      }
    }
  }
  return Status::OK();
}

Status Run(const std::string& images, const std::string& onnx, const std::string& out,
           int per_class) {
  const ember::ExecContext& ctx = ember::ExecContext::Default();
  std::filesystem::remove_all(out + "/digits");
  EMBER_RETURN_IF_ERROR(CutDigits(images + "/digits.png", out + "/digits", per_class));

  // 1. A labelled image folder: one row per file, the label from its subfolder.
  auto t0 = std::chrono::steady_clock::now();
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame digits, ember::image::ReadImages(ctx, out + "/digits"));
  std::printf("read %s: %lld images in %d partitions, labels from the subfolders (%.2f s)\n",
              (out + "/digits").c_str(), static_cast<long long>(digits.num_rows()),
              digits.num_partitions(), Seconds(t0));
  EMBER_ASSIGN_OR_RETURN(auto split, ember::RandomSplit(ctx, digits, {0.8, 0.2}, /*seed=*/42));

  // 2. Transfer learning: the network's pooled features, then a linear classifier.
  //    nsfwjs's MobileNetV2 takes RGB in [0, 1] (no mean or std); cutOutputLayers 3 reads
  //    below its three dense layers: the 1280-d average-pooled output.
  EMBER_ASSIGN_OR_RETURN(
      ember::Json spec,
      ember::Json::Parse(R"({"stages": [
      {"type": "ImageFeaturizer", "params": {"inputCol": "image", "outputCol": "features",
        "modelLocation": ")" +
                         onnx + R"(", "cutOutputLayers": 3, "colorScaleFactor": 0.00392156862745098,
        "channelNormalizationMeans": [0, 0, 0], "channelNormalizationStds": [1, 1, 1],
        "miniBatchSize": 16}},
      {"type": "StringIndexer", "params": {"inputCol": "label", "outputCol": "y"}},
      {"type": "LogisticRegression", "params": {"labelCol": "y", "regParam": 0.01, "maxIter": 300}},
      {"type": "IndexToString", "params": {"inputCol": "prediction", "outputCol": "digit"}}]})"));
  EMBER_ASSIGN_OR_RETURN(auto pipeline, ember::Pipeline::FromSpec(spec, ember::DefaultRegistry()));
  auto t1 = std::chrono::steady_clock::now();
  EMBER_ASSIGN_OR_RETURN(auto model, pipeline->Fit(split[0], ctx));
  std::printf(
      "fitted ImageFeaturizer -> StringIndexer -> LogisticRegression on %lld images "
      "(%.2f s)\n",
      static_cast<long long>(split[0].num_rows()), Seconds(t1));
  auto t2 = std::chrono::steady_clock::now();
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame scored, model->Transform(split[1], ctx));
  EMBER_ASSIGN_OR_RETURN(
      auto stats,
      ember::ComputeModelStatistics::Make(
          {.label_col = "y", .evaluation_metric = ember::EvaluationMetric::kClassification}));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame metrics, stats->Transform(scored, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::Batch m, metrics.Collect());
  EMBER_ASSIGN_OR_RETURN(ember::ColumnPtr accuracy, m.GetColumn("accuracy"));
  std::printf("held-out accuracy on %lld digits: %.3f (%.2f s, %.0f images/s)\n",
              static_cast<long long>(split[1].num_rows()), accuracy->Values<double>()[0],
              Seconds(t2), split[1].num_rows() / Seconds(t2));

  // 3. Saved with the network's bytes inside: the model directory is all a server needs.
  const std::string model_dir = out + "/digits_model";
  EMBER_RETURN_IF_ERROR(
      ember::SaveStage(*model, model_dir, {.overwrite = true, .input_schema = digits.schema()}));
  EMBER_ASSIGN_OR_RETURN(auto loaded, ember::LoadTransformer(model_dir, ember::DefaultRegistry()));
  std::printf("saved to %s (ember serve %s answers images)\n", model_dir.c_str(),
              model_dir.c_str());

  // 4. The same features for a folder of photos: each photo's nearest neighbour.
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame photos,
                         ember::image::ReadImages(ctx, images + "/photos"));
  const auto& stages = static_cast<const ember::PipelineModel&>(*loaded).stages();
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame featured, stages[0]->Transform(photos, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::Batch f, featured.Collect());
  const ember::Column& img = *f.column(f.schema()->FindField("image"));
  const ember::Column& vec = *f.column(f.schema()->FindField("features"));
  std::printf("\n%lld photos, each with its most similar one (cosine of the features):\n",
              static_cast<long long>(f.num_rows()));
  auto name = [&](int64_t r) {
    return std::filesystem::path(std::string(ember::ImageAt(img, r).origin)).stem().string();
  };
  for (int64_t a = 0; a < f.num_rows(); ++a) {
    double best = -2;
    int64_t best_b = -1;
    auto va = vec.DenseRow(a);
    for (int64_t b = 0; b < f.num_rows(); ++b) {
      if (b == a) continue;
      auto vb = vec.DenseRow(b);
      double dot = 0, na = 0, nb = 0;
      for (size_t k = 0; k < va.size(); ++k) {
        dot += va[k] * vb[k];
        na += va[k] * va[k];
        nb += vb[k] * vb[k];
      }
      const double cosine = dot / std::sqrt(na * nb + 1e-300);
      if (cosine > best) {
        best = cosine;
        best_b = b;
      }
    }
    std::printf("  %-14s -> %-14s %.3f\n", name(a).c_str(), name(best_b).c_str(), best);
  }
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: %s IMAGES_DIR MOBILENET_V2.onnx OUT_DIR [DIGITS_PER_CLASS=100]\n"
                 "  (scripts/fetch_data.sh and scripts/fetch_models.sh make data/images and "
                 "data/models/mobilenet_v2.onnx)\n",
                 argv[0]);
    return 2;
  }
  const int per_class = argc > 4 ? std::atoi(argv[4]) : 100;
  if (per_class < 5 || per_class > 500) {
    std::fprintf(stderr, "DIGITS_PER_CLASS must be in [5, 500]\n");
    return 2;
  }
  Status s = Run(argv[1], argv[2], argv[3], per_class);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
