// A route's model as the server runs it: the fitted pipeline bound once to its input
// schema, with the request decoder and reply encoder built for it. Immutable: a reload
// builds a new LoadedModel and swaps the pointer, so a request is always answered by one
// whole model.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ember/base/result.h"
#include "ember/pipeline/pipeline.h"
#include "ember/serving/codec.h"

namespace ember::serving {

struct RouteOptions {
  std::string path = "/predict";  // the URL path requests are POSTed to
  std::string model_dir;          // a saved model (reloaded from here)
  // The pipeline's input schema; null means the "inputSchema" that `ember fit` saved.
  SchemaPtr input_schema;
  // The output columns in each reply; empty means the columns the pipeline's last stage
  // adds (for a classifier: rawPrediction, probability, prediction), or all of its columns
  // when the last stage is a projection (it drops columns: a SqlTransformer SELECT,
  // SelectColumns, DropColumns).
  std::vector<std::string> reply_cols;
  // A request member that is not a field of the input schema is a 400 naming it and the
  // closest field (default: ignored, so clients may send more than the model reads).
  bool strict_fields = false;
  // Raw mode: the pipeline gets the whole HTTP request as the struct column "request"
  // (RawRequestSchema()) and must produce a struct column "reply" with "body" (string or
  // binary) and optionally "status" (integer) and "headers" (list of {name, value}); the
  // server writes that reply as it is. Any method is accepted.
  bool raw = false;
  // Compile the run of linear stages (indexing, one-hot encoding, assembling, scaling,
  // logistic regression) into one loop per row (pipeline/fusion.h); false always runs the
  // stages.
  bool compile = true;
};

// The input schema of raw routes: one column "request" of
// struct<method: string, path: string, query: string,
//        headers: list<struct<name: string, value: string>>, body: binary>.
const SchemaPtr& RawRequestSchema();

// A raw route's reply as the pipeline made it: status (default 200), Content-Type (default
// application/octet-stream), other headers (Content-Length, Connection,
// Transfer-Encoding and Server are the server's and dropped), body.
struct RawHttpReply {
  int status = 200;
  std::string content_type = "application/octet-stream";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A request as one row of RawRequestSchema(); `target` is the path with its query.
Result<Batch> RawRequestBatch(std::string_view method, std::string_view target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view body);

class LoadedModel;
// The reply in the one row of a raw model's output; an error (more or fewer than one row, a
// null reply, a status that is not HTTP's, a header with a line break) says what is wrong.
Result<RawHttpReply> ReadRawReply(const LoadedModel& model, const Batch& out);

// Where the parts of a raw route's "reply" struct are (-1: absent).
struct RawReplyFields {
  int status = -1;
  int headers = -1;
  int body = -1;
};

class LoadedModel {
 public:
  // Loads `route.model_dir` with the stages of `registry` and binds it. Errors name the
  // directory.
  static Result<std::shared_ptr<const LoadedModel>> Load(const RouteOptions& route,
                                                         const StageRegistry& registry,
                                                         int64_t version);
  // Binds an in-memory model (the C++ API and tests).
  static Result<std::shared_ptr<const LoadedModel>> FromTransformer(
      std::shared_ptr<const Transformer> model, SchemaPtr input_schema,
      std::vector<std::string> reply_cols, int64_t version, bool compile = true,
      bool strict_fields = false);
  // A raw-mode model (see RouteOptions::raw); errors say what the reply column lacks.
  static Result<std::shared_ptr<const LoadedModel>> RawFromTransformer(
      std::shared_ptr<const Transformer> model, int64_t version);
  bool raw() const { return raw_.body >= 0; }
  const RawReplyFields& raw_reply() const { return raw_; }

  const RequestDecoder& decoder() const { return decoder_; }
  const ReplyEncoder& encoder() const { return encoder_; }
  // The pipeline bound to the input schema, keeping only the reply columns.
  const BoundTransform& kernel() const { return *kernel_; }
  const Transformer& model() const { return *model_; }
  int64_t version() const { return version_; }
  // Whether the kernel blocks (BoundTransform::blocking), asked once at binding: the server
  // then runs this model's requests on its compute pool.
  bool blocking() const { return blocking_; }
  // How requests are scored: "compiled linear" (pipeline/fusion.h), or "stages" with why
  // nothing is compiled.
  const std::string& scoring() const { return scoring_; }
  // Batches the compiled run handed back to the stages (a null, NaN or invalid category).
  int64_t compiled_fallbacks() const { return FusedFallbacks(compiled_); }
  bool compiled() const { return compiled_ != nullptr; }
  // {"version", "inputSchema", "optionalFields", "strictFields", "replyColumns",
  // "outputSchema", "scoring"}: what GET /models shows. inputSchema holds the fields a
  // request must send (the pipeline reads them to predict); optionalFields the other fields
  // of the saved input schema (a label, a passed-through id), which may be left out.
  Json Describe() const;

 private:
  LoadedModel(std::shared_ptr<const Transformer> model, std::unique_ptr<BoundTransform> kernel,
              RequestDecoder decoder, ReplyEncoder encoder, int64_t version)
      : model_(std::move(model)),
        kernel_(std::move(kernel)),
        decoder_(std::move(decoder)),
        encoder_(std::move(encoder)),
        version_(version),
        blocking_(kernel_->blocking()) {}
  std::shared_ptr<const Transformer> model_;
  std::unique_ptr<BoundTransform> kernel_;
  RequestDecoder decoder_;
  ReplyEncoder encoder_;
  int64_t version_;
  bool blocking_;
  RawReplyFields raw_;
  std::string scoring_ = "stages";
  const BoundTransform* compiled_ = nullptr;  // inside kernel_
};

// A route's current model, swapped whole on reload; requests take a reference and keep
// the model they started with. A mutex rather than std::atomic<std::shared_ptr>: libstdc++
// 12 implements that with a lock bit and fences that ThreadSanitizer cannot follow (it
// reported the reload-under-load test); the critical section is one reference-count
// increment.
class ModelSlot {
 public:
  std::shared_ptr<const LoadedModel> load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return model_;
  }
  void store(std::shared_ptr<const LoadedModel> model) {
    std::lock_guard<std::mutex> lock(mu_);
    model_.swap(model);
  }  // the old model is released after the lock

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const LoadedModel> model_;
};

}  // namespace ember::serving
