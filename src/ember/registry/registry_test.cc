// The default registry against the module list it is generated from: each optional module
// registers exactly the stages it declares, and in a build without it those stages are
// errors that name the module, the CMake option and the packages (in specs and saved
// models alike).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ember/base/file_util.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/registry/modules.h"
#include "ember/stages/column_stages.h"
#include "ember/testing/conformance.h"
#include "ember/testing/matchers.h"

namespace ember {
namespace {

using ::ember::testing::IsOk;

TEST(RegistryTest, EachBuiltModuleRegistersAndTheDefaultHasThemAll) {
  size_t total = 0;
  for (const ModuleInfo& m : Modules()) {
    StageRegistry r;
    if (!m.built) {
      EXPECT_FALSE(RegisterModule(m.name, &r).ok()) << m.name;
      continue;
    }
    ASSERT_THAT(RegisterModule(m.name, &r), IsOk()) << m.name;
    EXPECT_FALSE(r.Names().empty()) << m.name;
    total += r.Names().size();
    if (!m.option.empty()) {  // an optional module lists its stages for builds without it
      const std::set<std::string> listed(m.stages.begin(), m.stages.end());
      const std::vector<std::string> names = r.Names();
      EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), listed)
          << "module " << m.name
          << ": the STAGES in src/ember/registry/CMakeLists.txt are not what it registers";
    }
  }
  EXPECT_EQ(DefaultRegistry().Names().size(), total);
  EXPECT_FALSE(RegisterModule("nonesuch", nullptr).ok());
}

TEST(RegistryTest, StagesOfModulesLeftOutNameTheOption) {
  for (const ModuleInfo& m : Modules()) {
    if (m.built) continue;
    for (std::string_view stage : m.stages) {
      auto found = DefaultRegistry().Find(stage);
      ASSERT_FALSE(found.ok()) << stage;
      EXPECT_EQ(found.status().code(), StatusCode::kFailedPrecondition);
      const std::string& msg = found.status().message();
      EXPECT_NE(msg.find("-D" + std::string(m.option) + "=ON"), std::string::npos) << msg;
      EXPECT_NE(msg.find(std::string(m.packages)), std::string::npos) << msg;
      EXPECT_NE(msg.find("'" + std::string(stage) + "'"), std::string::npos) << msg;
    }
  }
}

// A registry that knows GBDTClassifier only by name, as a build without module gbdt.
StageRegistry WithoutGbdt() {
  StageRegistry r;
  EXPECT_THAT(RegisterModule("pipeline", &r), IsOk());
  EXPECT_THAT(RegisterModule("stages", &r), IsOk());
  for (const char* name : {"GBDTClassifier", "GBDTClassificationModel"}) {
    EXPECT_THAT(
        r.DeclareUnavailable(name, "it is in module 'gbdt'; build with -DEMBER_WITH_GBDT=ON"),
        IsOk());
  }
  return r;
}

TEST(RegistryTest, ASpecOrSavedModelNamingAStageLeftOutSaysWhichOption) {
  const StageRegistry r = WithoutGbdt();
  auto spec = Json::Parse(R"({"stages": [{"type": "SelectColumns", "params": {"cols": ["a"]}},
                                         {"type": "GBDTClassifier", "params": {}}]})");
  ASSERT_THAT(spec, IsOk());
  auto pipeline = Pipeline::FromSpec(*spec, r);
  ASSERT_FALSE(pipeline.ok());
  EXPECT_NE(pipeline.status().message().find("'GBDTClassifier' is not in this build"),
            std::string::npos)
      << pipeline.status();
  EXPECT_NE(pipeline.status().message().find("-DEMBER_WITH_GBDT=ON"), std::string::npos)
      << pipeline.status();

  // A saved model of that module: the same message, with the directory.
  const std::string dir = testing::NewTempDir("registry_missing") + "/model";
  auto select = SelectColumns::Make({.cols = {"a"}});
  ASSERT_THAT(select, IsOk());
  ASSERT_THAT(SaveStage(**select, dir), IsOk());
  auto metadata = ReadFileToString(dir + "/metadata.json");
  ASSERT_THAT(metadata, IsOk());
  std::string text = *metadata;
  const size_t at = text.find("\"SelectColumns\"");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, std::string("\"SelectColumns\"").size(), "\"GBDTClassificationModel\"");
  ASSERT_THAT(WriteStringToFile(dir + "/metadata.json", text), IsOk());
  auto loaded = LoadStage(dir, r);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("-DEMBER_WITH_GBDT=ON"), std::string::npos)
      << loaded.status();
  EXPECT_NE(loaded.status().message().find(dir), std::string::npos) << loaded.status();
}

TEST(RegistryTest, ANameIsEitherRegisteredOrUnavailable) {
  StageRegistry r = WithoutGbdt();
  EXPECT_FALSE(r.DeclareUnavailable("SelectColumns", "no").ok());
  StageRegistry fresh;
  ASSERT_THAT(fresh.DeclareUnavailable("SelectColumns", "left out"), IsOk());
  EXPECT_FALSE(RegisterModule("stages", &fresh).ok());
}

}  // namespace
}  // namespace ember
