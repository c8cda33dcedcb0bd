// Fuzzes loading a saved stage from a damaged metadata.json: any bytes must give a stage or
// an error, never a crash.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "ember/base/file_util.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    std::string d = std::filesystem::temp_directory_path().string() + "/ember_metadata_fuzz_" +
                    std::to_string(::getpid());
    std::filesystem::create_directories(d + "/stages/00_SelectColumns_1");
    return d;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)ember::ParseStageMetadata(text, "metadata.json");
  // As the top-level file, and as the file of a pipeline's first stage.
  (void)ember::WriteStringToFile(dir + "/metadata.json", text);
  (void)ember::LoadStage(dir, ember::DefaultRegistry());
  (void)ember::WriteStringToFile(
      dir + "/metadata.json",
      R"({"class":"PipelineModel","formatVersion":1,"uid":"p","params":{},"numStages":1})");
  (void)ember::WriteStringToFile(dir + "/stages/00_SelectColumns_1/metadata.json", text);
  (void)ember::LoadStage(dir, ember::DefaultRegistry());
  return 0;
}
