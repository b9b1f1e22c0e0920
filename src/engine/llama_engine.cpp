// Engine implementation: a LlamaModel, its llama_context and the Scheduler that owns it.
#include <filesystem>
#include <thread>

#include "engine/engine.h"
#include "model.h"
#include "scheduler.h"

namespace wharf::engine {

namespace {

class LlamaEngine final : public Engine {
 public:
  LlamaEngine(std::unique_ptr<LlamaModel> model, llama_context* ctx, ModelInfo info,
              SchedulerOptions sopts, EngineMetrics m)
      : model_(std::move(model)), ctx_(ctx), info_(std::move(info)),
        sched_(std::make_unique<Scheduler>(*model_, ctx_, sopts, m)) {}

  ~LlamaEngine() override {
    sched_.reset();
    llama_free(ctx_);
  }

  const ModelInfo& info() const override { return info_; }
  std::vector<Token> tokenize(std::string_view text, bool add_special, bool parse_special) const override {
    return model_->tokenize(text, add_special, parse_special);
  }
  std::string detokenize(const std::vector<Token>& tokens) const override { return model_->detokenize(tokens); }
  bool adds_bos() const override { return model_->adds_bos(); }
  Result<ChatPrompt> render_chat(const ChatInput& in) const override { return model_->render_chat(in); }
  Result<std::shared_ptr<Sequence>> submit(GenerateRequest req, std::function<void()> notify) override {
    return sched_->submit(std::move(req), std::move(notify));
  }
  EngineStats stats() const override { return sched_->stats(); }
  void shutdown(double deadline_s) override { sched_->shutdown(deadline_s); }

 private:
  std::unique_ptr<LlamaModel> model_;
  llama_context* ctx_;
  ModelInfo info_;
  std::unique_ptr<Scheduler> sched_;
};

}  // namespace

Result<std::unique_ptr<Engine>> load_engine(const EngineOptions& o, metrics::Registry& registry) {
  auto model = LlamaModel::load(o.model_path, o.n_gpu_layers);
  if (!model) return model.error();
  llama_model* lm = (*model)->model();

  const int n_parallel = std::max(1, o.n_parallel);
  const int n_holders = std::min(64, 256 - n_parallel);  // prefix-cache sequences kept after finishing
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = o.n_ctx > 0 ? (uint32_t)o.n_ctx : (uint32_t)llama_model_n_ctx_train(lm);
  cp.n_batch = (uint32_t)std::max(32, o.n_batch);
  cp.n_ubatch = cp.n_batch;
  cp.n_seq_max = (uint32_t)(n_parallel + (o.prefix_cache ? n_holders : 0));
  cp.kv_unified = true;
  int threads = o.n_threads > 0 ? o.n_threads : (int)std::max(1u, std::thread::hardware_concurrency());
  cp.n_threads = threads;
  cp.n_threads_batch = threads;
  cp.no_perf = true;
  llama_context* ctx = llama_init_from_model(lm, cp);
  if (!ctx) return Error{Errc::internal, "failed to create a llama context (n_ctx " + std::to_string(cp.n_ctx) + ")"};

  ModelInfo info;
  info.path = o.model_path;
  info.id = o.model_id.empty() ? std::filesystem::path(o.model_path).stem().string() : o.model_id;
  info.architecture = (*model)->meta("general.architecture");
  info.n_ctx = (int32_t)llama_n_ctx(ctx);
  info.n_ctx_train = llama_model_n_ctx_train(lm);
  info.n_vocab = llama_vocab_n_tokens((*model)->vocab());
  info.n_embd = llama_model_n_embd(lm);
  info.n_parallel = n_parallel;
  info.n_params = llama_model_n_params(lm);
  info.size_bytes = llama_model_size(lm);
  info.has_chat_template = (*model)->has_chat_template();
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(o.model_path, ec);
  if (!ec)
    info.created = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::file_clock::to_sys(mtime).time_since_epoch()).count();

  SchedulerOptions so;
  so.n_ctx = info.n_ctx;
  so.n_parallel = n_parallel;
  so.n_batch = (int32_t)cp.n_batch;
  so.max_queue = o.max_queue;
  so.prefix_cache = o.prefix_cache;
  auto m = EngineMetrics::create(registry, info.id);
  return std::unique_ptr<Engine>(
      std::make_unique<LlamaEngine>(std::move(*model), ctx, std::move(info), so, m));
}

}  // namespace wharf::engine
