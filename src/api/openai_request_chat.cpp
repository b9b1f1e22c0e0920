// POST /v1/chat/completions request parsing.
#include "api/openai_parse.h"

namespace wharf::api {

namespace {

using detail::Fields;
using detail::json;
using detail::type_message;

Error invalid_at(const std::string& param, const std::string& msg) {
  return Error::invalid(msg, param);
}

// content: string | null | [{type:"text", text}] (parts joined with "\n").
// Sets `present` when the content was a string or a part list.
std::optional<Error> read_content(const json& msg, const std::string& prefix, bool allow_refusal,
                                  std::string& out, bool& present) {
  present = false;
  auto it = msg.find("content");
  if (it == msg.end() || it->is_null()) return std::nullopt;
  const std::string name = prefix + "content";
  if (it->is_string()) {
    out = it->get<std::string>();
    present = true;
    return std::nullopt;
  }
  if (!it->is_array()) return invalid_at(name, type_message(name, "a string or an array of content parts"));
  present = true;
  bool first = true;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& part = (*it)[i];
    const std::string pname = name + "[" + std::to_string(i) + "]";
    if (!part.is_object()) return invalid_at(pname, type_message(pname, "an object"));
    Fields pf(part, pname + ".");
    auto type = pf.string("type");
    if (pf.ok() && !type) pf.fail("type", "'" + pname + ".type' is required");
    if (!pf.ok()) return pf.error();
    std::string text;
    if (*type == "text") {
      auto t = pf.string("text");
      if (pf.ok() && !t) pf.fail("text", "'" + pname + ".text' is required");
      if (!pf.ok()) return pf.error();
      text = std::move(*t);
    } else if (*type == "refusal" && allow_refusal) {
      auto t = pf.string("refusal");
      if (pf.ok() && !t) pf.fail("refusal", "'" + pname + ".refusal' is required");
      if (!pf.ok()) return pf.error();
      text = std::move(*t);
    } else if (*type == "image_url" || *type == "input_audio" || *type == "file" ||
               *type == "audio_url" || *type == "video_url" || *type == "image") {
      return invalid_at(pname + ".type", "Content part type '" + *type +
                                            "' is not supported by this model (text only)");
    } else {
      return invalid_at(pname + ".type", "Unknown content part type '" + *type + "'");
    }
    if (!first) out += '\n';
    out += text;
    first = false;
  }
  return std::nullopt;
}

std::optional<Error> read_tool_calls(const json& tcs, const std::string& prefix,
                                     std::vector<engine::ToolCall>& out) {
  for (size_t i = 0; i < tcs.size(); ++i) {
    const json& tc = tcs[i];
    const std::string name = prefix + "tool_calls[" + std::to_string(i) + "]";
    if (!tc.is_object()) return invalid_at(name, type_message(name, "an object"));
    Fields f(tc, name + ".");
    engine::ToolCall call;
    if (auto id = f.string("id")) call.id = std::move(*id);
    auto type = f.string("type");
    if (f.ok() && type && *type != "function")
      f.fail("type", "'" + name + ".type' must be 'function', got '" + *type + "'");
    const json* fn = f.object("function");
    if (f.ok() && !fn) f.fail("function", "'" + name + ".function' is required");
    if (!f.ok()) return f.error();
    Fields ff(*fn, name + ".function.");
    auto fname = ff.string("name");
    if (ff.ok() && (!fname || fname->empty()))
      ff.fail("name", "'" + name + ".function.name' is required");
    auto args = ff.string("arguments");
    if (ff.ok() && !args) ff.fail("arguments", "'" + name + ".function.arguments' is required");
    if (!ff.ok()) return ff.error();
    call.name = std::move(*fname);
    call.arguments = std::move(*args);
    out.push_back(std::move(call));
  }
  return std::nullopt;
}

std::optional<Error> read_messages(Fields& f, engine::ChatInput& chat) {
  const json* msgs = f.array("messages");
  if (!f.ok()) return f.error();
  if (!msgs) return invalid_at("messages", "'messages' is required");
  if (msgs->empty()) return invalid_at("messages", "'messages' must contain at least one message");
  chat.messages.reserve(msgs->size());
  for (size_t i = 0; i < msgs->size(); ++i) {
    const json& m = (*msgs)[i];
    const std::string name = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) return invalid_at(name, type_message(name, "an object"));
    Fields mf(m, name + ".");
    engine::ChatMessage msg;
    auto role = mf.string("role");
    if (mf.ok() && !role) mf.fail("role", "'" + name + ".role' is required");
    if (!mf.ok()) return mf.error();
    if (*role == "function") {
      return invalid_at(name + ".role", "The 'function' role is deprecated and not supported; "
                                        "use 'tool'");
    }
    if (*role != "system" && *role != "developer" && *role != "user" && *role != "assistant" &&
        *role != "tool") {
      return invalid_at(name + ".role", "'" + name + ".role' must be one of 'system', "
                                        "'developer', 'user', 'assistant', 'tool', got '" +
                                            *role + "'");
    }
    msg.role = *role;
    const bool assistant = msg.role == "assistant";
    bool has_content = false;
    if (auto e = read_content(m, name + ".", assistant, msg.content, has_content)) return e;
    if (auto v = mf.string("name")) msg.name = std::move(*v);
    if (assistant) {
      if (auto v = mf.string("reasoning_content")) msg.reasoning_content = std::move(*v);
      const json* tcs = mf.array("tool_calls");
      if (!mf.ok()) return mf.error();
      if (tcs) {
        if (auto e = read_tool_calls(*tcs, name + ".", msg.tool_calls)) return e;
      }
    } else if (!has_content) {
      return invalid_at(name + ".content", "'" + name + ".content' is required for role '" +
                                               msg.role + "'");
    }
    if (msg.role == "tool") {
      auto id = mf.string("tool_call_id");
      if (mf.ok() && !id) {
        mf.fail("tool_call_id", "'" + name + ".tool_call_id' is required for role 'tool'");
      }
      if (!mf.ok()) return mf.error();
      msg.tool_call_id = std::move(*id);
    }
    if (!mf.ok()) return mf.error();
    chat.messages.push_back(std::move(msg));
  }
  return std::nullopt;
}

std::optional<Error> read_tools(Fields& f, engine::ChatInput& chat) {
  const json* tools = f.array("tools");
  if (!f.ok()) return f.error();
  if (!tools) return std::nullopt;
  for (size_t i = 0; i < tools->size(); ++i) {
    const json& t = (*tools)[i];
    const std::string name = "tools[" + std::to_string(i) + "]";
    if (!t.is_object()) return invalid_at(name, type_message(name, "an object"));
    Fields tf(t, name + ".");
    auto type = tf.string("type");
    if (tf.ok() && !type) tf.fail("type", "'" + name + ".type' is required");
    if (tf.ok() && *type != "function")
      tf.fail("type", "'" + name + ".type' must be 'function', got '" + *type + "'");
    const json* fn = tf.object("function");
    if (tf.ok() && !fn) tf.fail("function", "'" + name + ".function' is required");
    if (!tf.ok()) return tf.error();
    Fields ff(*fn, name + ".function.");
    engine::ToolDef def;
    auto fname = ff.string("name");
    if (ff.ok() && (!fname || fname->empty()))
      ff.fail("name", "'" + name + ".function.name' is required");
    if (auto d = ff.string("description")) def.description = std::move(*d);
    const json* params = ff.object("parameters");
    (void)ff.boolean("strict");
    if (!ff.ok()) return ff.error();
    def.name = std::move(*fname);
    def.parameters = params ? detail::dump(*params) : std::string("{}");
    chat.tools.push_back(std::move(def));
  }
  return std::nullopt;
}

std::optional<Error> read_tool_choice(Fields& f, engine::ChatInput& chat) {
  const json* tc = f.get("tool_choice");
  if (!tc) return std::nullopt;
  if (tc->is_string()) {
    const auto& s = tc->get_ref<const std::string&>();
    if (s == "none") {
      chat.tool_choice = engine::ToolChoice::none;
    } else if (s == "auto") {
      chat.tool_choice = engine::ToolChoice::automatic;
    } else if (s == "required") {
      if (chat.tools.empty())
        return invalid_at("tool_choice", "'tool_choice' is 'required' but no tools were given");
      chat.tool_choice = engine::ToolChoice::required;
    } else {
      return invalid_at("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or "
                                       "an object naming a function, got '" + s + "'");
    }
    return std::nullopt;
  }
  if (!tc->is_object()) {
    return invalid_at("tool_choice", "'tool_choice' must be a string or an object");
  }
  Fields cf(*tc, "tool_choice.");
  auto type = cf.string("type");
  if (cf.ok() && (!type || *type != "function"))
    cf.fail("type", "'tool_choice.type' must be 'function'");
  const json* fn = cf.object("function");
  if (cf.ok() && !fn) cf.fail("function", "'tool_choice.function' is required");
  if (!cf.ok()) return cf.error();
  Fields ff(*fn, "tool_choice.function.");
  auto fname = ff.string("name");
  if (ff.ok() && !fname) ff.fail("name", "'tool_choice.function.name' is required");
  if (!ff.ok()) return ff.error();
  std::vector<engine::ToolDef> kept;
  for (auto& t : chat.tools) {
    if (t.name == *fname) {
      kept.push_back(std::move(t));
      break;
    }
  }
  if (kept.empty()) {
    return invalid_at("tool_choice", "'tool_choice' names function '" + *fname +
                                         "', which is not in 'tools'");
  }
  chat.tools = std::move(kept);
  chat.tool_choice = engine::ToolChoice::required;
  return std::nullopt;
}

}  // namespace

Result<ChatRequest> parse_chat_request(const std::string& body, const ModelLimits& lim) {
  try {
    auto parsed = detail::parse_body(body);
    if (!parsed) return parsed.error();
    const json& j = *parsed;
    ChatRequest req;
    Fields f(j);
    detail::read_common(f, lim, req.common);
    if (!f.ok()) return f.error();

    // Chat logprobs: a boolean, plus top_logprobs 0..20 (which requires logprobs=true).
    auto lp = f.boolean("logprobs");
    auto top = f.integer("top_logprobs", 0, 20);
    if (!f.ok()) return f.error();
    if (top && *top > 0 && !lp.value_or(false)) {
      return invalid_at("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    }
    req.common.sampling.logprobs = lp.value_or(false);
    req.common.sampling.top_logprobs = req.common.sampling.logprobs ? static_cast<int32_t>(top.value_or(0)) : 0;

    if (auto e = read_messages(f, req.chat)) return *e;
    if (auto e = read_tools(f, req.chat)) return *e;
    if (auto e = read_tool_choice(f, req.chat)) return *e;
    if (auto v = f.boolean("parallel_tool_calls")) req.chat.parallel_tool_calls = *v;
    if (auto v = f.boolean("add_generation_prompt")) req.chat.add_generation_prompt = *v;
    if (!f.ok()) return f.error();
    if (req.common.json_schema) req.chat.json_schema = *req.common.json_schema;
    req.tools_requested = !req.chat.tools.empty() && req.chat.tool_choice != engine::ToolChoice::none;
    return req;
  } catch (const std::exception& e) {
    return Error{Errc::internal, std::string("Failed to parse the request: ") + e.what(), ""};
  } catch (...) {
    return Error{Errc::internal, "Failed to parse the request", ""};
  }
}

}  // namespace wharf::api
