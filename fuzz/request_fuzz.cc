// Fuzzes the serving request decoder and reply encoder: any body either decodes into a
// batch of the schema (then encodes back to JSON) or fails with a problem naming what did
// not fit; no crash, no hang.
#include <cstdint>
#include <string_view>

#include "ember/serving/codec.h"

namespace {

const ember::serving::RequestDecoder& Decoder() {
  static const auto* decoder = [] {
    using namespace ember;
    SchemaPtr schema = *Schema::Make(
        {MakeField("i", Int64Type()), MakeField("n", Int32Type()), MakeField("d", Float64Type()),
         MakeField("s", StringType()), MakeField("b", BoolType()), MakeField("bin", BinaryType()),
         MakeField("v", DenseVectorType(2)), MakeField("sv", SparseVectorType(5)),
         MakeField("l", ListType(StringType())),
         MakeField("st", StructType({MakeField("a", Float32Type()),
                                     MakeField("b", ListType(Int64Type()))}))});
    return new serving::RequestDecoder(schema);
  }();
  return *decoder;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const serving::RequestDecoder& d = Decoder();
  bool array = false;
  serving::DecodeProblem problem;
  Result<Batch> rows =
      d.Decode(std::string_view(reinterpret_cast<const char*>(data), size), &array, &problem);
  if (!rows.ok()) {
    if (rows.status().message().empty()) __builtin_trap();  // every failure says why
    return 0;
  }
  static const auto encoder = *serving::ReplyEncoder::Make(*d.schema(), d.schema()->field_names());
  std::string body;
  if (rows->num_rows() > 0) encoder.Encode(*rows, 0, array ? rows->num_rows() : 1, array, &body);
  return 0;
}
