// OpenAI protocol adapter: JSON request bodies -> typed, validated requests, and typed results
// -> OpenAI JSON responses / SSE chunks. JSON stops here. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/chat.h"
#include "engine/types.h"

namespace wharf::api {

// What validation needs to know about the served model.
struct ModelLimits {
  std::string model_id;         // requests naming another model get 404 model_not_found
  int32_t n_vocab = 0;          // token ids must be < n_vocab
  int32_t n_ctx = 0;            // per-request context limit (prompt + max_tokens)
  int32_t max_n = 8;            // largest n accepted
  int32_t default_max_tokens = -1;  // -1: fill the context
};

// Fields shared by chat and text completions.
struct CommonParams {
  std::string model;
  std::optional<int32_t> max_tokens;   // max_tokens / max_completion_tokens; none = default
  engine::SamplingParams sampling;
  std::vector<std::string> stop;       // up to 16 strings, each non-empty
  int32_t n = 1;
  bool stream = false;
  bool include_usage = false;          // stream_options.include_usage
  bool ignore_eos = false;
  std::string user;
  std::optional<std::string> json_schema;  // response_format: json_object -> "{}"-equivalent
                                           // schema for any object; json_schema -> its schema
};

struct ChatRequest {
  CommonParams common;
  engine::ChatInput chat;  // messages, tools, tool_choice, parallel_tool_calls
  bool tools_requested = false;
};

// A completion prompt: text or token ids (one entry per prompt when a list was given).
struct PromptInput {
  bool is_tokens = false;
  std::string text;
  std::vector<engine::Token> tokens;
};

struct CompletionRequest {
  CommonParams common;
  std::vector<PromptInput> prompts;  // non-empty
  bool echo = false;
  std::optional<int32_t> logprobs;   // legacy completions logprobs (0..5)
  std::string suffix;                // accepted, unsupported if non-empty -> 400
};

struct TokenizeRequest {
  std::string model;
  std::string content;
  bool add_special = true;
  bool with_pieces = false;
};

struct DetokenizeRequest {
  std::string model;
  std::vector<engine::Token> tokens;
};

// Parsers: validate everything that can be checked without the tokenizer. Errors are 4xx
// (invalid_request with `param`, or model_not_found). Never throw.
Result<ChatRequest> parse_chat_request(const std::string& body, const ModelLimits& lim);
Result<CompletionRequest> parse_completion_request(const std::string& body, const ModelLimits& lim);
Result<TokenizeRequest> parse_tokenize_request(const std::string& body, const ModelLimits& lim);
Result<DetokenizeRequest> parse_detokenize_request(const std::string& body, const ModelLimits& lim);

// ---- responses ----

// One choice's accumulated result, for non-streamed responses.
struct ChoiceResult {
  int32_t index = 0;
  std::string text;                       // completions text / chat content
  std::string reasoning_content;
  std::vector<engine::ToolCall> tool_calls;
  std::vector<engine::TokenLogprob> logprobs;
  bool want_logprobs = false;
  engine::FinishReason finish = engine::FinishReason::stop;
};

struct UsageTotals {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;
};

std::string chat_response_json(const std::string& id, const std::string& model, int64_t created,
                               const std::vector<ChoiceResult>& choices, const UsageTotals& usage);
std::string completion_response_json(const std::string& id, const std::string& model,
                                     int64_t created, const std::vector<ChoiceResult>& choices,
                                     const UsageTotals& usage);

// Streaming: each function returns one complete SSE event ("data: {...}\n\n").
struct ChatDelta {
  int32_t index = 0;
  bool first = false;                     // include role: assistant
  std::string content;                    // may be empty
  std::string reasoning_content;
  // Tool-call deltas: index within the message's tool calls, id/name on the first delta only.
  struct ToolCallDelta {
    int32_t index = 0;
    std::string id, name, arguments;
  };
  std::vector<ToolCallDelta> tool_calls;
  std::vector<engine::TokenLogprob> logprobs;
  bool want_logprobs = false;
  std::optional<engine::FinishReason> finish;
};
std::string chat_chunk_sse(const std::string& id, const std::string& model, int64_t created,
                           const ChatDelta& d);
std::string completion_chunk_sse(const std::string& id, const std::string& model, int64_t created,
                                 int32_t index, const std::string& text,
                                 const std::vector<engine::TokenLogprob>& logprobs,
                                 bool want_logprobs, std::optional<engine::FinishReason> finish);
// The final usage chunk (choices: []) for stream_options.include_usage; object is
// "chat.completion.chunk" or "text_completion".
std::string usage_chunk_sse(const std::string& id, const std::string& model, int64_t created,
                            const char* object, const UsageTotals& usage);
// An in-stream error event: data: {"error":{...}}
std::string error_sse(const Error& e);
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

std::string models_json(const std::vector<engine::ModelInfo>& models);
std::string tokenize_response_json(const std::vector<engine::Token>& tokens,
                                   const std::vector<std::string>* pieces);
std::string detokenize_response_json(const std::string& text);

}  // namespace wharf::api
