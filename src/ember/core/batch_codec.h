// The binary form of a batch that moves between ranks (shuffles, broadcasts, collects):
// the schema, then each column's Arrow buffers as they are in memory. Encoding copies each
// buffer once; decoding copies nothing (the columns point into the received bytes) and
// validates every column as Column::Make does, so bad bytes are an error, never a crash.
// The layout is documented in docs/data_model.md ("Binary batch format"). It is for ranks
// of one job (same build, same byte order), not for storage.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ember/base/result.h"
#include "ember/core/batch.h"

namespace ember {

// Appends `batch` to `*out`, as one length-prefixed message.
void EncodeBatch(const Batch& batch, std::string* out);
// The batches of `bytes` (messages appended by EncodeBatch). The batches keep `bytes`
// alive. DataLoss naming the message and column when the bytes are not such messages.
Result<std::vector<Batch>> DecodeBatches(std::shared_ptr<const std::string> bytes);

}  // namespace ember
