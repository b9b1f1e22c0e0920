// Internal to src/engine: a loaded llama model with its vocab and chat templates.
// Thread-safety: tokenize/detokenize/render are safe from any thread (read-only model state).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/chat.h"
#include "common/error.h"
#include "engine/types.h"
#include "llama.h"

struct common_chat_templates;

namespace wharf::engine {

class LlamaModel {
 public:
  static Result<std::unique_ptr<LlamaModel>> load(const std::string& path, int n_gpu_layers);
  ~LlamaModel();

  llama_model* model() const { return model_; }
  const llama_vocab* vocab() const { return vocab_; }

  std::vector<Token> tokenize(std::string_view text, bool add_special, bool parse_special) const;
  std::string piece(Token t, bool special = true) const;
  std::string detokenize(const std::vector<Token>& tokens) const;
  bool adds_bos() const;
  const std::vector<Token>& eog_tokens() const { return eog_; }
  std::string meta(const char* key) const;  // "" when absent

  bool has_chat_template() const;
  Result<ChatPrompt> render_chat(const ChatInput& in) const;

 private:
  LlamaModel() = default;
  llama_model* model_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  std::vector<Token> eog_;
  struct TemplatesDeleter {
    void operator()(common_chat_templates* t) const;
  };
  std::unique_ptr<common_chat_templates, TemplatesDeleter> templates_;
};

}  // namespace wharf::engine
