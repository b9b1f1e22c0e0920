// Mutated and truncated bodies never throw or crash any parser (seeded, fast).
#include <random>

#include "openai_test_util.h"

namespace wharf::api::test {
namespace {

std::vector<std::string> seeds() {
  json tools = json::array({{{"type", "function"},
                             {"function", {{"name", "f"}, {"parameters", {{"type", "object"}}}}}}});
  json chat_full = chat_body();
  chat_full["tools"] = tools;
  chat_full["tool_choice"] = {{"type", "function"}, {"function", {{"name", "f"}}}};
  chat_full["logit_bias"] = {{"5", 1}};
  chat_full["stop"] = json::array({"x", "y"});
  chat_full["stream"] = true;
  chat_full["stream_options"] = {{"include_usage", true}};
  chat_full["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"schema", {{"type", "object"}}}}}};
  chat_full["messages"].push_back({{"role", "assistant"},
                                   {"content", nullptr},
                                   {"tool_calls", json::array({{{"id", "c"}, {"type", "function"},
                                                                {"function", {{"name", "f"}, {"arguments", "{}"}}}}})}});
  chat_full["messages"].push_back({{"role", "tool"}, {"tool_call_id", "c"},
                                   {"content", json::array({{{"type", "text"}, {"text", "r"}}})}});
  json comp = completion_body();
  comp["prompt"] = json::array({json::array({1, 2}), json::array({3})});
  comp["logprobs"] = 2;
  return {chat_full.dump(), comp.dump(), completion_body().dump(),
          R"({"content":"héllo","add_special":false})", R"({"tokens":[1,2,3]})"};
}

void parse_all(const std::string& body) {
  const ModelLimits lim = limits();
  (void)parse_chat_request(body, lim);
  (void)parse_completion_request(body, lim);
  (void)parse_tokenize_request(body, lim);
  (void)parse_detokenize_request(body, lim);
}

TEST(Robustness, SeedsAreValid) {
  auto s = seeds();
  EXPECT_TRUE(parse_chat_request(s[0], limits()).has_value());
  EXPECT_TRUE(parse_completion_request(s[1], limits()).has_value());
  EXPECT_TRUE(parse_tokenize_request(s[3], limits()).has_value());
  EXPECT_TRUE(parse_detokenize_request(s[4], limits()).has_value());
}

TEST(Robustness, TruncationsNeverThrow) {
  for (const auto& s : seeds()) {
    for (size_t n = 0; n <= s.size(); ++n) ASSERT_NO_THROW(parse_all(s.substr(0, n)));
  }
}

TEST(Robustness, RandomMutationsNeverThrow) {
  std::mt19937 rng(12345);
  const std::string alphabet = "{}[]\",:0123456789.-eE truefalsnul\\u\xff\xc3";
  auto s = seeds();
  for (int iter = 0; iter < 3000; ++iter) {
    std::string body = s[iter % s.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const size_t pos = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: body.erase(pos, 1 + rng() % 3); break;
        default: body.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    ASSERT_NO_THROW(parse_all(body)) << body;
  }
}

}  // namespace
}  // namespace wharf::api::test
