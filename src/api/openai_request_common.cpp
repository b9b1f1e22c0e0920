// Fields shared by /v1/chat/completions and /v1/completions.
#include <charconv>
#include <cmath>

#include "api/openai_parse.h"

namespace wharf::api::detail {

namespace {

constexpr size_t kMaxStop = 16;
constexpr double kTwo63 = 9223372036854775808.0;

void read_max_tokens(Fields& f, const ModelLimits& lim, CommonParams& c) {
  std::optional<int64_t> chosen;
  const char* chosen_key = nullptr;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {  // the latter wins
    if (auto v = f.integer(key, 1, INT64_MAX)) {
      chosen = v;
      chosen_key = key;
    }
  }
  if (!f.ok() || !chosen) return;
  const int64_t limit = lim.n_ctx > 0 ? lim.n_ctx : INT32_MAX;
  if (*chosen > limit) {
    f.fail(chosen_key, "max_tokens too large: " + std::to_string(*chosen) +
                           " exceeds the model's context length of " + std::to_string(limit) +
                           " tokens");
    return;
  }
  c.max_tokens = static_cast<int32_t>(*chosen);
}

void read_seed(Fields& f, CommonParams& c) {
  const json* v = f.get("seed");
  if (!f.ok() || !v) return;
  if (v->is_number_unsigned()) {
    c.sampling.seed = static_cast<uint32_t>(v->get<uint64_t>());
  } else if (v->is_number_integer()) {
    c.sampling.seed = static_cast<uint32_t>(static_cast<uint64_t>(v->get<int64_t>()));
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    if (!std::isfinite(d) || std::trunc(d) != d || d < -kTwo63 || d >= 2 * kTwo63) {
      f.fail("seed", type_message("seed", "a 64-bit integer"));
      return;
    }
    const uint64_t u = d < 0 ? static_cast<uint64_t>(static_cast<int64_t>(d))
                             : static_cast<uint64_t>(d);
    c.sampling.seed = static_cast<uint32_t>(u);
  } else {
    f.fail("seed", type_message("seed", "an integer"));
  }
}

void read_stop(Fields& f, CommonParams& c) {
  const json* v = f.get("stop");
  if (!f.ok() || !v) return;
  if (v->is_string()) {
    auto s = v->get<std::string>();
    if (s.empty()) return f.fail("stop", "'stop' must not be an empty string");
    c.stop.push_back(std::move(s));
    return;
  }
  if (!v->is_array()) return f.fail("stop", "'stop' must be a string or an array of strings");
  if (v->size() > kMaxStop) {
    return f.fail("stop", "'stop' may contain at most " + std::to_string(kMaxStop) +
                              " strings, got " + std::to_string(v->size()));
  }
  for (size_t i = 0; i < v->size(); ++i) {
    const json& s = (*v)[i];
    const std::string name = "stop[" + std::to_string(i) + "]";
    if (!s.is_string()) return f.fail(Error::invalid(type_message(name, "a string"), name));
    if (s.get_ref<const std::string&>().empty())
      return f.fail(Error::invalid("'" + name + "' must not be empty", name));
    c.stop.push_back(s.get<std::string>());
  }
}

void read_logit_bias(Fields& f, const ModelLimits& lim, CommonParams& c) {
  const json* lb = f.object("logit_bias");
  if (!lb) return;
  for (const auto& [key, val] : lb->items()) {
    int64_t id = -1;
    const char* b = key.data();
    const char* e = key.data() + key.size();
    auto [p, ec] = std::from_chars(b, e, id);
    if (key.empty() || ec != std::errc() || p != e) {
      return f.fail("logit_bias", "'logit_bias' keys must be token ids (integers as strings), got '" +
                                      key + "'");
    }
    if (!token_in_vocab(id, lim)) return f.fail("logit_bias", "logit_bias: " + vocab_range_message(id, lim));
    if (!val.is_number()) {
      return f.fail("logit_bias", "'logit_bias' values must be numbers (token " + key + ")");
    }
    const double bias = val.get<double>();
    if (!std::isfinite(bias) || bias < -100.0 || bias > 100.0) {
      return f.fail("logit_bias", "'logit_bias' values must be in [-100, 100], got " +
                                      fmt_num(bias) + " for token " + key);
    }
    c.sampling.logit_bias.emplace_back(static_cast<engine::Token>(id), static_cast<float>(bias));
  }
}

void read_stream(Fields& f, CommonParams& c) {
  if (auto v = f.boolean("stream")) c.stream = *v;
  const json* so = f.object("stream_options");
  if (!so) return;
  if (!c.stream) {
    return f.fail("stream_options",
                  "'stream_options' can only be set when 'stream' is true");
  }
  Fields sf(*so, "stream_options.");
  if (auto v = sf.boolean("include_usage")) c.include_usage = *v;
  if (!sf.ok()) f.fail(sf.error());
}

void read_response_format(Fields& f, CommonParams& c) {
  const json* rf = f.object("response_format");
  if (!rf) return;
  Fields rff(*rf, "response_format.");
  auto type = rff.string("type");
  if (rff.ok() && !type) rff.fail("type", "'response_format.type' is required");
  if (!rff.ok()) return f.fail(rff.error());
  if (*type == "text") return;
  if (*type == "json_object") {
    c.json_schema = "{\"type\":\"object\"}";
    return;
  }
  if (*type != "json_schema") {
    return f.fail(Error::invalid("'response_format.type' must be one of 'text', 'json_object', "
                                 "'json_schema', got '" + *type + "'",
                                 "response_format.type"));
  }
  const json* js = rff.object("json_schema");
  if (rff.ok() && !js) {
    rff.fail("json_schema", "'response_format.json_schema' is required when type is 'json_schema'");
  }
  if (!rff.ok()) return f.fail(rff.error());
  Fields jsf(*js, "response_format.json_schema.");
  (void)jsf.string("name");
  (void)jsf.string("description");
  (void)jsf.boolean("strict");
  const json* schema = jsf.object("schema");
  if (!jsf.ok()) return f.fail(jsf.error());
  c.json_schema = schema ? dump(*schema) : std::string("{}");
}

}  // namespace

std::string vocab_range_message(int64_t id, const ModelLimits& lim) {
  if (lim.n_vocab > 0) {
    return "token id " + std::to_string(id) + " is out of vocabulary range [0, " +
           std::to_string(lim.n_vocab) + ")";
  }
  return "token id " + std::to_string(id) + " is invalid";
}

std::string read_model(Fields& f, const ModelLimits& lim) {
  auto model = f.string("model");
  if (!model || model->empty()) return {};
  if (!lim.model_id.empty() && *model != lim.model_id) {
    f.fail(Error{Errc::model_not_found, "The model `" + *model + "` does not exist.", "model"});
  }
  return *model;
}

void read_common(Fields& f, const ModelLimits& lim, CommonParams& c) {
  c.model = read_model(f, lim);
  read_max_tokens(f, lim, c);
  auto& s = c.sampling;
  if (auto v = f.number("temperature", 0.0, 2.0)) s.temperature = static_cast<float>(*v);
  if (auto v = f.number("top_p", 0.0, 1.0, /*lo_open=*/true)) s.top_p = static_cast<float>(*v);
  if (auto v = f.integer("top_k", -1, INT32_MAX)) s.top_k = *v <= 0 ? 0 : static_cast<int32_t>(*v);
  if (auto v = f.number("min_p", 0.0, 1.0)) s.min_p = static_cast<float>(*v);
  if (auto v = f.number("presence_penalty", -2.0, 2.0)) s.presence_penalty = static_cast<float>(*v);
  if (auto v = f.number("frequency_penalty", -2.0, 2.0)) s.frequency_penalty = static_cast<float>(*v);
  if (auto v = f.number("repetition_penalty", 0.0, HUGE_VAL, /*lo_open=*/true))
    s.repetition_penalty = static_cast<float>(*v);
  read_seed(f, c);
  read_stop(f, c);
  if (auto v = f.integer("n", 1, std::max<int64_t>(1, lim.max_n))) c.n = static_cast<int32_t>(*v);
  read_stream(f, c);
  read_logit_bias(f, lim, c);
  read_response_format(f, c);
  if (auto v = f.string("user")) c.user = std::move(*v);
  if (auto v = f.boolean("ignore_eos")) c.ignore_eos = *v;
}

}  // namespace wharf::api::detail
