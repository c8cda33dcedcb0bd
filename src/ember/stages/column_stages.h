// General stages that reshape a frame's columns: SelectColumns, DropColumns, RenameColumn.
// Each checks its columns at bind time; a misspelled column is an error that names it and
// lists the columns that exist. Immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/stage.h"

namespace ember {

struct SelectColumnsParams {
  std::vector<std::string> cols;
  static const ParamSpec<SelectColumnsParams>& Spec();
};

// Keeps the listed columns, in the listed order.
class SelectColumns final : public Transformer {
 public:
  using Params = SelectColumnsParams;
  static constexpr std::string_view kTypeName = "SelectColumns";
  static Result<std::shared_ptr<const SelectColumns>> Make(Params params, std::string uid = {});
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(params_); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const Params& params() const { return params_; }

 private:
  SelectColumns(Params p, std::string uid)
      : Transformer(std::move(uid), kTypeName), params_(std::move(p)) {}
  Params params_;
};

struct DropColumnsParams {
  std::vector<std::string> cols;
  static const ParamSpec<DropColumnsParams>& Spec();
};

// Removes the listed columns; each must exist.
class DropColumns final : public Transformer {
 public:
  using Params = DropColumnsParams;
  static constexpr std::string_view kTypeName = "DropColumns";
  static Result<std::shared_ptr<const DropColumns>> Make(Params params, std::string uid = {});
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(params_); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const Params& params() const { return params_; }

 private:
  DropColumns(Params p, std::string uid)
      : Transformer(std::move(uid), kTypeName), params_(std::move(p)) {}
  Params params_;
};

struct RenameColumnParams {
  std::string input_col;
  std::string output_col;
  static const ParamSpec<RenameColumnParams>& Spec();
};

// Renames one column, keeping its position, type and metadata.
class RenameColumn final : public Transformer {
 public:
  using Params = RenameColumnParams;
  static constexpr std::string_view kTypeName = "RenameColumn";
  static Result<std::shared_ptr<const RenameColumn>> Make(Params params, std::string uid = {});
  std::string_view type_name() const override { return kTypeName; }
  Json ParamsJson() const override { return Params::Spec().ToJson(params_); }
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;
  const Params& params() const { return params_; }

 private:
  RenameColumn(Params p, std::string uid)
      : Transformer(std::move(uid), kTypeName), params_(std::move(p)) {}
  Params params_;
};

}  // namespace ember
