#include "model.h"

#include <mutex>

#include "common/chat.h"
#include "common.h"
#include "log.h"

namespace wharf::engine {

namespace {
void quiet_llama_log(ggml_log_level level, const char* text, void*) {
  if (level >= GGML_LOG_LEVEL_WARN && level != GGML_LOG_LEVEL_CONT) fputs(text, stderr);
}
}  // namespace

void LlamaModel::TemplatesDeleter::operator()(common_chat_templates* t) const {
  common_chat_templates_free(t);
}

Result<std::unique_ptr<LlamaModel>> LlamaModel::load(const std::string& path, int n_gpu_layers) {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(quiet_llama_log, nullptr);
    common_log_set_verbosity_thold(-1);
    llama_backend_init();
  });
  auto m = std::unique_ptr<LlamaModel>(new LlamaModel());
  llama_model_params mp = llama_model_default_params();
  // -1: all layers; -2 (auto): all layers when a GPU backend is present, else none.
  if (n_gpu_layers == -2) n_gpu_layers = llama_supports_gpu_offload() ? -1 : 0;
  mp.n_gpu_layers = n_gpu_layers < 0 ? 999 : n_gpu_layers;
  m->model_ = llama_model_load_from_file(path.c_str(), mp);
  if (!m->model_) return Error{Errc::internal, "failed to load model from " + path};
  m->vocab_ = llama_model_get_vocab(m->model_);
  for (Token t = 0; t < llama_vocab_n_tokens(m->vocab_); ++t)
    if (llama_vocab_is_eog(m->vocab_, t)) m->eog_.push_back(t);
  try {
    m->templates_.reset(common_chat_templates_init(m->model_, "").release());
  } catch (const std::exception& e) {
    // A model whose embedded template does not parse still serves completions.
    fprintf(stderr, "wharf: chat template unusable: %s\n", e.what());
  }
  return m;
}

LlamaModel::~LlamaModel() {
  templates_.reset();
  if (model_) llama_model_free(model_);
}

std::vector<Token> LlamaModel::tokenize(std::string_view text, bool add_special,
                                        bool parse_special) const {
  std::vector<Token> out(text.size() + 8);
  int n = llama_tokenize(vocab_, text.data(), (int32_t)text.size(), out.data(), (int32_t)out.size(),
                         add_special, parse_special);
  if (n < 0) {
    out.resize(-n);
    n = llama_tokenize(vocab_, text.data(), (int32_t)text.size(), out.data(), (int32_t)out.size(),
                       add_special, parse_special);
  }
  out.resize(n < 0 ? 0 : n);
  return out;
}

std::string LlamaModel::piece(Token t, bool special) const {
  char buf[256];
  int n = llama_token_to_piece(vocab_, t, buf, sizeof buf, 0, special);
  if (n >= 0) return std::string(buf, n);
  std::string s(-n, '\0');
  n = llama_token_to_piece(vocab_, t, s.data(), (int32_t)s.size(), 0, special);
  s.resize(n < 0 ? 0 : n);
  return s;
}

std::string LlamaModel::detokenize(const std::vector<Token>& tokens) const {
  std::string s(tokens.size() * 8 + 16, '\0');
  int n = llama_detokenize(vocab_, tokens.data(), (int32_t)tokens.size(), s.data(), (int32_t)s.size(),
                           false, false);
  if (n < 0) {
    s.resize(-n);
    n = llama_detokenize(vocab_, tokens.data(), (int32_t)tokens.size(), s.data(), (int32_t)s.size(),
                         false, false);
  }
  s.resize(n < 0 ? 0 : n);
  return s;
}

bool LlamaModel::adds_bos() const { return llama_vocab_get_add_bos(vocab_); }

std::string LlamaModel::meta(const char* key) const {
  char buf[512];
  int n = llama_model_meta_val_str(model_, key, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, std::min<int>(n, sizeof buf - 1));
}

bool LlamaModel::has_chat_template() const { return templates_ != nullptr; }

}  // namespace wharf::engine
