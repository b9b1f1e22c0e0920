// Chat templates and tool-call parsing, backed by llama.cpp's common chat library (Jinja
// templates read from the GGUF metadata). Value types here carry no JSON and no llama.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace wharf::engine {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text
};

struct ChatMessage {
  std::string role;  // system, developer, user, assistant, tool
  std::string content;                 // text parts joined
  std::vector<ToolCall> tool_calls;    // assistant
  std::string tool_call_id;            // tool
  std::string name;                    // tool (function name) or participant name
  std::string reasoning_content;       // assistant
};

struct ToolDef {
  std::string name;
  std::string description;
  std::string parameters;  // JSON schema text ("{}" when absent)
};

enum class ToolChoice { automatic, none, required };

struct ChatInput {
  std::vector<ChatMessage> messages;
  std::vector<ToolDef> tools;        // already filtered to one tool when a function was forced
  ToolChoice tool_choice = ToolChoice::automatic;
  bool parallel_tool_calls = true;  // OpenAI default
  std::string json_schema;           // response_format json_schema (or "{}"-like for json_object)
  bool add_generation_prompt = true;
};

// The result of parsing generated text with the template's output format.
struct ChatParsed {
  std::string content;
  std::string reasoning_content;
  std::vector<ToolCall> tool_calls;
};

class ChatParser;  // opaque; parses model output in the format its template produced

// A rendered prompt plus everything needed to constrain and parse the answer.
struct ChatPrompt {
  std::string prompt;
  bool has_grammar = false;              // output is grammar-constrained (tools / schema)
  std::vector<std::string> additional_stops;  // template-specific stop strings
  // Never null on success. Pass it as GenerateRequest::chat so the engine applies the
  // template's grammar, and use it to parse the generated text.
  std::shared_ptr<const ChatParser> parser;
};

class ChatParser {
 public:
  virtual ~ChatParser() = default;
  // Parses (possibly partial) generated text. Never throws; on a parse failure of a complete
  // text returns the raw text as content.
  virtual ChatParsed parse(const std::string& text, bool partial) const = 0;
};

// Converts a JSON schema (text) to a GBNF grammar. Error: invalid_request naming the problem.
Result<std::string> json_schema_to_gbnf(const std::string& schema_json);

}  // namespace wharf::engine
