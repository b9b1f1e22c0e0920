// POST /v1/completions request parsing.
#include "api/openai_parse.h"

namespace wharf::api {

namespace {

using detail::Fields;
using detail::json;

Error empty_prompt() { return Error::invalid("prompt must not be empty", "prompt"); }

std::optional<Error> read_token_list(const json& arr, const std::string& name,
                                     const ModelLimits& lim, std::vector<engine::Token>& out) {
  if (arr.empty()) return empty_prompt();
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& v = arr[i];
    int64_t id = 0;
    if (!v.is_number() || !detail::as_int64(v, id)) {
      const std::string pname = name + "[" + std::to_string(i) + "]";
      return Error::invalid("'" + pname + "' must be an integer token id", "prompt");
    }
    if (!detail::token_in_vocab(id, lim)) {
      return Error::invalid("prompt: " + detail::vocab_range_message(id, lim), "prompt");
    }
    out.push_back(static_cast<engine::Token>(id));
  }
  return std::nullopt;
}

// prompt: string | [string] | [int] | [[int]]
std::optional<Error> read_prompt(Fields& f, const ModelLimits& lim,
                                 std::vector<PromptInput>& prompts) {
  const json* p = f.get("prompt");
  if (!f.ok()) return f.error();
  if (!p) return Error::invalid("'prompt' is required", "prompt");
  const char* shape = "'prompt' must be a string, an array of strings, an array of token ids, "
                      "or an array of arrays of token ids";
  if (p->is_string()) {
    if (p->get_ref<const std::string&>().empty()) return empty_prompt();
    prompts.push_back({false, p->get<std::string>(), {}});
    return std::nullopt;
  }
  if (!p->is_array()) return Error::invalid(shape, "prompt");
  if (p->empty()) return empty_prompt();
  const json& first = p->front();
  if (first.is_number()) {
    PromptInput in;
    in.is_tokens = true;
    if (auto e = read_token_list(*p, "prompt", lim, in.tokens)) return e;
    prompts.push_back(std::move(in));
    return std::nullopt;
  }
  prompts.reserve(p->size());
  for (size_t i = 0; i < p->size(); ++i) {
    const json& el = (*p)[i];
    const std::string name = "prompt[" + std::to_string(i) + "]";
    if (first.is_string() && el.is_string()) {
      if (el.get_ref<const std::string&>().empty()) return empty_prompt();
      prompts.push_back({false, el.get<std::string>(), {}});
    } else if (first.is_array() && el.is_array()) {
      PromptInput in;
      in.is_tokens = true;
      if (auto e = read_token_list(el, name, lim, in.tokens)) return e;
      prompts.push_back(std::move(in));
    } else {
      return Error::invalid(shape, "prompt");
    }
  }
  return std::nullopt;
}

}  // namespace

Result<CompletionRequest> parse_completion_request(const std::string& body,
                                                   const ModelLimits& lim) {
  try {
    auto parsed = detail::parse_body(body);
    if (!parsed) return parsed.error();
    const json& j = *parsed;
    CompletionRequest req;
    Fields f(j);
    detail::read_common(f, lim, req.common);
    if (!f.ok()) return f.error();
    if (auto e = read_prompt(f, lim, req.prompts)) return *e;
    if (auto v = f.boolean("echo")) req.echo = *v;
    if (auto v = f.integer("logprobs", 0, 5)) {
      req.logprobs = static_cast<int32_t>(*v);
      req.common.sampling.logprobs = true;
      req.common.sampling.top_logprobs = static_cast<int32_t>(*v);
    }
    if (auto v = f.string("suffix")) req.suffix = std::move(*v);
    if (!f.ok()) return f.error();
    if (!req.suffix.empty()) {
      return Error::invalid("'suffix' is not supported (fill-in-the-middle is unavailable)",
                            "suffix");
    }
    return req;
  } catch (const std::exception& e) {
    return Error{Errc::internal, std::string("Failed to parse the request: ") + e.what(), ""};
  } catch (...) {
    return Error{Errc::internal, "Failed to parse the request", ""};
  }
}

}  // namespace wharf::api
