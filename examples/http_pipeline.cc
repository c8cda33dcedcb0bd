// A pipeline that calls a model served by Ember over HTTP (microservices chained through
// SimpleHTTPTransformer), on the iris data of scikit-learn:
//   1. fits VectorAssembler -> LogisticRegression (multiclass) and saves it;
//   2. serves it with Ember Serving on a free local port;
//   3. scores the rows again through HTTP, 16 rows per request, 4 requests in flight,
//      parsing each reply into struct<prediction: float64, probability: vector>;
//   4. checks that every row's prediction over HTTP equals the local one.
// Usage: ember_http_pipeline IRIS_CSV OUT_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"
#include "ember/http/http_stages.h"
#include "ember/io/csv.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/server.h"

namespace {

ember::Status Run(const std::string& csv, const std::string& out_dir) {
  const ember::ExecContext& ctx = ember::ExecContext::Default();
  // scikit-learn's iris.csv: a first line of counts and class names, then 4 features and
  // the class index per row.
  ember::CsvReadOptions read;
  read.skip_lines = 1;
  read.header = false;
  EMBER_ASSIGN_OR_RETURN(
      read.schema, ember::Schema::Make({ember::MakeField("sepal_length", ember::Float64Type()),
                                        ember::MakeField("sepal_width", ember::Float64Type()),
                                        ember::MakeField("petal_length", ember::Float64Type()),
                                        ember::MakeField("petal_width", ember::Float64Type()),
                                        ember::MakeField("label", ember::Float64Type())}));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame data, ember::ReadCsv(ctx, csv, read));
  EMBER_ASSIGN_OR_RETURN(ember::Json spec, ember::Json::Parse(R"({"stages": [
      {"type": "VectorAssembler", "params": {"inputCols": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
                                             "outputCol": "features"}},
      {"type": "LogisticRegression", "params": {"regParam": 0.01}}]})"));
  EMBER_ASSIGN_OR_RETURN(auto pipeline, ember::Pipeline::FromSpec(spec, ember::DefaultRegistry()));
  EMBER_ASSIGN_OR_RETURN(auto model, pipeline->Fit(data, ctx));
  const std::string model_dir = out_dir + "/iris_model";
  EMBER_RETURN_IF_ERROR(
      ember::SaveStage(*model, model_dir, {.overwrite = true, .input_schema = data.schema()}));
  std::printf("fitted and saved the model to %s\n", model_dir.c_str());

  // Serve it.
  ember::serving::ServerOptions options;
  options.port = 0;
  options.threads = 1;
  options.registry = &ember::DefaultRegistry();
  options.routes = {
      {.path = "/predict", .model_dir = model_dir, .reply_cols = {"prediction", "probability"}}};
  EMBER_ASSIGN_OR_RETURN(auto server, ember::serving::Server::Start(options));
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port()) + "/predict";
  std::printf("serving it at %s\n", url.c_str());

  // Call it from another pipeline: the feature columns go as JSON, 16 rows per request.
  ember::SimpleHTTPTransformer::Params caller;
  caller.input_cols = {"sepal_length", "sepal_width", "petal_length", "petal_width"};
  caller.url = url;
  caller.mini_batch_size = 16;
  caller.call.concurrency = 4;
  caller.output_type = "struct<prediction:float64,probability:vector[3]>";
  caller.output_col = "scored";
  EMBER_ASSIGN_OR_RETURN(auto client, ember::SimpleHTTPTransformer::Make(caller));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame remote, client->Transform(data, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::DataFrame local, model->Transform(data, ctx));
  EMBER_ASSIGN_OR_RETURN(ember::Batch r, remote.Collect());
  EMBER_ASSIGN_OR_RETURN(ember::Batch l, local.Collect());
  const int scored = r.schema()->FindField("scored"), error = r.schema()->FindField("error");
  const int prediction = l.schema()->FindField("prediction");
  int64_t same = 0, failed = 0;
  for (int64_t i = 0; i < r.num_rows(); ++i) {
    if (r.column(error)->IsValid(i)) {
      ++failed;
      continue;
    }
    const ember::Column& s = *r.column(scored);
    same +=
        s.child(0)->Values<double>()[s.offset() + i] == l.column(prediction)->Values<double>()[i];
  }
  std::printf("\nscored %lld rows over HTTP (%lld requests of up to 16 rows), first rows:\n%s\n",
              static_cast<long long>(r.num_rows()),
              static_cast<long long>((r.num_rows() + 15) / 16), remote.ToString(3).c_str());
  std::printf("predictions over HTTP equal to the local ones: %lld of %lld (%lld calls failed)\n",
              static_cast<long long>(same), static_cast<long long>(r.num_rows()),
              static_cast<long long>(failed));
  server->Shutdown();
  server->Wait();
  if (same != r.num_rows()) return ember::Internal("the served model answered differently");
  return ember::Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: ember_http_pipeline IRIS_CSV OUT_DIR\n");
    return 2;
  }
  std::filesystem::create_directories(argv[2]);
  ember::Status s = Run(argv[1], argv[2]);
  if (!s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
