#include "ember/serving/model.h"

#include <cctype>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/save_load.h"

namespace ember::serving {

const SchemaPtr& RawRequestSchema() {
  static const SchemaPtr* schema = [] {
    TypePtr header =
        StructType({MakeField("name", StringType()), MakeField("value", StringType())});
    TypePtr request =
        StructType({MakeField("method", StringType()), MakeField("path", StringType()),
                    MakeField("query", StringType()), MakeField("headers", ListType(header)),
                    MakeField("body", BinaryType())});
    return new SchemaPtr(*Schema::Make({MakeField("request", request)}));
  }();
  return *schema;
}

namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Batch> RawRequestBatch(std::string_view method, std::string_view target,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view body) {
  const SchemaPtr& schema = RawRequestSchema();
  StructBuilder request(schema->field(0).type);
  request.Append();
  auto text = [&](int field, std::string_view v) {
    static_cast<StringBuilder*>(request.field_builder(field))->Append(v);
  };
  const size_t q = target.find('?');
  text(0, method);
  text(1, target.substr(0, q));
  text(2, q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  auto* list = static_cast<ListBuilder*>(request.field_builder(3));
  list->Append();
  auto* header = static_cast<StructBuilder*>(list->value_builder());
  for (const auto& [name, value] : headers) {
    header->Append();
    static_cast<StringBuilder*>(header->field_builder(0))->Append(name);
    static_cast<StringBuilder*>(header->field_builder(1))->Append(value);
  }
  text(4, body);
  return Batch::Make(schema, {request.Finish()}, 1);
}

Result<RawHttpReply> ReadRawReply(const LoadedModel& model, const Batch& out) {
  if (out.num_rows() != 1) {
    return Internal("the pipeline produced " + std::to_string(out.num_rows()) +
                    " replies for one request");
  }
  const Column& reply = *out.column(0);
  if (reply.IsNull(0)) return Internal("the pipeline's reply is null");
  const RawReplyFields& f = model.raw_reply();
  const int64_t row = reply.offset();  // a struct's children are indexed with its offset
  RawHttpReply r;
  if (f.status >= 0 && reply.child(f.status)->IsValid(row)) {
    const Column& c = *reply.child(f.status);
    const int64_t status =
        c.type_id() == TypeId::kInt32 ? c.Values<int32_t>()[row] : c.Values<int64_t>()[row];
    if (status < 100 || status > 599) {
      return Internal("the pipeline's reply status " + std::to_string(status) +
                      " is not an HTTP status");
    }
    r.status = static_cast<int>(status);
  }
  if (f.headers >= 0 && reply.child(f.headers)->IsValid(row)) {
    const Column& l = *reply.child(f.headers);
    const Column& pairs = *l.child(0);
    for (int32_t e = l.Offsets()[row]; e < l.Offsets()[row + 1]; ++e) {
      const int64_t at = pairs.offset() + e;
      if (pairs.IsNull(e) || pairs.child(0)->IsNull(at) || pairs.child(1)->IsNull(at)) continue;
      std::string name(pairs.child(0)->StringValue(at));
      std::string value(pairs.child(1)->StringValue(at));
      if (value.find_first_of("\r\n") != std::string::npos ||
          name.find_first_of("\r\n: ") != std::string::npos) {
        return Internal("the pipeline's reply header '" + name + "' is not a valid header");
      }
      if (EqualsIgnoringCase(name, "Content-Type")) {
        r.content_type = std::move(value);
      } else if (!EqualsIgnoringCase(name, "Content-Length") &&
                 !EqualsIgnoringCase(name, "Connection") &&
                 !EqualsIgnoringCase(name, "Transfer-Encoding") &&
                 !EqualsIgnoringCase(name, "Server")) {
        r.headers.emplace_back(std::move(name), std::move(value));
      }
    }
  }
  const Column& body = *reply.child(f.body);
  if (body.IsValid(row)) r.body.assign(body.StringValue(row));
  return r;
}

Result<std::shared_ptr<const LoadedModel>> LoadedModel::RawFromTransformer(
    std::shared_ptr<const Transformer> model, int64_t version) {
  if (!model) return InvalidArgument("a served model needs a transformer");
  EMBER_ASSIGN_OR_RETURN(auto pipeline, PipelineModel::Make({model}));
  const std::vector<std::string> reply = {"reply"};
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> kernel,
                         pipeline->BindSelect(*RawRequestSchema(), reply));
  const DataType& t = *kernel->output_schema()->field(0).type;
  auto problem = [&](const std::string& what) {
    return InvalidArgument("raw mode: the pipeline's \"reply\" column is " + t.ToString() + "; " +
                           what);
  };
  if (t.id() != TypeId::kStruct)
    return problem("it must be a struct with \"body\" (and \"status\", \"headers\")");
  RawReplyFields f;
  for (size_t i = 0; i < t.fields().size(); ++i) {
    const Field& field = t.fields()[i];
    const TypeId id = field.type->id();
    if (field.name == "status") {
      if (id != TypeId::kInt32 && id != TypeId::kInt64)
        return problem("\"status\" must be an integer");
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
                                                             RequestDecoder(RawRequestSchema()),
                                                             std::move(encoder), version));
  loaded->raw_ = f;
  return std::shared_ptr<const LoadedModel>(std::move(loaded));
}

Result<std::shared_ptr<const LoadedModel>> LoadedModel::Load(const RouteOptions& route,
                                                             const StageRegistry& registry,
                                                             int64_t version) {
  Result<std::shared_ptr<const Transformer>> model = LoadTransformer(route.model_dir, registry);
  if (!model.ok()) return model.status().WithContext("route " + route.path);
  if (route.raw) {
    Result<std::shared_ptr<const LoadedModel>> raw = RawFromTransformer(std::move(*model), version);
    if (!raw.ok())
      return raw.status().WithContext("route " + route.path + " ('" + route.model_dir + "')");
    return raw;
  }
  SchemaPtr input = route.input_schema;
  if (!input) {
    Result<SchemaPtr> saved = LoadInputSchema(route.model_dir);
    if (!saved.ok()) return saved.status().WithContext("route " + route.path);
    input = std::move(*saved);
  }
  Result<std::shared_ptr<const LoadedModel>> loaded =
      FromTransformer(std::move(*model), std::move(input), route.reply_cols, version, route.compile,
                      route.strict_fields);
  if (!loaded.ok())
    return loaded.status().WithContext("route " + route.path + " ('" + route.model_dir + "')");
  return loaded;
}

namespace {

// The fields of `in` the pipeline cannot do without: those whose absence makes it fail to
// bind (a stage reads them). A label that only training read, or a field nothing reads, is
// not required. One schema check per field, at load.
// The largest vector a served input may declare: a request decoder builds a null row of
// each field at start-up, so a saved schema saying vector[1000000000] would allocate 8 GB.
constexpr int64_t kMaxServedVectorSize = int64_t{1} << 24;

Status CheckServedType(const std::string& name, const DataType& type) {
  if (type.id() == TypeId::kVector && type.vector_size() > kMaxServedVectorSize) {
    return InvalidArgument("input field '" + name + "' is " + type.ToString() +
                           ", larger than Ember serves (" + std::to_string(kMaxServedVectorSize) +
                           " slots)");
  }
  if (type.id() == TypeId::kList) return CheckServedType(name, *type.value_type());
  if (type.id() == TypeId::kStruct) {
    for (const Field& f : type.fields())
      EMBER_RETURN_IF_ERROR(CheckServedType(name + "." + f.name, *f.type));
  }
  return Status::OK();
}

// The fields of `in` the reply cannot do without: those whose absence makes the pipeline
// fail to bind its reply columns (a stage reads them). A label that only training read, or a
// field nothing reads, is not required. One binding per field, at load.
std::vector<uint8_t> RequiredFields(const PipelineModel& pipeline, const Schema& in,
                                    const std::vector<std::string>& reply_cols) {
  std::vector<uint8_t> required(static_cast<size_t>(in.num_fields()), 0);
  for (int i = 0; i < in.num_fields(); ++i) {
    std::vector<Field> others = in.fields();
    others.erase(others.begin() + i);
    Result<SchemaPtr> without = Schema::Make(std::move(others), in.metadata());
    required[i] =
        !without.ok() || !pipeline.BindSelect(**without, reply_cols, {.fuse = false}).ok();
  }
  return required;
}

}  // namespace

Result<std::shared_ptr<const LoadedModel>> LoadedModel::FromTransformer(
    std::shared_ptr<const Transformer> model, SchemaPtr input_schema,
    std::vector<std::string> reply_cols, int64_t version, bool compile, bool strict_fields) {
  if (!model || !input_schema)
    return InvalidArgument("a served model needs a transformer and an input schema");
  for (const Field& f : input_schema->fields())
    EMBER_RETURN_IF_ERROR(CheckServedType(f.name, *f.type));
  // Wrapped in a PipelineModel, any model can keep only its reply columns.
  EMBER_ASSIGN_OR_RETURN(auto pipeline, PipelineModel::Make({model}));
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> full, pipeline->Bind(*input_schema));
  std::vector<std::shared_ptr<const Transformer>> leaves;
  FlattenStages(model, &leaves);
  if (reply_cols.empty()) {
    // The columns the last stage adds (a model's rawPrediction, probability, prediction),
    // not every intermediate column.
    if (leaves.empty()) return InvalidArgument("the model has no stages; name the reply columns");
    EMBER_ASSIGN_OR_RETURN(auto prefix, PipelineModel::Make({leaves.begin(), leaves.end() - 1}));
    EMBER_ASSIGN_OR_RETURN(SchemaPtr before, prefix->TransformSchema(*input_schema));
    const Schema& after = *full->output_schema();
    // A last stage that drops columns is a projection: its columns are the reply (a SELECT
    // of 'probability[1] AS probability' replaces a column of the same name).
    bool projection = false;
    for (const Field& f : before->fields()) projection = projection || after.FindField(f.name) < 0;
    for (const Field& f : after.fields()) {
      if (projection || before->FindField(f.name) < 0) reply_cols.push_back(f.name);
    }
    if (reply_cols.empty()) {
      return InvalidArgument("the model's last stage adds no columns; name the reply columns");
    }
  }
  // Requests carry the fields the reply needs; the kernel is bound to those alone, so a
  // field it does not need (a label a StringIndexer in the spec indexed) is never read.
  std::vector<uint8_t> required = RequiredFields(*pipeline, *input_schema, reply_cols);
  RequestDecoder decoder(std::move(input_schema), std::move(required), strict_fields);
  // The pipeline fuses what it can (pipeline/fusion.h), as batch transforms do.
  FusionInfo fusion;
  EMBER_ASSIGN_OR_RETURN(std::unique_ptr<BoundTransform> kernel,
                         pipeline->BindSelect(*decoder.output_schema(), reply_cols,
                                              {.fuse = compile, .info = &fusion}));
  EMBER_ASSIGN_OR_RETURN(ReplyEncoder encoder,
                         ReplyEncoder::Make(*kernel->output_schema(), reply_cols));
  auto loaded = std::shared_ptr<LoadedModel>(new LoadedModel(
      std::move(pipeline), std::move(kernel), std::move(decoder), std::move(encoder), version));
  loaded->scoring_ = std::move(fusion.scoring);
  loaded->compiled_ = fusion.compiled;
  return std::shared_ptr<const LoadedModel>(std::move(loaded));
}

Json LoadedModel::Describe() const {
  Json o = Json::MakeObject();
  o.Set("version", version_);
  const Schema& in = *decoder_.schema();
  std::vector<Field> required, optional;
  for (int i = 0; i < in.num_fields(); ++i)
    (decoder_.required(i) || raw() ? required : optional).push_back(in.field(i));
  o.Set("inputSchema", SchemaToJson(**Schema::Make(std::move(required))));
  Json names = Json::MakeArray();
  for (const Field& f : optional) names.Append(Json(f.name));
  o.Set("optionalFields", std::move(names));
  o.Set("strictFields", Json(decoder_.strict_fields()));
  Json cols = Json::MakeArray();
  for (const auto& c : encoder_.names()) cols.Append(Json(c));
  o.Set("replyColumns", std::move(cols));
  o.Set("outputSchema", SchemaToJson(*kernel_->output_schema()));
  o.Set("scoring", scoring_);
  return o;
}

}  // namespace ember::serving
