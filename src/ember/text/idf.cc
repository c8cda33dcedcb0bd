#include "ember/text/idf.h"

#include <cmath>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/pipeline/learned_state.h"
#include "ember/pipeline/partition_reduce.h"
#include "ember/pipeline/save_load.h"

namespace ember {

namespace {

bool IsVector(const DataType& t) { return t.id() == TypeId::kVector; }

Result<std::pair<int, SchemaPtr>> BindIdf(const Schema& in, const IDFParams& p) {
  EMBER_ASSIGN_OR_RETURN(int col, in.GetFieldIndexOfType(p.input_col, IsVector, "a vector column"));
  if (in.FindField(p.output_col) >= 0)
    return AlreadyExists("output column '" + p.output_col + "' already exists");
  const DataType& t = *in.field(col).type;
  Field f = MakeField(p.output_col, t.sparse() ? SparseVectorType(t.vector_size())
                                               : DenseVectorType(t.vector_size()));
  if (auto slots = SlotNames(in.field(col))) SetSlotNames(&f, *slots);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(std::move(f)));
  return std::make_pair(col, out);
}

}  // namespace

const ParamSpec<IDFParams>& IDFParams::Spec() {
  using P = IDFParams;
  static const ParamSpec<P> spec =
      std::move(ParamSpec<P>("IDF")
                    .Add("inputCol", &P::input_col, "The vector column of term frequencies.",
                         NonEmpty<std::string>())
                    .Add("outputCol", &P::output_col, "The TF-IDF vector column to add.",
                         NonEmpty<std::string>())
                    .Add("minDocFreq", &P::min_doc_freq, "Terms in fewer documents get weight 0.",
                         AtLeast<int32_t>(0)));
  return spec;
}

Status IDF::Check(const Params& p) { return Status::OK(); }

Result<SchemaPtr> IDF::TransformSchema(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto b, BindIdf(in, params_));
  return b.second;
}

Result<std::shared_ptr<const Transformer>> IDF::Fit(const DataFrame& in,
                                                    const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(auto bound, BindIdf(*in.schema(), params_));
  const int col = bound.first;
  const size_t n = static_cast<size_t>(in.schema()->field(col).type->vector_size());
  // Document frequencies per partition (in parallel), then summed; the count of documents last.
  std::vector<int64_t> df;
  EMBER_RETURN_IF_ERROR(ReduceOverPartitions(
      in, ctx, n + 1, ReduceOp::kSum, int64_t{0},
      [&](const Batch& b, std::span<int64_t> acc) {
        const Column& c = *b.column(col);
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) continue;
          ++acc[n];
          ForEachVectorEntry(c, r, [&](int64_t k, double v) { acc[k] += v != 0; });
        }
        return Status::OK();
      },
      &df));
  const int64_t docs = df[n];
  df.pop_back();
  EMBER_ASSIGN_OR_RETURN(auto model, IDFModel::Make(params_, docs, std::move(df), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

Result<std::shared_ptr<const IDFModel>> IDFModel::Make(Params p, int64_t num_docs,
                                                       std::vector<int64_t> doc_freq,
                                                       std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (num_docs < 0) return InvalidArgument("IDFModel: negative document count");
  std::vector<double> idf(doc_freq.size());
  for (size_t k = 0; k < doc_freq.size(); ++k) {
    if (doc_freq[k] < 0 || doc_freq[k] > num_docs) {
      return InvalidArgument("IDFModel: document frequency " + std::to_string(doc_freq[k]) +
                             " of slot " + std::to_string(k) + " is outside [0, " +
                             std::to_string(num_docs) + "]");
    }
    idf[k] = doc_freq[k] >= p.min_doc_freq ? std::log((static_cast<double>(num_docs) + 1.0) /
                                                      (static_cast<double>(doc_freq[k]) + 1.0))
                                           : 0.0;
  }
  return std::shared_ptr<const IDFModel>(
      new IDFModel(std::move(p), num_docs, std::move(doc_freq), std::move(idf), std::move(uid)));
}

namespace {

// IDFModel's learned state (format version 1): the document count and the document
// frequencies, sparse (most hashed slots are never seen; slots and counts are exact as
// doubles, far below 2^53).
struct IdfState {
  int64_t num_docs = 0;
  int64_t size = 0;
  std::vector<double> indices, values;
  static const StateSpec<IdfState>& Spec() {
    static const StateSpec<IdfState> spec =
        std::move(StateSpec<IdfState>("IDFModel", "model.json", 1)
                      .Field("numDocs", &IdfState::num_docs, AtLeast<int64_t>(0))
                      .Field("size", &IdfState::size, InRange<int64_t>(0, INT32_MAX))
                      .Field("docFreqIndices", &IdfState::indices)
                      .Field("docFreqValues", &IdfState::values));
    return spec;
  }
};

}  // namespace

Status IDFModel::SaveContents(const std::string& dir) const {
  IdfState s{.num_docs = num_docs_, .size = static_cast<int64_t>(doc_freq_.size())};
  for (size_t k = 0; k < doc_freq_.size(); ++k) {
    if (doc_freq_[k] == 0) continue;
    s.indices.push_back(static_cast<double>(k));
    s.values.push_back(static_cast<double>(doc_freq_[k]));
  }
  return IdfState::Spec().Save(s, dir);
}

Result<std::shared_ptr<const IDFModel>> IDFModel::Load(const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  const std::string path = ctx.dir + "/data/model.json";
  EMBER_ASSIGN_OR_RETURN(IdfState s, IdfState::Spec().Load(ctx));
  if (s.indices.size() != s.values.size())
    return DataLoss(path + ": docFreqIndices and docFreqValues differ in length");
  std::vector<int64_t> df(static_cast<size_t>(s.size), 0);
  for (size_t k = 0; k < s.indices.size(); ++k) {
    if (!(s.indices[k] >= 0 && s.indices[k] < static_cast<double>(df.size()))) {
      return DataLoss(path + ": slot " + std::to_string(s.indices[k]) + " is outside the vector");
    }
    df[static_cast<size_t>(s.indices[k])] = static_cast<int64_t>(s.values[k]);
  }
  Result<std::shared_ptr<const IDFModel>> m =
      Make(std::move(p), s.num_docs, std::move(df), ctx.uid);
  if (!m.ok()) return m.status().WithContext(path);
  return m;
}

Result<std::unique_ptr<BoundTransform>> IDFModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(auto bound, BindIdf(in, params_));
  const int col = bound.first;
  const SchemaPtr out = bound.second;
  if (in.field(col).type->vector_size() != static_cast<int64_t>(idf_->size())) {
    return InvalidArgument("IDFModel: column '" + params_.input_col + "' has " +
                           std::to_string(in.field(col).type->vector_size()) +
                           " slots but the model was fitted on " + std::to_string(idf_->size()));
  }
  const auto idf = idf_;
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, col, idf](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        std::unique_ptr<ColumnBuilder> builder =
            MakeBuilder(out->field(out->num_fields() - 1).type);
        std::vector<int32_t> ix;
        std::vector<double> vals;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) {
            builder->AppendNull();
            continue;
          }
          if (c.type()->sparse()) {
            auto si = c.SparseIndices(r);
            auto sv = c.SparseValues(r);
            ix.assign(si.begin(), si.end());
            vals.resize(ix.size());
            for (size_t k = 0; k < ix.size(); ++k) vals[k] = sv[k] * (*idf)[ix[k]];
            EMBER_RETURN_IF_ERROR(
                static_cast<SparseVectorBuilder*>(builder.get())->Append(ix, vals));
          } else {
            auto row = c.DenseRow(r);
            vals.resize(row.size());
            for (size_t k = 0; k < row.size(); ++k) vals[k] = row[k] * (*idf)[k];
            EMBER_RETURN_IF_ERROR(static_cast<DenseVectorBuilder*>(builder.get())->Append(vals));
          }
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(builder->Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterIdfStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(
      RegisterStage<IDF>(r, "Learns inverse document frequencies of term-frequency vectors."));
  return RegisterStage<IDFModel>(
      r, "A fitted IDF: scales term frequencies by ln((m + 1) / (df + 1)).");
}

}  // namespace ember
