#pragma once

#include "ember/pipeline/registry.h"

namespace ember {

// Registers the text stages: Tokenizer, RegexTokenizer, StopWordsRemover, NGram, HashingTF,
// IDF / IDFModel, TextFeaturizer.
Status RegisterAllTextStages(StageRegistry* registry);

}  // namespace ember
