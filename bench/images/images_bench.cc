// Ember's side of bench/images. Modes (one per process; each prints key=value lines):
//   e2e DIR MODEL THREADS BATCH   JPEG files on disk -> feature vectors: ReadBinaryFiles ->
//                                 ImageFeaturizer (decode, resize, normalize, MobileNetV2 up to
//                                 its pooled 1280-d output). Steady state: binding and each
//                                 thread's first net are set up (and reported) before timing,
//                                 as the peers load their model before timing.
//   forward DIR MODEL THREADS BATCH  OpenCV DNN's forward pass alone on tensors decoded and
//                                 resized beforehand (not timed): THREADS threads with a net
//                                 each (Ember's arrangement), and one net on OpenCV's THREADS
//                                 threads; the faster is the anchor.
//   one IMAGE MODEL N             one image's forward pass alone, as `ember serve` runs it
//                                 (batch of 1, OpenCV on one thread), the image decoded and
//                                 resized beforehand: p50 over N passes after 20 warm-up.
//                                 The anchor of bench/images/serve.sh.
//   decode DIR THREADS            decode + resize to 224x224: ImageTransformer on the bytes
//                                 (full decode), and the reduced JPEG decode ImageFeaturizer
//                                 uses.
// Usage: ember_bench_images MODE DIR ...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <thread>

#include "ember/base/status_macros.h"
#include "ember/dnn/image_featurizer.h"
#include "ember/exec/allocator.h"
#include "ember/image/image_transformer.h"
#include "ember/image/internal/codec.h"
#include "ember/io/binary_files.h"
#include "ember/pipeline/stage.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename T>
T OrDie(ember::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

ember::DataFrame ReadJpegs(const ember::ExecContext& ctx, const std::string& dir) {
  return OrDie(ember::ReadBinaryFiles(ctx, dir, {.path_glob = "*.jpg", .files_per_partition = 8}),
               "read files");
}

int E2e(const std::string& dir, const std::string& model, int threads, int batch) {
  ember::ThreadPool pool(threads);
  ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  ember::dnn::ImageFeaturizerParams p;
  p.input_col = "bytes";
  p.output_col = "features";
  p.model_location = model;
  p.cut_output_layers = 3;  // below the three dense layers: the pooled 1280-d output
  p.color_scale_factor = 1.0 / 255;
  p.channel_normalization_means = {0, 0, 0};
  p.channel_normalization_stds = {1, 1, 1};
  p.mini_batch_size = batch;
  auto featurizer = OrDie(ember::dnn::ImageFeaturizer::Make(p), "featurizer");
  // Setup, timed apart: binding (the net made and run once on zeros) and each thread's own
  // net, made on its first partition (a warm-up over some of the files, one per partition).
  auto t0 = Clock::now();
  ember::DataFrame files = ReadJpegs(ctx, dir);
  auto bound = OrDie(featurizer->Bind(*files.schema()), "bind");
  std::vector<ember::Batch> warm;
  for (int i = 0; i < 4 * threads; ++i) warm.push_back(files.partitions()[i]);
  OrDie(ember::RunBound(*bound, *ember::DataFrame::Make(files.schema(), warm), ctx), "warm up");
  const double setup = Since(t0);
  // Steady state: files read from disk and featurized.
  t0 = Clock::now();
  files = ReadJpegs(ctx, dir);
  ember::DataFrame features = OrDie(ember::RunBound(*bound, files, ctx), "featurize");
  const double s = Since(t0);
  std::printf("ember_e2e images_per_s=%.2f images=%lld setup_s=%.3f\n", features.num_rows() / s,
              static_cast<long long>(features.num_rows()), setup);
  return 0;
}

std::vector<cv::Mat> Tensors(const std::string& dir) {
  std::vector<cv::Mat> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".jpg") continue;
    cv::Mat img = cv::imread(e.path().string(), cv::IMREAD_COLOR);
    cv::resize(img, img, cv::Size(224, 224));
    out.push_back(img);
  }
  return out;
}

int Forward(const std::string& dir, const std::string& model, int threads, int batch) {
  const std::vector<cv::Mat> images = Tensors(dir);
  const int n = static_cast<int>(images.size());
  auto run = [&](cv::dnn::Net& net, int from, int to) {
    for (int i = from; i < to; i += batch) {
      std::vector<cv::Mat> b(images.begin() + i, images.begin() + std::min(to, i + batch));
      net.setInput(cv::dnn::blobFromImages(b, 1.0 / 255, cv::Size(), cv::Scalar(), true));
      net.forward("onnx_node!/Flatten");
    }
  };
  auto make = [&] {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(model);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    return net;
  };
  // THREADS threads with a net each; OpenCV single-threaded.
  cv::setNumThreads(1);
  std::vector<cv::dnn::Net> nets;
  for (int t = 0; t < threads; ++t) nets.push_back(make());
  for (auto& net : nets) run(net, 0, std::min(n, batch));  // warm up
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { run(nets[t], n * t / threads, n * (t + 1) / threads); });
  }
  for (auto& w : workers) w.join();
  std::printf("forward_net_per_thread images_per_s=%.2f\n", n / Since(t0));
  // One net on OpenCV's own threads.
  cv::setNumThreads(threads);
  cv::dnn::Net one = make();
  run(one, 0, std::min(n, batch));
  t0 = Clock::now();
  run(one, 0, n);
  std::printf("forward_opencv_threads images_per_s=%.2f\n", n / Since(t0));
  return 0;
}

int One(const std::string& image, const std::string& model, int n) {
  cv::Mat m = cv::imread(image, cv::IMREAD_COLOR);
  if (m.empty()) {
    std::fprintf(stderr, "cannot read %s\n", image.c_str());
    return 1;
  }
  cv::resize(m, m, cv::Size(224, 224));
  const cv::Mat blob = cv::dnn::blobFromImage(m, 1.0 / 255, cv::Size(), cv::Scalar(), true);
  cv::setNumThreads(1);
  cv::dnn::Net net = cv::dnn::readNetFromONNX(model);
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  std::vector<double> us;
  for (int i = 0; i < 20 + n; ++i) {
    const auto t = Clock::now();
    net.setInput(blob);
    net.forward("onnx_node!/Flatten");
    if (i >= 20) us.push_back(Since(t) * 1e6);
  }
  std::sort(us.begin(), us.end());
  std::printf("forward_one p50_us=%.1f\n", us[us.size() / 2]);
  return 0;
}

int Decode(const std::string& dir, int threads) {
  ember::ThreadPool pool(threads);
  ember::ExecContext ctx = ember::ExecContext::WithPool(&pool);
  ember::image::ImageTransformerParams p;
  p.input_col = "bytes";
  p.output_col = "image";
  p.stages =
      ember::Json::Parse(R"([{"action": "resize", "height": 224, "width": 224}])")->as_array();
  auto resize = OrDie(ember::image::ImageTransformer::Make(p), "transformer");
  auto t0 = Clock::now();
  ember::DataFrame files = ReadJpegs(ctx, dir);
  ember::DataFrame images = OrDie(resize->Transform(files, ctx), "decode");
  std::printf("ember_decode images_per_s=%.2f\n", images.num_rows() / Since(t0));
  // The reduced JPEG decode of ImageFeaturizer, then the same resize.
  t0 = Clock::now();
  files = ReadJpegs(ctx, dir);
  ember::image::internal::DecodeOptions o;
  o.color = ember::image::internal::ColorMode::kColor;
  o.target_width = o.target_height = 224;
  std::vector<ember::Batch> parts = files.partitions();
  ember::Status st = pool.ParallelFor(
      static_cast<int64_t>(parts.size()),
      [&](int64_t i) -> ember::Status {
        const ember::Column& bytes = *parts[i].column(1);
        for (int64_t r = 0; r < bytes.length(); ++r) {
          EMBER_ASSIGN_OR_RETURN(cv::Mat m,
                                 ember::image::internal::DecodeImage(bytes.StringValue(r), o));
          cv::resize(m, m, cv::Size(224, 224));
        }
        return ember::Status::OK();
      },
      ctx.cancel);
  if (!st.ok()) {
    std::fprintf(stderr, "reduced decode: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("ember_decode_reduced images_per_s=%.2f\n", files.num_rows() / Since(t0));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  ember::RetainFreedMemory();  // as the `ember` command does
  const std::string mode = argc > 2 ? argv[1] : "";
  if (mode == "e2e" && argc == 6)
    return E2e(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]));
  if (mode == "forward" && argc == 6)
    return Forward(argv[2], argv[3], std::atoi(argv[4]), std::atoi(argv[5]));
  if (mode == "decode" && argc == 4) return Decode(argv[2], std::atoi(argv[3]));
  if (mode == "one" && argc == 5) return One(argv[2], argv[3], std::atoi(argv[4]));
  std::fprintf(stderr,
               "usage: %s e2e|forward DIR MODEL THREADS BATCH\n       %s decode DIR THREADS\n"
               "       %s one IMAGE MODEL N\n",
               argv[0], argv[0], argv[0]);
  return 2;
}
