// parse_completion_request, parse_tokenize_request, parse_detokenize_request.
#include "openai_test_util.h"

namespace wharf::api::test {
namespace {

TEST(CompletionRequest, StringPrompt) {
  const auto r = ok(completion(completion_body()));
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_FALSE(r.prompts[0].is_tokens);
  EXPECT_EQ(r.prompts[0].text, "hello");
  EXPECT_FALSE(r.echo);
  EXPECT_FALSE(r.logprobs.has_value());
  EXPECT_FALSE(r.common.sampling.logprobs);
  EXPECT_EQ(r.common.model, "test-model");
}

TEST(CompletionRequest, PromptForms) {
  auto r = ok(completion(with(completion_body(), "prompt", json::array({"a", "b", "c"}))));
  ASSERT_EQ(r.prompts.size(), 3u);
  EXPECT_EQ(r.prompts[2].text, "c");
  EXPECT_FALSE(r.prompts[2].is_tokens);

  r = ok(completion(with(completion_body(), "prompt", json::array({1, 2, 999}))));
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_TRUE(r.prompts[0].is_tokens);
  EXPECT_EQ(r.prompts[0].tokens, (std::vector<engine::Token>{1, 2, 999}));

  r = ok(completion(with(completion_body(), "prompt",
                         json::array({json::array({0, 1}), json::array({5.0})}))));
  ASSERT_EQ(r.prompts.size(), 2u);
  EXPECT_TRUE(r.prompts[1].is_tokens);
  EXPECT_EQ(r.prompts[0].tokens, (std::vector<engine::Token>{0, 1}));
  EXPECT_EQ(r.prompts[1].tokens, (std::vector<engine::Token>{5}));
}

TEST(CompletionRequest, EmptyPrompts) {
  json b = completion_body();
  b.erase("prompt");
  EXPECT_INVALID(completion(b), "prompt");
  EXPECT_INVALID(completion(with(completion_body(), "prompt", nullptr)), "prompt");
  for (json p : {json(""), json::array(), json::array({""}), json::array({"a", ""}),
                 json::array({json::array()}), json::array({json::array({1}), json::array()})}) {
    Error e = err(completion(with(completion_body(), "prompt", p)));
    EXPECT_EQ(e.code, Errc::invalid_request) << p.dump();
    EXPECT_EQ(e.param, "prompt");
    EXPECT_EQ(e.message, "prompt must not be empty") << p.dump();
  }
}

TEST(CompletionRequest, BadPromptShapes) {
  for (json p : {json(5), json(true), json({{"a", 1}}), json::array({"a", 1}), json::array({1, "a"}),
                 json::array({1, 2.5}), json::array({true}), json::array({json::array({1}), 2}),
                 json::array({json::array({"a"})}), json::array({nullptr}),
                 json::array({json::array({json::array({1})})}), json::array({{{"a", 1}}})}) {
    EXPECT_INVALID(completion(with(completion_body(), "prompt", p)), "prompt");
  }
}

TEST(CompletionRequest, TokenIdRange) {
  EXPECT_INVALID(completion(with(completion_body(), "prompt", json::array({1, 1000}))), "prompt");
  EXPECT_INVALID(completion(with(completion_body(), "prompt", json::array({-1}))), "prompt");
  EXPECT_INVALID(completion(with(completion_body(), "prompt",
                                 json::array({json::array({1}), json::array({5000})}))),
                 "prompt");
  EXPECT_INVALID(completion(with(completion_body(), "prompt", json::array({1LL << 40}))), "prompt");
  EXPECT_INVALID(completion(with(completion_body(), "prompt", json::array({UINT64_MAX}))), "prompt");
  Error e = err(completion(with(completion_body(), "prompt", json::array({1000}))));
  EXPECT_NE(e.message.find("1000"), std::string::npos) << e.message;
}

TEST(CompletionRequest, EchoLogprobsSuffix) {
  auto r = ok(completion(with(with(completion_body(), "echo", true), "logprobs", 3)));
  EXPECT_TRUE(r.echo);
  EXPECT_EQ(r.logprobs, 3);
  EXPECT_TRUE(r.common.sampling.logprobs);
  EXPECT_EQ(r.common.sampling.top_logprobs, 3);
  r = ok(completion(with(completion_body(), "logprobs", 0)));
  EXPECT_EQ(r.logprobs, 0);
  EXPECT_TRUE(r.common.sampling.logprobs);
  EXPECT_EQ(r.common.sampling.top_logprobs, 0);
  EXPECT_EQ(ok(completion(with(completion_body(), "logprobs", 5))).logprobs, 5);
  EXPECT_FALSE(ok(completion(with(completion_body(), "logprobs", nullptr))).logprobs.has_value());
  EXPECT_TRUE(ok(completion(with(completion_body(), "suffix", ""))).suffix.empty());

  EXPECT_INVALID(completion(with(completion_body(), "logprobs", 6)), "logprobs");
  EXPECT_INVALID(completion(with(completion_body(), "logprobs", -1)), "logprobs");
  EXPECT_INVALID(completion(with(completion_body(), "logprobs", true)), "logprobs");
  EXPECT_INVALID(completion(with(completion_body(), "echo", 1)), "echo");
  EXPECT_INVALID(completion(with(completion_body(), "suffix", "tail")), "suffix");
  EXPECT_INVALID(completion(with(completion_body(), "suffix", 5)), "suffix");
}

TEST(CompletionRequest, InvalidJsonAndUtf8) {
  EXPECT_INVALID(parse_completion_request("{\"prompt\":", limits()), "");
  EXPECT_INVALID(parse_completion_request("[]", limits()), "");
  EXPECT_INVALID(parse_completion_request("{\"prompt\":\"\xfe\"}", limits()), "");
  EXPECT_INVALID(parse_completion_request(std::string("{\"prompt\":\"a\0b\"}", 16), limits()), "");
  // An escaped NUL is valid JSON and valid UTF-8.
  auto r = parse_completion_request("{\"prompt\":\"a\\u0000b\"}", limits());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->prompts[0].text, std::string("a\0b", 3));
}

TEST(TokenizeRequest, Parse) {
  auto r = ok(parse_tokenize_request(R"({"content":"hello world"})", limits()));
  EXPECT_EQ(r.content, "hello world");
  EXPECT_TRUE(r.add_special);
  EXPECT_FALSE(r.with_pieces);
  r = ok(parse_tokenize_request(
      R"({"model":"test-model","content":"","add_special":false,"with_pieces":true})", limits()));
  EXPECT_EQ(r.content, "");
  EXPECT_FALSE(r.add_special);
  EXPECT_TRUE(r.with_pieces);

  EXPECT_INVALID(parse_tokenize_request("{}", limits()), "content");
  EXPECT_INVALID(parse_tokenize_request(R"({"content":5})", limits()), "content");
  EXPECT_INVALID(parse_tokenize_request(R"({"content":"x","add_special":1})", limits()), "add_special");
  EXPECT_INVALID(parse_tokenize_request(R"({"content":"x","with_pieces":"yes"})", limits()), "with_pieces");
  EXPECT_INVALID(parse_tokenize_request("nope", limits()), "");
  EXPECT_EQ(err(parse_tokenize_request(R"({"model":"x","content":"a"})", limits())).code,
            Errc::model_not_found);
}

TEST(DetokenizeRequest, Parse) {
  auto r = ok(parse_detokenize_request(R"({"tokens":[1,2,999]})", limits()));
  EXPECT_EQ(r.tokens, (std::vector<engine::Token>{1, 2, 999}));
  EXPECT_TRUE(ok(parse_detokenize_request(R"({"tokens":[]})", limits())).tokens.empty());
  EXPECT_EQ(ok(parse_detokenize_request(R"({"tokens":[3.0]})", limits())).tokens,
            (std::vector<engine::Token>{3}));

  EXPECT_INVALID(parse_detokenize_request("{}", limits()), "tokens");
  EXPECT_INVALID(parse_detokenize_request(R"({"tokens":"1 2"})", limits()), "tokens");
  EXPECT_INVALID(parse_detokenize_request(R"({"tokens":[1000]})", limits()), "tokens");
  EXPECT_INVALID(parse_detokenize_request(R"({"tokens":[-1]})", limits()), "tokens");
  EXPECT_INVALID(parse_detokenize_request(R"({"tokens":[1.5]})", limits()), "tokens");
  EXPECT_INVALID(parse_detokenize_request(R"({"tokens":["1"]})", limits()), "tokens");
  EXPECT_INVALID(parse_detokenize_request(R"({"tokens":[[1]]})", limits()), "tokens");
  EXPECT_EQ(err(parse_detokenize_request(R"({"model":"y","tokens":[1]})", limits())).code,
            Errc::model_not_found);
}

}  // namespace
}  // namespace wharf::api::test
