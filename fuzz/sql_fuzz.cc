// Fuzzes the SQL parser, type checker and evaluator: any statement either fails with an
// error or runs on a small batch with NULLs, vectors, lists and nested structs (whole and
// sliced); no crash, no hang.
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
    // st: struct<a: int64, n: list<struct<x: string>>>; rows: {1, [{"p"}, null]}, null, {null, []}.
    TypePtr inner = StructType({MakeField("x", StringType())});
    TypePtr st_type = StructType({MakeField("a", Int64Type()), MakeField("n", ListType(inner))});
    StructBuilder st(st_type);
    auto* a = static_cast<NumericBuilder<int64_t>*>(st.field_builder(0));
    auto* n = static_cast<ListBuilder*>(st.field_builder(1));
    auto* nx = static_cast<StructBuilder*>(n->value_builder());
    st.Append();
    a->Append(1);
    n->Append();
    nx->Append();
    static_cast<StringBuilder*>(nx->field_builder(0))->Append("p");
    nx->AppendNull();
    st.AppendNull();
    st.Append();
    a->AppendNull();
    n->Append();
    SchemaPtr schema = *Schema::Make(
        {MakeField("i", Int64Type()), MakeField("d", Float64Type()), MakeField("s", StringType()),
         MakeField("b", BoolType()), MakeField("v", DenseVectorType(2)),
         MakeField("l", ListType(Int64Type())), MakeField("st", st_type)});
    return new Batch(*Batch::Make(
        schema, {MakeColumn<int64_t>({1, std::nullopt, INT64_MIN}),
                 MakeColumn<double>({0.5, -1e308, std::nullopt}),
                 MakeColumn<std::string>({"a\xC3\xA9", std::nullopt, ""}),
                 MakeColumn<bool>({true, std::nullopt, false}),
                 MakeDenseVectorColumn({{1, 2}, {3, 4}, {5, 6}}, 2), list->Finish(), st.Finish()}));
  }();
  return *batch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view statement(reinterpret_cast<const char*>(data), size);
  auto q = ember::SqlQuery::Compile(statement, *Input().schema());
  if (q.ok()) {
    (void)(*q)->Run(Input());
    (void)(*q)->Run(Input().Slice(1, 2));
  }
  return 0;
}
