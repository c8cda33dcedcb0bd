#include "ember/serving/model.h"

#include "ember/base/status_macros.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry_all.h"

namespace ember::serving {

namespace {

// The stages of `t` with nested PipelineModels flattened, in order.
void Leaves(const std::shared_ptr<const Transformer>& t, std::vector<std::shared_ptr<const Transformer>>* out) {
  if (t->type_name() == PipelineModel::kTypeName) {
    for (const auto& s : static_cast<const PipelineModel&>(*t).stages()) Leaves(s, out);
  } else {
    out->push_back(t);
  }
}

}  // namespace

const SchemaPtr& RawRequestSchema() {
  static const SchemaPtr* schema = [] {
    TypePtr header = StructType({MakeField("name", StringType()), MakeField("value", StringType())});
    TypePtr request = StructType({MakeField("method", StringType()), MakeField("path", StringType()),
                                  MakeField("query", StringType()), MakeField("headers", ListType(header)),
                                  MakeField("body", BinaryType())});
    return new SchemaPtr(*Schema::Make({MakeField("request", request)}));
  }();
  return *schema;
}

Result<std::shared_ptr<const LoadedModel>> LoadedModel::RawFromTransformer(std::shared_ptr<const Transformer> model,
                                                                           int64_t version) {
  if (!model) return InvalidArgument("a served model needs a transformer");
  EMBER_ASSIGN_OR_RETURN(auto pipeline, PipelineModel::Make({model}));
  const std::vector<std::string> reply = {"reply"};
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> kernel, pipeline->BindSelect(*RawRequestSchema(), reply));
  const DataType& t = *kernel->output_schema()->field(0).type;
  auto problem = [&](const std::string& what) {
    return InvalidArgument("raw mode: the pipeline's \"reply\" column is " + t.ToString() + "; " + what);
  };
  if (t.id() != TypeId::kStruct) return problem("it must be a struct with \"body\" (and \"status\", \"headers\")");
  RawReplyFields f;
  for (size_t i = 0; i < t.fields().size(); ++i) {
    const Field& field = t.fields()[i];
    const TypeId id = field.type->id();
    if (field.name == "status") {
      if (id != TypeId::kInt32 && id != TypeId::kInt64) return problem("\"status\" must be an integer");
      f.status = static_cast<int>(i);
    } else if (field.name == "body") {
      if (!field.type->is_binary_like()) return problem("\"body\" must be string or binary");
      f.body = static_cast<int>(i);
    } else if (field.name == "headers") {
      const bool ok = id == TypeId::kList && field.type->value_type()->id() == TypeId::kStruct &&
                      field.type->value_type()->fields().size() == 2 &&
                      field.type->value_type()->fields()[0].type->is_binary_like() &&
                      field.type->value_type()->fields()[1].type->is_binary_like();
      if (!ok) return problem("\"headers\" must be a list of {name, value} strings");
      f.headers = static_cast<int>(i);
    }
  }
  if (f.body < 0) return problem("it has no \"body\" field");
  EMBER_ASSIGN_OR_RETURN(ReplyEncoder encoder, ReplyEncoder::Make(*kernel->output_schema(), reply));
  auto loaded = std::shared_ptr<LoadedModel>(new LoadedModel(std::move(pipeline), std::move(kernel),
                                                             RequestDecoder(RawRequestSchema()), std::move(encoder),
                                                             version));
  loaded->raw_ = f;
  return std::shared_ptr<const LoadedModel>(std::move(loaded));
}

Result<std::shared_ptr<const LoadedModel>> LoadedModel::Load(const RouteOptions& route, int64_t version) {
  Result<std::shared_ptr<const Transformer>> model = LoadTransformer(route.model_dir, DefaultRegistry());
  if (!model.ok()) return model.status().WithContext("route " + route.path);
  if (route.raw) {
    Result<std::shared_ptr<const LoadedModel>> raw = RawFromTransformer(std::move(*model), version);
    if (!raw.ok()) return raw.status().WithContext("route " + route.path + " ('" + route.model_dir + "')");
    return raw;
  }
  SchemaPtr input = route.input_schema;
  if (!input) {
    Result<SchemaPtr> saved = LoadInputSchema(route.model_dir);
    if (!saved.ok()) return saved.status().WithContext("route " + route.path);
    input = std::move(*saved);
  }
  Result<std::shared_ptr<const LoadedModel>> loaded =
      FromTransformer(std::move(*model), std::move(input), route.reply_cols, version);
  if (!loaded.ok()) return loaded.status().WithContext("route " + route.path + " ('" + route.model_dir + "')");
  return loaded;
}

Result<std::shared_ptr<const LoadedModel>> LoadedModel::FromTransformer(std::shared_ptr<const Transformer> model,
                                                                        SchemaPtr input_schema,
                                                                        std::vector<std::string> reply_cols,
                                                                        int64_t version) {
  if (!model || !input_schema) return InvalidArgument("a served model needs a transformer and an input schema");
  // Wrapped in a PipelineModel, any model can keep only its reply columns.
  EMBER_ASSIGN_OR_RETURN(auto pipeline, PipelineModel::Make({model}));
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> full, pipeline->Bind(*input_schema));
  if (reply_cols.empty()) {
    // The columns the last stage adds (a model's rawPrediction, probability, prediction),
    // not every intermediate column.
    std::vector<std::shared_ptr<const Transformer>> leaves;
    Leaves(model, &leaves);
    if (leaves.empty()) return InvalidArgument("the model has no stages; name the reply columns");
    EMBER_ASSIGN_OR_RETURN(auto prefix, PipelineModel::Make({leaves.begin(), leaves.end() - 1}));
    EMBER_ASSIGN_OR_RETURN(SchemaPtr before, prefix->TransformSchema(*input_schema));
    for (const Field& f : full->output_schema()->fields()) {
      if (before->FindField(f.name) < 0) reply_cols.push_back(f.name);
    }
    if (reply_cols.empty()) {
      return InvalidArgument("the model's last stage adds no columns; name the reply columns");
    }
  }
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> kernel, pipeline->BindSelect(*input_schema, reply_cols));
  EMBER_ASSIGN_OR_RETURN(ReplyEncoder encoder, ReplyEncoder::Make(*kernel->output_schema(), reply_cols));
  return std::shared_ptr<const LoadedModel>(new LoadedModel(std::move(pipeline), std::move(kernel),
                                                            RequestDecoder(std::move(input_schema)),
                                                            std::move(encoder), version));
}

Json LoadedModel::Describe() const {
  Json o = Json::MakeObject();
  o.Set("version", version_);
  o.Set("inputSchema", SchemaToJson(*decoder_.schema()));
  Json cols = Json::MakeArray();
  for (const auto& c : encoder_.names()) cols.Append(Json(c));
  o.Set("replyColumns", std::move(cols));
  o.Set("outputSchema", SchemaToJson(*kernel_->output_schema()));
  return o;
}

}  // namespace ember::serving
