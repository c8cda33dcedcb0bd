#include "ember/pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "ember/base/file_util.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/pipeline/save_load.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::FrameEq;
using ::ember::testing::IsOk;
using ::ember::testing::StatusIs;
namespace fs = std::filesystem;

// A small estimator for testing the pipeline machinery: subtracts the mean of a float64
// column, fitted SPMD-style through the communicator.
struct CenterParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<CenterParams>& Spec() {
    static const ParamSpec<CenterParams> spec =
        std::move(ParamSpec<CenterParams>("Center")
                      .Add("inputCol", &CenterParams::input_col, "in", NonEmpty<std::string>())
                      .Add("outputCol", &CenterParams::output_col, "out", NonEmpty<std::string>()));
    return spec;
  }
};

std::atomic<int> g_fits{0};

class CenterModel final : public Transformer {
 public:
  using Params = CenterParams;
  static constexpr std::string_view kTypeName = "CenterModel";
  CenterModel(Params p, double mean, std::string uid)
      : Transformer(std::move(uid), kTypeName), p_(std::move(p)), mean_(mean) {}
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(p_); }
  Status SaveContents(const std::string& dir) const override {
    fs::create_directories(dir + "/data");
    Json d = Json::MakeObject();
    d.Set("mean", mean_);
    return WriteStringToFile(dir + "/data/model.json", d.Dump());
  }
  static Result<std::shared_ptr<const CenterModel>> Load(const LoadContext& ctx) {
    EMBER_ASSIGN_OR_RETURN(Params p, Params::Spec().FromJson(ctx.params));
    EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(ctx.dir + "/data/model.json"));
    Result<Json> d = Json::Parse(text);
    if (!d.ok() || d->Find("mean") == nullptr || !d->Find("mean")->is_number()) {
      return DataLoss(ctx.dir + "/data/model.json: no number \"mean\"");
    }
    return std::make_shared<const CenterModel>(p, d->Find("mean")->as_double(), ctx.uid);
  }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    EMBER_ASSIGN_OR_RETURN(
        int i,
        in.GetFieldIndexOfType(
            p_.input_col, [](const DataType& t) { return t.id() == TypeId::kFloat64; }, "float64"));
    EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(MakeField(p_.output_col, Float64Type())));
    double mean = mean_;
    return std::unique_ptr<BoundTransform>(
        new FunctionBoundTransform(out, [out, i, mean](const Batch& b) -> Result<Batch> {
          Float64Builder builder(Float64Type());
          const Column& c = *b.column(i);
          for (int64_t r = 0; r < b.num_rows(); ++r) {
            if (c.IsNull(r))
              builder.AppendNull();
            else
              builder.Append(c.Values<double>()[r] - mean);
          }
          std::vector<ColumnPtr> cols = b.columns();
          cols.push_back(builder.Finish());
          return Batch::Make(out, std::move(cols), b.num_rows());
        }));
  }
  double mean() const { return mean_; }

 private:
  Params p_;
  double mean_;
};

class Center final : public Estimator {
 public:
  using Params = CenterParams;
  static constexpr std::string_view kTypeName = "Center";
  static Result<std::shared_ptr<const Center>> Make(Params p, std::string uid = {}) {
    EMBER_RETURN_IF_ERROR(Params::Spec().Validate(p));
    return std::shared_ptr<const Center>(new Center(std::move(p), std::move(uid)));
  }
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(p_); }
  Result<SchemaPtr> TransformSchema(const Schema& in) const override {
    return CenterModel(p_, 0, "x").TransformSchema(in);
  }
  Result<std::shared_ptr<const Transformer>> Fit(const DataFrame& in,
                                                 const ExecContext& ctx) const override {
    ++g_fits;
    EMBER_ASSIGN_OR_RETURN(int i, in.schema()->GetFieldIndex(p_.input_col));
    double acc[2] = {0, 0};
    for (const Batch& b : in.partitions()) {
      const Column& c = *b.column(i);
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        if (c.IsValid(r)) {
          acc[0] += c.Values<double>()[r];
          acc[1] += 1;
        }
      }
    }
    EMBER_RETURN_IF_ERROR(ctx.comm->AllReduce(std::span<double>(acc, 2), ReduceOp::kSum,
                                              Deadline::In(std::chrono::seconds(30))));
    return std::shared_ptr<const Transformer>(
        std::make_shared<const CenterModel>(p_, acc[1] ? acc[0] / acc[1] : 0.0, ""));
  }

 private:
  Center(Params p, std::string uid) : Estimator(std::move(uid), kTypeName), p_(std::move(p)) {}
  Params p_;
};

const StageRegistry& TestRegistry() {
  static const StageRegistry* r = [] {
    auto* reg = new StageRegistry;
    EXPECT_TRUE(RegisterPipelineStages(reg).ok());
    EXPECT_TRUE(RegisterStage<Center>(reg, "test").ok());
    EXPECT_TRUE(RegisterStage<CenterModel>(reg, "test").ok());
    return reg;
  }();
  return *r;
}

std::shared_ptr<const Pipeline> TwoCenters() {
  auto a = *Center::Make({.input_col = "x", .output_col = "x_c"});
  auto b = *Center::Make({.input_col = "x_c", .output_col = "x_cc"});
  return *Pipeline::Make({a, b});
}

TEST(PipelineTest, FitsEstimatorsInOrderOnTransformedData) {
  DataFrame in = testing::MixedFrame();
  auto model = TwoCenters()->Fit(in, ExecContext::Default());
  ASSERT_THAT(model, IsOk());
  const auto& pm = static_cast<const PipelineModel&>(**model);
  ASSERT_EQ(pm.stages().size(), 2u);
  // ids 0..14, x = id/2 except ids 3, 8, 13: mean of the rest.
  double sum = 0;
  int n = 0;
  for (int id = 0; id < 15; ++id) {
    if (id % 5 != 3) {
      sum += id * 0.5;
      ++n;
    }
  }
  EXPECT_DOUBLE_EQ(static_cast<const CenterModel&>(*pm.stages()[0]).mean(), sum / n);
  EXPECT_NEAR(static_cast<const CenterModel&>(*pm.stages()[1]).mean(), 0.0, 1e-12);
  auto out = (*model)->Transform(in, ExecContext::Default());
  ASSERT_THAT(out, IsOk());
  EXPECT_EQ(out->schema()->field_names().back(), "x_cc");
  EXPECT_EQ(out->num_partitions(), 3);
}

TEST(PipelineTest, BoundKernelMatchesTransform) {
  DataFrame in = testing::MixedFrame();
  auto model = *TwoCenters()->Fit(in, ExecContext::Default());
  auto bound = model->Bind(*in.schema());
  ASSERT_THAT(bound, IsOk());
  KernelScratch scratch;
  std::vector<Batch> parts;
  for (const Batch& b : in.partitions()) parts.push_back(*(*bound)->Apply(b, scratch));
  DataFrame via_kernel = *DataFrame::Make((*bound)->output_schema(), parts);
  EXPECT_THAT(via_kernel, FrameEq(*model->Transform(in, ExecContext::Default())));
}

// Counts the states it makes and the threads that run it; each batch gets a column with
// how many batches this thread's state has seen (so a state shared by two threads, or made
// anew per partition, shows). Blocks when asked to.
std::atomic<int> g_states_made{0};
std::atomic<int> g_states_alive{0};

struct CountingState final : KernelState {
  CountingState() { ++g_states_made, ++g_states_alive; }
  ~CountingState() override { --g_states_alive; }
  std::thread::id owner = std::this_thread::get_id();
  int64_t batches = 0;
};

class CountBatches final : public Transformer {
 public:
  explicit CountBatches(bool blocks = false, std::string col = "seen")
      : Transformer("", "CountBatches"), blocks_(blocks), col_(std::move(col)) {}
  std::string_view type_name() const override { return "CountBatches"; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.AddField(MakeField(col_, Int64Type())));
    return std::unique_ptr<BoundTransform>(new Kernel(std::move(out), blocks_));
  }

 private:
  class Kernel final : public StatefulKernel<CountingState> {
   public:
    Kernel(SchemaPtr out, bool blocks) : out_(std::move(out)), blocks_(blocks) {}
    const SchemaPtr& output_schema() const override { return out_; }
    bool blocking() const override { return blocks_; }

   protected:
    std::unique_ptr<CountingState> MakeState() const override {
      return std::make_unique<CountingState>();
    }
    Result<Batch> Run(const Batch& in, CountingState& state) const override {
      if (state.owner != std::this_thread::get_id())
        return Internal("a state was used by another thread");
      ++state.batches;
      Int64Builder seen(Int64Type());
      for (int64_t r = 0; r < in.num_rows(); ++r) seen.Append(state.batches);
      std::vector<ColumnPtr> cols = in.columns();
      cols.push_back(seen.Finish());
      return Batch::Make(out_, std::move(cols), in.num_rows());
    }

   private:
    SchemaPtr out_;
    bool blocks_;
  };
  bool blocks_;
  std::string col_;
};

// Many partitions on a 2-thread pool: at most one state per thread that ran the kernel
// (not one per partition), each used by its own thread only, reused across partitions and
// across transforms while its kernel lives... and freed once the kernel is gone.
TEST(KernelStateTest, OneStatePerThreadReusedAcrossPartitions) {
  std::vector<Batch> parts;
  const DataFrame one = testing::MixedFrame();
  for (int i = 0; i < 16; ++i) parts.push_back(one.partition(0));
  const DataFrame in = *DataFrame::Make(one.schema(), parts);
  ThreadPool pool(2);
  const ExecContext ctx = ExecContext::WithPool(&pool);
  const int made_before = g_states_made.load();
  auto bound = CountBatches().Bind(*in.schema());
  ASSERT_THAT(bound, IsOk());
  auto out = RunBound(**bound, in, ctx);
  ASSERT_THAT(out, IsOk());
  const int made = g_states_made.load() - made_before;
  EXPECT_GE(made, 1);
  EXPECT_LE(made, 3);  // two workers and the calling thread, never one per partition
  int64_t most = 0;
  for (const Batch& b : out->partitions()) {
    most = std::max(most, b.column(b.num_columns() - 1)->Values<int64_t>()[0]);
  }
  EXPECT_GE(most, 16 / 3) << "a thread's state was not reused across partitions";
  // The same kernel again: the threads keep their states (one that did not run it the
  // first time may make its own now; still one per thread).
  ASSERT_THAT(RunBound(**bound, in, ctx), IsOk());
  EXPECT_LE(g_states_made.load() - made_before, 3);
  // A kernel that is gone: its state goes when the thread next makes a state (on one
  // thread's scratch, so that which threads ran what does not matter).
  KernelScratch mine;
  auto first = CountBatches().Bind(*in.schema());
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT((*first)->Apply(in.partition(0), mine), IsOk());
  ASSERT_THAT((*first)->Apply(in.partition(1), mine), IsOk());
  EXPECT_EQ(mine.num_states(), 1u);
  const int alive = g_states_alive.load();
  first->reset();
  auto second = CountBatches().Bind(*in.schema());
  ASSERT_THAT(second, IsOk());
  auto out2 = (*second)->Apply(in.partition(0), mine);
  ASSERT_THAT(out2, IsOk());
  EXPECT_EQ(out2->column(out2->num_columns() - 1)->Values<int64_t>()[0], 1)
      << "a new kernel got an old state";
  EXPECT_EQ(mine.num_states(), 1u);
  EXPECT_EQ(g_states_alive.load(), alive) << "the destroyed kernel's state was kept";
}

TEST(KernelStateTest, APipelineBlocksWhenAnyStageDoes) {
  const DataFrame in = testing::MixedFrame();
  auto plain = PipelineModel::Make({std::make_shared<const CountBatches>(false)});
  auto waits = PipelineModel::Make({std::make_shared<const CountBatches>(false, "a"),
                                    std::make_shared<const CountBatches>(true, "b")});
  ASSERT_THAT(plain, IsOk());
  ASSERT_THAT(waits, IsOk());
  EXPECT_FALSE((*(*plain)->Bind(*in.schema()))->blocking());
  auto bound = (*waits)->Bind(*in.schema());
  ASSERT_THAT(bound, IsOk());
  EXPECT_TRUE((*bound)->blocking());
  auto selecting = (*waits)->BindSelect(*in.schema(), std::vector<std::string>{"a"});
  ASSERT_THAT(selecting, IsOk());
  EXPECT_TRUE((*selecting)->blocking());
}

// Drops the rows whose int64 column "id" is a multiple of 3: a stage that changes the row
// count, so the blocks of a selecting transform come out with different sizes.
class DropThirds final : public Transformer {
 public:
  DropThirds() : Transformer("", "DropThirds") {}
  std::string_view type_name() const override { return "DropThirds"; }
  Json ParamsJson() const override { return Json::MakeObject(); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndex("id"));
    SchemaPtr out = *Schema::Make(in.fields(), in.metadata());
    return std::unique_ptr<BoundTransform>(
        new FunctionBoundTransform(out, [out, i](const Batch& b) -> Result<Batch> {
          BoolBuilder keep;
          for (int64_t r = 0; r < b.num_rows(); ++r)
            keep.Append(b.column(i)->Values<int64_t>()[r] % 3 != 0);
          EMBER_ASSIGN_OR_RETURN(Batch kept, FilterRows(b, *keep.Finish()));
          return Batch::Make(out, kept.columns(), kept.num_rows());
        }));
  }
};

// Two partitions of `rows` rows: id (int64), x (float64, every 7th null), s (string).
DataFrame LongFrame(int64_t rows) {
  std::vector<Batch> parts;
  SchemaPtr schema = *Schema::Make(
      {MakeField("id", Int64Type()), MakeField("x", Float64Type()), MakeField("s", StringType())});
  for (int p = 0; p < 2; ++p) {
    Int64Builder id(Int64Type());
    Float64Builder x(Float64Type());
    StringBuilder s;
    for (int64_t r = p * rows / 2; r < (p + 1) * rows / 2; ++r) {
      id.Append(r);
      if (r % 7 == 0)
        x.AppendNull();
      else
        x.Append(static_cast<double>(r % 100) / 8);
      s.Append("row" + std::to_string(r));
    }
    parts.push_back(*Batch::Make(schema, {id.Finish(), x.Finish(), s.Finish()}));
  }
  return *DataFrame::Make(schema, std::move(parts));
}

// `frame` with only `names`, in that order.
DataFrame Pick(const DataFrame& frame, const std::vector<std::string>& names) {
  std::vector<Field> fields;
  for (const auto& n : names)
    fields.push_back(frame.schema()->field(*frame.schema()->GetFieldIndex(n)));
  SchemaPtr schema = *Schema::Make(fields, frame.schema()->metadata());
  std::vector<Batch> parts;
  for (const Batch& b : frame.partitions()) {
    std::vector<ColumnPtr> cols;
    for (const auto& n : names) cols.push_back(b.column(*frame.schema()->GetFieldIndex(n)));
    parts.push_back(*Batch::Make(schema, cols, b.num_rows()));
  }
  return *DataFrame::Make(schema, std::move(parts));
}

TEST(PipelineTest, TransformSelectKeepsTheListedColumnsAcrossManyBlocks) {
  // 30,001 rows in two partitions: several blocks each, the last one short.
  DataFrame in = LongFrame(30001);
  auto fitted = *TwoCenters()->Fit(in, ExecContext::Default());
  const auto& two = static_cast<const PipelineModel&>(*fitted);
  auto model = *PipelineModel::Make({two.stages()[0], two.stages()[1]});
  const std::vector<std::string> keep = {"x_cc", "id", "s"};
  auto selected = model->TransformSelect(in, ExecContext::Default(), keep);
  ASSERT_THAT(selected, IsOk());
  EXPECT_THAT(*selected, FrameEq(Pick(*model->Transform(in, ExecContext::Default()), keep)));
  // Input columns that no stage replaced are the input's own buffers, not copies.
  EXPECT_EQ(selected->partition(1).column(1)->buffers()[1].get(),
            in.partition(1).column(0)->buffers()[1].get());
  EXPECT_EQ(selected->partition(0).column(2).get(), in.partition(0).column(2).get());

  // With a stage that drops rows the blocks differ in size; still equal to Transform.
  auto dropping = *PipelineModel::Make(
      {two.stages()[0], std::make_shared<const DropThirds>(), two.stages()[1]});
  auto dropped =
      dropping->TransformSelect(in, ExecContext::Default(), std::vector<std::string>{"id", "x_cc"});
  ASSERT_THAT(dropped, IsOk());
  EXPECT_EQ(dropped->num_rows(), 20000);
  EXPECT_THAT(*dropped,
              FrameEq(Pick(*dropping->Transform(in, ExecContext::Default()), {"id", "x_cc"})));

  // The kernel does the same on one batch.
  auto bound = dropping->BindSelect(*in.schema(), std::vector<std::string>{"x_cc"});
  ASSERT_THAT(bound, IsOk());
  KernelScratch scratch;
  auto one = (*bound)->Apply(in.partition(0), scratch);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->num_columns(), 1);
  EXPECT_EQ(one->num_rows(), dropped->partition(0).num_rows());
}

TEST(PipelineTest, TransformSelectNamesAMissingOrRepeatedColumn) {
  DataFrame in = LongFrame(10);
  auto model = *TwoCenters()->Fit(in, ExecContext::Default());
  const auto& pm = static_cast<const PipelineModel&>(*model);
  auto missing =
      pm.TransformSelect(in, ExecContext::Default(), std::vector<std::string>{"x_cc", "x_ccc"});
  EXPECT_THAT(missing, StatusIs(StatusCode::kNotFound));
  EXPECT_NE(missing.status().message().find("output column 'x_ccc' is not produced"),
            std::string::npos)
      << missing.status();
  auto twice = pm.TransformSelect(in, ExecContext::Default(), std::vector<std::string>{"id", "id"});
  EXPECT_NE(twice.status().message().find("'id' is listed twice"), std::string::npos)
      << twice.status();
  // No stages: a plain selection, and an empty list keeps everything.
  auto none = *PipelineModel::Make({});
  auto picked =
      none->TransformSelect(in, ExecContext::Default(), std::vector<std::string>{"s", "id"});
  ASSERT_THAT(picked, IsOk());
  EXPECT_THAT(*picked, FrameEq(Pick(in, {"s", "id"})));
  auto all = pm.TransformSelect(in, ExecContext::Default(), {});
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(all->schema()->num_fields(), 5);
}

TEST(PipelineTest, MisspelledColumnInLastStageFailsBeforeAnyFit) {
  auto a = *Center::Make({.input_col = "x", .output_col = "x_c"});
  auto b = *Center::Make({.input_col = "x_cc", .output_col = "y"});
  auto p = *Pipeline::Make({a, b});
  int before = g_fits.load();
  auto model = p->Fit(testing::MixedFrame(), ExecContext::Default());
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("column 'x_cc' not found"), std::string::npos)
      << model.status();
  // Named by its position in the pipeline and its type, not by a generated uid.
  EXPECT_NE(model.status().message().find("stage 2 (Center): "), std::string::npos)
      << model.status();
  EXPECT_EQ(g_fits.load(), before);
}

TEST(PipelineTest, FitOnSeveralRanksGivesTheSameModelEverywhere) {
  DataFrame all = testing::MixedFrame();
  auto comms = LocalCommunicator::MakeGroup(3);
  std::vector<double> means(3);
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; ++r) {
    threads.emplace_back([&, r] {
      // Rank r holds partition r only.
      DataFrame mine = *DataFrame::Make(all.schema(), {all.partition(r)});
      ExecContext ctx = ExecContext::Default();
      ctx.comm = comms[r].get();
      auto m = (*Center::Make({.input_col = "x", .output_col = "c"}))->Fit(mine, ctx);
      means[r] = m.ok() ? static_cast<const CenterModel&>(**m).mean() : -1;
    });
  }
  for (auto& t : threads) t.join();
  auto single =
      *(*Center::Make({.input_col = "x", .output_col = "c"}))->Fit(all, ExecContext::Default());
  for (double m : means) EXPECT_DOUBLE_EQ(m, static_cast<const CenterModel&>(*single).mean());
}

TEST(PipelineTest, PipelineAndModelPassConformance) {
  testing::CheckConformance({"Pipeline",
                             [] { return Result<std::shared_ptr<const Stage>>(TwoCenters()); },
                             testing::MixedFrame,
                             {{"stages", Json(5)}}},
                            TestRegistry());
  testing::CheckConformance({"PipelineModel",
                             [] {
                               return Result<std::shared_ptr<const Stage>>(*TwoCenters()->Fit(
                                   testing::MixedFrame(), ExecContext::Default()));
                             },
                             testing::MixedFrame,
                             {{"stages", Json(5)}}},
                            TestRegistry());
}

TEST(PipelineTest, SpecBuildsPipeline) {
  Json spec = *Json::Parse(R"({"stages": [
      {"type": "Center", "params": {"inputCol": "x", "outputCol": "c"}}]})");
  auto p = Pipeline::FromSpec(spec, TestRegistry());
  ASSERT_THAT(p, IsOk());
  EXPECT_EQ((*p)->stages().size(), 1u);
  Json bad = *Json::Parse(R"({"stages": [{"type": "Centre", "params": {}}]})");
  auto e = Pipeline::FromSpec(bad, TestRegistry());
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find(
                "stage 1 (Centre): unknown stage type 'Centre'; did you mean 'Center'?"),
            std::string::npos)
      << e.status();
  Json model = *Json::Parse(R"({"stages": [{"type": "CenterModel", "params": {}}]})");
  EXPECT_NE(Pipeline::FromSpec(model, TestRegistry()).status().message().find("fitted model"),
            std::string::npos);
  Json extra = *Json::Parse(R"({"stages": [{"type": "Center", "parms": {}}]})");
  EXPECT_NE(
      Pipeline::FromSpec(extra, TestRegistry()).status().message().find("unknown key 'parms'"),
      std::string::npos);
}

// --- Damaged and foreign directories ---------------------------------------------------

class DamagedDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::NewTempDir("damaged") + "/model";
    auto model = *TwoCenters()->Fit(testing::MixedFrame(), ExecContext::Default());
    ASSERT_THAT(SaveStage(*model, dir_), IsOk());
  }
  std::string Load() {
    auto r = LoadStage(dir_, TestRegistry());
    return r.ok() ? "OK" : r.status().message();
  }
  void WriteMetadata(const std::string& text) {
    ASSERT_THAT(WriteStringToFile(dir_ + "/metadata.json", text), IsOk());
  }
  std::string dir_;
};

TEST_F(DamagedDirTest, IntactDirectoryLoads) { EXPECT_EQ(Load(), "OK"); }

TEST_F(DamagedDirTest, MissingDirectory) {
  EXPECT_THAT(LoadStage(dir_ + "x", TestRegistry()), StatusIs(StatusCode::kNotFound));
}

TEST_F(DamagedDirTest, MissingMetadata) {
  fs::remove(dir_ + "/metadata.json");
  EXPECT_NE(Load().find("metadata.json is missing"), std::string::npos);
}

TEST_F(DamagedDirTest, TruncatedMetadata) {
  auto text = *ReadFileToString(dir_ + "/metadata.json");
  for (size_t cut : {size_t{0}, size_t{1}, text.size() / 2, text.size() - 3}) {
    WriteMetadata(text.substr(0, cut));
    EXPECT_NE(Load().find("metadata.json"), std::string::npos) << cut;
  }
}

TEST_F(DamagedDirTest, WrongShapes) {
  WriteMetadata("[1,2]");
  EXPECT_NE(Load().find("expected a JSON object"), std::string::npos);
  WriteMetadata(R"({"formatVersion": 1})");
  EXPECT_NE(Load().find("missing \"class\""), std::string::npos);
  WriteMetadata(R"({"class": "PipelineModel", "formatVersion": 7, "uid": "u"})");
  EXPECT_NE(Load().find("format version 7"), std::string::npos);
  WriteMetadata(R"({"class": "PipelineModel", "formatVersion": 1, "uid": "../../etc"})");
  EXPECT_NE(Load().find("invalid \"uid\""), std::string::npos);
  WriteMetadata(R"({"class": "Nope", "formatVersion": 1, "uid": "u"})");
  EXPECT_NE(Load().find("unknown stage type 'Nope'"), std::string::npos);
  WriteMetadata(R"({"class": "org.apache.spark.ml.PipelineModel", "paramMap": {}})");
  EXPECT_NE(Load().find("Spark ML"), std::string::npos);
  WriteMetadata(R"({"class": "PipelineModel", "formatVersion": 1, "uid": "u", "numStages": "2"})");
  EXPECT_NE(Load().find("numStages"), std::string::npos);
}

TEST_F(DamagedDirTest, MissingOrExtraStageDirectory) {
  std::vector<fs::path> stages;
  for (const auto& e : fs::directory_iterator(dir_ + "/stages")) stages.push_back(e.path());
  std::sort(stages.begin(), stages.end());
  fs::rename(stages[1], dir_ + "/elsewhere");
  EXPECT_NE(Load().find("stage 1 is missing"), std::string::npos) << Load();
  fs::rename(dir_ + "/elsewhere", stages[1]);
  fs::create_directories(dir_ + "/stages/02_extra");
  EXPECT_NE(Load().find("unexpected stage directory '02_extra'"), std::string::npos) << Load();
}

TEST_F(DamagedDirTest, CorruptModelData) {
  for (const auto& e : fs::directory_iterator(dir_ + "/stages")) {
    ASSERT_THAT(WriteStringToFile(e.path().string() + "/data/model.json", "{\"mean\": "), IsOk());
  }
  EXPECT_NE(Load().find("no number \"mean\""), std::string::npos) << Load();
}

TEST_F(DamagedDirTest, FileInsteadOfDirectory) {
  EXPECT_NE(LoadStage(dir_ + "/metadata.json", TestRegistry()).status().message().find("is a file"),
            std::string::npos);
}

TEST(SaveTest, FailedSaveLeavesNothingBehind) {
  // A model whose data cannot be written (the data path is taken by a file).
  class Broken final : public Transformer {
   public:
    Broken() : Transformer("", "Broken") {}
    std::string_view type_name() const override { return "Broken"; }
    Json ParamsJson() const override { return Json::MakeObject(); }
    Status SaveContents(const std::string&) const override { return IoError("disk full"); }
    Result<std::unique_ptr<BoundTransform>> Bind(const Schema&) const override {
      return Internal("unused");
    }
  };
  std::string parent = testing::NewTempDir("broken");
  Status s = SaveStage(Broken(), parent + "/m");
  EXPECT_NE(s.message().find("disk full"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(parent));
}

}  // namespace
}  // namespace ember
