// General stages that reshape a frame's columns: SelectColumns, DropColumns, RenameColumn,
// and SynapseML's Explode (a row per element of a list column).
// Each checks its columns at bind time; a misspelled column is an error that names it and
// lists the columns that exist. Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct SelectColumnsParams {
  std::vector<std::string> cols;
  static const ParamSpec<SelectColumnsParams>& Spec();
};

// Keeps the listed columns, in the listed order.
class SelectColumns final : public StageBase<SelectColumns, Transformer, SelectColumnsParams> {
 public:
  static constexpr std::string_view kTypeName = "SelectColumns";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct DropColumnsParams {
  std::vector<std::string> cols;
  static const ParamSpec<DropColumnsParams>& Spec();
};

// Removes the listed columns; each must exist.
class DropColumns final : public StageBase<DropColumns, Transformer, DropColumnsParams> {
 public:
  static constexpr std::string_view kTypeName = "DropColumns";
  // Checks beyond the spec (StageBase::Make calls it).
  static Status Check(const Params& p);
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

struct RenameColumnParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<RenameColumnParams>& Spec();
};

// Renames one column, keeping its position, type and metadata.
class RenameColumn final : public StageBase<RenameColumn, Transformer, RenameColumnParams> {
 public:
  static constexpr std::string_view kTypeName = "RenameColumn";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

// SynapseML's Explode (Spark's explode): a row per element of the list column `inputCol`,
// the element in `outputCol` and the row's other columns repeated. As Spark's explode, a row
// whose list is null or empty gives no row (the stage logs nothing: count before and after
// when that matters). A null element gives a row with a null value.
struct ExplodeParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<ExplodeParams>& Spec();
};

class Explode final : public StageBase<Explode, Transformer, ExplodeParams> {
 public:
  static constexpr std::string_view kTypeName = "Explode";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember
