// The subcommands of the `ember` program, as functions that write to streams and return a
// Status, so they are tested without a process. main.cc only parses arguments.
#pragma once

#include <signal.h>

#include <ostream>
#include <string>
#include <vector>

#include "ember/base/result.h"
#include "ember/base/status.h"
#include "ember/exec/exec_context.h"
#include "ember/io/table_io.h"

namespace ember::cli {

struct CliContext {
  const ExecContext& exec;
  std::ostream& out;  // results
  std::ostream& log;  // progress lines
  // Redraw a progress bar (rows, rows/s, elapsed) on `log` during long work: for terminals.
  // Otherwise only plain lines are written.
  bool progress_bar = false;
  // How every command reads its tables (the reader flags).
  TableReadOptions read = {};
};

// The reader flags as given on the command line, every one optional.
struct ReadArgs {
  std::string delimiter;   // one character, or tab, space, semicolon, pipe, whitespace (runs)
  bool no_header = false;  // the first line (after skipped ones) is data
  std::vector<std::string> names;        // the columns' names
  int64_t skip_lines = 0;                // lines before the header
  std::vector<std::string> null_values;  // tokens read as null ("" is the empty field)
  bool null_values_given = false;
  bool pandas_nulls = false;         // pandas' list of null tokens (NA, NULL, NaN, n/a, ...)
  std::string schema;                // "name:type,name:type" (types as `ember schema` prints them)
  std::string compression = "auto";  // auto (by .gz), gzip or none
  std::string format;                // csv or jsonl: every file, whatever its extension
  // Image folders and globs (image/image_reader.h).
  double image_sample = 1.0;              // keep this fraction of the files
  bool drop_invalid_images = false;       // leave out files that do not decode (counted)
  std::string image_color = "unchanged";  // unchanged, color (BGR) or gray
};
// The reader options of `args`; errors name the flag.
Result<TableReadOptions> ReadOptionsFrom(const ReadArgs& args);

// Every registered stage (no name), or one stage's params. An unknown name suggests the
// closest registered one.
Status Describe(const CliContext& c, const std::string& stage);
// An ONNX file's inputs, outputs and intermediate tensors with their shapes, and whether
// OpenCV imports it (describe_model.cc).
Status DescribeOnnx(const CliContext& c, const std::string& path);
// The schema and row count of a table (CSV or JSON Lines file, or a folder of them).
Status Schema(const CliContext& c, const std::string& path);
// The first `rows` rows of a table.
Status Head(const CliContext& c, const std::string& path, int64_t rows);
// Reads `in` and writes `out`, formats chosen by extension.
Status Convert(const CliContext& c, const std::string& in, const std::string& out);

// Splits the rows of `data` at random into parts of relative sizes `fractions` (RandomSplit:
// reproducible for a seed and the same input), part k written to outs[k] (format by
// extension). A different number of fractions and outputs is an error.
Status Split(const CliContext& c, const std::string& data, const std::vector<double>& fractions,
             uint64_t seed, const std::vector<std::string>& outs);
// Builds the pipeline of SPEC_PATH ({"stages": [...]}), checks it, reads the data, fits
// and saves the model to `out_dir`. Spec problems are reported before the data is read.
Status Fit(const CliContext& c, const std::string& spec_path, const std::string& data,
           const std::string& out_dir, bool overwrite);
// Loads the model in `model_dir`, applies it to `data` and writes the result to `out`: only
// `cols`, in that order, when it is not empty (the model's intermediate columns are then
// never materialized), else every column. On several ranks `out` is a folder of one part
// file per rank, or with `gather` one file that rank 0 writes with every rank's rows in
// rank order (which is the input's order). `fuse` false runs every stage's own kernel (see
// pipeline/fusion.h); the progress line says which ran.
Status Transform(const CliContext& c, const std::string& model_dir, const std::string& data,
                 const std::string& out, const std::vector<std::string>& cols = {},
                 bool gather = false, bool fuse = true);

// Loads the model in `model_dir`, scores `data` and prints ComputeModelStatistics' metrics
// against `label` (`metric`: auto, classification or regression). A string label is mapped
// to class indices with the labels of the model's IndexToString (as TrainClassifier makes
// it). Writes the metrics table to `out` too when it is not empty.
Status Eval(const CliContext& c, const std::string& model_dir, const std::string& data,
            const std::string& label, const std::string& metric, const std::string& out);

// `ember tune`: what the command line gives.
struct TuneArgs {
  std::string spec_path;   // the pipeline spec, as `ember fit` takes it
  std::string space_path;  // the models and their params (docs/automl.md)
  std::string data;
  std::string out_dir;
  bool overwrite = false;
  std::string label = "label";
  std::string metric = "auto";
  int32_t folds = 5;
  double train_ratio = 0;  // > 0: one held-out split instead of folds
  std::string search;      // grid or random (default: the space file's, else grid)
  int32_t runs = 0;        // random: settings per model (default: the space file's, else 10)
  int64_t seed = 0;
  int32_t parallelism = 0;
  std::string trials_out;  // also write the trials table here (.csv or .jsonl)
};
// Searches the space's models and settings on `data` by cross-validation (TuneHyperparameters),
// prints a table of the trials and the best, and saves the best pipeline refitted on every
// row to `out_dir` (a model `ember fit` could have made). Spec and space problems are reported
// before the data is read.
Status Tune(const CliContext& c, const TuneArgs& args);

// `ember explain`: what the command line gives.
struct ExplainArgs {
  std::string model_dir;
  std::string data;
  std::string out;
  std::string method = "shap";      // shap, lime or ice
  std::string kind = "individual";  // ice: individual, average or feature
  std::string background;           // a table; empty: background_rows rows of the data
  int64_t background_rows = 100;
  std::vector<std::string> cols;  // empty: every input column the model reads
  std::string target;             // empty: probability when the model makes it, else prediction
  std::vector<int32_t> classes;   // empty: the positive class of a binary probability, else all
  int32_t samples = 0;            // 0: the method's default
  int64_t seed = 0;
};
// Explains each row of `data` with the model in `model_dir` (TabularSHAP or TabularLIME over
// `cols`, VectorSHAP or VectorLIME when the model reads one vector column; with method ice,
// ICETransformer of `kind` over them) and writes the rows
// with their explanations to `out`, with a progress bar on terminals and a summary line: rows
// per second, and how many rows could not be explained (the first reason).
Status Explain(const CliContext& c, const ExplainArgs& args);

// Imports an XGBoost model file as a model stage saved in `out_dir` (see
// ImportXgboostModel), scoring the vector column `features_col`. The saved input schema is
// that one column, so `ember serve OUT_DIR` takes {"features": [...]} requests.
Status ImportXgboost(const CliContext& c, const std::string& file, const std::string& out_dir,
                     const std::string& features_col, bool overwrite);

// `ember serve`: what the command line gives.
struct ServeArgs {
  std::string model_dir;            // served on /predict (optional when routes are given)
  std::vector<std::string> routes;  // "/path=MODEL_DIR"
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (printed)
  int threads = 0;
  std::vector<std::string> reply_cols;
  std::vector<std::string> route_reply_cols;  // "/path=A,B": one route's reply columns
  bool strict_fields = false;                 // unknown request fields are a 400
  std::string api_key_file;                   // the key is the file's first line
  int64_t max_body_bytes = int64_t{16} << 20;
  int64_t max_in_flight = 4096;
  int64_t max_rows = 10000;
  int64_t max_connections = 0;
  int64_t max_buffered_bytes = int64_t{256} << 20;
  int64_t write_timeout_ms = 10000;
  int64_t deadline_ms = 10000;
  int64_t batch_max_rows = 0;
  int64_t batch_wait_us = 500;
};
// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in the threads it starts
// afterwards; returns them. `ember` calls it before any thread starts when serving.
sigset_t BlockServeSignals();
// Serves the models until SIGTERM or SIGINT (graceful: in-flight requests are answered);
// SIGHUP reloads them from disk. Prints "listening on http://HOST:PORT" once ready.
Status Serve(const CliContext& c, const ServeArgs& args);

}  // namespace ember::cli
