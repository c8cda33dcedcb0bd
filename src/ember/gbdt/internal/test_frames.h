// Test data the GBDT and forest tests share: generated frames, scikit-learn's data sets,
// and reading outputs back. Only the gbdt/ tests include this.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/csv.h"
#include "ember/stages/vector_assembler.h"
#include "ember/testing/matchers.h"

namespace ember::gbdt::testing {

using ::ember::testing::IsOk;

// n rows of d features in `parts` partitions; the label depends on the first three features
// (k classes: thresholds of the score; k == 0: a real-valued target).
inline DataFrame Frame(int n, int d, int k, uint32_t seed, bool sparse = false, int parts = 3) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g;
  Field features = MakeField("features", sparse ? SparseVectorType(d) : DenseVectorType(d));
  auto schema =
      *Schema::Make({features, MakeField("label", Float64Type()), MakeField("w", Float64Type())});
  std::vector<Batch> batches;
  for (int p = 0; p < parts; ++p) {
    const int rows = n / parts + (p < n % parts ? 1 : 0);
    std::unique_ptr<ColumnBuilder> fb = MakeBuilder(features.type);
    std::vector<std::optional<double>> labels, weights;
    for (int r = 0; r < rows; ++r) {
      std::vector<double> x(static_cast<size_t>(d));
      std::vector<int32_t> idx;
      std::vector<double> val;
      for (int j = 0; j < d; ++j) {
        // Sparse rows keep about half their entries (absent ones are XGBoost's missing).
        x[j] = sparse && rng() % 2 ? 0.0 : g(rng);
        if (x[j] != 0.0) {
          idx.push_back(j);
          val.push_back(x[j]);
        }
      }
      const double score = 1.5 * x[0] - x[1] + 0.5 * x[2] * x[2] + 0.3 * g(rng);
      double y = score;
      if (k == 2) y = score > 0.3 ? 1 : 0;
      if (k == 3) y = score < -0.5 ? 0 : score < 0.8 ? 1 : 2;
      labels.push_back(y);
      weights.push_back(1.0 + (r % 3));
      if (sparse) {
        EXPECT_THAT(static_cast<SparseVectorBuilder*>(fb.get())->Append(idx, val), IsOk());
      } else {
        EXPECT_THAT(static_cast<DenseVectorBuilder*>(fb.get())->Append(x), IsOk());
      }
    }
    batches.push_back(
        *Batch::Make(schema, {fb->Finish(), MakeColumn(labels), MakeColumn(weights)}, rows));
  }
  return *DataFrame::Make(schema, batches);
}

inline std::vector<double> Doubles(const DataFrame& f, const std::string& col, int slot = -1) {
  std::vector<double> out;
  const int c = f.schema()->FindField(col);
  for (const Batch& b : f.partitions()) {
    const Column& x = *b.column(c);
    for (int64_t r = 0; r < b.num_rows(); ++r)
      out.push_back(slot < 0 ? x.Values<double>()[r] : x.DenseRow(r)[slot]);
  }
  return out;
}

inline double Auc(const std::vector<double>& score, const std::vector<double>& label) {
  double pairs = 0, right = 0;
  for (size_t i = 0; i < score.size(); ++i) {
    for (size_t j = 0; j < score.size(); ++j) {
      if (label[i] == 1 && label[j] == 0) {
        pairs += 1;
        right += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
      }
    }
  }
  return right / pairs;
}

// One of scikit-learn's data sets as Debian ships them (a counts line, then d features and
// an integer class per line; scripts/fetch_data.sh puts them in data/sklearn), features
// assembled; rows with index % 5 == 0 are the test split.
inline void SklearnData(const std::string& name, int d, DataFrame* train, DataFrame* test) {
  const std::string path = std::string(EMBER_SKLEARN_DATA) + "/" + name;
  std::vector<Field> fields;
  for (int i = 0; i < d; ++i) fields.push_back(MakeField("f" + std::to_string(i), Float64Type()));
  fields.push_back(MakeField("label", Int64Type()));
  CsvReadOptions read;
  read.header = false;
  read.skip_lines = 1;
  read.schema = *Schema::Make(fields);
  auto frame = ReadCsv(ExecContext::Default(), path, read);
  ASSERT_THAT(frame, IsOk()) << "run scripts/fetch_data.sh";
  VectorAssembler::Params va;
  for (int i = 0; i < d; ++i) va.input_cols.push_back("f" + std::to_string(i));
  auto assembled = (*VectorAssembler::Make(va))->Transform(*frame, ExecContext::Default());
  ASSERT_THAT(assembled, IsOk());
  auto all = assembled->Collect();
  ASSERT_THAT(all, IsOk());
  std::vector<int64_t> train_rows, test_rows;
  for (int64_t r = 0; r < all->num_rows(); ++r) (r % 5 == 0 ? test_rows : train_rows).push_back(r);
  *train = DataFrame::FromBatch(*TakeRows(*all, train_rows));
  *test = DataFrame::FromBatch(*TakeRows(*all, test_rows));
}

}  // namespace ember::gbdt::testing
