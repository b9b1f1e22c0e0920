// parse_chat_request: messages, content parts, tools, tool_choice, chat logprobs.
#include "openai_test_util.h"

namespace wharf::api::test {
namespace {

json user(const std::string& text) { return {{"role", "user"}, {"content", text}}; }

TEST(ChatRequest, MinimalDefaults) {
  const auto& r = ok(chat(chat_body()));
  EXPECT_EQ(r.common.model, "test-model");
  ASSERT_EQ(r.chat.messages.size(), 1u);
  EXPECT_EQ(r.chat.messages[0].role, "user");
  EXPECT_EQ(r.chat.messages[0].content, "hello");
  EXPECT_FALSE(r.common.max_tokens.has_value());
  EXPECT_EQ(r.common.n, 1);
  EXPECT_FALSE(r.common.stream);
  EXPECT_FALSE(r.common.sampling.logprobs);
  EXPECT_FALSE(r.common.json_schema.has_value());
  EXPECT_TRUE(r.chat.tools.empty());
  EXPECT_EQ(r.chat.tool_choice, engine::ToolChoice::automatic);
  EXPECT_FALSE(r.tools_requested);
  EXPECT_TRUE(r.chat.add_generation_prompt);
}

TEST(ChatRequest, AbsentOrEmptyModelMeansServedModel) {
  json b = chat_body();
  b.erase("model");
  EXPECT_EQ(ok(chat(b)).common.model, "");
  EXPECT_TRUE(chat(with(chat_body(), "model", "")).has_value());
  EXPECT_TRUE(chat(with(chat_body(), "model", nullptr)).has_value());
}

TEST(ChatRequest, UnknownModelIs404) {
  Error e = err(chat(with(chat_body(), "model", "other-model")));
  EXPECT_EQ(e.code, Errc::model_not_found);
  EXPECT_EQ(http_status(e.code), 404);
  EXPECT_EQ(e.param, "model");
  EXPECT_NE(e.message.find("other-model"), std::string::npos);
  // Case-sensitive.
  EXPECT_EQ(err(chat(with(chat_body(), "model", "Test-Model"))).code, Errc::model_not_found);
  EXPECT_INVALID(chat(with(chat_body(), "model", 5)), "model");
}

TEST(ChatRequest, InvalidBodies) {
  for (const char* body : {"", "{", "not json", "[1,2]", "\"str\"", "42", "null", "{\"a\":1,}",
                           "{\"messages\":[]} trailing", "{'a':1}"}) {
    auto r = parse_chat_request(body, limits());
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code, Errc::invalid_request) << body;
    EXPECT_EQ(http_status(r.error().code), 400);
  }
}

TEST(ChatRequest, InvalidUtf8Is400) {
  for (std::string bad : {std::string("\xff"), std::string("\xc3"), std::string("\xc0\xaf"),
                          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
                          std::string("a\x80z")}) {
    std::string body = R"({"messages":[{"role":"user","content":")" + bad + R"("}]})";
    auto r = parse_chat_request(body, limits());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, Errc::invalid_request);
    // The error JSON must serialize without throwing.
    EXPECT_NO_THROW((void)error_json(r.error()));
  }
  // Lone surrogate escapes are invalid too.
  auto r = parse_chat_request(R"({"messages":[{"role":"user","content":"\ud800"}]})", limits());
  EXPECT_FALSE(r.has_value());
  // Valid multi-byte text and escaped pairs are fine.
  auto good = parse_chat_request(
      R"({"messages":[{"role":"user","content":"héllo 日本 🚀 \ud83d\ude80"}]})", limits());
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->chat.messages[0].content, "héllo 日本 🚀 🚀");
}

TEST(ChatRequest, DeepNestingIsRejectedNotCrashed) {
  std::string deep(100000, '[');
  auto r = parse_chat_request("{\"x\":" + deep, limits());
  EXPECT_FALSE(r.has_value());
  std::string nested = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"x\":";
  for (int i = 0; i < 1000; ++i) nested += "{\"a\":";
  nested += "1";
  for (int i = 0; i < 1000; ++i) nested += "}";
  nested += "}";
  EXPECT_INVALID(parse_chat_request(nested, limits()), "");
  // Brackets inside strings do not count.
  std::string text(5000, '[');
  auto ok_r = parse_chat_request(with(chat_body(), "messages",
                                      json::array({user(text)})).dump(), limits());
  EXPECT_TRUE(ok_r.has_value());
}

TEST(ChatRequest, UnknownFieldsIgnored) {
  json b = chat_body();
  b["foo"] = {{"bar", 1}};
  b["best_of"] = 3;
  b["metadata"] = nullptr;
  EXPECT_TRUE(chat(b).has_value());
}

TEST(ChatRequest, MessagesRequiredAndNonEmpty) {
  json b = chat_body();
  b.erase("messages");
  EXPECT_INVALID(chat(b), "messages");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array())), "messages");
  EXPECT_INVALID(chat(with(chat_body(), "messages", "hello")), "messages");
  EXPECT_INVALID(chat(with(chat_body(), "messages", {{"role", "user"}})), "messages");
  EXPECT_INVALID(chat(with(chat_body(), "messages", nullptr)), "messages");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({"hi"}))), "messages[0]");
}

TEST(ChatRequest, Roles) {
  json msgs = json::array({{{"role", "system"}, {"content", "s"}},
                           {{"role", "developer"}, {"content", "d"}},
                           {{"role", "user"}, {"content", "u"}, {"name", "bob"}},
                           {{"role", "assistant"}, {"content", "a"}},
                           {{"role", "tool"}, {"content", "t"}, {"tool_call_id", "call_1"}}});
  const auto& r = ok(chat(with(chat_body(), "messages", msgs)));
  ASSERT_EQ(r.chat.messages.size(), 5u);
  EXPECT_EQ(r.chat.messages[1].role, "developer");
  EXPECT_EQ(r.chat.messages[2].name, "bob");
  EXPECT_EQ(r.chat.messages[4].tool_call_id, "call_1");
  EXPECT_EQ(r.chat.messages[4].content, "t");

  EXPECT_INVALID(chat(with(chat_body(), "messages",
                           json::array({{{"role", "function"}, {"content", "x"}, {"name", "f"}}}))),
                 "messages[0].role");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", "bot"}, {"content", "x"}}}))),
                 "messages[0].role");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"content", "x"}}}))),
                 "messages[0].role");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", 1}, {"content", "x"}}}))),
                 "messages[0].role");
  EXPECT_INVALID(chat(with(chat_body(), "messages",
                           json::array({user("a"), {{"role", "user"}, {"content", "b"}, {"name", 3}}}))),
                 "messages[1].name");
}

TEST(ChatRequest, ToolMessageNeedsToolCallId) {
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", "tool"}, {"content", "r"}}}))),
                 "messages[0].tool_call_id");
  EXPECT_INVALID(chat(with(chat_body(), "messages",
                           json::array({{{"role", "tool"}, {"content", "r"}, {"tool_call_id", 7}}}))),
                 "messages[0].tool_call_id");
}

TEST(ChatRequest, ContentForms) {
  // Parts joined with newlines.
  json parts = json::array({{{"type", "text"}, {"text", "line one"}}, {{"type", "text"}, {"text", "line two"}}});
  const auto& r = ok(chat(with(chat_body(), "messages", json::array({{{"role", "user"}, {"content", parts}}}))));
  EXPECT_EQ(r.chat.messages[0].content, "line one\nline two");
  // Empty part list and empty string are accepted as empty content.
  EXPECT_TRUE(chat(with(chat_body(), "messages", json::array({{{"role", "user"}, {"content", json::array()}}}))).has_value());
  EXPECT_TRUE(chat(with(chat_body(), "messages", json::array({user("")}))).has_value());
  // User content required.
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", "user"}}}))), "messages[0].content");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", "user"}, {"content", nullptr}}}))),
                 "messages[0].content");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", "user"}, {"content", 5}}}))),
                 "messages[0].content");
  EXPECT_INVALID(chat(with(chat_body(), "messages", json::array({{{"role", "user"}, {"content", {{"text", "x"}}}}}))),
                 "messages[0].content");
}

TEST(ChatRequest, ContentPartErrors) {
  auto with_parts = [](json parts) {
    return chat(with(chat_body(), "messages", json::array({user("a"), {{"role", "user"}, {"content", parts}}})));
  };
  EXPECT_INVALID(with_parts(json::array({{{"type", "image_url"}, {"image_url", {{"url", "http://x/y.png"}}}}})),
                 "messages[1].content[0].type");
  EXPECT_INVALID(with_parts(json::array({{{"type", "text"}, {"text", "ok"}},
                                         {{"type", "input_audio"}, {"input_audio", {{"data", "AAAA"}}}}})),
                 "messages[1].content[1].type");
  EXPECT_INVALID(with_parts(json::array({{{"type", "video"}}})), "messages[1].content[0].type");
  EXPECT_INVALID(with_parts(json::array({{{"text", "no type"}}})), "messages[1].content[0].type");
  EXPECT_INVALID(with_parts(json::array({{{"type", "text"}}})), "messages[1].content[0].text");
  EXPECT_INVALID(with_parts(json::array({{{"type", "text"}, {"text", 3}}})), "messages[1].content[0].text");
  EXPECT_INVALID(with_parts(json::array({"plain string"})), "messages[1].content[0]");
  EXPECT_INVALID(with_parts(json::array({json::array({{{"type", "text"}, {"text", "nested"}}})})),
                 "messages[1].content[0]");
  // Refusal parts only for the assistant.
  EXPECT_INVALID(with_parts(json::array({{{"type", "refusal"}, {"refusal", "no"}}})), "messages[1].content[0].type");
  const auto& r = ok(chat(with(chat_body(), "messages",
      json::array({user("q"), {{"role", "assistant"}, {"content", json::array({{{"type", "refusal"}, {"refusal", "no"}}})}}}))));
  EXPECT_EQ(r.chat.messages[1].content, "no");
}

json tool_call(const std::string& id, const std::string& name, const std::string& args) {
  return {{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", args}}}};
}

TEST(ChatRequest, AssistantToolCalls) {
  json msgs = json::array({user("weather?"),
                           {{"role", "assistant"},
                            {"content", nullptr},
                            {"reasoning_content", "think"},
                            {"tool_calls", json::array({tool_call("call_1", "get_weather", R"({"city":"Paris"})"),
                                                        tool_call("call_2", "get_time", "{}")})}},
                           {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}},
                           {{"role", "tool"}, {"tool_call_id", "call_2"}, {"name", "get_time"}, {"content", "noon"}}});
  const auto& r = ok(chat(with(chat_body(), "messages", msgs)));
  const auto& a = r.chat.messages[1];
  EXPECT_EQ(a.content, "");
  EXPECT_EQ(a.reasoning_content, "think");
  ASSERT_EQ(a.tool_calls.size(), 2u);
  EXPECT_EQ(a.tool_calls[0].id, "call_1");
  EXPECT_EQ(a.tool_calls[0].name, "get_weather");
  EXPECT_EQ(a.tool_calls[0].arguments, R"({"city":"Paris"})");
  EXPECT_EQ(r.chat.messages[3].name, "get_time");
  // Assistant without content at all is fine.
  EXPECT_TRUE(chat(with(chat_body(), "messages", json::array({user("q"), {{"role", "assistant"}}}))).has_value());
}

TEST(ChatRequest, AssistantToolCallErrors) {
  auto with_calls = [](json calls) {
    return chat(with(chat_body(), "messages",
                     json::array({user("q"), {{"role", "assistant"}, {"tool_calls", calls}}})));
  };
  EXPECT_INVALID(with_calls("x"), "messages[1].tool_calls");
  EXPECT_INVALID(with_calls(json::array({1})), "messages[1].tool_calls[0]");
  EXPECT_INVALID(with_calls(json::array({{{"id", "c"}, {"type", "function"}}})), "messages[1].tool_calls[0].function");
  json c = tool_call("c", "f", "{}");
  c["type"] = "retrieval";
  EXPECT_INVALID(with_calls(json::array({c})), "messages[1].tool_calls[0].type");
  c = tool_call("c", "f", "{}");
  c["function"]["arguments"] = {{"a", 1}};
  EXPECT_INVALID(with_calls(json::array({c})), "messages[1].tool_calls[0].function.arguments");
  c = tool_call("c", "f", "{}");
  c["function"].erase("arguments");
  EXPECT_INVALID(with_calls(json::array({c})), "messages[1].tool_calls[0].function.arguments");
  c = tool_call("c", "", "{}");
  EXPECT_INVALID(with_calls(json::array({c})), "messages[1].tool_calls[0].function.name");
  c = tool_call("c", "f", "{}");
  c["id"] = 12;
  EXPECT_INVALID(with_calls(json::array({c})), "messages[1].tool_calls[0].id");
}

json tool(const std::string& name, json params = nullptr) {
  json fn = {{"name", name}, {"description", "does " + name}};
  if (!params.is_null()) fn["parameters"] = params;
  return {{"type", "function"}, {"function", fn}};
}

TEST(ChatRequest, Tools) {
  json params = {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}};
  json b = with(chat_body(), "tools", json::array({tool("get_weather", params), tool("noop")}));
  const auto& r = ok(chat(b));
  ASSERT_EQ(r.chat.tools.size(), 2u);
  EXPECT_EQ(r.chat.tools[0].name, "get_weather");
  EXPECT_EQ(r.chat.tools[0].description, "does get_weather");
  EXPECT_EQ(json::parse(r.chat.tools[0].parameters), params);
  EXPECT_EQ(r.chat.tools[1].parameters, "{}");
  EXPECT_TRUE(r.tools_requested);
  EXPECT_EQ(r.chat.tool_choice, engine::ToolChoice::automatic);
  // Empty tool list: nothing requested.
  EXPECT_FALSE(ok(chat(with(chat_body(), "tools", json::array()))).tools_requested);
}

TEST(ChatRequest, ToolErrors) {
  EXPECT_INVALID(chat(with(chat_body(), "tools", "get_weather")), "tools");
  EXPECT_INVALID(chat(with(chat_body(), "tools", json::array({"x"}))), "tools[0]");
  json t = tool("f");
  t["type"] = "code_interpreter";
  EXPECT_INVALID(chat(with(chat_body(), "tools", json::array({t}))), "tools[0].type");
  t = tool("f");
  t.erase("function");
  EXPECT_INVALID(chat(with(chat_body(), "tools", json::array({t}))), "tools[0].function");
  t = tool("f");
  t["function"].erase("name");
  EXPECT_INVALID(chat(with(chat_body(), "tools", json::array({tool("ok"), t}))), "tools[1].function.name");
  t = tool("f", "not an object");
  EXPECT_INVALID(chat(with(chat_body(), "tools", json::array({t}))), "tools[0].function.parameters");
  t = tool("f");
  t["function"]["description"] = 5;
  EXPECT_INVALID(chat(with(chat_body(), "tools", json::array({t}))), "tools[0].function.description");
}

TEST(ChatRequest, ToolChoiceStrings) {
  json b = with(chat_body(), "tools", json::array({tool("a"), tool("b")}));
  auto r1 = ok(chat(with(b, "tool_choice", "none")));
  EXPECT_EQ(r1.chat.tool_choice, engine::ToolChoice::none);
  EXPECT_FALSE(r1.tools_requested);
  auto r2 = ok(chat(with(b, "tool_choice", "required")));
  EXPECT_EQ(r2.chat.tool_choice, engine::ToolChoice::required);
  EXPECT_TRUE(r2.tools_requested);
  EXPECT_EQ(r2.chat.tools.size(), 2u);
  EXPECT_EQ(ok(chat(with(b, "tool_choice", "auto"))).chat.tool_choice, engine::ToolChoice::automatic);
  EXPECT_INVALID(chat(with(b, "tool_choice", "any")), "tool_choice");
  EXPECT_INVALID(chat(with(b, "tool_choice", 1)), "tool_choice");
  EXPECT_INVALID(chat(with(chat_body(), "tool_choice", "required")), "tool_choice");
  EXPECT_TRUE(chat(with(chat_body(), "tool_choice", "none")).has_value());
  EXPECT_TRUE(chat(with(chat_body(), "tool_choice", "auto")).has_value());
}

TEST(ChatRequest, ToolChoiceNamedFunction) {
  json b = with(chat_body(), "tools", json::array({tool("a"), tool("b")}));
  const auto& r = ok(chat(with(b, "tool_choice", {{"type", "function"}, {"function", {{"name", "b"}}}})));
  ASSERT_EQ(r.chat.tools.size(), 1u);
  EXPECT_EQ(r.chat.tools[0].name, "b");
  EXPECT_EQ(r.chat.tool_choice, engine::ToolChoice::required);
  EXPECT_TRUE(r.tools_requested);

  EXPECT_INVALID(chat(with(b, "tool_choice", {{"type", "function"}, {"function", {{"name", "zzz"}}}})),
                 "tool_choice");
  EXPECT_INVALID(chat(with(chat_body(), "tool_choice", {{"type", "function"}, {"function", {{"name", "a"}}}})),
                 "tool_choice");
  EXPECT_INVALID(chat(with(b, "tool_choice", {{"type", "function"}})), "tool_choice.function");
  EXPECT_INVALID(chat(with(b, "tool_choice", {{"type", "function"}, {"function", json::object()}})),
                 "tool_choice.function.name");
  EXPECT_INVALID(chat(with(b, "tool_choice", {{"type", "tool"}, {"function", {{"name", "a"}}}})),
                 "tool_choice.type");
}

TEST(ChatRequest, ParallelToolCallsAndGenerationPrompt) {
  EXPECT_TRUE(ok(chat(with(chat_body(), "parallel_tool_calls", true))).chat.parallel_tool_calls);
  EXPECT_FALSE(ok(chat(with(chat_body(), "parallel_tool_calls", false))).chat.parallel_tool_calls);
  EXPECT_INVALID(chat(with(chat_body(), "parallel_tool_calls", 1)), "parallel_tool_calls");
  EXPECT_INVALID(chat(with(chat_body(), "parallel_tool_calls", "true")), "parallel_tool_calls");
  EXPECT_FALSE(ok(chat(with(chat_body(), "add_generation_prompt", false))).chat.add_generation_prompt);
}

TEST(ChatRequest, Logprobs) {
  auto r = ok(chat(with(with(chat_body(), "logprobs", true), "top_logprobs", 5)));
  EXPECT_TRUE(r.common.sampling.logprobs);
  EXPECT_EQ(r.common.sampling.top_logprobs, 5);
  r = ok(chat(with(chat_body(), "logprobs", true)));
  EXPECT_TRUE(r.common.sampling.logprobs);
  EXPECT_EQ(r.common.sampling.top_logprobs, 0);
  r = ok(chat(with(with(chat_body(), "logprobs", true), "top_logprobs", 20)));
  EXPECT_EQ(r.common.sampling.top_logprobs, 20);
  EXPECT_FALSE(ok(chat(with(chat_body(), "logprobs", false))).common.sampling.logprobs);

  EXPECT_INVALID(chat(with(with(chat_body(), "logprobs", true), "top_logprobs", 21)), "top_logprobs");
  EXPECT_INVALID(chat(with(with(chat_body(), "logprobs", true), "top_logprobs", -1)), "top_logprobs");
  EXPECT_INVALID(chat(with(with(chat_body(), "logprobs", true), "top_logprobs", 2.5)), "top_logprobs");
  EXPECT_INVALID(chat(with(chat_body(), "top_logprobs", 3)), "top_logprobs");
  EXPECT_INVALID(chat(with(with(chat_body(), "logprobs", false), "top_logprobs", 3)), "top_logprobs");
  EXPECT_INVALID(chat(with(chat_body(), "logprobs", 1)), "logprobs");
  EXPECT_INVALID(chat(with(chat_body(), "logprobs", "true")), "logprobs");
}

TEST(ChatRequest, ResponseFormatGoesToChatInputToo) {
  json schema = {{"type", "object"}, {"properties", {{"x", {{"type", "integer"}}}}}};
  const auto& r = ok(chat(with(chat_body(), "response_format",
                               {{"type", "json_schema"}, {"json_schema", {{"name", "s"}, {"schema", schema}}}})));
  ASSERT_TRUE(r.common.json_schema.has_value());
  EXPECT_EQ(json::parse(*r.common.json_schema), schema);
  EXPECT_EQ(r.chat.json_schema, *r.common.json_schema);
}

}  // namespace
}  // namespace wharf::api::test
