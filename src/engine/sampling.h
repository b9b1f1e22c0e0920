// Internal to src/engine: builds llama.cpp's common_sampler for a request (penalties, top-k/p,
// min-p, temperature, seed, logit bias, grammar / lazy tool-call grammar).
#pragma once

#include <string>

#include "engine/types.h"
#include "model.h"

struct common_sampler;

namespace wharf::engine {

// Returns nullptr and sets `err` when the grammar cannot be compiled.
common_sampler* make_sampler(const LlamaModel& model, const GenerateRequest& req, std::string& err);

}  // namespace wharf::engine
