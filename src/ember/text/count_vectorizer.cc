#include "ember/text/count_vectorizer.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "ember/base/status_macros.h"
#include "ember/core/builder.h"
#include "ember/exec/communicator.h"
#include "ember/pipeline/learned_state.h"

namespace ember {

namespace {

using P = CountVectorizerParams;

bool IsStringList(const DataType& t) {
  return t.id() == TypeId::kList && t.value_type()->id() == TypeId::kString;
}

Result<int> Input(const Schema& in, const P& p, const std::string& owner) {
  EMBER_ASSIGN_OR_RETURN(
      int i, in.GetFieldIndexOfType(p.input_col, IsStringList, "a list<string> column"));
  if (in.FindField(p.output_col) >= 0) {
    return AlreadyExists(owner + ": output column '" + p.output_col + "' already exists");
  }
  return i;
}

Validator<double> Positive() {
  return {[](const double& v) {
            return v >= 0 ? Status::OK() : InvalidArgument("must be >= 0, got " + Json(v).Dump());
          },
          ">= 0"};
}

struct Vocabulary {
  std::vector<std::string> terms;
  static const StateSpec<Vocabulary>& Spec() {
    static const StateSpec<Vocabulary> spec =
        std::move(StateSpec<Vocabulary>("CountVectorizerModel", "model.json", 1)
                      .Field("vocabulary", &Vocabulary::terms));
    return spec;
  }
};

}  // namespace

const ParamSpec<CountVectorizerParams>& CountVectorizerParams::Spec() {
  static const ParamSpec<P> spec = std::move(
      ParamSpec<P>("CountVectorizer")
          .Add("inputCol", &P::input_col, "The list<string> column of documents.",
               NonEmpty<std::string>())
          .Add("outputCol", &P::output_col, "The sparse count vector column to add.",
               NonEmpty<std::string>())
          .Add("vocabSize", &P::vocab_size, "Terms at most (those of largest total count).",
               AtLeast<int32_t>(1))
          .Add("minDF", &P::min_df,
               "Documents a term must be in: a count when >= 1, else a share of the documents.",
               Positive())
          .Add("maxDF", &P::max_df,
               "Documents a term may be in at most: a count when >= 1, else a share.", Positive())
          .Add("minTF", &P::min_tf,
               "A term's least count in a document to be counted there: a count when >= 1, else "
               "a share of the document's tokens.",
               Positive())
          .Add("binary", &P::binary, "1 for a present term instead of its count."));
  return spec;
}

Result<SchemaPtr> CountVectorizer::TransformSchema(const Schema& in) const {
  EMBER_RETURN_IF_ERROR(Input(in, params_, "CountVectorizer").status());
  // The vocabulary's size is known after fitting.
  return in.AddField(MakeField(params_.output_col, SparseVectorType(0)));
}

Result<std::shared_ptr<const Transformer>> CountVectorizer::Fit(const DataFrame& in,
                                                                const ExecContext& ctx) const {
  EMBER_ASSIGN_OR_RETURN(int col, Input(*in.schema(), params_, "CountVectorizer"));
  struct Stat {
    double count = 0, docs = 0;
  };
  using Stats = std::unordered_map<std::string, Stat>;
  std::vector<Stats> partial(in.num_partitions());
  std::vector<double> documents(in.num_partitions(), 0.0);
  auto count = [&](int64_t p) -> Status {
    const Batch& b = in.partition(static_cast<int>(p));
    const Column& c = *b.column(col);
    const int32_t* off = c.Offsets();
    const Column& words = *c.child(0);
    std::unordered_map<std::string_view, double> doc;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (c.IsNull(r)) continue;
      documents[p] += 1;
      doc.clear();
      for (int32_t k = off[r]; k < off[r + 1]; ++k) {
        if (!words.IsNull(k)) doc[words.StringValue(k)] += 1;
      }
      for (const auto& [term, n] : doc) {
        Stat& s = partial[p][std::string(term)];
        s.count += n;
        s.docs += 1;
      }
    }
    return Status::OK();
  };
  if (ctx.pool) {
    EMBER_RETURN_IF_ERROR(ctx.pool->ParallelFor(in.num_partitions(), count, ctx.cancel));
  } else {
    for (int p = 0; p < in.num_partitions(); ++p) EMBER_RETURN_IF_ERROR(count(p));
  }
  Stats total;
  double docs = 0;
  for (int p = 0; p < in.num_partitions(); ++p) {
    docs += documents[p];
    for (const auto& [term, s] : partial[p]) {
      total[term].count += s.count;
      total[term].docs += s.docs;
    }
  }
  if (ctx.comm && ctx.comm->size() > 1) {
    // Each rank's block of numbers: its document count, its term count, then each term's
    // count and documents (the terms themselves in the same order in the strings).
    std::vector<std::string_view> terms;
    std::vector<double> numbers = {docs, static_cast<double>(total.size())};
    for (const auto& [term, s] : total) {
      terms.push_back(term);
      numbers.push_back(s.count);
      numbers.push_back(s.docs);
    }
    const Deadline deadline = Deadline::In(std::chrono::minutes(10));
    EMBER_ASSIGN_OR_RETURN(auto all_terms, AllGatherStrings(*ctx.comm, terms, deadline));
    EMBER_ASSIGN_OR_RETURN(auto all_numbers, AllGatherDoubles(*ctx.comm, numbers, deadline));
    Stats merged;
    docs = 0;
    size_t at = 0, t = 0;
    for (int r = 0; r < ctx.comm->size(); ++r) {
      docs += all_numbers[at];
      const auto n = static_cast<size_t>(all_numbers[at + 1]);
      at += 2;
      for (size_t i = 0; i < n; ++i, ++t, at += 2) {
        Stat& s = merged[all_terms[t]];
        s.count += all_numbers[at];
        s.docs += all_numbers[at + 1];
      }
    }
    total = std::move(merged);
  }
  const double min_df = params_.min_df >= 1 ? params_.min_df : params_.min_df * docs;
  const double max_df = params_.max_df >= 1 ? params_.max_df : params_.max_df * docs;
  std::vector<std::pair<std::string, double>> kept;
  for (const auto& [term, s] : total) {
    if (s.docs >= min_df && s.docs <= max_df) kept.emplace_back(term, s.count);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (kept.size() > static_cast<size_t>(params_.vocab_size))
    kept.resize(static_cast<size_t>(params_.vocab_size));
  std::vector<std::string> vocabulary;
  for (auto& [term, n] : kept) vocabulary.push_back(std::move(term));
  if (vocabulary.empty()) {
    return InvalidArgument("CountVectorizer: no term of column '" + params_.input_col +
                           "' is in at least minDF and at most maxDF documents");
  }
  EMBER_ASSIGN_OR_RETURN(auto model,
                         CountVectorizerModel::Make(params_, std::move(vocabulary), uid()));
  return std::shared_ptr<const Transformer>(std::move(model));
}

CountVectorizerModel::CountVectorizerModel(Params p, std::vector<std::string> vocabulary,
                                           std::string uid)
    : StageBase(std::move(p), std::move(uid)),
      vocabulary_(std::move(vocabulary)),
      index_(std::make_shared<const StringLookup>(vocabulary_)) {}

Result<std::shared_ptr<const CountVectorizerModel>> CountVectorizerModel::Make(
    Params p, std::vector<std::string> vocabulary, std::string uid) {
  EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
  if (vocabulary.empty()) return InvalidArgument("CountVectorizerModel: an empty vocabulary");
  return std::shared_ptr<const CountVectorizerModel>(
      new CountVectorizerModel(std::move(p), std::move(vocabulary), std::move(uid)));
}

Status CountVectorizerModel::SaveContents(const std::string& dir) const {
  return Vocabulary::Spec().Save({.terms = vocabulary_}, dir);
}

Result<std::shared_ptr<const CountVectorizerModel>> CountVectorizerModel::Load(
    const LoadContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
  EMBER_ASSIGN_OR_RETURN(Vocabulary v, Vocabulary::Spec().Load(ctx));
  return Make(std::move(p), std::move(v.terms), ctx.uid);
}

Result<std::unique_ptr<BoundTransform>> CountVectorizerModel::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int col, Input(in, params_, "CountVectorizerModel"));
  const int64_t width = static_cast<int64_t>(vocabulary_.size());
  Field field = MakeField(params_.output_col, SparseVectorType(width));
  SetSlotNames(&field, vocabulary_);
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(std::move(field)));
  const auto index = index_;
  const double min_tf = params_.min_tf;
  const bool binary = params_.binary;
  return std::unique_ptr<BoundTransform>(new FunctionBoundTransform(
      out, [out, col, index, width, min_tf, binary](const Batch& b) -> Result<Batch> {
        const Column& c = *b.column(col);
        const int32_t* off = c.Offsets();
        const Column& words = *c.child(0);
        SparseVectorBuilder vb(width);
        std::vector<int32_t> slots, idx;
        std::vector<double> val;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (c.IsNull(r)) {
            vb.AppendNull();
            continue;
          }
          slots.clear();
          double tokens = 0;
          for (int32_t k = off[r]; k < off[r + 1]; ++k) {
            if (words.IsNull(k)) continue;
            tokens += 1;
            const int64_t slot = index->Find(words.StringValue(k));
            if (slot >= 0) slots.push_back(static_cast<int32_t>(slot));
          }
          std::sort(slots.begin(), slots.end());
          const double least = min_tf >= 1 ? min_tf : min_tf * tokens;
          idx.clear();
          val.clear();
          for (size_t i = 0; i < slots.size();) {
            size_t j = i;
            while (j < slots.size() && slots[j] == slots[i]) ++j;
            const double n = static_cast<double>(j - i);
            if (n >= least) {
              idx.push_back(slots[i]);
              val.push_back(binary ? 1.0 : n);
            }
            i = j;
          }
          EMBER_RETURN_IF_ERROR(vb.Append(idx, val));
        }
        std::vector<ColumnPtr> cols = b.columns();
        cols.push_back(vb.Finish());
        return Batch::Make(out, std::move(cols), b.num_rows());
      }));
}

Status RegisterCountVectorizerStages(StageRegistry* r) {
  EMBER_RETURN_IF_ERROR(RegisterStage<CountVectorizer>(
      r, "Learns a vocabulary of terms; documents become sparse count vectors (Spark's)."));
  return RegisterStage<CountVectorizerModel>(r, "A fitted CountVectorizer: its vocabulary.");
}

}  // namespace ember
