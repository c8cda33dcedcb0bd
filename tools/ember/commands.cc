#include "commands.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "ember/base/file_util.h"
#include "ember/base/status_macros.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry_all.h"

namespace ember::cli {

namespace {

class Timer {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string Fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

Result<DataFrame> ReadLogged(const CliContext& c, const std::string& path) {
  Timer t;
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadTable(c.exec, path));
  c.log << "read " << path << ": " << frame.num_rows() << " rows x " << frame.schema()->num_fields()
        << " columns in " << frame.num_partitions() << " partitions (" << Fixed(t.Seconds()) << " s)\n";
  return frame;
}

}  // namespace

Status Describe(const CliContext& c, const std::string& stage) {
  const StageRegistry& registry = DefaultRegistry();
  if (stage.empty()) {
    for (const auto& [name, e] : registry.entries()) {
      c.out << name << (e.kind == StageKind::kEstimator ? " (estimator)" : "") << ": " << e.doc << "\n";
    }
    return Status::OK();
  }
  EMBER_ASSIGN_OR_RETURN(const StageEntry* e, registry.Find(stage));
  c.out << e->type_name << (e->kind == StageKind::kEstimator ? " (estimator)" : " (transformer)") << "\n"
        << e->doc << "\n";
  if (e->params.empty()) c.out << "no params\n";
  for (const ParamInfo& p : e->params) {
    c.out << "  " << p.name << " (" << p.type << ", default " << p.default_value.Dump() << ")";
    if (!p.constraint.empty()) c.out << " [" << p.constraint << "]";
    c.out << ": " << p.doc << "\n";
  }
  return Status::OK();
}

Status Schema(const CliContext& c, const std::string& path) {
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadTable(c.exec, path));
  c.out << frame.schema()->ToString() << "(" << frame.num_rows() << " rows)\n";
  return Status::OK();
}

Status Head(const CliContext& c, const std::string& path, int64_t rows) {
  if (rows < 0) return InvalidArgument("--rows must be >= 0");
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadTable(c.exec, path));
  c.out << frame.ToString(rows);
  return Status::OK();
}

Status Convert(const CliContext& c, const std::string& in, const std::string& out) {
  EMBER_RETURN_IF_ERROR(FormatOfPath(out).status());
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, in));
  EMBER_RETURN_IF_ERROR(WriteTable(c.exec, frame, out));
  c.out << "wrote " << frame.num_rows() << " rows to " << out << "\n";
  return Status::OK();
}

Status Fit(const CliContext& c, const std::string& spec_path, const std::string& data,
           const std::string& out_dir, bool overwrite) {
  EMBER_ASSIGN_OR_RETURN(std::string text, ReadFileToString(spec_path));
  Result<Json> spec = Json::Parse(text);
  if (!spec.ok()) return spec.status().WithContext(spec_path);
  Result<std::shared_ptr<const Pipeline>> pipeline = Pipeline::FromSpec(*spec, DefaultRegistry());
  if (!pipeline.ok()) return pipeline.status().WithContext(spec_path);
  if (!overwrite && std::filesystem::exists(out_dir)) {
    return AlreadyExists("'" + out_dir + "' already exists; pass --overwrite to replace it");
  }
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, data));
  Timer t;
  EMBER_ASSIGN_OR_RETURN(auto model, (*pipeline)->Fit(frame, c.exec));
  c.log << "fitted " << (*pipeline)->stages().size() << " stages in " << Fixed(t.Seconds()) << " s\n";
  EMBER_RETURN_IF_ERROR(SaveStage(*model, out_dir, {.overwrite = overwrite}));
  c.out << "saved model to " << out_dir << "\n";
  return Status::OK();
}

Status Transform(const CliContext& c, const std::string& model_dir, const std::string& data,
                 const std::string& out) {
  EMBER_RETURN_IF_ERROR(FormatOfPath(out).status());
  EMBER_ASSIGN_OR_RETURN(auto model, LoadTransformer(model_dir, DefaultRegistry()));
  EMBER_ASSIGN_OR_RETURN(DataFrame frame, ReadLogged(c, data));
  Timer t;
  EMBER_ASSIGN_OR_RETURN(DataFrame result, model->Transform(frame, c.exec));
  const double secs = t.Seconds();
  c.log << "transformed " << result.num_rows() << " rows in " << Fixed(secs, 3) << " s ("
        << Fixed(secs > 0 ? result.num_rows() / secs : 0, 0) << " rows/s)\n";
  EMBER_RETURN_IF_ERROR(WriteTable(c.exec, result, out));
  c.out << "wrote " << result.num_rows() << " rows to " << out << "\n";
  return Status::OK();
}

}  // namespace ember::cli
