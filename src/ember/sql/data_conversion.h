// SynapseML's DataConversion: converts the columns `cols` to the type `convertTo`, in place
// (each keeps its name and position). Conversions follow Spark's CAST without ANSI mode, as
// Ember's SQL does (docs/sql.md): text that does not parse gives null, double -> integer
// truncates. `byte`, `short` and `integer` give int32 (Ember has no narrower integers; a value
// outside the named type's range is an error naming the column and row), `float` float32,
// `long` int64, `double` float64. A timestamp converts to `long` as milliseconds since 1970
// and to `string` with `dateTimeFormat` (Spark's pattern letters); `date` reads a string with
// `dateTimeFormat` (null when it does not match) or a long as milliseconds, giving a
// timestamp (SynapseML's "date" is a timestamp). `clearCategorical` turns a ValueIndexer's
// indices back into its values (IndexToValue) and drops the nominal attribute of any other
// column. `toCategorical` is refused: SynapseML fits a ValueIndexer on every call, so a
// pipeline would index a served request by that request's values; use ValueIndexer.
// Immutable and thread-safe.
#pragma once

#include <string>
#include <vector>

#include "ember/params/param_spec.h"
#include "ember/pipeline/registry.h"
#include "ember/pipeline/stage.h"
#include "ember/pipeline/stage_base.h"

namespace ember {

struct DataConversionParams {
  std::vector<std::string> cols;
  std::string convert_to;  // boolean, byte, short, integer, long, float, double, string,
                           // date, clearCategorical (toCategorical: refused, see above)
  std::string date_time_format = "yyyy-MM-dd HH:mm:ss";
  static const ParamSpec<DataConversionParams>& Spec();
};

class DataConversion final : public StageBase<DataConversion, Transformer, DataConversionParams> {
 public:
  static constexpr std::string_view kTypeName = "DataConversion";
  Result<std::unique_ptr<BoundTransform>> Bind(const Schema& in) const override;

 private:
  friend StageBase;
  using StageBase::StageBase;
};

}  // namespace ember
