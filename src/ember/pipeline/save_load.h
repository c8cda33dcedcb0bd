// Saving stages to directories and loading them back (format in docs/saved_model_format.md):
//   DIR/metadata.json   {"class", "formatVersion", "uid", "emberVersion", "params", ...}
//   DIR/data/           learned state of fitted models
//   DIR/stages/NN_<uid>/ the stages of a pipeline, each a saved stage itself
// Loading a damaged or foreign directory returns an error saying what is wrong; it never
// crashes.
#pragma once

#include <memory>
#include <string>

#include "ember/base/result.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"

namespace ember {

inline constexpr int kSavedFormatVersion = 1;

struct SaveOptions {
  bool overwrite = false;  // replace an existing directory (atomically, by rename)
  // The schema of the data the model was fitted on, saved as "inputSchema" in the top
  // metadata.json (`ember fit` sets it) so that a server can parse requests without being
  // told the schema.
  SchemaPtr input_schema;
};

// Writes `stage` to `dir`. AlreadyExists if `dir` exists and !overwrite. The directory is
// written beside `dir` first and renamed into place, so a failed save leaves no half model.
Status SaveStage(const Stage& stage, const std::string& dir, const SaveOptions& options = {});

// Writes `stage` into `dir`, which must exist and be empty (used for sub-stages).
Status SaveStageInto(const Stage& stage, const std::string& dir);

// Reads `dir` with `registry`. Errors name the directory and what is wrong.
Result<std::shared_ptr<const Stage>> LoadStage(const std::string& dir,
                                               const StageRegistry& registry, int depth = 0);
Result<std::shared_ptr<const Transformer>> LoadTransformer(const std::string& dir,
                                                           const StageRegistry& registry);

// The "inputSchema" saved with the model in `dir`; NotFound when it was saved without one.
Result<SchemaPtr> LoadInputSchema(const std::string& dir);
// A schema as [{"name": ..., "type": "float64"}, ...] (types in their ToString form), and
// back; `where` names the source in errors.
Json SchemaToJson(const Schema& schema);
Result<SchemaPtr> SchemaFromJson(const Json& json, const std::string& where);

// The checked contents of a metadata.json (exposed for fuzzing and tools).
struct StageMetadata {
  std::string type_name;
  int format_version = 0;
  std::string uid;
  Json params;
  Json all;
};
// `where` names the file in errors.
Result<StageMetadata> ParseStageMetadata(std::string_view text, const std::string& where);

// A fitted model's learned state (DIR/data/) is declared with StateSpec
// (pipeline/learned_state.h), which writes, checks and versions it.

// Builds a stage from a JSON spec object {"type": ..., "uid"?: ..., "params": {...}} with no
// saved data (what `ember fit` reads). Fitted models cannot be built this way.
Result<std::shared_ptr<const Stage>> StageFromSpec(const Json& spec, const StageRegistry& registry);

}  // namespace ember
