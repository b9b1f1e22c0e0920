// Internal to src/engine: log-probabilities of a sampled token and its top alternatives,
// computed from the raw logits (log-softmax over the whole vocabulary).
#pragma once

#include "engine/types.h"
#include "llama.h"
#include "model.h"

namespace wharf::engine {

TokenLogprob token_logprob(llama_context* ctx, const LlamaModel& model, int batch_idx, Token sampled,
                           int top_n);

}  // namespace wharf::engine
