#include "ember/stages/value_indexer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

template <typename T>
DataFrame OneColumn(TypePtr type, const std::vector<std::optional<T>>& v) {
  SchemaPtr s = *Schema::Make({MakeField("v", std::move(type))});
  Batch b = *Batch::Make(s, {MakeColumn(v)}, static_cast<int64_t>(v.size()));
  const int64_t n = b.num_rows();
  return *DataFrame::Make(s, {b.Slice(0, n / 2), b.Slice(n / 2, n - n / 2)});
}

std::vector<int32_t> Indices(const DataFrame& f, const std::string& col = "i") {
  Batch b = *f.Collect();
  const Column& c = *b.column(b.schema()->FindField(col));
  return {c.Values<int32_t>(), c.Values<int32_t>() + b.num_rows()};
}

std::shared_ptr<const Transformer> FitOn(const DataFrame& f) {
  auto m =
      (*ValueIndexer::Make({.input_col = "v", .output_col = "i"}))->Fit(f, ExecContext::Default());
  EXPECT_THAT(m, IsOk());
  return *m;
}

// Numbers are ordered as numbers (10 after 9, unlike StringIndexer's alphabetical order);
// null is numLevels, and so is an unseen value when fitting saw no null.
TEST(ValueIndexerTest, OrdersNumbersNumerically) {
  auto model = FitOn(OneColumn<int64_t>(Int64Type(), {10, 9, -3, 10, 100, 9}));
  EXPECT_EQ(static_cast<const ValueIndexerModel&>(*model).levels(),
            (std::vector<std::string>{"-3", "9", "10", "100"}));
  auto out = model->Transform(OneColumn<int64_t>(Int64Type(), {100, 9, std::nullopt, 7, -3}),
                              ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Indices(*out), (std::vector<int32_t>{3, 1, 4, 4, 0}));
  // The output is int32 with the levels as its nominal values.
  const Field& f = out->schema()->field(1);
  EXPECT_EQ(f.type->id(), TypeId::kInt32);
  EXPECT_EQ(NominalValues(f), (std::vector<std::string>{"-3", "9", "10", "100"}));
}

// With a null (or NaN) in the fitting data, null is numLevels and unseen numLevels + 1.
TEST(ValueIndexerTest, NullLevelAndUnseenValues) {
  auto model = FitOn(OneColumn<double>(Float64Type(), {2.5, NAN, -1.0, std::nullopt, 2.5}));
  EXPECT_EQ(static_cast<const ValueIndexerModel&>(*model).levels(),
            (std::vector<std::string>{"-1", "2.5"}));
  auto out = model->Transform(OneColumn<double>(Float64Type(), {2.5, 3.0, std::nullopt, NAN}),
                              ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(Indices(*out), (std::vector<int32_t>{1, 3, 2, 2}));
}

// IndexToValue restores the original values and type; the null and unseen indices give null.
TEST(ValueIndexerTest, IndexToValueRestoresTheType) {
  auto strings = OneColumn<std::string>(StringType(), {"b", "a", std::nullopt, "c", "a"});
  auto model = FitOn(strings);
  auto indexed = model->Transform(strings, ExecContext::Default());
  ASSERT_THAT(indexed, IsOk());
  EXPECT_EQ(Indices(*indexed), (std::vector<int32_t>{1, 0, 3, 2, 0}));
  auto back = (*IndexToValue::Make({.input_col = "i", .output_col = "w"}))
                  ->Transform(*indexed, ExecContext::Default());
  ASSERT_THAT(back, IsOk());
  Batch b = *back->Collect();
  EXPECT_TRUE(ColumnsEqual(*b.column(0), *b.column(2)));

  auto longs = OneColumn<int64_t>(Int64Type(), {int64_t{1} << 60, 5, std::nullopt});
  auto lm = FitOn(longs);
  auto lback =
      (*IndexToValue::Make({.input_col = "i", .output_col = "i"}))
          ->Transform(*lm->Transform(longs, ExecContext::Default()), ExecContext::Default());
  ASSERT_THAT(lback, IsOk());
  Batch lb = *lback->Collect();
  EXPECT_EQ(lb.schema()->field(1).type->id(), TypeId::kInt64);
  EXPECT_TRUE(ColumnsEqual(*lb.column(0), *lb.column(1)));

  auto bools = OneColumn<bool>(BoolType(), {true, false, true});
  auto bm = FitOn(bools);
  auto bi = bm->Transform(bools, ExecContext::Default());
  EXPECT_EQ(Indices(*bi), (std::vector<int32_t>{1, 0, 1}));
}

TEST(ValueIndexerTest, SavesAndLoads) {
  auto f = OneColumn<double>(Float64Type(), {0.1, 1e300, std::nullopt, -0.0});
  auto model = FitOn(f);
  const std::string dir = testing::NewTempDir("value_indexer") + "/model";
  ASSERT_THAT(SaveStage(*model, dir, {}), IsOk());
  StageRegistry registry;
  ASSERT_THAT(RegisterValueIndexerStages(&registry), IsOk());
  auto loaded = LoadTransformer(dir, registry);
  ASSERT_THAT(loaded, IsOk());
  EXPECT_TRUE(FramesEqual(*model->Transform(f, ExecContext::Default()),
                          *(*loaded)->Transform(f, ExecContext::Default())));
}

TEST(ValueIndexerTest, BadInput) {
  // A vector column is not indexable; the error names the column.
  SchemaPtr s = *Schema::Make({MakeField("v", DenseVectorType(2))});
  auto vecs = *DataFrame::Make(s, {*Batch::Make(s, {MakeDenseVectorColumn({{1, 2}}, 2)})});
  auto fit = (*ValueIndexer::Make({.input_col = "v", .output_col = "i"}))
                 ->Fit(vecs, ExecContext::Default());
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("'v'"), std::string::npos);
  // A model of int64 levels does not bind to a string column of the same name.
  auto model = FitOn(OneColumn<int64_t>(Int64Type(), {1, 2}));
  EXPECT_FALSE(
      model->Transform(OneColumn<std::string>(StringType(), {"1"}), ExecContext::Default()).ok());
  // IndexToValue needs a ValueIndexer's column, and whole non-negative indices.
  auto plain = OneColumn<double>(Float64Type(), {1.0});
  auto unmarked = (*IndexToValue::Make({.input_col = "v", .output_col = "w"}))
                      ->Transform(plain, ExecContext::Default());
  ASSERT_FALSE(unmarked.ok());
  EXPECT_NE(unmarked.status().message().find("ValueIndexer"), std::string::npos);
  // An empty fit gives no levels: everything maps to the null index.
  auto empty = FitOn(OneColumn<int64_t>(Int64Type(), {std::nullopt}));
  EXPECT_TRUE(static_cast<const ValueIndexerModel&>(*empty).levels().empty());
}

}  // namespace
}  // namespace ember
