// What batch_codec.cc (the format) shares with batch_split.cc (the shuffle's split): the
// pieces that write the binary batch format (docs/data_model.md). Not a public API.
#pragma once

#include <cstdint>
#include <string>

#include "ember/core/batch.h"

namespace ember::codec::internal {

void PutU64(std::string* out, uint64_t v);
void PadTo8(std::string* out);
// A column's length, null count, offset, buffers and children.
void PutColumn(const Column& c, std::string* out);
// An upper bound of the bytes PutColumn writes for `c`.
int64_t EncodedSize(const Column& c);
// Starts a message of `rows` rows of `schema`: returns where its length goes (FinishMessage).
size_t StartMessage(const Schema& schema, int64_t rows, std::string* out);
void FinishMessage(size_t at, std::string* out);
// Grows `out` geometrically to hold `more` bytes (many messages append to one string).
void Reserve(std::string* out, int64_t more);
// A buffer of `bytes` bytes (and `slack` more writable ones past them) to fill at *data.
BufferPtr NewBuffer(int64_t bytes, uint8_t** data, int64_t slack = 0);
// The bytes of one value of a fixed-width type (int32, int64, float32, float64); 0 for others.
int FixedWidth(TypeId id);

}  // namespace ember::codec::internal
