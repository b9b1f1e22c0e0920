// Internal to src/api: pieces shared by the OpenAI request parsers.
#pragma once

#include "api/json_fields.h"
#include "api/openai.h"

namespace wharf::api::detail {

// Checks `model` (absent or empty: the served model). Records an error in `f` on mismatch
// (model_not_found) or a wrong type. Returns the name given ("" when none).
std::string read_model(Fields& f, const ModelLimits& lim);

// Reads the fields shared by chat and text completions (everything in CommonParams except the
// endpoint-specific logprobs forms). Errors are recorded in `f`.
void read_common(Fields& f, const ModelLimits& lim, CommonParams& c);

// Token id range check: 0 <= id < n_vocab (n_vocab <= 0: only id >= 0).
inline bool token_in_vocab(int64_t id, const ModelLimits& lim) {
  return id >= 0 && (lim.n_vocab <= 0 || id < lim.n_vocab) && id <= INT32_MAX;
}
std::string vocab_range_message(int64_t id, const ModelLimits& lim);

}  // namespace wharf::api::detail
