// The `ember._ember` extension: a narrow facade over Ember's registry, frames, pipelines and
// models for the Python package (python/ember/). The only file that includes pybind11.
// Columns cross as NumPy arrays without a copy where the layouts allow (numbers, dense
// vectors, timestamps); the GIL is released while Ember reads, fits, transforms and writes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ember/base/json.h"
#include "ember/base/version.h"
#include "ember/core/builder.h"
#include "ember/core/ops.h"
#include "ember/io/table_io.h"
#include "ember/pipeline/pipeline.h"
#include "ember/pipeline/save_load.h"
#include "ember/registry/default_registry.h"
#include "ember/serving/server.h"

namespace py = pybind11;

namespace ember::python {
namespace {

// Ember's errors as Python exceptions (ember.EmberError, a ValueError) with its message.
struct EmberError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Check(const Status& s) {
  if (!s.ok()) throw EmberError(s.message());
}
template <typename T>
T Unwrap(Result<T> r) {
  if (!r.ok()) throw EmberError(r.status().message());
  return std::move(*r);
}

const ExecContext& Ctx() { return ExecContext::Default(); }

// Runs `work` off the calling thread with the GIL released, checking Python's signals every
// 50 ms: Ctrl-C cancels the work's context (the thread pool stops taking partitions, boosting
// stops between rounds), waits for it to stop, and raises KeyboardInterrupt.
template <typename T>
T Interruptible(const std::function<Result<T>(const ExecContext&)>& work) {
  ExecContext ctx = ExecContext::Default();
  ctx.cancel = CancellationToken();  // its own flag, not the process-wide context's
  bool interrupted = false;
  std::optional<Result<T>> result;
  {
    py::gil_scoped_release release;
    auto done = std::async(std::launch::async, [&] { return work(ctx); });
    while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      py::gil_scoped_acquire gil;
      if (PyErr_CheckSignals() != 0) {
        ctx.cancel.Cancel();
        interrupted = true;
        break;
      }
    }
    result.emplace(done.get());
  }
  if (interrupted) throw py::error_already_set();  // the KeyboardInterrupt
  return Unwrap(std::move(*result));
}

// Frames of more rows than this are transformed interruptibly; smaller ones on the calling
// thread (a thread per call would cost one-row latency more than Ctrl-C could save).
constexpr int64_t kInterruptibleRows = 100000;

DataFrame RunTransform(const DataFrame& in,
                       const std::function<Result<DataFrame>(const ExecContext&)>& run) {
  if (in.num_rows() > kInterruptibleRows) return Interruptible<DataFrame>(run);
  py::gil_scoped_release release;
  return Unwrap(run(Ctx()));
}

// The module's registry: every stage of this build (DefaultRegistry), plus what a test adds
// (_register_test_stage) to show that the Python classes come from the registry alone.
StageRegistry& Registry() {
  static auto* registry = new StageRegistry(DefaultRegistry());
  return *registry;
}

// Keeps a Python object alive from C++ (a NumPy array whose memory a column uses): the last
// reference may be dropped on a worker thread, so it takes the GIL to let go.
std::shared_ptr<const void> HoldPython(py::object o) {
  auto* held = new py::object(std::move(o));
  return std::shared_ptr<const void>(held, [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

// The validity bitmap of a NumPy bool mask (true = null), or null when nothing is null.
BufferPtr ValidityFromMask(const py::object& mask, int64_t n, int64_t* nulls) {
  *nulls = 0;
  if (mask.is_none()) return nullptr;
  auto m = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(mask);
  if (!m || m.ndim() != 1 || m.shape(0) != n)
    throw EmberError("a null mask must be a 1-D bool array of " + std::to_string(n) + " values");
  const bool* v = m.data();
  std::vector<uint8_t> bits(static_cast<size_t>((n + 7) / 8), 0);
  for (int64_t r = 0; r < n; ++r) {
    if (v[r]) {
      ++*nulls;
    } else {
      bits[static_cast<size_t>(r / 8)] |= static_cast<uint8_t>(1u << (r % 8));
    }
  }
  if (*nulls == 0) return nullptr;
  return Buffer::FromVector(std::move(bits));
}

// A fixed-width column over a C-contiguous NumPy array's memory (no copy).
template <typename T>
ColumnPtr NumericColumn(const TypePtr& type, const py::object& values, const py::object& mask) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a || a.ndim() != 1) throw EmberError("expected a 1-D array of " + type->ToString());
  const int64_t n = a.shape(0);
  int64_t nulls = 0;
  BufferPtr validity = ValidityFromMask(mask, n, &nulls);
  auto data = std::make_shared<const Buffer>(reinterpret_cast<const uint8_t*>(a.data()),
                                             n * static_cast<int64_t>(sizeof(T)), HoldPython(a));
  return Unwrap(Column::Make(type, n, {validity, data}, {}, nulls));
}

ColumnPtr BoolColumn(const py::object& values, const py::object& mask) {
  auto a = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a || a.ndim() != 1) throw EmberError("expected a 1-D bool array");
  int64_t nulls = 0;
  const int64_t n = a.shape(0);
  BufferPtr validity = ValidityFromMask(mask, n, &nulls);
  BoolBuilder b;
  b.Reserve(n);
  const uint8_t* bits = validity ? validity->data() : nullptr;
  for (int64_t r = 0; r < n; ++r) {
    if (bits && !(bits[r / 8] >> (r % 8) & 1)) {
      b.AppendNull();
    } else {
      b.Append(a.data()[r]);
    }
  }
  return b.Finish();
}

// A string (or binary) column from a Python list of str / bytes / None.
ColumnPtr StringColumn(const TypePtr& type, const py::list& values, const std::string& name) {
  StringBuilder b(type);
  const bool binary = type->id() == TypeId::kBinary;
  for (size_t r = 0; r < values.size(); ++r) {
    py::handle v = values[r];
    if (v.is_none()) {
      b.AppendNull();
    } else if (!binary && py::isinstance<py::str>(v)) {
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(v.ptr(), &size);
      if (data == nullptr) throw py::error_already_set();
      b.Append(std::string_view(data, static_cast<size_t>(size)));
    } else if (binary && py::isinstance<py::bytes>(v)) {
      char* data = nullptr;
      Py_ssize_t size = 0;
      PyBytes_AsStringAndSize(v.ptr(), &data, &size);
      b.Append(std::string_view(data, static_cast<size_t>(size)));
    } else {
      throw EmberError("column '" + name + "': row " + std::to_string(r) + " holds " +
                       std::string(py::str(py::type::of(v).attr("__name__"))) + " " +
                       std::string(py::repr(v)).substr(0, 40) + ", not " +
                       (binary ? "bytes" : "str") + " or None");
    }
  }
  return b.Finish();
}

// A dense vector column over a C-contiguous (rows, n) float64 array.
ColumnPtr DenseVectorColumn(const py::object& values, const py::object& mask) {
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
  if (!a || a.ndim() != 2) throw EmberError("a vector column needs a 2-D float64 array");
  const int64_t rows = a.shape(0), n = a.shape(1);
  int64_t nulls = 0;
  BufferPtr validity = ValidityFromMask(mask, rows, &nulls);
  auto data = std::make_shared<const Buffer>(reinterpret_cast<const uint8_t*>(a.data()),
                                             rows * n * 8, HoldPython(a));
  ColumnPtr child = Unwrap(Column::Make(Float64Type(), rows * n, {nullptr, data}, {}, 0));
  return Unwrap(Column::Make(DenseVectorType(n), rows, {validity}, {child}, nulls));
}

// A sparse vector column from CSR arrays (indptr, indices, values), as a SciPy matrix holds
// them (copied: Ember's offsets are int32); indices must increase within each row.
ColumnPtr SparseVectorColumn(int64_t size, const py::object& csr, const std::string& name) {
  auto t = csr.cast<py::tuple>();
  auto indptr = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(t[0]);
  auto indices = py::array_t<int32_t, py::array::c_style | py::array::forcecast>::ensure(t[1]);
  auto values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(t[2]);
  if (!indptr || !indices || !values || indptr.ndim() != 1 || indptr.shape(0) < 1) {
    throw EmberError("column '" + name + "': a sparse column needs CSR indptr, indices, values");
  }
  const int64_t rows = indptr.shape(0) - 1;
  const int64_t* ip = indptr.data();
  if (ip[0] != 0 || ip[rows] > indices.shape(0) || ip[rows] > values.shape(0)) {
    throw EmberError("column '" + name + "': CSR indptr does not match its indices and values");
  }
  SparseVectorBuilder b(size);
  b.Reserve(rows);
  b.ReserveEntries(ip[rows]);
  for (int64_t r = 0; r < rows; ++r) {
    if (ip[r + 1] < ip[r]) throw EmberError("column '" + name + "': CSR indptr decreases");
    const auto n = static_cast<size_t>(ip[r + 1] - ip[r]);
    Status s = b.Append(std::span<const int32_t>(indices.data() + ip[r], n),
                        std::span<const double>(values.data() + ip[r], n));
    if (!s.ok())
      throw EmberError("column '" + name + "': row " + std::to_string(r) + ": " + s.message());
  }
  return b.Finish();
}

// A frame held for Python; FromColumns makes one partition from [(name, type, values,
// mask), ...] as python/ember/frame.py prepares them.
class Frame {
 public:
  explicit Frame(DataFrame f) : frame_(std::move(f)) {}
  const DataFrame& frame() const { return frame_; }

  static Frame FromColumns(const py::list& columns) {
    std::vector<Field> fields;
    std::vector<ColumnPtr> cols;
    int64_t rows = -1;
    for (py::handle item : columns) {
      auto t = item.cast<py::tuple>();
      const auto name = t[0].cast<std::string>();
      const auto type_name = t[1].cast<std::string>();
      py::object values = t[2];
      py::object mask = t[3];
      TypePtr type = Unwrap(ParseType(type_name));
      ColumnPtr c;
      switch (type->id()) {
        case TypeId::kFloat64:
          c = NumericColumn<double>(type, values, mask);
          break;
        case TypeId::kFloat32:
          c = NumericColumn<float>(type, values, mask);
          break;
        case TypeId::kInt64:
        case TypeId::kTimestamp:
          c = NumericColumn<int64_t>(type, values, mask);
          break;
        case TypeId::kInt32:
        case TypeId::kDate:
          c = NumericColumn<int32_t>(type, values, mask);
          break;
        case TypeId::kBool:
          c = BoolColumn(values, mask);
          break;
        case TypeId::kString:
        case TypeId::kBinary:
          c = StringColumn(type, values.cast<py::list>(), name);
          break;
        case TypeId::kVector:
          c = type->sparse() ? SparseVectorColumn(type->vector_size(), values, name)
                             : DenseVectorColumn(values, mask);
          break;
        default:
          throw EmberError("column '" + name + "': " + type->ToString() +
                           " columns cannot be made from Python yet");
      }
      if (rows >= 0 && c->length() != rows) {
        throw EmberError("column '" + name + "' has " + std::to_string(c->length()) +
                         " rows, the others " + std::to_string(rows));
      }
      rows = c->length();
      fields.push_back(MakeField(name, c->type()));
      cols.push_back(std::move(c));
    }
    SchemaPtr schema = Unwrap(Schema::Make(std::move(fields)));
    Batch b = Unwrap(Batch::Make(schema, std::move(cols), std::max<int64_t>(rows, 0)));
    return Frame(DataFrame::FromBatch(std::move(b)));
  }

  int64_t num_rows() const { return frame_.num_rows(); }
  int num_partitions() const { return frame_.num_partitions(); }

  // [(name, type, nullable, metadata JSON), ...]
  py::list Schema() const {
    py::list out;
    for (const Field& f : frame_.schema()->fields()) {
      out.append(py::make_tuple(f.name, f.type->ToString(), f.nullable,
                                f.metadata.is_null() ? std::string() : f.metadata.Dump()));
    }
    return out;
  }

  // Column `name` as (values, mask): numbers, dates (int32 days), timestamps (int64
  // microseconds) and dense vectors as read-only NumPy arrays over Ember's memory when the
  // frame is one partition; strings and binaries as lists; other types as lists of JSON text.
  py::tuple Column(const std::string& name) const {
    const int i = frame_.schema()->FindField(name);
    if (i < 0) throw EmberError("no column '" + name + "'; columns are " + Names());
    Batch b;
    {
      py::gil_scoped_release release;
      b = Unwrap(frame_.Collect());
    }
    ColumnPtr c = b.column(i);
    const int64_t n = c->length();
    py::object mask = py::none();
    if (c->null_count() > 0) {
      py::array_t<bool> m(n);
      bool* p = m.mutable_data();
      for (int64_t r = 0; r < n; ++r) p[r] = c->IsNull(r);
      mask = m;
    }
    auto keep = py::capsule(new ColumnPtr(c), [](void* p) { delete static_cast<ColumnPtr*>(p); });
    auto view = [&](auto* type_tag, std::vector<py::ssize_t> shape) {
      using T = std::remove_const_t<std::remove_pointer_t<decltype(type_tag)>>;
      const T* data = nullptr;
      if constexpr (std::is_same_v<T, double>) {
        data = c->type_id() == TypeId::kVector
                   ? c->child(0)->Values<double>() + c->offset() * c->type()->vector_size()
                   : c->Values<double>();
      } else {
        data = c->Values<T>();
      }
      py::array_t<T> a(shape, data, keep);
      py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
      return py::object(a);
    };
    switch (c->type_id()) {
      case TypeId::kFloat64:
        return py::make_tuple(view(static_cast<double*>(nullptr), {n}), mask);
      case TypeId::kFloat32:
        return py::make_tuple(view(static_cast<float*>(nullptr), {n}), mask);
      case TypeId::kInt64:
      case TypeId::kTimestamp:
        return py::make_tuple(view(static_cast<int64_t*>(nullptr), {n}), mask);
      case TypeId::kInt32:
      case TypeId::kDate:
        return py::make_tuple(view(static_cast<int32_t*>(nullptr), {n}), mask);
      case TypeId::kBool: {
        py::array_t<bool> a(n);
        for (int64_t r = 0; r < n; ++r) a.mutable_data()[r] = c->IsValid(r) && c->BoolValue(r);
        return py::make_tuple(a, mask);
      }
      case TypeId::kVector: {
        const int64_t width = c->type()->vector_size();
        if (!c->type()->sparse()) {
          return py::make_tuple(view(static_cast<double*>(nullptr), {n, width}), mask);
        }
        py::array_t<double> a({n, width});
        double* out = a.mutable_data();
        std::memset(out, 0, static_cast<size_t>(n * width) * sizeof(double));
        for (int64_t r = 0; r < n; ++r) {
          if (c->IsNull(r)) continue;
          ForEachVectorEntry(*c, r, [&](int64_t k, double v) { out[r * width + k] = v; });
        }
        return py::make_tuple(a, mask);
      }
      case TypeId::kString:
      case TypeId::kBinary: {
        py::list out(n);
        for (int64_t r = 0; r < n; ++r) {
          if (c->IsNull(r)) {
            out[r] = py::none();
          } else if (c->type_id() == TypeId::kString) {
            const std::string_view s = c->StringValue(r);
            out[r] = py::str(s.data(), s.size());
          } else {
            const std::string_view s = c->StringValue(r);
            out[r] = py::bytes(s.data(), s.size());
          }
        }
        return py::make_tuple(out, mask);
      }
      default: {
        py::list out(n);
        std::string json;
        for (int64_t r = 0; r < n; ++r) {
          json.clear();
          AppendValueJson(*c, r, &json);
          out[r] = c->IsNull(r) ? py::object(py::none()) : py::object(py::str(json));
        }
        return py::make_tuple(out, mask);
      }
    }
  }

  // The first `n` rows as display text, one list per row.
  std::vector<std::vector<std::string>> Head(int64_t n) const {
    std::vector<std::vector<std::string>> rows;
    for (const Batch& b : frame_.partitions()) {
      for (int64_t r = 0; r < b.num_rows() && static_cast<int64_t>(rows.size()) < n; ++r) {
        std::vector<std::string> row;
        for (int c = 0; c < b.num_columns(); ++c) row.push_back(FormatValue(*b.column(c), r));
        rows.push_back(std::move(row));
      }
    }
    return rows;
  }

 private:
  std::string Names() const {
    std::string s;
    for (const Field& f : frame_.schema()->fields()) s += (s.empty() ? "" : ", ") + f.name;
    return s;
  }

  DataFrame frame_;
};

// A fitted model (any Transformer): transforms, saves, and says what it is.
class Model {
 public:
  Model(std::shared_ptr<const Transformer> t, SchemaPtr input)
      : model_(std::move(t)), input_(std::move(input)) {}

  // The tree model's feature importances ("gain" or "split"; see Transformer).
  std::vector<double> FeatureImportances(const std::string& type) const {
    return Unwrap(model_->FeatureImportances(type));
  }

  // All columns, or only `cols` (then the pipeline's fused row loop may compute them, as
  // `ember transform --cols` does).
  Frame Transform(const Frame& in, const std::vector<std::string>& cols) const {
    if (in.frame().num_partitions() == 1 && in.frame().num_rows() <= kInterruptibleRows) {
      // A small frame (a request's rows): the kernel bound once for its schema, run on the
      // calling thread, as a server runs a route's model.
      if (std::shared_ptr<const BoundTransform> kernel = KernelFor(in.frame().schema(), cols)) {
        py::gil_scoped_release release;
        return Frame(DataFrame::FromBatch(
            Unwrap(kernel->Apply(in.frame().partition(0), KernelScratch::ForThisThread()))));
      }
    }
    std::shared_ptr<const PipelineModel> selecting = cols.empty() ? nullptr : Selecting();
    auto run = [&](const ExecContext& ctx) -> Result<DataFrame> {
      if (cols.empty()) return model_->Transform(in.frame(), ctx);
      return selecting->TransformSelect(in.frame(), ctx, cols);
    };
    return Frame(RunTransform(in.frame(), run));
  }
  // Seconds per call of `calls` transforms of `in`, timed in C++ (the Python overhead
  // benchmark's baseline, bench/python).
  std::vector<double> TimeTransform(const Frame& in, const std::vector<std::string>& cols,
                                    int calls) const {
    py::gil_scoped_release release;
    std::shared_ptr<const PipelineModel> p = Selecting();
    std::shared_ptr<const BoundTransform> kernel;
    if (in.frame().num_partitions() == 1 && in.frame().num_rows() <= kInterruptibleRows) {
      kernel = KernelFor(in.frame().schema(), cols);
    }
    std::vector<double> out;
    for (int k = 0; k < calls; ++k) {
      const auto start = std::chrono::steady_clock::now();
      Status r;
      if (kernel) {
        r = kernel->Apply(in.frame().partition(0), KernelScratch::ForThisThread()).status();
      } else {
        r = (cols.empty() ? model_->Transform(in.frame(), Ctx())
                          : p->TransformSelect(in.frame(), Ctx(), cols))
                .status();
      }
      out.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      Check(r);
    }
    return out;
  }
  void Save(const std::string& dir, bool overwrite) const {
    py::gil_scoped_release release;
    Check(SaveStage(*model_, dir, {.overwrite = overwrite, .input_schema = input_}));
  }
  std::string TypeName() const { return std::string(model_->type_name()); }
  std::string Uid() const { return model_->uid(); }
  std::string ParamsJson() const { return model_->ParamsJson().Dump(); }

  static Model Load(const std::string& dir) {
    py::gil_scoped_release release;
    auto t = Unwrap(LoadTransformer(dir, Registry()));
    Result<SchemaPtr> input = LoadInputSchema(dir);
    return Model(std::move(t), input.ok() ? *input : nullptr);
  }

 private:
  // model_ wrapped in a PipelineModel, to select columns; made once.
  std::shared_ptr<const PipelineModel> Selecting() const {
    std::lock_guard<std::mutex> lock(cache_->mu);
    if (!cache_->model) cache_->model = Unwrap(PipelineModel::Make({model_}));
    return cache_->model;
  }

  // The kernel of the model for frames of `schema` (columns `cols`, all when empty), bound
  // on first use and kept for the last schema; null when the model runs across rows (a
  // grouping or sorting stage) and so cannot run one batch alone.
  std::shared_ptr<const BoundTransform> KernelFor(const SchemaPtr& schema,
                                                  const std::vector<std::string>& cols) const {
    std::shared_ptr<const PipelineModel> p = Selecting();
    if (!p->partition_local()) return nullptr;
    std::lock_guard<std::mutex> lock(cache_->mu);
    if (!cache_->kernel || cache_->kernel_cols != cols ||
        (cache_->kernel_schema != schema && !cache_->kernel_schema->Equals(*schema))) {
      cache_->kernel = Unwrap(p->BindSelect(*schema, cols));
      cache_->kernel_schema = schema;
      cache_->kernel_cols = cols;
    }
    return cache_->kernel;
  }

  struct Cache {
    std::mutex mu;
    std::shared_ptr<const PipelineModel> model;
    std::shared_ptr<const BoundTransform> kernel;
    SchemaPtr kernel_schema;
    std::vector<std::string> kernel_cols;
  };
  std::shared_ptr<const Transformer> model_;
  SchemaPtr input_;
  std::shared_ptr<Cache> cache_ = std::make_shared<Cache>();
};

// A stage or pipeline from its JSON spec: {"type", "params"} or {"stages": [...]}.
std::shared_ptr<const Stage> FromSpec(const std::string& spec_text) {
  Json spec = Unwrap(Json::Parse(spec_text));
  if (spec.is_object() && spec.Find("stages") != nullptr) {
    return Unwrap(Pipeline::FromSpec(spec, Registry()));
  }
  return Unwrap(StageFromSpec(spec, Registry()));
}

Model Fit(const std::string& spec_text, const Frame& in) {
  std::shared_ptr<const Stage> stage = FromSpec(spec_text);
  if (auto e = std::dynamic_pointer_cast<const Estimator>(stage)) {
    return Model(Interruptible<std::shared_ptr<const Transformer>>(
                     [&](const ExecContext& ctx) { return e->Fit(in.frame(), ctx); }),
                 in.frame().schema());
  }
  // A transformer fits to itself.
  return Model(std::dynamic_pointer_cast<const Transformer>(stage), in.frame().schema());
}

Frame TransformSpec(const std::string& spec_text, const Frame& in) {
  std::shared_ptr<const Stage> stage = FromSpec(spec_text);
  auto t = std::dynamic_pointer_cast<const Transformer>(stage);
  if (!t) throw EmberError(std::string(stage->type_name()) + " is an estimator: fit it first");
  return Frame(RunTransform(in.frame(),
                            [&](const ExecContext& ctx) { return t->Transform(in.frame(), ctx); }));
}

TableReadOptions ReadOptions(const py::dict& o) {
  TableReadOptions r;
  for (auto [k, v] : o) {
    const auto key = k.cast<std::string>();
    if (v.is_none()) continue;
    if (key == "schema") {
      std::vector<Field> fields;
      for (auto [name, type] : v.cast<py::dict>()) {
        fields.push_back(
            MakeField(name.cast<std::string>(), Unwrap(ParseType(type.cast<std::string>()))));
      }
      SchemaPtr s = Unwrap(Schema::Make(std::move(fields)));
      r.csv.schema = s;
      r.json.schema = s;
    } else if (key == "delimiter") {
      const auto d = v.cast<std::string>();
      if (d == "whitespace") {
        r.csv.whitespace_delimited = true;
      } else if (d.size() == 1) {
        r.csv.delimiter = d[0];
      } else {
        throw EmberError("read: delimiter must be one character or 'whitespace', got '" + d + "'");
      }
    } else if (key == "header") {
      r.csv.header = v.cast<bool>();
    } else if (key == "skip_lines") {
      r.csv.skip_lines = v.cast<int64_t>();
    } else if (key == "names") {
      r.csv.column_names = v.cast<std::vector<std::string>>();
    } else if (key == "null_values") {
      r.csv.null_values = v.cast<std::vector<std::string>>();
    } else if (key == "format") {
      const auto f = v.cast<std::string>();
      if (f == "csv") {
        r.format = TableFormat::kCsv;
      } else if (f == "json" || f == "jsonl") {
        r.format = TableFormat::kJsonLines;
      } else {
        throw EmberError("read: format must be 'csv' or 'json', got '" + f + "'");
      }
    } else {
      throw EmberError("read: unknown option '" + key + "'");
    }
  }
  return r;
}

// A model served in the background (ember.serve): the server's loops run on their own
// threads, so Python goes on; stop() drains and joins them.
class Serving {
 public:
  static Serving Start(const std::string& model_dir, const std::string& host, int port,
                       const std::string& path, const std::vector<std::string>& reply_cols,
                       const std::string& api_key, int threads) {
    serving::ServerOptions o;
    o.host = host;
    o.port = port;
    o.threads = threads;
    o.api_key = api_key;
    o.registry = &Registry();
    o.routes.push_back({.path = path, .model_dir = model_dir, .reply_cols = reply_cols});
    py::gil_scoped_release release;
    return Serving(Unwrap(serving::Server::Start(std::move(o))));
  }
  int port() const { return server_ ? server_->port() : 0; }
  void Stop() {
    if (!server_) return;
    py::gil_scoped_release release;
    server_->Shutdown();
    server_->Wait();
    server_.reset();
  }
  bool running() const { return server_ != nullptr; }

 private:
  explicit Serving(std::unique_ptr<serving::Server> s) : server_(std::move(s)) {}
  std::shared_ptr<serving::Server> server_;
};

py::list RegistryEntries() {
  py::list out;
  for (const auto& [name, e] : Registry().entries()) {
    py::list params;
    for (const ParamInfo& p : e.params) {
      py::dict d;
      d["name"] = p.name;
      d["type"] = p.type;
      d["default"] = p.default_value.Dump();
      d["constraint"] = p.constraint;
      d["doc"] = p.doc;
      params.append(d);
    }
    py::dict d;
    d["name"] = name;
    d["estimator"] = e.kind == StageKind::kEstimator;
    d["doc"] = e.doc;
    d["fitted"] = e.needs_data;
    d["params"] = params;
    out.append(d);
  }
  return out;
}

}  // namespace
}  // namespace ember::python

PYBIND11_MODULE(_ember, m) {
  using namespace ember::python;  // NOLINT: the module's own names
  m.doc() = "Ember's native core (use the `ember` package).";
  py::register_exception<EmberError>(m, "EmberError", PyExc_ValueError);
  m.attr("__version__") = std::string(ember::EmberVersion());

  py::class_<Frame>(m, "Frame")
      .def_static("from_columns", &Frame::FromColumns)
      .def_property_readonly("num_rows", &Frame::num_rows)
      .def_property_readonly("num_partitions", &Frame::num_partitions)
      .def("schema", &Frame::Schema)
      .def("column", &Frame::Column)
      .def("head", &Frame::Head);
  py::class_<Model>(m, "Model")
      .def("transform", &Model::Transform, py::arg("frame"),
           py::arg("cols") = std::vector<std::string>{})
      .def("time_transform", &Model::TimeTransform)
      .def("save", &Model::Save)
      .def_property_readonly("type_name", &Model::TypeName)
      .def_property_readonly("uid", &Model::Uid)
      .def("params_json", &Model::ParamsJson)
      .def("feature_importances", &Model::FeatureImportances)
      .def_static("load", &Model::Load);

  py::class_<Serving>(m, "Serving")
      .def_static("start", &Serving::Start)
      .def_property_readonly("port", &Serving::port)
      .def_property_readonly("running", &Serving::running)
      .def("stop", &Serving::Stop);

  m.def("registry", &RegistryEntries, "Every registered stage with its params.");
  m.def(
      "_register_test_stage",
      [] {
        // For tests: a stage registered in C++ at run time (RenameColumn's declaration under
        // another name) must appear in Python with no Python written for it.
        const ember::StageEntry* rename = Unwrap(Registry().Find("RenameColumn"));
        ember::StageEntry e = *rename;
        e.type_name = "TestOnlyStage";
        e.doc = "A stage registered by a test (renames a column).";
        if (Registry().Find(e.type_name).ok()) return;
        Check(Registry().Register(std::move(e)));
      },
      "Registers TestOnlyStage (tests only).");
  m.def(
      "check_spec", [](const std::string& spec) { FromSpec(spec); },
      "Builds a stage or pipeline from its JSON spec (raises EmberError when it is invalid).");
  m.def("fit", &Fit);
  m.def("transform_spec", &TransformSpec);
  m.def("read_table", [](const std::string& path, const py::dict& options) {
    ember::TableReadOptions o = ReadOptions(options);
    return Frame(Interruptible<ember::DataFrame>(
        [&](const ember::ExecContext& ctx) { return ember::ReadTable(ctx, path, o); }));
  });
  m.def("write_table", [](const Frame& f, const std::string& path) {
    py::gil_scoped_release release;
    Check(ember::WriteTable(Ctx(), f.frame(), path));
  });
}
