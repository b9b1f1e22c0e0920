// Internal to src/api: JSON building blocks shared by the OpenAI response serializers.
#pragma once

#include <string>
#include <vector>

#include "api/json_fields.h"
#include "api/openai.h"

namespace wharf::api::detail {

// finish_reason: null for none; "stop", "length", "tool_calls", "error" (cancelled -> "stop").
json finish_json(engine::FinishReason r);
json usage_json(const UsageTotals& u);
// A logprob as JSON: non-finite values (a banned token's -inf) become -9999.0.
double safe_logprob(float lp);
// Chat form: {"content":[{token, logprob, bytes, top_logprobs:[{token, logprob, bytes}]}]}.
json chat_logprobs_json(const std::vector<engine::TokenLogprob>& lps);
// Legacy completions form: {tokens, token_logprobs, top_logprobs:[{tok: lp}], text_offset};
// offsets start at `offset0`.
json completion_logprobs_json(const std::vector<engine::TokenLogprob>& lps, size_t offset0);
// "data: <json>\n\n"
std::string sse(const json& j);

}  // namespace wharf::api::detail
