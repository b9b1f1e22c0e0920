// POST /tokenize and /detokenize request parsing.
#include "api/openai_parse.h"

namespace wharf::api {

using detail::Fields;
using detail::json;

Result<TokenizeRequest> parse_tokenize_request(const std::string& body, const ModelLimits& lim) {
  try {
    auto parsed = detail::parse_body(body);
    if (!parsed) return parsed.error();
    Fields f(*parsed);
    TokenizeRequest req;
    req.model = detail::read_model(f, lim);
    auto content = f.string("content");
    if (f.ok() && !content) f.fail("content", "'content' is required");
    if (auto v = f.boolean("add_special")) req.add_special = *v;
    if (auto v = f.boolean("with_pieces")) req.with_pieces = *v;
    if (!f.ok()) return f.error();
    req.content = std::move(*content);
    return req;
  } catch (const std::exception& e) {
    return Error{Errc::internal, std::string("Failed to parse the request: ") + e.what(), ""};
  } catch (...) {
    return Error{Errc::internal, "Failed to parse the request", ""};
  }
}

Result<DetokenizeRequest> parse_detokenize_request(const std::string& body,
                                                   const ModelLimits& lim) {
  try {
    auto parsed = detail::parse_body(body);
    if (!parsed) return parsed.error();
    Fields f(*parsed);
    DetokenizeRequest req;
    req.model = detail::read_model(f, lim);
    const json* toks = f.array("tokens");
    if (f.ok() && !toks) f.fail("tokens", "'tokens' is required");
    if (!f.ok()) return f.error();
    req.tokens.reserve(toks->size());
    for (size_t i = 0; i < toks->size(); ++i) {
      const json& v = (*toks)[i];
      int64_t id = 0;
      if (!v.is_number() || !detail::as_int64(v, id)) {
        return Error::invalid("'tokens[" + std::to_string(i) + "]' must be an integer token id",
                              "tokens");
      }
      if (!detail::token_in_vocab(id, lim)) {
        return Error::invalid("tokens: " + detail::vocab_range_message(id, lim), "tokens");
      }
      req.tokens.push_back(static_cast<engine::Token>(id));
    }
    return req;
  } catch (const std::exception& e) {
    return Error{Errc::internal, std::string("Failed to parse the request: ") + e.what(), ""};
  } catch (...) {
    return Error{Errc::internal, "Failed to parse the request", ""};
  }
}

}  // namespace wharf::api
