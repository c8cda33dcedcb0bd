#include "ember/automl/featurize.h"

#include <set>
#include <unordered_set>

#include "ember/base/status_macros.h"
#include "ember/pipeline/pipeline.h"
#include "ember/sql/sql_transformer.h"
#include "ember/stages/column_stages.h"
#include "ember/stages/imputer.h"
#include "ember/stages/one_hot_encoder.h"
#include "ember/stages/vector_assembler.h"
#include "ember/text/text_featurizer.h"

namespace ember {

namespace {

bool Featurizable(const DataType& t) {
  return t.is_numeric() || t.id() == TypeId::kBool || t.id() == TypeId::kString ||
         t.id() == TypeId::kVector || t.is_temporal() ||
         (t.id() == TypeId::kList && t.value_type()->id() == TypeId::kString);
}

std::string Quote(const std::string& name) {
  std::string q = "`";
  for (char c : name) q += c == '`' ? std::string("``") : std::string(1, c);
  return q + "`";
}

// Whether string column `col` has more than `limit` distinct values over all ranks.
Result<bool> MoreDistinctThan(const DataFrame& in, const ExecContext& ctx, int col, size_t limit) {
  std::unordered_set<std::string_view> seen;
  for (const Batch& b : in.partitions()) {
    const Column& c = *b.column(col);
    for (int64_t r = 0; r < b.num_rows() && seen.size() <= limit; ++r) {
      if (c.IsValid(r)) seen.insert(c.StringValue(r));
    }
  }
  if (!ctx.comm || ctx.comm->size() <= 1) return seen.size() > limit;
  // Gather each rank's distinct values (at most limit + 1 of them) and count the union.
  EMBER_ASSIGN_OR_RETURN(
      std::vector<std::string> all,
      AllGatherStrings(*ctx.comm, std::vector<std::string_view>(seen.begin(), seen.end()),
                       Deadline::In(std::chrono::minutes(10))));
  const std::set<std::string> values(all.begin(), all.end());
  return values.size() > limit;
}

}  // namespace

const ParamSpec<FeaturizeParams>& FeaturizeParams::Spec() {
  using P = FeaturizeParams;
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("Featurize")
          .Add("inputCols", &P::input_cols, "The columns to featurize, in slot order.",
               NonEmpty<std::vector<std::string>>())
          .Add("outputCol", &P::output_col, "The feature vector column to add.",
               NonEmpty<std::string>())
          .Add("oneHotEncodeCategoricals", &P::one_hot_encode_categoricals,
               "One-hot encode categorical string columns (else use their index).")
          .Add("numFeatures", &P::num_features, "Hashed slots per text column.",
               AtLeast<int32_t>(1))
          .Add("imputeMissing", &P::impute_missing,
               "Fill missing numeric and boolean values with the column mean.")
          .Add("maxCategories", &P::max_categories,
               "A string column with more distinct values than this is featurized as text.",
               AtLeast<int32_t>(1))
          .Add("textCols", &P::text_cols,
               "String columns to featurize as text whatever their distinct count.")
          .AddEnum("vectorAssemblerHandleInvalid", &P::vector_assembler_handle_invalid,
                   {{"error", HandleInvalid::kError},
                    {"skip", HandleInvalid::kSkip},
                    {"keep", HandleInvalid::kKeep}},
                   "Remaining invalid values (null vectors, or numbers when imputeMissing is "
                   "off): fail, drop the row, "
                   "or keep NaN."));
  return spec;
}

Status Featurize::Check(const Params& p) {
  std::set<std::string> seen;
  for (const auto& c : p.input_cols) {
    if (!seen.insert(c).second)
      return InvalidArgument("Featurize param 'inputCols': column '" + c + "' is listed twice");
  }
  for (const auto& c : p.text_cols) {
    if (!seen.count(c)) {
      return InvalidArgument("Featurize param 'textCols': column '" + c + "' is not in inputCols");
    }
  }
  return Status::OK();
}

Result<SchemaPtr> Featurize::TransformSchema(const Schema& in) const {
  bool sparse = false;
  for (const auto& name : params_.input_cols) {
    EMBER_ASSIGN_OR_RETURN(
        int i, in.GetFieldIndexOfType(name, Featurizable,
                                      "a numeric, boolean, string, list<string>, vector, date or "
                                      "timestamp column"));
    const DataType& t = *in.field(i).type;
    sparse = sparse || t.id() == TypeId::kString || t.id() == TypeId::kList ||
             (t.id() == TypeId::kVector && t.sparse());
  }
  if (in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("output column '" + params_.output_col + "' already exists");
  }
  // The width is known after fitting (categories and text columns), so 0 here.
  return in.AddField(
      MakeField(params_.output_col, sparse ? SparseVectorType(0) : DenseVectorType(0)));
}

Result<std::shared_ptr<const Transformer>> Featurize::Fit(const DataFrame& in,
                                                          const ExecContext& ctx) const {
  EMBER_RETURN_IF_ERROR(TransformSchema(*in.schema()).status());
  const Schema& schema = *in.schema();
  const Params& p = params_;
  const std::set<std::string> text_cols(p.text_cols.begin(), p.text_cols.end());
  std::set<std::string> taken;
  for (const Field& f : schema.fields()) taken.insert(f.name);
  std::vector<std::string> temporaries;
  auto temp = [&](const std::string& base, const std::string& what) {
    std::string name = base + "#" + what;
    while (taken.count(name)) name += "_";
    taken.insert(name);
    temporaries.push_back(name);
    return name;
  };

  std::vector<std::string> assemble;   // per input column, the column that goes in the vector
  std::vector<std::string> sql_items;  // bool casts and text null fills
  std::vector<std::string> impute_in, impute_out;
  std::vector<std::string> cat_in, cat_idx, cat_vec;
  std::vector<std::shared_ptr<const Stage>> text_stages;
  for (const auto& name : p.input_cols) {
    const int i = schema.FindField(name);
    const DataType& t = *schema.field(i).type;
    // A number (imputed when asked) into the vector.
    auto add_number = [&](const std::string& source, const std::string& base) {
      if (p.impute_missing) {
        impute_in.push_back(source);
        impute_out.push_back(temp(base, "imputed"));
        assemble.push_back(impute_out.back());
      } else {
        assemble.push_back(source);
      }
    };
    if (t.is_numeric() || t.id() == TypeId::kBool) {
      std::string source = name;
      if (t.id() == TypeId::kBool) {
        source = temp(name, "double");
        sql_items.push_back("CAST(" + Quote(name) + " AS DOUBLE) AS " + Quote(source));
      }
      add_number(source, name);
      continue;
    }
    if (t.is_temporal()) {
      // SynapseML's parts of a date: year, day of week, month, day of month; a timestamp's
      // also hour, minute and second. One slot each.
      std::vector<std::string> parts = {"year", "dayofweek", "month", "dayofmonth"};
      if (t.id() == TypeId::kTimestamp) parts.insert(parts.end(), {"hour", "minute", "second"});
      for (const std::string& part : parts) {
        const std::string source = temp(name, part);
        sql_items.push_back("CAST(" + part + "(" + Quote(name) + ") AS DOUBLE) AS " +
                            Quote(source));
        add_number(source, source);
      }
      continue;
    }
    if (t.id() == TypeId::kVector) {
      assemble.push_back(name);
      continue;
    }
    bool text = t.id() == TypeId::kList || text_cols.count(name) > 0;
    if (!text) {
      EMBER_ASSIGN_OR_RETURN(text,
                             MoreDistinctThan(in, ctx, i, static_cast<size_t>(p.max_categories)));
    }
    if (!text) {
      cat_in.push_back(name);
      cat_idx.push_back(temp(name, "index"));
      if (p.one_hot_encode_categoricals) cat_vec.push_back(temp(name, "onehot"));
      assemble.push_back(p.one_hot_encode_categoricals ? cat_vec.back() : cat_idx.back());
      continue;
    }
    std::string source = name;
    if (t.id() == TypeId::kString) {
      source = temp(name, "text");
      sql_items.push_back("COALESCE(" + Quote(name) + ", '') AS " + Quote(source));
    }
    const std::string out = temp(name, "tfidf");
    EMBER_ASSIGN_OR_RETURN(
        auto tf, TextFeaturizer::Make(
                     {.input_col = source, .output_col = out, .num_features = p.num_features}));
    text_stages.push_back(tf);
    assemble.push_back(out);
  }

  std::vector<std::shared_ptr<const Stage>> stages;
  if (!sql_items.empty()) {
    std::string sql = "SELECT *";
    for (const auto& item : sql_items) sql += ", " + item;
    EMBER_ASSIGN_OR_RETURN(auto s, SqlTransformer::Make({.statement = sql + " FROM __THIS__"}));
    stages.push_back(s);
  }
  if (!impute_in.empty()) {
    EMBER_ASSIGN_OR_RETURN(auto s,
                           Imputer::Make({.input_cols = impute_in, .output_cols = impute_out}));
    stages.push_back(s);
  }
  if (!cat_in.empty()) {
    EMBER_ASSIGN_OR_RETURN(auto s, StringIndexer::Make({.input_cols = cat_in,
                                                        .output_cols = cat_idx,
                                                        .handle_invalid = HandleInvalid::kKeep}));
    stages.push_back(s);
    if (p.one_hot_encode_categoricals) {
      EMBER_ASSIGN_OR_RETURN(auto e,
                             OneHotEncoder::Make({.input_cols = cat_idx, .output_cols = cat_vec}));
      stages.push_back(e);
    }
  }
  for (auto& s : text_stages) stages.push_back(std::move(s));
  EMBER_ASSIGN_OR_RETURN(
      auto assembler, VectorAssembler::Make({.input_cols = assemble,
                                             .output_col = p.output_col,
                                             .handle_invalid = p.vector_assembler_handle_invalid}));
  stages.push_back(assembler);
  if (!temporaries.empty()) {
    EMBER_ASSIGN_OR_RETURN(auto drop, DropColumns::Make({.cols = temporaries}));
    stages.push_back(drop);
  }
  EMBER_ASSIGN_OR_RETURN(auto pipeline, Pipeline::Make(std::move(stages), uid()));
  return pipeline->Fit(in, ctx);
}

Status RegisterFeaturize(StageRegistry* r) {
  return RegisterStage<Featurize>(
      r,
      "Turns numeric, boolean, categorical, text, vector, date and timestamp columns into one "
      "feature vector.");
}

}  // namespace ember
