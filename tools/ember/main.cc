// The `ember` command: fit, transform, eval, tune, explain, serve, import-xgboost, describe,
// describe-model, schema, head,
// convert. Argument parsing only (CLI11 stays in this one translation unit); the work is in
// commands.cc.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "ember/base/version.h"
#include "ember/exec/allocator.h"
#include "ember/exec/openmp_spin.h"
#include "ember/params/param_spec.h"
#if EMBER_WITH_MPI
#include "ember/mpi/mpi_communicator.h"
#endif

namespace {

// Swallows what a rank other than 0 would print: rank 0 speaks for the job.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
};

}  // namespace

int main(int argc, char** argv) {
  // XGBoost's OpenMP threads must not spin away a busy machine's cores (exec/openmp_spin.h).
  ember::ShortenOpenMpSpin(argv);
  CLI::App app{"Ember: machine-learning pipelines over DataFrames, natively."};
  app.set_version_flag("--version", std::string("ember ") + ember::EmberVersion());
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "worker threads (default: one per core)");
  double collective_timeout_s = 600;
  app.add_option(
      "--collective-timeout", collective_timeout_s,
      "under mpirun: seconds a rank waits for the others in any collective before the job fails "
      "naming the missing ranks (default 600)");

  std::string stage, path, in, out, spec, data, model, label = "label", metric = "auto";
  int64_t rows = 10;
  bool overwrite = false;
  auto* describe = app.add_subcommand(
      "describe", "list stages, one stage's params, or a saved model's stages and importances");
  describe->add_option("stage", stage, "stage type (e.g. SelectColumns) or saved model directory");
  auto* describe_model =
      app.add_subcommand("describe-model",
                         "an ONNX file's inputs, outputs and tensors, for ONNXModel's feedDict "
                         "and fetchDict");
  describe_model->add_option("file", path, "the .onnx file")->required();
  auto* schema = app.add_subcommand("schema", "print the schema of a table");
  schema->add_option("path", path, "CSV or JSON Lines file, or a folder of them")->required();
  auto* head = app.add_subcommand("head", "print the first rows of a table");
  head->add_option("path", path, "CSV or JSON Lines file, or a folder of them")->required();
  head->add_option("-n,--rows", rows, "rows to show");
  auto* convert =
      app.add_subcommand("convert", "convert between CSV and JSON Lines (by extension)");
  convert->add_option("in", in, "input table")->required();
  convert->add_option("out", out, "output file")->required();
  std::vector<double> fractions;
  std::vector<std::string> split_outs;
  uint64_t seed = 42;
  auto* split = app.add_subcommand("split", "split a table's rows at random (e.g. train and test)");
  split->add_option("data", data, "input table")->required();
  split->add_option("--fractions", fractions, "relative sizes, e.g. 0.8,0.2")
      ->required()
      ->delimiter(',');
  split->add_option("--out", split_outs, "one output per fraction, e.g. train.csv,test.csv")
      ->required()
      ->delimiter(',');
  split->add_option("--seed", seed, "random seed (default 42): the same seed, the same split");
  auto* fit = app.add_subcommand("fit", "fit a pipeline spec on data and save the model");
  fit->add_option("spec", spec, "pipeline spec: {\"stages\": [{\"type\": ..., \"params\": {...}}]}")
      ->required();
  fit->add_option("--data", data, "training table")->required();
  fit->add_option("--out", out, "model directory")->required();
  fit->add_flag("--overwrite", overwrite, "replace an existing model directory");
  auto* transform = app.add_subcommand("transform", "apply a saved model to data");
  transform->add_option("model", model, "model directory")->required();
  transform->add_option("--data", data, "input table")->required();
  transform
      ->add_option("--out", out,
                   "output file (.csv or .jsonl); under mpirun a folder of one part per rank")
      ->required();
  bool gather = false;
  bool no_fuse = false;
  transform->add_flag(
      "--no-fuse", no_fuse,
      "run every stage's own kernel instead of the compiled linear run (for comparisons)");
  transform->add_flag("--gather", gather,
                      "under mpirun: collect every rank's rows on rank 0 and write one file");
  std::vector<std::string> cols;
  transform->add_option("--cols", cols, "write only these columns, in this order (comma-separated)")
      ->delimiter(',');

  auto* eval = app.add_subcommand("eval", "score data with a saved model and print its metrics");
  eval->add_option("model", model, "model directory")->required();
  eval->add_option("--data", data, "labelled table")->required();
  eval->add_option("--label", label, "the true label column (default: label)");
  eval->add_option("--metric", metric, "auto, classification or regression (default: auto)");
  eval->add_option("--out", out, "also write the metrics table here (.csv or .jsonl)");

  ember::cli::TuneArgs tune_args;
  auto* tune = app.add_subcommand(
      "tune", "search models and params by cross-validation; save the best pipeline refitted");
  tune->add_option("spec", tune_args.spec_path, "pipeline spec, as for fit")->required();
  tune->add_option("--space", tune_args.space_path,
                   "models and params to search: {\"models\": [{\"type\": ..., \"space\": "
                   "{\"regParam\": [0.01, 0.1]}}, ...]} (docs/automl.md)")
      ->required();
  tune->add_option("--data", tune_args.data, "labelled table")->required();
  tune->add_option("--out", tune_args.out_dir, "directory for the best model")->required();
  tune->add_flag("--overwrite", tune_args.overwrite, "replace an existing model directory");
  tune->add_option("--label", tune_args.label, "the label column (default: label)");
  tune->add_option("--metric", tune_args.metric,
                   "ranked by: AUC, accuracy, f1, log_loss, rmse, r2, ... (default auto: "
                   "accuracy or r2)");
  tune->add_option("--folds", tune_args.folds, "cross-validation folds (default 5)")
      ->check(CLI::Range(2, 1000));
  tune->add_option("--train-ratio", tune_args.train_ratio,
                   "one held-out split instead of folds: this share trains (e.g. 0.8)")
      ->check(CLI::Range(0.01, 0.99));
  tune->add_option("--search", tune_args.search, "grid or random (default: the space's, or grid)");
  tune->add_option("--runs", tune_args.runs, "random search: settings per model (default 10)");
  tune->add_option("--seed", tune_args.seed, "seeds the folds and the draws (default 0)");
  tune->add_option("--parallelism", tune_args.parallelism,
                   "fits at once, each on one thread (default: --threads)");
  tune->add_option("--trials", tune_args.trials_out,
                   "also write the trials table here (.csv or .jsonl)");

  ember::cli::ExplainArgs explain_args;
  auto* explain = app.add_subcommand(
      "explain", "explain a saved model's predictions row by row (Kernel SHAP or LIME)");
  explain->add_option("model", explain_args.model_dir, "model directory")->required();
  explain->add_option("--data", explain_args.data, "the rows to explain")->required();
  explain
      ->add_option("--out", explain_args.out, "the rows with their explanations (.csv or .jsonl)")
      ->required();
  explain->add_option("--method", explain_args.method, "shap, lime or ice (default: shap)");
  explain->add_option("--kind", explain_args.kind,
                      "ice: individual, average (partial dependence) or feature (importance)");
  explain->add_option("--background", explain_args.background,
                      "rows whose values stand for an absent feature (default: rows of --data)");
  explain
      ->add_option("--background-rows", explain_args.background_rows,
                   "without --background: how many rows of --data (default 100)")
      ->check(CLI::Range(1, 100000));
  explain
      ->add_option("--cols", explain_args.cols,
                   "the explained columns (default: every column the model reads)")
      ->delimiter(',');
  explain->add_option("--target", explain_args.target,
                      "the model output explained (default: probability, else prediction)");
  explain
      ->add_option("--classes", explain_args.classes,
                   "its elements explained (default: class 1 of a binary probability, else all)")
      ->delimiter(',');
  explain
      ->add_option("--samples", explain_args.samples,
                   "perturbed samples per row (default: SHAP 2m + 2048, LIME 1000)")
      ->check(CLI::Range(1, 1 << 24));
  explain->add_option("--seed", explain_args.seed, "seeds every row's samples (default 0)");

  // The reader flags, on every command that reads a table.
  ember::cli::ReadArgs read_args;
  std::string null_values_text;
  std::vector<CLI::Option*> null_value_options;
  for (CLI::App* cmd : {schema, head, convert, split, fit, transform, eval, tune, explain}) {
    cmd->add_option("--delimiter", read_args.delimiter,
                    "CSV field separator: one character, or tab, space, semicolon, pipe, or "
                    "whitespace (runs of spaces and tabs; default ,)");
    cmd->add_flag("--no-header", read_args.no_header, "CSV: the first line is data");
    cmd->add_option("--names", read_args.names, "CSV: the columns' names (comma-separated)")
        ->delimiter(',');
    cmd->add_option("--skip-lines", read_args.skip_lines,
                    "CSV: lines to skip before the header (scikit-learn's CSVs: 1)");
    null_value_options.push_back(
        cmd->add_option("--null-values", null_values_text,
                        "CSV: comma-separated tokens read as null (default: the empty field "
                        "only; '' for none but the empty field)"));
    cmd->add_flag("--pandas-nulls", read_args.pandas_nulls,
                  "CSV: read pandas' null tokens (NA, NULL, NaN, n/a, None, ...) as null");
    cmd->add_option("--schema", read_args.schema,
                    "the columns' types instead of inferring: 'name:type,...' (e.g. "
                    "'age:int64,name:string')");
    cmd->add_option("--compression", read_args.compression,
                    "auto (gzip when the name ends in .gz), gzip or none");
    cmd->add_option("--format", read_args.format, "csv or jsonl, whatever the files' extensions");
    cmd->add_option("--image-sample", read_args.image_sample,
                    "images: keep this fraction of the files (by a hash of each path)");
    cmd->add_flag("--drop-invalid-images", read_args.drop_invalid_images,
                  "images: leave out files that do not decode (counted) instead of null rows "
                  "with the reason in the error column");
    cmd->add_option("--image-color", read_args.image_color,
                    "images: unchanged (1, 3 or 4 channels as stored; default), color (BGR) or "
                    "gray");
  }

  std::string features_col = "features";
  auto* import_xgb =
      app.add_subcommand("import-xgboost", "save an XGBoost model file as an Ember model stage");
  import_xgb->add_option("file", in, "XGBoost model (.json, .ubj or the older binary format)")
      ->required();
  import_xgb->add_option("--out", out, "model directory")->required();
  import_xgb->add_option("--features-col", features_col,
                         "the vector column it scores (default: features)");
  import_xgb->add_flag("--overwrite", overwrite, "replace an existing model directory");

  ember::cli::ServeArgs serve_args;
  auto* serve =
      app.add_subcommand("serve", "serve saved models over HTTP (SIGTERM stops, SIGHUP reloads)");
  serve->add_option("model", serve_args.model_dir, "model directory, served on /predict");
  serve->add_option("--route", serve_args.routes, "another route: /PATH=MODEL_DIR (repeatable)");
  serve->add_option("--host", serve_args.host, "address to listen on (default 127.0.0.1)");
  serve->add_option("--port", serve_args.port, "port (default 8080; 0: any free port)");
  serve
      ->add_option("--reply-cols", serve_args.reply_cols,
                   "output columns in replies, comma-separated (default: what the last stage adds, "
                   "or a final projection's columns)")
      ->delimiter(',');
  serve->add_option("--route-reply-cols", serve_args.route_reply_cols,
                    "one route's reply columns: /PATH=A,B (repeatable; overrides --reply-cols)");
  serve->add_flag("--strict-fields", serve_args.strict_fields,
                  "a request field the model does not know is a 400 naming it");
  serve->add_option("--api-key-file", serve_args.api_key_file,
                    "require the key on this file's first line");
  serve->add_option("--max-body-bytes", serve_args.max_body_bytes, "413 beyond (default 16 MiB)");
  serve->add_option("--max-in-flight", serve_args.max_in_flight, "503 beyond (default 4096)");
  serve->add_option("--max-rows", serve_args.max_rows,
                    "rows per request; 413 beyond (default 10000)");
  serve->add_option("--max-connections", serve_args.max_connections,
                    "open connections; 503 and close beyond (default: the descriptor limit - 64)");
  serve->add_option("--max-buffered-bytes", serve_args.max_buffered_bytes,
                    "request body bytes held over all connections; 503 beyond (default 256 MiB)");
  serve->add_option("--write-timeout-ms", serve_args.write_timeout_ms,
                    "a client must take a reply within this; else closed (default 10000)");
  serve->add_option("--deadline-ms", serve_args.deadline_ms,
                    "504 past it (default 10000; header X-Ember-Deadline-Ms)");
  serve->add_option("--batch-rows", serve_args.batch_max_rows,
                    "micro-batch up to this many rows (default 0: off)");
  serve->add_option("--batch-wait-us", serve_args.batch_wait_us, "micro-batch wait (default 500)");

  // Usage errors exit 2 (docs/cli.md), whatever CLI11's own code for them; a mistyped
  // command gets the closest one.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (argc > 1 && argv[1][0] != '-') {
      std::vector<std::string> names;
      for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
      if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
        const std::string close = ember::ClosestName(argv[1], names);
        std::cerr << "ember: unknown command '" << argv[1] << "'"
                  << (close.empty() ? "" : "; did you mean '" + close + "'?")
                  << " (ember --help lists the commands)\n";
        return 2;
      }
    }
    app.exit(e);
    return 2;
  }
  ember::RetainFreedMemory(int64_t{1} << 30, /*one_arena=*/!*serve);  // serve: see allocator.h

  // Before any thread starts: every thread inherits the mask, so SIGTERM, SIGINT and
  // SIGHUP reach only the serve command's sigwait.
  if (*serve) ember::cli::BlockServeSignals();
    // Started by mpirun or srun: one rank of an SPMD job, every rank running this command on
    // its share of the data. Otherwise a job of one rank.
#if EMBER_WITH_MPI
  std::unique_ptr<ember::MpiCommunicator> world;
  if (ember::MpiCommunicator::LaunchedAsRank() && !*serve) {
    ember::MpiOptions options;
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(collective_timeout_s * 1000));
    auto w = ember::MpiCommunicator::World(options);
    if (!w.ok()) {
      std::cerr << "ember: error: " << w.status().message() << "\n";
      return ember::MpiCommunicator::Finish(1);
    }
    world = std::move(*w);
  }
#else
  std::unique_ptr<ember::Communicator> world;  // a build without MPI: always one rank
  if (std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_RANK") != nullptr) {
    std::cerr
        << "ember: error: started as an MPI rank, but this build of Ember has no MPI; build with "
           "-DEMBER_WITH_MPI=ON (needs libopenmpi-dev)\n";
    return 1;
  }
#endif
  ember::ThreadPool pool(threads);
  ember::ExecContext exec = ember::ExecContext::WithPool(&pool);
  // Looking at a table is rank 0's job alone; the others only wait for it.
  const bool rank0_alone = *describe || *describe_model || *schema || *head || *import_xgb;
  if (world && !rank0_alone) exec.comm = world.get();
  NullBuffer null_buffer;
  std::ostream null_stream(&null_buffer);
  const bool speaks = !world || world->rank() == 0;
  ember::cli::CliContext c{exec, speaks ? std::cout : null_stream, speaks ? std::cerr : null_stream,
                           speaks && isatty(STDERR_FILENO) == 1};
  for (const CLI::Option* o : null_value_options) {
    if (o->count() == 0) continue;
    read_args.null_values_given = true;
    std::string text = null_values_text + ",";
    for (size_t at = 0, comma; (comma = text.find(',', at)) != std::string::npos; at = comma + 1)
      read_args.null_values.push_back(text.substr(at, comma - at));
    if (null_values_text.empty()) read_args.null_values = {""};
  }
  ember::Result<ember::TableReadOptions> read = ember::cli::ReadOptionsFrom(read_args);
  if (!read.ok()) {
    if (speaks) std::cerr << "ember: error: " << read.status().message() << "\n";
    return 2;
  }
  c.read = std::move(*read);
  ember::Status s;
  if (!speaks && rank0_alone) {
    // nothing to do
  } else if (*describe)
    s = ember::cli::Describe(c, stage);
  else if (*describe_model)
    s = ember::cli::DescribeOnnx(c, path);
  else if (*schema)
    s = ember::cli::Schema(c, path);
  else if (*head)
    s = ember::cli::Head(c, path, rows);
  else if (*convert)
    s = ember::cli::Convert(c, in, out);
  else if (*split)
    s = ember::cli::Split(c, data, fractions, seed, split_outs);
  else if (*fit)
    s = ember::cli::Fit(c, spec, data, out, overwrite);
  else if (*transform)
    s = ember::cli::Transform(c, model, data, out, cols, gather, !no_fuse);
  else if (*eval)
    s = ember::cli::Eval(c, model, data, label, metric, out);
  else if (*tune)
    s = ember::cli::Tune(c, tune_args);
  else if (*explain)
    s = ember::cli::Explain(c, explain_args);
  else if (*import_xgb)
    s = ember::cli::ImportXgboost(c, in, out, features_col, overwrite);
  else if (*serve) {
    serve_args.threads = threads;
    s = ember::cli::Serve(c, serve_args);
  }
  int code = 0;
  if (!s.ok()) {
    std::cerr << "ember: error" << (world ? " (rank " + std::to_string(world->rank()) + ")" : "")
              << ": " << s.message() << "\n";
    code = 1;
  }
  world.reset();
#if EMBER_WITH_MPI
  return ember::MpiCommunicator::Finish(code);
#else
  return code;
#endif
}
