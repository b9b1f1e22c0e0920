// Serializers: re-parse their output and check the OpenAI shapes.
#include "openai_test_util.h"

namespace wharf::api::test {
namespace {

engine::TokenLogprob lp(engine::Token id, const std::string& tok, float v,
                        std::vector<engine::TopLogprob> top = {}) {
  engine::TokenLogprob t;
  t.id = id;
  t.token = tok;
  t.logprob = v;
  t.top = std::move(top);
  return t;
}

// Splits an SSE event "data: X\n\n" and parses X.
json sse_json(const std::string& ev) {
  EXPECT_EQ(ev.rfind("data: ", 0), 0u) << ev;
  EXPECT_GE(ev.size(), 8u);
  EXPECT_EQ(ev.substr(ev.size() - 2), "\n\n");
  const std::string payload = ev.substr(6, ev.size() - 8);
  EXPECT_EQ(payload.find('\n'), std::string::npos) << "payload must be one line";
  return json::parse(payload);
}

UsageTotals usage(int p, int c, int cached) {
  UsageTotals u;
  u.prompt_tokens = p;
  u.completion_tokens = c;
  u.cached_tokens = cached;
  return u;
}

void expect_usage(const json& u, int p, int c, int cached) {
  EXPECT_EQ(u["prompt_tokens"], p);
  EXPECT_EQ(u["completion_tokens"], c);
  EXPECT_EQ(u["total_tokens"], p + c);
  EXPECT_EQ(u["prompt_tokens_details"]["cached_tokens"], cached);
}

TEST(ChatResponse, TextAnswer) {
  ChoiceResult c;
  c.text = "Hello!";
  c.finish = engine::FinishReason::stop;
  json j = json::parse(chat_response_json("chatcmpl-1", "test-model", 1700000000, {c}, usage(10, 3, 4)));
  EXPECT_EQ(j["id"], "chatcmpl-1");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "test-model");
  EXPECT_FALSE(j.contains("system_fingerprint"));
  ASSERT_EQ(j["choices"].size(), 1u);
  const json& ch = j["choices"][0];
  EXPECT_EQ(ch["index"], 0);
  EXPECT_EQ(ch["message"]["role"], "assistant");
  EXPECT_EQ(ch["message"]["content"], "Hello!");
  EXPECT_FALSE(ch["message"].contains("tool_calls"));
  EXPECT_FALSE(ch["message"].contains("reasoning_content"));
  EXPECT_TRUE(ch["logprobs"].is_null());
  EXPECT_EQ(ch["finish_reason"], "stop");
  expect_usage(j["usage"], 10, 3, 4);
}

TEST(ChatResponse, ToolCallsNullContentAndReasoning) {
  ChoiceResult c;
  c.reasoning_content = "I should call the tool";
  c.tool_calls = {{"call_abc", "get_weather", R"({"city":"Paris"})"}, {"call_def", "f", "{}"}};
  c.finish = engine::FinishReason::tool_calls;
  json j = json::parse(chat_response_json("id", "m", 1, {c}, {}));
  const json& msg = j["choices"][0]["message"];
  ASSERT_TRUE(msg.contains("content"));
  EXPECT_TRUE(msg["content"].is_null());
  EXPECT_EQ(msg["reasoning_content"], "I should call the tool");
  ASSERT_EQ(msg["tool_calls"].size(), 2u);
  EXPECT_EQ(msg["tool_calls"][0]["id"], "call_abc");
  EXPECT_EQ(msg["tool_calls"][0]["type"], "function");
  EXPECT_EQ(msg["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(msg["tool_calls"][0]["function"]["arguments"], R"({"city":"Paris"})");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");

  // Content alongside tool calls stays a string.
  c.text = "Let me check.";
  j = json::parse(chat_response_json("id", "m", 1, {c}, {}));
  EXPECT_EQ(j["choices"][0]["message"]["content"], "Let me check.");
  // Empty text without tool calls is "" (not null).
  ChoiceResult empty;
  j = json::parse(chat_response_json("id", "m", 1, {empty}, {}));
  EXPECT_EQ(j["choices"][0]["message"]["content"], "");
}

TEST(ChatResponse, MultipleChoicesAndFinishReasons) {
  std::vector<ChoiceResult> cs(4);
  cs[0].finish = engine::FinishReason::length;
  cs[1].index = 1;
  cs[1].finish = engine::FinishReason::error;
  cs[2].index = 2;
  cs[2].finish = engine::FinishReason::cancelled;
  cs[3].index = 3;
  cs[3].finish = engine::FinishReason::none;
  json j = json::parse(chat_response_json("id", "m", 1, cs, {}));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["choices"][1]["finish_reason"], "error");
  EXPECT_EQ(j["choices"][1]["index"], 1);
  EXPECT_EQ(j["choices"][2]["finish_reason"], "stop");
  EXPECT_TRUE(j["choices"][3]["finish_reason"].is_null());
}

TEST(ChatResponse, Logprobs) {
  ChoiceResult c;
  c.text = "Hi";
  c.want_logprobs = true;
  c.logprobs = {lp(5, "H", -0.5f, {{"H", -0.5f}, {"h", -1.25f}}),
                lp(6, "i", -std::numeric_limits<float>::infinity())};
  json j = json::parse(chat_response_json("id", "m", 1, {c}, {}));
  const json& content = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0]["token"], "H");
  EXPECT_DOUBLE_EQ(content[0]["logprob"].get<double>(), -0.5);
  EXPECT_EQ(content[0]["bytes"], json::array({72}));
  ASSERT_EQ(content[0]["top_logprobs"].size(), 2u);
  EXPECT_EQ(content[0]["top_logprobs"][1]["token"], "h");
  EXPECT_DOUBLE_EQ(content[0]["top_logprobs"][1]["logprob"].get<double>(), -1.25);
  EXPECT_EQ(content[0]["top_logprobs"][1]["bytes"], json::array({104}));
  EXPECT_TRUE(content[1]["top_logprobs"].is_array());
  EXPECT_TRUE(content[1]["top_logprobs"].empty());
  // -inf is not valid JSON: clamped.
  EXPECT_DOUBLE_EQ(content[1]["logprob"].get<double>(), -9999.0);
}

TEST(ChatResponse, PartialUtf8TokenNeverThrows) {
  ChoiceResult c;
  c.text = std::string("ok \xe6\x97");  // truncated character
  c.want_logprobs = true;
  c.logprobs = {lp(1, std::string("\xe6\x97"), -0.1f, {{std::string("\xe6"), -0.2f}})};
  std::string out;
  ASSERT_NO_THROW(out = chat_response_json("id", "m", 1, {c}, {}));
  json j = json::parse(out);  // output is valid UTF-8
  // bytes carry the exact token bytes.
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"][0]["bytes"], json::array({0xe6, 0x97}));
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"][0]["top_logprobs"][0]["bytes"], json::array({0xe6}));
  EXPECT_NO_THROW(json::parse(completion_response_json("id", "m", 1, {c}, {})));
  EXPECT_NO_THROW(sse_json(completion_chunk_sse("id", "m", 1, 0, c.text, c.logprobs, true, std::nullopt)));
}

TEST(CompletionResponse, Shape) {
  ChoiceResult c;
  c.text = " world";
  c.finish = engine::FinishReason::length;
  ChoiceResult c2;
  c2.index = 1;
  c2.text = "!";
  json j = json::parse(completion_response_json("cmpl-1", "test-model", 42, {c, c2}, usage(2, 5, 0)));
  EXPECT_EQ(j["id"], "cmpl-1");
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["created"], 42);
  EXPECT_EQ(j["model"], "test-model");
  ASSERT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][0]["text"], " world");
  EXPECT_EQ(j["choices"][0]["index"], 0);
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["choices"][1]["index"], 1);
  EXPECT_EQ(j["choices"][1]["finish_reason"], "stop");
  expect_usage(j["usage"], 2, 5, 0);
}

TEST(CompletionResponse, LegacyLogprobs) {
  ChoiceResult c;
  c.text = "Say hi there";  // echoed prompt "Say" + generated " hi there"
  c.want_logprobs = true;
  c.logprobs = {lp(1, " hi", -0.25f, {{" hi", -0.25f}, {" yo", -2.0f}}), lp(2, " there", -1.0f)};
  json j = json::parse(completion_response_json("id", "m", 1, {c}, {}));
  const json& l = j["choices"][0]["logprobs"];
  EXPECT_EQ(l["tokens"], json::array({" hi", " there"}));
  EXPECT_EQ(l["token_logprobs"], json::array({-0.25, -1.0}));
  ASSERT_EQ(l["top_logprobs"].size(), 2u);
  EXPECT_DOUBLE_EQ(l["top_logprobs"][0][" yo"].get<double>(), -2.0);
  EXPECT_TRUE(l["top_logprobs"][1].is_object());
  EXPECT_EQ(l["text_offset"], json::array({3, 6}));
}

TEST(ChatChunk, FirstDeltaHasRoleAndEmptyContent) {
  ChatDelta d;
  d.first = true;
  json j = sse_json(chat_chunk_sse("chatcmpl-1", "test-model", 7, d));
  EXPECT_EQ(j["id"], "chatcmpl-1");
  EXPECT_EQ(j["object"], "chat.completion.chunk");
  EXPECT_EQ(j["created"], 7);
  EXPECT_EQ(j["model"], "test-model");
  ASSERT_EQ(j["choices"].size(), 1u);
  const json& ch = j["choices"][0];
  EXPECT_EQ(ch["index"], 0);
  EXPECT_EQ(ch["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(ch.contains("logprobs"));
  EXPECT_TRUE(ch["logprobs"].is_null());
  ASSERT_TRUE(ch.contains("finish_reason"));
  EXPECT_TRUE(ch["finish_reason"].is_null());
  EXPECT_FALSE(j.contains("usage"));
}

TEST(ChatChunk, ContentReasoningAndFinish) {
  ChatDelta d;
  d.index = 2;
  d.content = "Hel";
  d.reasoning_content = "hmm";
  json j = sse_json(chat_chunk_sse("id", "m", 1, d));
  EXPECT_EQ(j["choices"][0]["index"], 2);
  EXPECT_EQ(j["choices"][0]["delta"], json({{"content", "Hel"}, {"reasoning_content", "hmm"}}));

  ChatDelta last;
  last.finish = engine::FinishReason::length;
  j = sse_json(chat_chunk_sse("id", "m", 1, last));
  EXPECT_EQ(j["choices"][0]["delta"], json::object());
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");

  last.finish = engine::FinishReason::none;
  j = sse_json(chat_chunk_sse("id", "m", 1, last));
  EXPECT_TRUE(j["choices"][0]["finish_reason"].is_null());
}

TEST(ChatChunk, ToolCallDeltas) {
  ChatDelta d;
  d.tool_calls = {{0, "call_1", "get_weather", "{\"ci"}, {1, "", "", "ty\"}"}};
  d.finish = engine::FinishReason::tool_calls;
  json j = sse_json(chat_chunk_sse("id", "m", 1, d));
  const json& tcs = j["choices"][0]["delta"]["tool_calls"];
  ASSERT_EQ(tcs.size(), 2u);
  EXPECT_EQ(tcs[0], json({{"index", 0},
                          {"id", "call_1"},
                          {"type", "function"},
                          {"function", {{"name", "get_weather"}, {"arguments", "{\"ci"}}}}));
  EXPECT_EQ(tcs[1], json({{"index", 1}, {"function", {{"arguments", "ty\"}"}}}}));
  EXPECT_FALSE(j["choices"][0]["delta"].contains("content"));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
}

TEST(ChatChunk, Logprobs) {
  ChatDelta d;
  d.content = "a";
  d.want_logprobs = true;
  d.logprobs = {lp(3, "a", -0.125f)};
  json j = sse_json(chat_chunk_sse("id", "m", 1, d));
  const json& c = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["token"], "a");
  EXPECT_DOUBLE_EQ(c[0]["logprob"].get<double>(), -0.125);
}

TEST(CompletionChunk, Shape) {
  json j = sse_json(completion_chunk_sse("cmpl-1", "test-model", 9, 1, "tok", {}, false, std::nullopt));
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["id"], "cmpl-1");
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["index"], 1);
  EXPECT_EQ(j["choices"][0]["text"], "tok");
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  EXPECT_TRUE(j["choices"][0]["finish_reason"].is_null());

  j = sse_json(completion_chunk_sse("id", "m", 9, 0, "ab", {lp(1, "a", -1), lp(2, "b", -2)}, true,
                                    engine::FinishReason::stop));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(j["choices"][0]["logprobs"]["tokens"], json::array({"a", "b"}));
  EXPECT_EQ(j["choices"][0]["logprobs"]["text_offset"], json::array({0, 1}));
}

TEST(UsageChunk, Shape) {
  json j = sse_json(usage_chunk_sse("id", "m", 5, "chat.completion.chunk", usage(12, 8, 6)));
  EXPECT_EQ(j["object"], "chat.completion.chunk");
  ASSERT_TRUE(j["choices"].is_array());
  EXPECT_TRUE(j["choices"].empty());
  expect_usage(j["usage"], 12, 8, 6);
  j = sse_json(usage_chunk_sse("id", "m", 5, "text_completion", usage(1, 1, 0)));
  EXPECT_EQ(j["object"], "text_completion");
}

TEST(ErrorSse, Framing) {
  Error e = Error::invalid("bad \xff input", "messages");
  std::string ev = error_sse(e);
  json j = sse_json(ev);
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_EQ(j["error"]["param"], "messages");
  EXPECT_TRUE(j["error"]["code"].is_null());
  j = sse_json(error_sse(Error{Errc::unavailable, "overloaded", ""}));
  EXPECT_EQ(j["error"]["code"], "service_unavailable");
  EXPECT_EQ(std::string(kSseDone), "data: [DONE]\n\n");
}

TEST(ModelsJson, Shape) {
  engine::ModelInfo m;
  m.id = "test-model";
  m.n_ctx = 4096;
  m.n_vocab = 32000;
  m.n_params = 7000000000ULL;
  m.size_bytes = 4000000000ULL;
  m.created = 1700000000;
  json j = json::parse(models_json({m}));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  const json& d = j["data"][0];
  EXPECT_EQ(d["id"], "test-model");
  EXPECT_EQ(d["object"], "model");
  EXPECT_EQ(d["created"], 1700000000);
  EXPECT_EQ(d["owned_by"], "wharf");
  EXPECT_EQ(d["meta"]["n_ctx"], 4096);
  EXPECT_EQ(d["meta"]["n_vocab"], 32000);
  EXPECT_EQ(d["meta"]["n_params"], 7000000000ULL);
  EXPECT_EQ(d["meta"]["size"], 4000000000ULL);
  j = json::parse(models_json({}));
  EXPECT_TRUE(j["data"].is_array());
  EXPECT_TRUE(j["data"].empty());
}

TEST(TokenizeJson, Shapes) {
  json j = json::parse(tokenize_response_json({1, 2, 3}, nullptr));
  EXPECT_EQ(j, json({{"tokens", {1, 2, 3}}}));
  std::vector<std::string> pieces = {"He", "llo", std::string("\xe6\x97")};
  j = json::parse(tokenize_response_json({10, 11, 12}, &pieces));
  ASSERT_EQ(j["tokens"].size(), 3u);
  EXPECT_EQ(j["tokens"][0], json({{"id", 10}, {"piece", "He"}}));
  EXPECT_EQ(j["tokens"][1]["piece"], "llo");
  // A partial character is given as bytes.
  EXPECT_EQ(j["tokens"][2]["piece"], json::array({0xe6, 0x97}));
  j = json::parse(tokenize_response_json({}, nullptr));
  EXPECT_TRUE(j["tokens"].is_array());
  j = json::parse(detokenize_response_json("hello \"world\""));
  EXPECT_EQ(j, json({{"content", "hello \"world\""}}));
  EXPECT_NO_THROW(json::parse(detokenize_response_json("bad \xc3")));
}

}  // namespace
}  // namespace wharf::api::test
