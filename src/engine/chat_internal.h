// Internal to src/engine: the ChatParser implementation, which also carries the rendered
// template's sampling constraints (grammar, lazy triggers, preserved tokens) to the scheduler.
#pragma once

#include "common/chat.h"
#include "engine/chat.h"

namespace wharf::engine {

class CommonChatParser final : public ChatParser {
 public:
  ChatParsed parse(const std::string& text, bool partial) const override;

  common_chat_params params;
  common_chat_parser_params parser_params;
  bool output_format = false;  // grammar came from response_format, not tools
};

}  // namespace wharf::engine
