// The `ember` command: fit, transform, eval, describe, schema, head, convert. Argument parsing
// only (CLI11 stays in this one translation unit); the work is in commands.cc.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>

#include "commands.h"
#include "ember/exec/allocator.h"

int main(int argc, char** argv) {
  CLI::App app{"Ember: machine-learning pipelines over DataFrames, natively."};
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads, "worker threads (default: one per core)");

  std::string stage, path, in, out, spec, data, model, label = "label", metric = "auto";
  int64_t rows = 10;
  bool overwrite = false;
  auto* describe = app.add_subcommand("describe", "list stages, or one stage's params");
  describe->add_option("stage", stage, "stage type, e.g. SelectColumns");
  auto* schema = app.add_subcommand("schema", "print the schema of a table");
  schema->add_option("path", path, "CSV or JSON Lines file, or a folder of them")->required();
  auto* head = app.add_subcommand("head", "print the first rows of a table");
  head->add_option("path", path, "CSV or JSON Lines file, or a folder of them")->required();
  head->add_option("-n,--rows", rows, "rows to show");
  auto* convert = app.add_subcommand("convert", "convert between CSV and JSON Lines (by extension)");
  convert->add_option("in", in, "input table")->required();
  convert->add_option("out", out, "output file")->required();
  auto* fit = app.add_subcommand("fit", "fit a pipeline spec on data and save the model");
  fit->add_option("spec", spec, "pipeline spec: {\"stages\": [{\"type\": ..., \"params\": {...}}]}")->required();
  fit->add_option("--data", data, "training table")->required();
  fit->add_option("--out", out, "model directory")->required();
  fit->add_flag("--overwrite", overwrite, "replace an existing model directory");
  auto* transform = app.add_subcommand("transform", "apply a saved model to data");
  transform->add_option("model", model, "model directory")->required();
  transform->add_option("--data", data, "input table")->required();
  transform->add_option("--out", out, "output file (.csv or .jsonl)")->required();
  std::vector<std::string> cols;
  transform->add_option("--cols", cols, "write only these columns, in this order (comma-separated)")
      ->delimiter(',');

  auto* eval = app.add_subcommand("eval", "score data with a saved model and print its metrics");
  eval->add_option("model", model, "model directory")->required();
  eval->add_option("--data", data, "labelled table")->required();
  eval->add_option("--label", label, "the true label column (default: label)");
  eval->add_option("--metric", metric, "auto, classification or regression (default: auto)");
  eval->add_option("--out", out, "also write the metrics table here (.csv or .jsonl)");

  CLI11_PARSE(app, argc, argv);
  ember::RetainFreedMemory();

  ember::ThreadPool pool(threads);
  ember::ExecContext exec = ember::ExecContext::WithPool(&pool);
  ember::cli::CliContext c{exec, std::cout, std::cerr, isatty(STDERR_FILENO) == 1};
  ember::Status s;
  if (*describe) s = ember::cli::Describe(c, stage);
  else if (*schema) s = ember::cli::Schema(c, path);
  else if (*head) s = ember::cli::Head(c, path, rows);
  else if (*convert) s = ember::cli::Convert(c, in, out);
  else if (*fit) s = ember::cli::Fit(c, spec, data, out, overwrite);
  else if (*transform) s = ember::cli::Transform(c, model, data, out, cols);
  else if (*eval) s = ember::cli::Eval(c, model, data, label, metric, out);
  if (!s.ok()) {
    std::cerr << "ember: error: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
