// Shared helpers for the OpenAI adapter unit tests.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "api/openai.h"

namespace wharf::api::test {

using json = nlohmann::json;

inline ModelLimits limits() {
  ModelLimits lim;
  lim.model_id = "test-model";
  lim.n_vocab = 1000;
  lim.n_ctx = 2048;
  lim.max_n = 4;
  return lim;
}

inline json chat_body() {
  return {{"model", "test-model"},
          {"messages", json::array({{{"role", "user"}, {"content", "hello"}}})}};
}

inline json completion_body() { return {{"model", "test-model"}, {"prompt", "hello"}}; }

inline json with(json body, const std::string& key, json value) {
  body[key] = std::move(value);
  return body;
}

// Expect success / failure, with the error's message in the failure output.
template <class T>
T ok(const Result<T>& r) {
  EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error().message);
  if (!r.has_value()) throw std::runtime_error("unexpected error: " + r.error().message);
  return r.value();
}

template <class T>
Error err(const Result<T>& r) {
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) return Error{Errc::internal, "unexpectedly succeeded", ""};
  return r.error();
}

inline Result<ChatRequest> chat(const json& body, const ModelLimits& lim = limits()) {
  return parse_chat_request(body.dump(), lim);
}
inline Result<CompletionRequest> completion(const json& body, const ModelLimits& lim = limits()) {
  return parse_completion_request(body.dump(), lim);
}

// The error is a 400 invalid_request naming `param`.
#define EXPECT_INVALID(result, param_name)                       \
  do {                                                           \
    ::wharf::Error e_ = ::wharf::api::test::err(result);         \
    EXPECT_EQ(e_.code, ::wharf::Errc::invalid_request) << e_.message; \
    EXPECT_EQ(e_.param, param_name) << e_.message;               \
    EXPECT_FALSE(e_.message.empty());                            \
  } while (0)

}  // namespace wharf::api::test
