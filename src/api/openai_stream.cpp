// Streamed OpenAI responses: one SSE event per call.
#include "api/openai_serialize.h"

namespace wharf::api {

using detail::json;

std::string chat_chunk_sse(const std::string& id, const std::string& model, int64_t created,
                           const ChatDelta& d) {
  json delta = json::object();
  if (d.first) {
    delta["role"] = "assistant";
    delta["content"] = d.content;  // "" when the first delta carries no text
  } else if (!d.content.empty()) {
    delta["content"] = d.content;
  }
  if (!d.reasoning_content.empty()) delta["reasoning_content"] = d.reasoning_content;
  if (!d.tool_calls.empty()) {
    json tcs = json::array();
    for (const auto& tc : d.tool_calls) {
      json fn = json::object();
      if (!tc.name.empty()) fn["name"] = tc.name;
      fn["arguments"] = tc.arguments;
      json t = {{"index", tc.index}};
      if (!tc.id.empty()) {
        t["id"] = tc.id;
        t["type"] = "function";
      }
      t["function"] = std::move(fn);
      tcs.push_back(std::move(t));
    }
    delta["tool_calls"] = std::move(tcs);
  }
  json choice = {{"index", d.index},
                 {"delta", std::move(delta)},
                 {"logprobs", d.want_logprobs ? detail::chat_logprobs_json(d.logprobs) : json()},
                 {"finish_reason", d.finish ? detail::finish_json(*d.finish) : json()}};
  json j = {{"id", id},
            {"object", "chat.completion.chunk"},
            {"created", created},
            {"model", model},
            {"choices", json::array({std::move(choice)})}};
  return detail::sse(j);
}

std::string completion_chunk_sse(const std::string& id, const std::string& model, int64_t created,
                                 int32_t index, const std::string& text,
                                 const std::vector<engine::TokenLogprob>& logprobs,
                                 bool want_logprobs, std::optional<engine::FinishReason> finish) {
  json choice = {{"index", index},
                 {"text", text},
                 {"logprobs", want_logprobs ? detail::completion_logprobs_json(logprobs, 0) : json()},
                 {"finish_reason", finish ? detail::finish_json(*finish) : json()}};
  json j = {{"id", id},
            {"object", "text_completion"},
            {"created", created},
            {"model", model},
            {"choices", json::array({std::move(choice)})}};
  return detail::sse(j);
}

std::string usage_chunk_sse(const std::string& id, const std::string& model, int64_t created,
                            const char* object, const UsageTotals& usage) {
  json j = {{"id", id},
            {"object", object ? object : "chat.completion.chunk"},
            {"created", created},
            {"model", model},
            {"choices", json::array()},
            {"usage", detail::usage_json(usage)}};
  return detail::sse(j);
}

}  // namespace wharf::api
