#include "ember/testing/conformance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include "ember/base/file_util.h"
#include "ember/base/uid.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"

namespace ember::testing {

namespace fs = std::filesystem;

std::string NewTempDir(const std::string& name) {
  fs::path p = fs::path(::testing::TempDir()) / MakeUid("ember_" + name);
  fs::create_directories(p);
  return p.string();
}

std::vector<Result<std::shared_ptr<const Transformer>>> FitOnRanks(const DataFrame& all,
                                                                   const Estimator& estimator,
                                                                   int ranks) {
  auto comms = LocalCommunicator::MakeGroup(ranks);
  std::vector<Result<std::shared_ptr<const Transformer>>> models(ranks, Internal("not run"));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      ExecContext ctx = ExecContext::Default();
      ctx.comm = comms[r].get();
      std::vector<Batch> mine;
      for (int p = r; p < all.num_partitions(); p += ranks) mine.push_back(all.partition(p));
      Result<DataFrame> frame = DataFrame::Make(all.schema(), std::move(mine));
      models[r] = frame.ok() ? estimator.Fit(*frame, ctx)
                             : Result<std::shared_ptr<const Transformer>>(frame.status());
    });
  }
  for (auto& t : threads) t.join();
  return models;
}

DataFrame ListFrame() {
  SchemaPtr schema =
      *Schema::Make({MakeField("id", Int64Type()), MakeField("tags", ListType(StringType()))});
  std::vector<Batch> parts;
  int64_t id = 0;
  for (int p = 0; p < 3; ++p) {
    std::vector<std::optional<int64_t>> ids;
    ListBuilder tags(ListType(StringType()));
    for (int r = 0; r < 3 + p; ++r, ++id) {
      ids.push_back(id);
      if (id == 4) {
        tags.AppendNull();
        continue;
      }
      tags.Append();
      auto* values = static_cast<StringBuilder*>(tags.value_builder());
      for (int64_t t = 0; t < id % 4; ++t) {
        if (id == 7 && t == 1) {
          values->AppendNull();
        } else {
          values->Append("t" + std::to_string(id + t));
        }
      }
    }
    parts.push_back(*Batch::Make(schema, {MakeColumn(ids), tags.Finish()}));
  }
  return *DataFrame::Make(schema, std::move(parts));
}

DataFrame LabeledVectors(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                         int parts, bool sparse) {
  const int64_t d = x.empty() ? 0 : static_cast<int64_t>(x[0].size());
  SchemaPtr s =
      *Schema::Make({MakeField("features", sparse ? SparseVectorType(d) : DenseVectorType(d)),
                     MakeField("label", Float64Type())});
  std::vector<Batch> batches;
  const size_t n = y.size();
  for (int p = 0; p < parts; ++p) {
    const size_t lo = n * p / parts, hi = n * (p + 1) / parts;
    std::unique_ptr<ColumnBuilder> fb = MakeBuilder(s->field(0).type);
    for (size_t i = lo; i < hi; ++i) {
      if (sparse) {
        std::vector<int32_t> idx;
        std::vector<double> val;
        for (int64_t j = 0; j < d; ++j) {
          if (x[i][j] != 0) {
            idx.push_back(static_cast<int32_t>(j));
            val.push_back(x[i][j]);
          }
        }
        EXPECT_TRUE(static_cast<SparseVectorBuilder*>(fb.get())->Append(idx, val).ok());
      } else {
        EXPECT_TRUE(static_cast<DenseVectorBuilder*>(fb.get())->Append(x[i]).ok());
      }
    }
    std::vector<std::optional<double>> ys(y.begin() + static_cast<std::ptrdiff_t>(lo),
                                          y.begin() + static_cast<std::ptrdiff_t>(hi));
    batches.push_back(*Batch::Make(s, {fb->Finish(), MakeColumn(ys)}));
  }
  return *DataFrame::Make(s, batches);
}

DataFrame MixedFrame() {
  Field vec = MakeField("features", DenseVectorType(2));
  SetSlotNames(&vec, {"f0", "f1"});
  SchemaPtr schema =
      *Schema::Make({MakeField("id", Int64Type()), MakeField("x", Float64Type()),
                     MakeField("name", StringType()), MakeField("flag", BoolType()), vec});
  std::vector<Batch> parts;
  int64_t id = 0;
  for (int p = 0; p < 3; ++p) {
    std::vector<std::optional<int64_t>> ids;
    std::vector<std::optional<double>> xs;
    std::vector<std::optional<std::string>> names;
    std::vector<std::optional<bool>> flags;
    std::vector<std::vector<double>> vecs;
    for (int r = 0; r < 4 + p; ++r, ++id) {
      ids.push_back(id);
      xs.push_back(id % 5 == 3 ? std::nullopt : std::optional(id * 0.5));
      names.push_back(id % 4 == 1 ? std::nullopt : std::optional("n" + std::to_string(id % 3)));
      flags.push_back(id % 2 == 0);
      vecs.push_back({double(id), -double(id)});
    }
    parts.push_back(*Batch::Make(schema, {MakeColumn(ids), MakeColumn(xs), MakeColumn(names),
                                          MakeColumn(flags), MakeDenseVectorColumn(vecs, 2)}));
  }
  return *DataFrame::Make(schema, std::move(parts));
}

namespace {

// Fits estimators; returns transformers as they are.
Result<std::shared_ptr<const Transformer>> AsModel(const Stage& stage,
                                                   const std::shared_ptr<const Stage>& ptr,
                                                   const DataFrame& in, const ExecContext& ctx) {
  if (stage.kind() == StageKind::kTransformer)
    return std::static_pointer_cast<const Transformer>(ptr);
  return static_cast<const Estimator&>(stage).Fit(in, ctx);
}

Result<DataFrame> Run(const std::shared_ptr<const Stage>& stage, const DataFrame& in,
                      const ExecContext& ctx) {
  EMBER_ASSIGN_OR_RETURN(auto model, AsModel(*stage, stage, in, ctx));
  return model->Transform(in, ctx);
}

}  // namespace

void CheckConformance(const ConformanceCase& c, const StageRegistry& registry) {
  SCOPED_TRACE("conformance of " + c.type_name);
  const ExecContext& ctx = ExecContext::Default();
  Result<std::shared_ptr<const Stage>> made = c.make();
  ASSERT_TRUE(made.ok()) << made.status();
  std::shared_ptr<const Stage> stage = *made;
  ASSERT_EQ(stage->type_name(), c.type_name);
  DataFrame in = c.input();

  // 1. Transform works, and TransformSchema agrees with it.
  Result<DataFrame> out = Run(stage, in, ctx);
  ASSERT_TRUE(out.ok()) << out.status();
  if (stage->kind() == StageKind::kTransformer) {
    Result<SchemaPtr> schema =
        static_cast<const Transformer&>(*stage).TransformSchema(*in.schema());
    ASSERT_TRUE(schema.ok()) << schema.status();
    EXPECT_TRUE((*schema)->Equals(*out->schema())) << "TransformSchema:\n"
                                                   << (*schema)->ToString() << "Transform:\n"
                                                   << out->schema()->ToString();
  } else {
    // Before fitting, data-dependent sizes (a vector's width) may be unknown (0): names and
    // kinds of types must agree; the fitted model is checked exactly by its own entry.
    Result<SchemaPtr> schema = static_cast<const Estimator&>(*stage).TransformSchema(*in.schema());
    ASSERT_TRUE(schema.ok()) << schema.status();
    ASSERT_EQ((*schema)->field_names(), out->schema()->field_names());
    for (int i = 0; i < out->schema()->num_fields(); ++i) {
      const DataType& a = *(*schema)->field(i).type;
      const DataType& b = *out->schema()->field(i).type;
      const bool unknown_width = a.id() == TypeId::kVector && b.id() == TypeId::kVector &&
                                 a.sparse() == b.sparse() && a.vector_size() == 0;
      EXPECT_TRUE(a.Equals(b) || unknown_width)
          << out->schema()->field(i).name << ": TransformSchema says " << a.ToString()
          << ", Transform gives " << b.ToString();
    }
  }

  // 2. Save/load round trip: same type, uid, params and output.
  std::string dir = NewTempDir(c.type_name) + "/stage";
  ASSERT_TRUE(SaveStage(*stage, dir).ok());
  Result<std::shared_ptr<const Stage>> loaded = LoadStage(dir, registry);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->type_name(), stage->type_name());
  EXPECT_EQ((*loaded)->uid(), stage->uid());
  EXPECT_EQ((*loaded)->ParamsJson(), stage->ParamsJson());
  Result<DataFrame> out2 = Run(*loaded, in, ctx);
  ASSERT_TRUE(out2.ok()) << out2.status();
  EXPECT_EQ(DescribeDifference(*out2, *out), "") << "output after save/load differs";
  // Saving again over it without overwrite is refused; with overwrite it works.
  EXPECT_EQ(SaveStage(*stage, dir).code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(SaveStage(**loaded, dir, {.overwrite = true}).ok());

  // 3. Invalid params are rejected on load with a message naming the param.
  const Result<const StageEntry*> entry = registry.Find(c.type_name);
  ASSERT_TRUE(entry.ok());
  if (!(*entry)->params.empty()) {
    EXPECT_FALSE(c.invalid_params.empty()) << "no invalid params listed for " << c.type_name;
  }
  for (const auto& [name, value] : c.invalid_params) {
    Result<std::string> text = ReadFileToString(dir + "/metadata.json");
    ASSERT_TRUE(text.ok());
    Json md = *Json::Parse(*text);
    Json params = *md.Find("params");
    params.Set(name, value);
    md.Set("params", params);
    std::string bad_dir = NewTempDir(c.type_name + "_bad") + "/stage";
    fs::copy(dir, bad_dir, fs::copy_options::recursive);
    ASSERT_TRUE(WriteStringToFile(bad_dir + "/metadata.json", md.Dump()).ok());
    Result<std::shared_ptr<const Stage>> bad = LoadStage(bad_dir, registry);
    EXPECT_FALSE(bad.ok()) << name << " = " << value.Dump() << " was accepted";
    if (!bad.ok()) {
      EXPECT_NE(bad.status().message().find("'" + name + "'"), std::string::npos) << bad.status();
    }
  }

  // 4. Empty input: no partitions, and one empty partition.
  for (int parts : {0, 1}) {
    std::vector<Batch> batches;
    if (parts) batches.push_back(Batch::Empty(in.schema()));
    DataFrame empty = *DataFrame::Make(in.schema(), batches);
    Result<std::shared_ptr<const Transformer>> model = AsModel(*stage, stage, in, ctx);
    ASSERT_TRUE(model.ok()) << model.status();
    Result<DataFrame> e = (*model)->Transform(empty, ctx);
    ASSERT_TRUE(e.ok()) << e.status();
    // Row-wise stages give no rows; aggregating ones (metrics) give their one summary row.
    if ((*model)->partition_local()) {
      EXPECT_EQ(e->num_rows(), 0);
    }
    EXPECT_TRUE(e->schema()->Equals(*out->schema()));
  }

  // 5. Determinism: fitting and transforming again gives the same output.
  Result<DataFrame> again = Run(stage, in, ctx);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(DescribeDifference(*again, *out), "") << "second run differs";

  // 6. Concurrent Transform of one model from several threads.
  Result<std::shared_ptr<const Transformer>> model = AsModel(*stage, stage, in, ctx);
  ASSERT_TRUE(model.ok());
  std::vector<std::string> diffs(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) {
        Result<DataFrame> r = (*model)->Transform(in, ctx);
        diffs[t] = r.ok() ? DescribeDifference(*r, *out) : r.status().ToString();
        if (!diffs[t].empty()) return;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& d : diffs) EXPECT_EQ(d, "") << "concurrent Transform differs";

  // 7. Several ranks: an estimator fitted on 2 and 3 thread ranks, each rank holding some
  // of the partitions, gives on every rank the model one rank fits (its output on the whole
  // input equal within 1e-9: the ranks sum in another order).
  if (stage->kind() == StageKind::kEstimator && c.fit_on_thread_ranks) {
    for (int ranks : {2, 3}) {
      auto models = FitOnRanks(in, static_cast<const Estimator&>(*stage), ranks);
      for (int r = 0; r < ranks; ++r) {
        ASSERT_TRUE(models[r].ok()) << ranks << " ranks, rank " << r << ": " << models[r].status();
        Result<DataFrame> o = (*models[r])->Transform(in, ctx);
        ASSERT_TRUE(o.ok()) << o.status();
        EXPECT_EQ(DescribeDifferenceWithin(*o, *out, 1e-9), "")
            << "the model fitted on " << ranks << " ranks (rank " << r
            << ") differs from the one-rank model";
      }
    }
  }
}

std::string DescribeDifferenceWithin(const DataFrame& a, const DataFrame& b, double tolerance) {
  if (!a.schema()->Equals(*b.schema()))
    return "schemas differ:\n" + a.schema()->ToString() + "vs\n" + b.schema()->ToString();
  Result<Batch> x = a.Collect(), y = b.Collect();
  if (!x.ok() || !y.ok()) return "cannot collect";
  if (x->num_rows() != y->num_rows())
    return std::to_string(x->num_rows()) + " vs " + std::to_string(y->num_rows()) + " rows";
  auto close = [tolerance](double u, double v) {
    if (std::isnan(u) || std::isnan(v)) return std::isnan(u) == std::isnan(v);
    return std::abs(u - v) <= tolerance * std::max(1.0, std::max(std::abs(u), std::abs(v)));
  };
  for (int c = 0; c < x->num_columns(); ++c) {
    const Column& u = *x->column(c);
    const Column& v = *y->column(c);
    for (int64_t r = 0; r < x->num_rows(); ++r) {
      bool same = u.IsNull(r) == v.IsNull(r);
      if (same && u.IsValid(r)) {
        if (u.type_id() == TypeId::kFloat64 || u.type_id() == TypeId::kFloat32) {
          same = close(NumericValue(u, r), NumericValue(v, r));
        } else if (u.type_id() == TypeId::kVector) {
          std::vector<double> uu(static_cast<size_t>(u.type()->vector_size()), 0.0),
              vv(uu.size(), 0.0);
          ForEachVectorEntry(u, r, [&](int64_t i, double d) { uu[static_cast<size_t>(i)] = d; });
          ForEachVectorEntry(v, r, [&](int64_t i, double d) { vv[static_cast<size_t>(i)] = d; });
          for (size_t i = 0; i < uu.size() && same; ++i) same = close(uu[i], vv[i]);
        } else {
          same = FormatValue(u, r) == FormatValue(v, r);
        }
      }
      if (!same) {
        return "column '" + x->schema()->field(c).name + "' row " + std::to_string(r) + ": " +
               FormatValue(u, r) + " vs " + FormatValue(v, r);
      }
    }
  }
  return "";
}

}  // namespace ember::testing
