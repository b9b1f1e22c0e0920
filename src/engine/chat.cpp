// Chat templates and tool-call parsing through llama.cpp's common chat library.
#include <exception>
#include <regex>

#include "common/chat.h"
#include "chat_internal.h"
#include "json-schema-to-grammar.h"
#include "model.h"

namespace wharf::engine {

namespace {

common_chat_msg to_common(const ChatMessage& m) {
  common_chat_msg c;
  c.role = m.role == "developer" ? "system" : m.role;
  c.content = m.content;
  c.reasoning_content = m.reasoning_content;
  c.tool_call_id = m.tool_call_id;
  if (m.role == "tool") c.tool_name = m.name;
  for (const auto& tc : m.tool_calls) c.tool_calls.push_back({tc.name, tc.arguments, tc.id});
  return c;
}

// llama.cpp's tool-call grammars let free text precede the calls (`root ::= ... until-N? tool-calls`).
// For tool_choice "required" (or a named function) the answer must be the call itself, as in
// vLLM: drop the optional leading text from the root rule. Grammars of another shape are kept.
void require_immediate_tool_call(std::string& grammar) {
  static const std::regex optional_text(R"((^|\n)(root ::= [^\n]*?) until-[0-9]+\? (tool-calls[^\n]*))");
  grammar = std::regex_replace(grammar, optional_text, "$1$2 $3", std::regex_constants::format_first_only);
}

}  // namespace

ChatParsed CommonChatParser::parse(const std::string& text, bool partial) const {
  ChatParsed out;
  try {
    common_chat_msg msg = common_chat_parse(text, partial, parser_params);
    out.content = msg.content;
    out.reasoning_content = msg.reasoning_content;
    for (const auto& tc : msg.tool_calls) out.tool_calls.push_back({tc.id, tc.name, tc.arguments});
  } catch (const std::exception&) {
    if (!partial) out.content = text;
  }
  return out;
}

Result<ChatPrompt> LlamaModel::render_chat(const ChatInput& in) const {
  if (!templates_) return Error::invalid("this model has no chat template; use /v1/completions", "messages");
  common_chat_templates_inputs inputs;
  for (const auto& m : in.messages) inputs.messages.push_back(to_common(m));
  for (const auto& t : in.tools) inputs.tools.push_back({t.name, t.description, t.parameters});
  inputs.tool_choice = in.tool_choice == ToolChoice::none       ? COMMON_CHAT_TOOL_CHOICE_NONE
                       : in.tool_choice == ToolChoice::required ? COMMON_CHAT_TOOL_CHOICE_REQUIRED
                                                                : COMMON_CHAT_TOOL_CHOICE_AUTO;
  inputs.parallel_tool_calls = in.parallel_tool_calls;
  inputs.json_schema = in.json_schema;
  inputs.add_generation_prompt = in.add_generation_prompt;
  inputs.use_jinja = true;
  inputs.reasoning_format = COMMON_REASONING_FORMAT_NONE;
  if (!in.tools.empty() && !in.json_schema.empty())
    return Error::invalid("tools and response_format json_schema cannot be combined", "response_format");

  auto parser = std::make_shared<CommonChatParser>();
  try {
    parser->params = common_chat_templates_apply(templates_.get(), inputs);
    parser->parser_params = common_chat_parser_params(parser->params);
    parser->parser_params.reasoning_format = COMMON_REASONING_FORMAT_NONE;
    parser->parser_params.parse_tool_calls = !in.tools.empty() && in.tool_choice != ToolChoice::none;
    if (!parser->params.parser.empty()) parser->parser_params.parser.load(parser->params.parser);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("chat template: ") + e.what(), "messages");
  }
  parser->output_format = !in.json_schema.empty();
  if (in.tool_choice == ToolChoice::required) require_immediate_tool_call(parser->params.grammar);
  ChatPrompt out;
  out.prompt = parser->params.prompt;
  out.has_grammar = !parser->params.grammar.empty();
  out.additional_stops = parser->params.additional_stops;
  out.parser = std::move(parser);
  return out;
}

Result<std::string> json_schema_to_gbnf(const std::string& schema_json) {
  try {
    common_json schema = common_json::parse(schema_json);
    return json_schema_to_grammar(schema);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("invalid JSON schema: ") + e.what(), "response_format");
  }
}

}  // namespace wharf::engine
