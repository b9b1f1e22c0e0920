// Typed requests and results exchanged between the protocol adapters (src/api) and the engine.
// Plain value types: no JSON, no llama.h. Validation of ranges happens in src/api; the engine
// trusts these values except where noted.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wharf::engine {

using Token = int32_t;
using Clock = std::chrono::steady_clock;

struct SamplingParams {
  float temperature = 1.0f;  // <= 0: greedy
  float top_p = 1.0f;        // 1: off
  int32_t top_k = 0;         // <= 0: off
  float min_p = 0.0f;        // 0: off
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  float repetition_penalty = 1.0f;  // 1: off
  int32_t penalty_last_n = 64;
  std::optional<uint32_t> seed;                    // none: random
  std::vector<std::pair<Token, float>> logit_bias;  // bias -100 (or -inf) bans a token
  bool logprobs = false;     // return the sampled token's logprob
  int32_t top_logprobs = 0;  // and this many alternatives (0..20)
  // Structured output: a GBNF grammar (from a JSON schema, json_object, or a tool-call format).
  std::string grammar;
};

class ChatParser;  // engine/chat.h

// One generation: a tokenized prompt and how to continue it.
struct GenerateRequest {
  std::string id;                // request id for logs
  std::vector<Token> prompt;     // non-empty; every id < n_vocab
  int32_t max_tokens = 16;       // >= 1; prompt.size() + max_tokens <= n_ctx (checked by api)
  std::vector<std::string> stop; // stop strings, matched across token boundaries, never emitted
  bool ignore_eos = false;
  SamplingParams sampling;
  // Chat requests: the rendered template's constraints (tool-call grammar, lazy triggers,
  // preserved tokens). When set and it has a grammar, it replaces sampling.grammar.
  std::shared_ptr<const ChatParser> chat;
  Clock::time_point arrival = Clock::now();
};

enum class FinishReason { none, stop, length, tool_calls, cancelled, error };
const char* to_string(FinishReason r);  // "stop", "length", "tool_calls", "cancelled", "error"

struct TopLogprob {
  std::string token;  // may hold a partial UTF-8 sequence
  float logprob = 0.0f;
};

struct TokenLogprob {
  Token id = 0;
  std::string token;
  float logprob = 0.0f;
  std::vector<TopLogprob> top;
};

struct Usage {
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;  // prompt tokens served from the prefix cache
};

struct Timings {
  double queue_s = 0;     // arrival -> first scheduled
  double ttft_s = 0;      // arrival -> first token
  double e2e_s = 0;       // arrival -> finish
  double prefill_s = 0;   // first scheduled -> first token
  double decode_s = 0;    // first token -> finish
};

// What the scheduler hands back, in order. `text` is always whole UTF-8 characters; bytes of a
// character split across tokens are held until complete. Text matching a stop string (or a
// prefix of one, until disambiguated) is withheld. The last event has finish != none and
// carries usage and timings.
struct StreamEvent {
  std::string text;
  std::vector<TokenLogprob> logprobs;  // one per token whose text is (fully or partly) in `text`
  FinishReason finish = FinishReason::none;
  std::string error;     // for FinishReason::error
  Usage usage;           // final event only
  Timings timings;       // final event only
};

// Static facts about a loaded model.
struct ModelInfo {
  std::string id;            // name served in /v1/models
  std::string path;
  std::string architecture;  // general.architecture
  int32_t n_ctx = 0;         // context of the serving context (tokens)
  int32_t n_ctx_train = 0;
  int32_t n_vocab = 0;
  int32_t n_embd = 0;
  int32_t n_parallel = 0;    // max concurrently running sequences
  uint64_t n_params = 0;
  uint64_t size_bytes = 0;
  bool has_chat_template = false;
  int64_t created = 0;       // unix seconds (file mtime)
};

}  // namespace wharf::engine
