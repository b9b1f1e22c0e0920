// Non-streamed OpenAI responses and the JSON pieces shared with the streamed ones.
#include <cmath>

#include "api/openai_serialize.h"

namespace wharf::api {

namespace detail {

json finish_json(engine::FinishReason r) {
  switch (r) {
    case engine::FinishReason::none: return nullptr;
    case engine::FinishReason::cancelled: return "stop";  // a cancelled request has no reader
    default: return engine::to_string(r);
  }
}

json usage_json(const UsageTotals& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", static_cast<int64_t>(u.prompt_tokens) + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}}};
}

double safe_logprob(float lp) { return std::isfinite(lp) ? static_cast<double>(lp) : -9999.0; }

namespace {

json bytes_json(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

}  // namespace

json chat_logprobs_json(const std::vector<engine::TokenLogprob>& lps) {
  json content = json::array();
  for (const auto& lp : lps) {
    json top = json::array();
    for (const auto& t : lp.top) {
      top.push_back({{"token", t.token},
                     {"logprob", safe_logprob(t.logprob)},
                     {"bytes", bytes_json(t.token)}});
    }
    content.push_back({{"token", lp.token},
                       {"logprob", safe_logprob(lp.logprob)},
                       {"bytes", bytes_json(lp.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}};
}

json completion_logprobs_json(const std::vector<engine::TokenLogprob>& lps, size_t offset0) {
  json tokens = json::array(), token_lps = json::array(), tops = json::array(),
       offsets = json::array();
  size_t off = offset0;
  for (const auto& lp : lps) {
    tokens.push_back(lp.token);
    token_lps.push_back(safe_logprob(lp.logprob));
    json top = json::object();
    for (const auto& t : lp.top) top[t.token] = safe_logprob(t.logprob);
    tops.push_back(std::move(top));
    offsets.push_back(off);
    off += lp.token.size();
  }
  return {{"tokens", std::move(tokens)},
          {"token_logprobs", std::move(token_lps)},
          {"top_logprobs", std::move(tops)},
          {"text_offset", std::move(offsets)}};
}

std::string sse(const json& j) { return "data: " + dump(j) + "\n\n"; }

}  // namespace detail

using detail::json;

namespace {

json tool_calls_json(const std::vector<engine::ToolCall>& calls) {
  json out = json::array();
  for (const auto& c : calls) {
    out.push_back({{"id", c.id},
                   {"type", "function"},
                   {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

}  // namespace

std::string chat_response_json(const std::string& id, const std::string& model, int64_t created,
                               const std::vector<ChoiceResult>& choices, const UsageTotals& usage) {
  json arr = json::array();
  for (const auto& c : choices) {
    json msg = {{"role", "assistant"}};
    if (c.text.empty() && !c.tool_calls.empty()) {
      msg["content"] = nullptr;
    } else {
      msg["content"] = c.text;
    }
    if (!c.reasoning_content.empty()) msg["reasoning_content"] = c.reasoning_content;
    if (!c.tool_calls.empty()) msg["tool_calls"] = tool_calls_json(c.tool_calls);
    arr.push_back({{"index", c.index},
                   {"message", std::move(msg)},
                   {"logprobs", c.want_logprobs ? detail::chat_logprobs_json(c.logprobs) : json()},
                   {"finish_reason", detail::finish_json(c.finish)}});
  }
  json j = {{"id", id},
            {"object", "chat.completion"},
            {"created", created},
            {"model", model},
            {"choices", std::move(arr)},
            {"usage", detail::usage_json(usage)}};
  return detail::dump(j);
}

std::string completion_response_json(const std::string& id, const std::string& model,
                                     int64_t created, const std::vector<ChoiceResult>& choices,
                                     const UsageTotals& usage) {
  json arr = json::array();
  for (const auto& c : choices) {
    json lp;  // null
    if (c.want_logprobs) {
      // Offsets are byte offsets into `text`; generated tokens sit at its end (after an echoed
      // prompt), so align them there when their text matches.
      std::string gen;
      for (const auto& t : c.logprobs) gen += t.token;
      size_t base = 0;
      if (gen.size() <= c.text.size() &&
          c.text.compare(c.text.size() - gen.size(), gen.size(), gen) == 0)
        base = c.text.size() - gen.size();
      lp = detail::completion_logprobs_json(c.logprobs, base);
    }
    arr.push_back({{"index", c.index},
                   {"text", c.text},
                   {"logprobs", std::move(lp)},
                   {"finish_reason", detail::finish_json(c.finish)}});
  }
  json j = {{"id", id},
            {"object", "text_completion"},
            {"created", created},
            {"model", model},
            {"choices", std::move(arr)},
            {"usage", detail::usage_json(usage)}};
  return detail::dump(j);
}

std::string models_json(const std::vector<engine::ModelInfo>& models) {
  json data = json::array();
  for (const auto& m : models) {
    data.push_back({{"id", m.id},
                    {"object", "model"},
                    {"created", m.created},
                    {"owned_by", "wharf"},
                    {"meta",
                     {{"n_ctx", m.n_ctx},
                      {"n_vocab", m.n_vocab},
                      {"n_params", m.n_params},
                      {"size", m.size_bytes}}}});
  }
  return detail::dump({{"object", "list"}, {"data", std::move(data)}});
}

std::string tokenize_response_json(const std::vector<engine::Token>& tokens,
                                   const std::vector<std::string>* pieces) {
  json arr = json::array();
  if (pieces) {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string piece = i < pieces->size() ? (*pieces)[i] : std::string();
      json p;
      if (detail::valid_utf8(piece)) {
        p = piece;
      } else {  // a partial UTF-8 sequence: give the bytes (as llama-server does)
        p = json::array();
        for (unsigned char c : piece) p.push_back(static_cast<int>(c));
      }
      arr.push_back({{"id", tokens[i]}, {"piece", std::move(p)}});
    }
  } else {
    arr = tokens;
  }
  return detail::dump({{"tokens", std::move(arr)}});
}

std::string detokenize_response_json(const std::string& text) {
  return detail::dump({{"content", text}});
}

std::string error_sse(const Error& e) { return "data: " + error_json(e) + "\n\n"; }

}  // namespace wharf::api
