#include "ember/stages/column_stages.h"

#include <set>

#include "ember/base/status_macros.h"
#include "ember/core/ops.h"

namespace ember {

namespace {

// A kernel that outputs a fixed selection of the input's columns.
std::unique_ptr<BoundTransform> Projection(SchemaPtr out, std::vector<int> indices) {
  return std::make_unique<FunctionBoundTransform>(
      out, [out, indices = std::move(indices)](const Batch& in) {
        std::vector<ColumnPtr> cols;
        cols.reserve(indices.size());
        for (int i : indices) cols.push_back(in.column(i));
        return Batch::Make(out, std::move(cols), in.num_rows());
      });
}

Status CheckNoDuplicates(const std::vector<std::string>& cols, const std::string& owner) {
  std::set<std::string> seen;
  for (const auto& c : cols) {
    if (!seen.insert(c).second) {
      return InvalidArgument(owner + " param 'cols': column '" + c + "' is listed twice");
    }
  }
  return Status::OK();
}

}  // namespace

const ParamSpec<SelectColumnsParams>& SelectColumnsParams::Spec() {
  static const ParamSpec<SelectColumnsParams> spec = std::move(
      ParamSpec<SelectColumnsParams>("SelectColumns")
          .Add("cols", &SelectColumnsParams::cols, "The columns to keep, in output order.",
               NonEmpty<std::vector<std::string>>()));
  return spec;
}

Status SelectColumns::Check(const Params& p) {
  EMBER_RETURN_IF_ERROR(CheckNoDuplicates(p.cols, "SelectColumns"));
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> SelectColumns::Bind(const Schema& in) const {
  std::vector<int> idx;
  std::vector<Field> fields;
  for (const auto& c : params_.cols) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndex(c));
    idx.push_back(i);
    fields.push_back(in.field(i));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  return Projection(out, std::move(idx));
}

const ParamSpec<DropColumnsParams>& DropColumnsParams::Spec() {
  static const ParamSpec<DropColumnsParams> spec = std::move(
      ParamSpec<DropColumnsParams>("DropColumns")
          .Add("cols", &DropColumnsParams::cols, "The columns to remove; each must exist.",
               NonEmpty<std::vector<std::string>>()));
  return spec;
}

Status DropColumns::Check(const Params& p) {
  EMBER_RETURN_IF_ERROR(CheckNoDuplicates(p.cols, "DropColumns"));
  return Status::OK();
}

Result<std::unique_ptr<BoundTransform>> DropColumns::Bind(const Schema& in) const {
  std::vector<bool> drop(in.num_fields(), false);
  for (const auto& c : params_.cols) {
    EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndex(c));
    drop[i] = true;
  }
  std::vector<int> idx;
  std::vector<Field> fields;
  for (int i = 0; i < in.num_fields(); ++i) {
    if (drop[i]) continue;
    idx.push_back(i);
    fields.push_back(in.field(i));
  }
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, Schema::Make(std::move(fields), in.metadata()));
  return Projection(out, std::move(idx));
}

const ParamSpec<RenameColumnParams>& RenameColumnParams::Spec() {
  static const ParamSpec<RenameColumnParams> spec =
      std::move(ParamSpec<RenameColumnParams>("RenameColumn")
                    .Add("inputCol", &RenameColumnParams::input_col, "The column to rename.",
                         NonEmpty<std::string>())
                    .Add("outputCol", &RenameColumnParams::output_col,
                         "Its new name; must not exist yet.", NonEmpty<std::string>()));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> RenameColumn::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(int i, in.GetFieldIndex(params_.input_col));
  if (params_.output_col != params_.input_col && in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("RenameColumn: column '" + params_.output_col + "' already exists");
  }
  Field f = in.field(i);
  f.name = params_.output_col;
  EMBER_ASSIGN_OR_RETURN(SchemaPtr out, in.SetField(i, std::move(f)));
  std::vector<int> idx(in.num_fields());
  for (int k = 0; k < in.num_fields(); ++k) idx[k] = k;
  return Projection(out, std::move(idx));
}

const ParamSpec<ExplodeParams>& ExplodeParams::Spec() {
  static const ParamSpec<ExplodeParams> spec = std::move(
      ParamSpec<ExplodeParams>("Explode")
          .Add("inputCol", &ExplodeParams::input_col, "The list column to explode.",
               NonEmpty<std::string>())
          .Add("outputCol", &ExplodeParams::output_col,
               "The element column to add; must not exist yet.", NonEmpty<std::string>()));
  return spec;
}

Result<std::unique_ptr<BoundTransform>> Explode::Bind(const Schema& in) const {
  EMBER_ASSIGN_OR_RETURN(
      int i, in.GetFieldIndexOfType(
                 params_.input_col, [](const DataType& t) { return t.id() == TypeId::kList; },
                 "a list column"));
  if (in.FindField(params_.output_col) >= 0) {
    return AlreadyExists("Explode: column '" + params_.output_col + "' already exists");
  }
  EMBER_ASSIGN_OR_RETURN(
      SchemaPtr out, in.AddField(MakeField(params_.output_col, in.field(i).type->value_type())));
  return std::unique_ptr<BoundTransform>(
      new FunctionBoundTransform(out, [out, i](const Batch& b) -> Result<Batch> {
        const Column& list = *b.column(i);
        const int32_t* offsets = list.Offsets();
        std::vector<int64_t> rows, elements;
        for (int64_t r = 0; r < b.num_rows(); ++r) {
          if (list.IsNull(r)) continue;
          for (int32_t e = offsets[r]; e < offsets[r + 1]; ++e) {
            rows.push_back(r);
            elements.push_back(e);
          }
        }
        EMBER_ASSIGN_OR_RETURN(Batch repeated, TakeRows(b, rows));
        EMBER_ASSIGN_OR_RETURN(ColumnPtr values, Take(*list.child(0), elements));
        std::vector<ColumnPtr> cols = repeated.columns();
        cols.push_back(std::move(values));
        return Batch::Make(out, std::move(cols), static_cast<int64_t>(rows.size()));
      }));
}

}  // namespace ember
