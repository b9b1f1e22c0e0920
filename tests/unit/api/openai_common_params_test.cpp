// Fields shared by chat and text completions: sampling ranges, types, stop, n, stream options,
// logit_bias, response_format, max_tokens.
#include <algorithm>
#include <cmath>

#include "openai_test_util.h"

namespace wharf::api::test {
namespace {

// Runs the same check against both endpoints.
template <class F>
void both(F&& f) {
  f([](const json& extra) {
    json b = chat_body();
    for (auto& [k, v] : extra.items()) b[k] = v;
    auto r = chat(b);
    if (!r) return Result<CommonParams>(r.error());
    return Result<CommonParams>(r->common);
  });
  f([](const json& extra) {
    json b = completion_body();
    for (auto& [k, v] : extra.items()) b[k] = v;
    auto r = completion(b);
    if (!r) return Result<CommonParams>(r.error());
    return Result<CommonParams>(r->common);
  });
}

TEST(CommonParams, SamplingValues) {
  both([](auto parse) {
    const auto& c = ok(parse({{"temperature", 0.5},
                              {"top_p", 0.9},
                              {"top_k", 40},
                              {"min_p", 0.05},
                              {"presence_penalty", -1.5},
                              {"frequency_penalty", 2},
                              {"repetition_penalty", 1.1},
                              {"seed", 42},
                              {"user", "u1"},
                              {"ignore_eos", true}}));
    EXPECT_FLOAT_EQ(c.sampling.temperature, 0.5f);
    EXPECT_FLOAT_EQ(c.sampling.top_p, 0.9f);
    EXPECT_EQ(c.sampling.top_k, 40);
    EXPECT_FLOAT_EQ(c.sampling.min_p, 0.05f);
    EXPECT_FLOAT_EQ(c.sampling.presence_penalty, -1.5f);
    EXPECT_FLOAT_EQ(c.sampling.frequency_penalty, 2.0f);
    EXPECT_FLOAT_EQ(c.sampling.repetition_penalty, 1.1f);
    ASSERT_TRUE(c.sampling.seed.has_value());
    EXPECT_EQ(*c.sampling.seed, 42u);
    EXPECT_EQ(c.user, "u1");
    EXPECT_TRUE(c.ignore_eos);
  });
}

TEST(CommonParams, Defaults) {
  both([](auto parse) {
    const auto& c = ok(parse(json::object()));
    engine::SamplingParams d;
    EXPECT_EQ(c.sampling.temperature, d.temperature);
    EXPECT_EQ(c.sampling.top_p, d.top_p);
    EXPECT_EQ(c.sampling.top_k, d.top_k);
    EXPECT_FALSE(c.sampling.seed.has_value());
    EXPECT_TRUE(c.stop.empty());
    EXPECT_TRUE(c.sampling.logit_bias.empty());
    EXPECT_FALSE(c.include_usage);
    EXPECT_FALSE(c.ignore_eos);
  });
}

TEST(CommonParams, NullMeansAbsent) {
  both([](auto parse) {
    const auto& c = ok(parse({{"temperature", nullptr}, {"max_tokens", nullptr}, {"stop", nullptr},
                              {"seed", nullptr}, {"n", nullptr}, {"stream", nullptr},
                              {"stream_options", nullptr}, {"logit_bias", nullptr},
                              {"response_format", nullptr}, {"user", nullptr}}));
    EXPECT_FALSE(c.max_tokens.has_value());
    EXPECT_EQ(c.n, 1);
  });
}

TEST(CommonParams, RangeBoundaries) {
  both([](auto parse) {
    EXPECT_TRUE(parse({{"temperature", 0}}).has_value());
    EXPECT_TRUE(parse({{"temperature", 2}}).has_value());
    EXPECT_TRUE(parse({{"top_p", 1}}).has_value());
    EXPECT_TRUE(parse({{"min_p", 0}}).has_value());
    EXPECT_TRUE(parse({{"min_p", 1}}).has_value());
    EXPECT_TRUE(parse({{"presence_penalty", -2}}).has_value());
    EXPECT_TRUE(parse({{"frequency_penalty", -2.0}}).has_value());
    EXPECT_TRUE(parse({{"repetition_penalty", 5}}).has_value());
    EXPECT_EQ(ok(parse({{"top_k", -1}})).sampling.top_k, 0);
    EXPECT_EQ(ok(parse({{"top_k", 0}})).sampling.top_k, 0);
    EXPECT_EQ(ok(parse({{"top_k", 1}})).sampling.top_k, 1);

    EXPECT_INVALID(parse({{"temperature", -0.1}}), "temperature");
    EXPECT_INVALID(parse({{"temperature", 2.01}}), "temperature");
    EXPECT_INVALID(parse({{"top_p", 0}}), "top_p");
    EXPECT_INVALID(parse({{"top_p", 1.5}}), "top_p");
    EXPECT_INVALID(parse({{"top_p", -0.5}}), "top_p");
    EXPECT_INVALID(parse({{"top_k", -2}}), "top_k");
    EXPECT_INVALID(parse({{"top_k", 2.5}}), "top_k");
    EXPECT_INVALID(parse({{"top_k", 1e12}}), "top_k");
    EXPECT_INVALID(parse({{"min_p", -0.01}}), "min_p");
    EXPECT_INVALID(parse({{"min_p", 1.01}}), "min_p");
    EXPECT_INVALID(parse({{"presence_penalty", 2.5}}), "presence_penalty");
    EXPECT_INVALID(parse({{"frequency_penalty", -3}}), "frequency_penalty");
    EXPECT_INVALID(parse({{"repetition_penalty", 0}}), "repetition_penalty");
    EXPECT_INVALID(parse({{"repetition_penalty", -1}}), "repetition_penalty");
  });
}

TEST(CommonParams, WrongTypes) {
  both([](auto parse) {
    EXPECT_INVALID(parse({{"temperature", "0.5"}}), "temperature");
    EXPECT_INVALID(parse({{"temperature", true}}), "temperature");
    EXPECT_INVALID(parse({{"top_p", json::array({0.5})}}), "top_p");
    EXPECT_INVALID(parse({{"top_k", "40"}}), "top_k");
    EXPECT_INVALID(parse({{"top_k", false}}), "top_k");
    EXPECT_INVALID(parse({{"max_tokens", "16"}}), "max_tokens");
    EXPECT_INVALID(parse({{"max_tokens", true}}), "max_tokens");
    EXPECT_INVALID(parse({{"n", "2"}}), "n");
    EXPECT_INVALID(parse({{"seed", "42"}}), "seed");
    EXPECT_INVALID(parse({{"seed", true}}), "seed");
    EXPECT_INVALID(parse({{"seed", 1.5}}), "seed");
    EXPECT_INVALID(parse({{"stream", 1}}), "stream");
    EXPECT_INVALID(parse({{"stream", "true"}}), "stream");
    EXPECT_INVALID(parse({{"ignore_eos", 0}}), "ignore_eos");
    EXPECT_INVALID(parse({{"user", 5}}), "user");
    EXPECT_INVALID(parse({{"logit_bias", json::array()}}), "logit_bias");
    EXPECT_INVALID(parse({{"response_format", "json_object"}}), "response_format");
    EXPECT_INVALID(parse({{"stream_options", true}, {"stream", true}}), "stream_options");
    EXPECT_INVALID(parse({{"model", json::array()}}), "model");
  });
}

TEST(CommonParams, IntegralFloatsAccepted) {
  both([](auto parse) {
    const auto& c = ok(parse({{"max_tokens", 5.0}, {"n", 2.0}, {"top_k", 10.0}, {"seed", 7.0}}));
    EXPECT_EQ(c.max_tokens, 5);
    EXPECT_EQ(c.n, 2);
    EXPECT_EQ(c.sampling.top_k, 10);
    EXPECT_EQ(c.sampling.seed, 7u);
    EXPECT_INVALID(parse({{"max_tokens", 5.5}}), "max_tokens");
    EXPECT_INVALID(parse({{"n", 1.5}}), "n");
  });
}

TEST(CommonParams, MaxTokens) {
  both([](auto parse) {
    EXPECT_EQ(ok(parse({{"max_tokens", 1}})).max_tokens, 1);
    EXPECT_EQ(ok(parse({{"max_tokens", 2048}})).max_tokens, 2048);
    EXPECT_EQ(ok(parse({{"max_completion_tokens", 7}})).max_tokens, 7);
    // max_completion_tokens wins.
    EXPECT_EQ(ok(parse({{"max_tokens", 100}, {"max_completion_tokens", 9}})).max_tokens, 9);
    EXPECT_EQ(ok(parse({{"max_tokens", 100}, {"max_completion_tokens", nullptr}})).max_tokens, 100);
    EXPECT_INVALID(parse({{"max_tokens", 0}}), "max_tokens");
    EXPECT_INVALID(parse({{"max_tokens", -5}}), "max_tokens");
    EXPECT_INVALID(parse({{"max_completion_tokens", 0}}), "max_completion_tokens");
    Error e = err(parse({{"max_tokens", 2049}}));
    EXPECT_EQ(e.code, Errc::invalid_request);
    EXPECT_EQ(e.param, "max_tokens");
    EXPECT_NE(e.message.find("max_tokens too large"), std::string::npos) << e.message;
    EXPECT_INVALID(parse({{"max_tokens", 1e15}}), "max_tokens");
    EXPECT_INVALID(parse({{"max_tokens", json::parse("99999999999999999999999")}}), "max_tokens");
    EXPECT_INVALID(parse({{"max_completion_tokens", 100000}}), "max_completion_tokens");
  });
  // Without a known context the limit is int32.
  ModelLimits lim = limits();
  lim.n_ctx = 0;
  EXPECT_EQ(ok(chat(with(chat_body(), "max_tokens", 100000), lim)).common.max_tokens, 100000);
  EXPECT_INVALID(chat(with(chat_body(), "max_tokens", 3000000000LL), lim), "max_tokens");
}

TEST(CommonParams, Seed) {
  both([](auto parse) {
    EXPECT_EQ(ok(parse({{"seed", 0}})).sampling.seed, 0u);
    EXPECT_EQ(ok(parse({{"seed", -1}})).sampling.seed, 0xFFFFFFFFu);
    EXPECT_EQ(ok(parse({{"seed", 4294967296LL + 5}})).sampling.seed, 5u);
    EXPECT_EQ(ok(parse({{"seed", INT64_MIN}})).sampling.seed, 0u);
    EXPECT_EQ(ok(parse({{"seed", UINT64_MAX}})).sampling.seed, 0xFFFFFFFFu);
    EXPECT_EQ(ok(parse({{"seed", -2.0}})).sampling.seed, 0xFFFFFFFEu);
    EXPECT_INVALID(parse({{"seed", 1e30}}), "seed");
  });
}

TEST(CommonParams, Stop) {
  both([](auto parse) {
    EXPECT_EQ(ok(parse({{"stop", "\n"}})).stop, std::vector<std::string>{"\n"});
    EXPECT_EQ(ok(parse({{"stop", json::array({"a", "bc"})}})).stop,
              (std::vector<std::string>{"a", "bc"}));
    EXPECT_TRUE(ok(parse({{"stop", json::array()}})).stop.empty());
    json sixteen = json::array();
    for (int i = 0; i < 16; ++i) sixteen.push_back("s" + std::to_string(i));
    EXPECT_EQ(ok(parse({{"stop", sixteen}})).stop.size(), 16u);
    sixteen.push_back("x");
    EXPECT_INVALID(parse({{"stop", sixteen}}), "stop");
    EXPECT_INVALID(parse({{"stop", ""}}), "stop");
    EXPECT_INVALID(parse({{"stop", json::array({"a", ""})}}), "stop[1]");
    EXPECT_INVALID(parse({{"stop", json::array({"a", 1})}}), "stop[1]");
    EXPECT_INVALID(parse({{"stop", 5}}), "stop");
    EXPECT_INVALID(parse({{"stop", {{"a", "b"}}}}), "stop");
  });
}

TEST(CommonParams, N) {
  both([](auto parse) {
    EXPECT_EQ(ok(parse({{"n", 4}})).n, 4);
    EXPECT_INVALID(parse({{"n", 5}}), "n");
    EXPECT_INVALID(parse({{"n", 0}}), "n");
    EXPECT_INVALID(parse({{"n", -1}}), "n");
  });
}

TEST(CommonParams, StreamOptions) {
  both([](auto parse) {
    auto c = ok(parse({{"stream", true}}));
    EXPECT_TRUE(c.stream);
    EXPECT_FALSE(c.include_usage);
    c = ok(parse({{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
    EXPECT_TRUE(c.include_usage);
    c = ok(parse({{"stream", true}, {"stream_options", json::object()}}));
    EXPECT_FALSE(c.include_usage);
    EXPECT_INVALID(parse({{"stream_options", {{"include_usage", true}}}}), "stream_options");
    EXPECT_INVALID(parse({{"stream", false}, {"stream_options", {{"include_usage", true}}}}),
                   "stream_options");
    EXPECT_INVALID(parse({{"stream", true}, {"stream_options", {{"include_usage", "yes"}}}}),
                   "stream_options.include_usage");
    // stream_options: null without stream is fine.
    EXPECT_TRUE(parse({{"stream_options", nullptr}}).has_value());
  });
}

TEST(CommonParams, LogitBias) {
  both([](auto parse) {
    const auto& c = ok(parse({{"logit_bias", {{"5", 10}, {"999", -100}, {"0", 100.0}}}}));
    auto lb = c.sampling.logit_bias;
    std::sort(lb.begin(), lb.end());
    ASSERT_EQ(lb.size(), 3u);
    EXPECT_EQ(lb[0], (std::pair<engine::Token, float>{0, 100.0f}));
    EXPECT_EQ(lb[1], (std::pair<engine::Token, float>{5, 10.0f}));
    EXPECT_EQ(lb[2], (std::pair<engine::Token, float>{999, -100.0f}));
    EXPECT_TRUE(ok(parse({{"logit_bias", json::object()}})).sampling.logit_bias.empty());

    EXPECT_INVALID(parse({{"logit_bias", {{"5", 100.5}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"5", -101}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"1000", 1}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"-1", 1}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"abc", 1}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"5x", 1}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"", 1}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"99999999999999999999999", 1}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"5", "1"}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"5", true}}}}), "logit_bias");
    EXPECT_INVALID(parse({{"logit_bias", {{"5", nullptr}}}}), "logit_bias");
  });
}

TEST(CommonParams, ResponseFormat) {
  both([](auto parse) {
    EXPECT_FALSE(ok(parse({{"response_format", {{"type", "text"}}}})).json_schema.has_value());
    auto c = ok(parse({{"response_format", {{"type", "json_object"}}}}));
    ASSERT_TRUE(c.json_schema.has_value());
    EXPECT_EQ(json::parse(*c.json_schema), json({{"type", "object"}}));
    json schema = {{"type", "object"},
                   {"properties", {{"name", {{"type", "string"}}}}},
                   {"required", json::array({"name"})}};
    c = ok(parse({{"response_format",
                   {{"type", "json_schema"},
                    {"json_schema", {{"name", "person"}, {"schema", schema}, {"strict", true}}}}}}));
    ASSERT_TRUE(c.json_schema.has_value());
    EXPECT_EQ(json::parse(*c.json_schema), schema);
    // Schema may be omitted: any JSON.
    c = ok(parse({{"response_format", {{"type", "json_schema"}, {"json_schema", {{"name", "x"}}}}}}));
    EXPECT_EQ(c.json_schema, "{}");

    EXPECT_INVALID(parse({{"response_format", json::object()}}), "response_format.type");
    EXPECT_INVALID(parse({{"response_format", {{"type", "yaml"}}}}), "response_format.type");
    EXPECT_INVALID(parse({{"response_format", {{"type", 1}}}}), "response_format.type");
    EXPECT_INVALID(parse({{"response_format", {{"type", "json_schema"}}}}),
                   "response_format.json_schema");
    EXPECT_INVALID(parse({{"response_format", {{"type", "json_schema"}, {"json_schema", "x"}}}}),
                   "response_format.json_schema");
    EXPECT_INVALID(parse({{"response_format",
                           {{"type", "json_schema"}, {"json_schema", {{"schema", "string"}}}}}}),
                   "response_format.json_schema.schema");
    EXPECT_INVALID(parse({{"response_format",
                           {{"type", "json_schema"}, {"json_schema", {{"name", 3}}}}}}),
                   "response_format.json_schema.name");
    EXPECT_INVALID(parse({{"response_format",
                           {{"type", "json_schema"}, {"json_schema", {{"strict", "yes"}}}}}}),
                   "response_format.json_schema.strict");
  });
}

TEST(CommonParams, ModelNotFoundOnBothEndpoints) {
  both([](auto parse) {
    Error e = err(parse({{"model", "gpt-4"}}));
    EXPECT_EQ(e.code, Errc::model_not_found);
    EXPECT_EQ(e.param, "model");
  });
  // An empty served id accepts any name.
  ModelLimits lim = limits();
  lim.model_id.clear();
  EXPECT_TRUE(chat(with(chat_body(), "model", "anything"), lim).has_value());
}

}  // namespace
}  // namespace wharf::api::test
