#include "ember/stages/vector_stages.h"

#include <gtest/gtest.h>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

// v: [3, -4, 0], [0, 0, 0], null, [1, 2, 2] (dense, slot names a b c); s: the same sparse.
DataFrame Vectors() {
  DenseVectorBuilder dense(3);
  SparseVectorBuilder sparse(3);
  const std::vector<std::vector<double>> rows = {{3, -4, 0}, {0, 0, 0}, {}, {1, 2, 2}};
  for (const auto& row : rows) {
    if (row.empty()) {
      dense.AppendNull();
      sparse.AppendNull();
      continue;
    }
    EXPECT_TRUE(dense.Append(row).ok());
    std::vector<int32_t> idx;
    std::vector<double> val;
    for (int k = 0; k < 3; ++k) {
      if (row[k] != 0) {
        idx.push_back(k);
        val.push_back(row[k]);
      }
    }
    EXPECT_TRUE(sparse.Append(idx, val).ok());
  }
  Field v = MakeField("v", DenseVectorType(3));
  SetSlotNames(&v, {"a", "b", "c"});
  SchemaPtr schema = *Schema::Make({v, MakeField("s", SparseVectorType(3))});
  Batch b = *Batch::Make(schema, {dense.Finish(), sparse.Finish()});
  return *DataFrame::Make(schema, {b.Slice(0, 2), b.Slice(2, 2)});  // two partitions
}

std::vector<std::string> Values(const DataFrame& f, const std::string& name) {
  Batch b = *f.Collect();
  std::vector<std::string> out;
  for (int64_t r = 0; r < b.num_rows(); ++r)
    out.push_back(FormatValue(*b.column(b.schema()->FindField(name)), r));
  return out;
}

TEST(NormalizerTest, MatchesScikitLearnForL1AndL2DenseAndSparse) {
  // scikit-learn's Normalizer(norm="l2") of [[3,-4,0],[0,0,0],[1,2,2]]: [0.6,-0.8,0],
  // [0,0,0], [1/3,2/3,2/3]; norm="l1": [3/7,-4/7,0], [0,0,0], [0.2,0.4,0.4].
  for (const char* col : {"v", "s"}) {
    auto l2 = *Normalizer::Make({.input_col = col, .output_col = "n"});
    auto out = l2->Transform(Vectors(), ExecContext::Default());
    ASSERT_THAT(out, IsOk());
    Batch b = *out->Collect();
    const Column& n = *b.column(b.schema()->FindField("n"));
    EXPECT_EQ(n.type()->sparse(), std::string(col) == "s");
    std::vector<std::vector<double>> want = {
        {0.6, -0.8, 0}, {0, 0, 0}, {}, {1.0 / 3, 2.0 / 3, 2.0 / 3}};
    for (int64_t r = 0; r < 4; ++r) {
      if (want[r].empty()) {
        EXPECT_TRUE(n.IsNull(r));
        continue;
      }
      std::vector<double> got(3, 0.0);
      ForEachVectorEntry(n, r, [&](int64_t k, double x) { got[k] = x; });
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(got[k], want[r][k], 1e-15) << col << r << k;
    }
    auto l1 = *Normalizer::Make({.input_col = col, .output_col = "n", .p = 1});
    Batch b1 = *(*l1->Transform(Vectors(), ExecContext::Default())).Collect();
    std::vector<double> got(3, 0.0);
    ForEachVectorEntry(*b1.column(b1.schema()->FindField("n")), 0,
                       [&](int64_t k, double x) { got[k] = x; });
    EXPECT_NEAR(got[0], 3.0 / 7, 1e-15);
    EXPECT_NEAR(got[1], -4.0 / 7, 1e-15);
  }
  // p = 3: divided by (27 + 64)^(1/3).
  auto l3 = *Normalizer::Make({.input_col = "v", .output_col = "n", .p = 3});
  Batch b3 = *(*l3->Transform(Vectors(), ExecContext::Default())).Collect();
  EXPECT_NEAR(b3.column(b3.schema()->FindField("n"))->DenseRow(0)[0], 3 / std::cbrt(91.0), 1e-15);
  // Slot names carry over.
  EXPECT_EQ(*SlotNames(b3.schema()->field(2)), (std::vector<std::string>{"a", "b", "c"}));
  // p = Infinity (written "Infinity" in JSON): scikit-learn's norm="max", [0.75, -1, 0].
  auto spec = Normalizer::Params::Spec().FromJson(
      *Json::Parse(R"({"inputCol": "s", "outputCol": "n", "p": "Infinity"})"));
  ASSERT_THAT(spec, IsOk());
  auto max = *Normalizer::Make(*spec);
  EXPECT_EQ(max->ParamsJson().Find("p")->as_string(), "Infinity");
  Batch bm = *(*max->Transform(Vectors(), ExecContext::Default())).Collect();
  std::vector<double> got(3, 0.0);
  ForEachVectorEntry(*bm.column(bm.schema()->FindField("n")), 0,
                     [&](int64_t k, double x) { got[k] = x; });
  EXPECT_EQ(got, (std::vector<double>{0.75, -1, 0}));
}

TEST(NormalizerTest, BadInputIsNamed) {
  EXPECT_FALSE(Normalizer::Make({.input_col = "v", .output_col = "n", .p = 0.5}).ok());
  auto n = *Normalizer::Make({.input_col = "missing", .output_col = "n"});
  EXPECT_FALSE(n->Transform(Vectors(), ExecContext::Default()).ok());
  auto existing = *Normalizer::Make({.input_col = "v", .output_col = "s"});
  auto r = existing->Transform(Vectors(), ExecContext::Default());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'s' already exists"), std::string::npos);
}

TEST(VectorSlicerTest, IndicesThenNamesInTheOrderGiven) {
  auto slicer =
      *VectorSlicer::Make({.input_col = "v", .output_col = "w", .indices = {2}, .names = {"a"}});
  auto out = slicer->Transform(Vectors(), ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Values(*out, "w"), (std::vector<std::string>{"[0,3]", "[0,0]", "null", "[2,1]"}));
  EXPECT_EQ(*SlotNames(out->schema()->field(2)), (std::vector<std::string>{"c", "a"}));
  // Sparse stays sparse (only the stored entries chosen).
  auto sparse = *VectorSlicer::Make({.input_col = "s", .output_col = "w", .indices = {1, 0}});
  auto s = sparse->Transform(Vectors(), ExecContext::Default());
  ASSERT_THAT(s, IsOk());
  EXPECT_TRUE(s->schema()->field(2).type->sparse());
  Batch b = *s->Collect();
  const Column& w = *b.column(b.schema()->FindField("w"));
  std::vector<double> got(2, 0.0);
  ForEachVectorEntry(w, 0, [&](int64_t k, double x) { got[k] = x; });
  EXPECT_EQ(got, (std::vector<double>{-4, 3}));
}

TEST(VectorSlicerTest, BadSelectionsAreNamed) {
  EXPECT_EQ(VectorSlicer::Make({.input_col = "v", .output_col = "w"}).status().message(),
            "VectorSlicer: choose slots with 'indices' or 'names'");
  EXPECT_NE(VectorSlicer::Make({.input_col = "v", .output_col = "w", .indices = {1, 1}})
                .status()
                .message()
                .find("1 is listed twice"),
            std::string::npos);
  auto far = *VectorSlicer::Make({.input_col = "v", .output_col = "w", .indices = {3}});
  auto r = far->Transform(Vectors(), ExecContext::Default());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("3 is beyond column 'v' of 3 slots"), std::string::npos);
  auto typo = *VectorSlicer::Make({.input_col = "v", .output_col = "w", .names = {"bb"}});
  auto t = typo->Transform(Vectors(), ExecContext::Default());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no slot 'bb'; did you mean 'b'?"), std::string::npos)
      << t.status().ToString();
  auto unnamed = *VectorSlicer::Make({.input_col = "s", .output_col = "w", .names = {"a"}});
  EXPECT_FALSE(unnamed->Transform(Vectors(), ExecContext::Default()).ok());
}

// Spark's documentation example: [2, 1] at degree 3 is [2, 4, 8, 1, 2, 4, 1, 2, 1]; a sparse
// row gives the same values at the same slots, storing only the products of its entries.
TEST(PolynomialExpansionTest, SparksOrderDenseAndSparse) {
  SchemaPtr schema =
      *Schema::Make({MakeField("v", DenseVectorType(2)), MakeField("s", SparseVectorType(3))});
  DenseVectorBuilder dense(2);
  SparseVectorBuilder sparse(3);
  const std::vector<double> x = {2.0, 1.0};
  const std::vector<int32_t> at = {0, 2};
  ASSERT_THAT(dense.Append(x), IsOk());
  ASSERT_THAT(sparse.Append(at, x), IsOk());  // [2, 0, 1]
  const DataFrame in =
      *DataFrame::Make(schema, {*Batch::Make(schema, {dense.Finish(), sparse.Finish()})});
  auto cubed = *PolynomialExpansion::Make({.input_col = "v", .output_col = "p", .degree = 3});
  Batch b = *(*cubed->Transform(in, ExecContext::Default())).Collect();
  const Column& p = *b.column(2);
  ASSERT_EQ(p.type()->vector_size(), 9);
  auto row = p.DenseRow(0);
  EXPECT_EQ(std::vector<double>(row.begin(), row.end()),
            (std::vector<double>{2, 4, 8, 1, 2, 4, 1, 2, 1}));
  // [x, y, z] at degree 2: x, xx, y, xy, yy, z, xz, yz, zz; with y = 0 only x, xx, z, xz, zz
  // are stored.
  auto squared = *PolynomialExpansion::Make({.input_col = "s", .output_col = "p"});
  Batch c = *(*squared->Transform(in, ExecContext::Default())).Collect();
  const Column& q = *c.column(2);
  ASSERT_TRUE(q.type()->sparse());
  ASSERT_EQ(q.type()->vector_size(), 9);
  auto idx = q.SparseIndices(0);
  auto val = q.SparseValues(0);
  EXPECT_EQ(std::vector<int32_t>(idx.begin(), idx.end()), (std::vector<int32_t>{0, 1, 5, 6, 8}));
  EXPECT_EQ(std::vector<double>(val.begin(), val.end()), (std::vector<double>{2, 4, 1, 2, 1}));
  // Too many slots is an error naming the column.
  SchemaPtr wide = *Schema::Make({MakeField("w", DenseVectorType(100000))});
  auto huge = *PolynomialExpansion::Make({.input_col = "w", .output_col = "p", .degree = 3});
  auto bound = huge->Bind(*wide);
  ASSERT_FALSE(bound.ok());
  EXPECT_NE(bound.status().message().find("column 'w'"), std::string::npos);
  EXPECT_FALSE(PolynomialExpansion::Make({.input_col = "v", .output_col = "p", .degree = 0}).ok());
}

// Slots non-zero somewhere: of v ([3, -4, 0], [0, 0, 0], null, [1, 2, 2]) all three; of s
// the same; a frame whose slot 2 is always 0 keeps slots 0 and 1.
TEST(CountSelectorTest, KeepsTheSlotsNonZeroSomewhere) {
  auto selector = *CountSelector::Make({.input_col = "v", .output_col = "kept"});
  auto model = selector->Fit(Vectors(), ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  EXPECT_EQ((*model)->type_name(), "VectorSlicer");
  EXPECT_EQ(static_cast<const VectorSlicer&>(**model).params().indices,
            (std::vector<int64_t>{0, 1, 2}));
  SchemaPtr schema = *Schema::Make({MakeField("w", SparseVectorType(4))});
  SparseVectorBuilder b(4);
  const std::vector<int32_t> i1 = {0, 3}, i2 = {3};
  const std::vector<double> v1 = {1.5, 2}, v2 = {-1};
  ASSERT_THAT(b.Append(i1, v1), IsOk());
  ASSERT_THAT(b.Append(i2, v2), IsOk());
  const DataFrame f = *DataFrame::Make(schema, {*Batch::Make(schema, {b.Finish()})});
  auto sparse = (*CountSelector::Make({.input_col = "w", .output_col = "kept"}))
                    ->Fit(f, ExecContext::Default());
  ASSERT_THAT(sparse, IsOk());
  EXPECT_EQ(static_cast<const VectorSlicer&>(**sparse).params().indices,
            (std::vector<int64_t>{0, 3}));
  SparseVectorBuilder zeros(4);
  ASSERT_THAT(zeros.Append({}, {}), IsOk());
  auto none = (*CountSelector::Make({.input_col = "w", .output_col = "kept"}))
                  ->Fit(*DataFrame::Make(schema, {*Batch::Make(schema, {zeros.Finish()})}),
                        ExecContext::Default());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no slot of column 'w'"), std::string::npos);
}

}  // namespace
}  // namespace ember
