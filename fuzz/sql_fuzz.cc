// Fuzzes the SQL parser, type checker and evaluator: any statement either fails with an
// error or runs on a small batch with NULLs, vectors and lists; no crash, no hang.
#include <cstdint>
#include <string_view>

#include "ember/core/builder.h"
#include "ember/sql/query.h"

namespace {

const ember::Batch& Input() {
  static const ember::Batch* batch = [] {
    using namespace ember;
    auto list = MakeBuilder(ListType(Int64Type()));
    auto* lb = static_cast<ListBuilder*>(list.get());
    auto* lv = static_cast<NumericBuilder<int64_t>*>(lb->value_builder());
    lb->Append();
    lv->Append(1);
    lb->AppendNull();
    lb->Append();
    SchemaPtr schema = *Schema::Make({MakeField("i", Int64Type()), MakeField("d", Float64Type()),
                                      MakeField("s", StringType()), MakeField("b", BoolType()),
                                      MakeField("v", DenseVectorType(2)), MakeField("l", ListType(Int64Type()))});
    return new Batch(*Batch::Make(schema, {MakeColumn<int64_t>({1, std::nullopt, INT64_MIN}),
                                           MakeColumn<double>({0.5, -1e308, std::nullopt}),
                                           MakeColumn<std::string>({"a\xC3\xA9", std::nullopt, ""}),
                                           MakeColumn<bool>({true, std::nullopt, false}),
                                           MakeDenseVectorColumn({{1, 2}, {3, 4}, {5, 6}}, 2), list->Finish()}));
  }();
  return *batch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view statement(reinterpret_cast<const char*>(data), size);
  auto q = ember::SqlQuery::Compile(statement, *Input().schema());
  if (q.ok()) (void)(*q)->Run(Input());
  return 0;
}
