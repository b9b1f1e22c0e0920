// The engine: one loaded model, its scheduler thread and its KV/prefix cache.
// This header is the only engine surface the rest of Wharf sees; llama.h stays inside
// src/engine/*.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/metrics.h"
#include "engine/chat.h"
#include "engine/types.h"

namespace wharf::engine {

// A queued or running generation, shared by the scheduler (producer) and the connection that
// waits for it (consumer). Thread-safe.
class Sequence {
 public:
  explicit Sequence(std::function<void()> notify) : notify_(std::move(notify)) {}

  // Consumer: moves pending events into `out` (appending). Returns true once the final event
  // (finish != none) has been handed out.
  bool drain(std::vector<StreamEvent>& out);
  // Consumer: the client is gone. The scheduler frees the sequence within one step and pushes
  // a final event with FinishReason::cancelled.
  void cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }

  // Producer (scheduler thread): appends an event, then calls notify. `notify` must be cheap,
  // non-blocking and callable from any thread.
  void push(StreamEvent ev);

 private:
  std::function<void()> notify_;
  std::mutex mu_;
  std::vector<StreamEvent> pending_;
  bool final_pushed_ = false;
  bool final_drained_ = false;
  std::atomic<bool> cancelled_{false};
};

struct EngineOptions {
  std::string model_path;
  std::string model_id;       // served name; default: file stem
  int32_t n_ctx = 4096;       // total KV cells shared by all sequences (0: model's training ctx)
  int32_t n_parallel = 8;     // max running sequences
  int32_t n_threads = 0;      // 0: hardware threads
  int32_t n_gpu_layers = 0;   // -1: all
  int32_t n_batch = 2048;     // token budget of one decode step (prefill chunks + decodes)
  int32_t max_queue = 256;    // waiting requests beyond which submit() fails with 503
  bool prefix_cache = true;
};

struct EngineStats {
  int32_t running = 0;
  int32_t waiting = 0;
  double kv_usage = 0.0;  // fraction of KV cells in use, 0..1
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const ModelInfo& info() const = 0;

  // Tokenizer access; thread-safe.
  virtual std::vector<Token> tokenize(std::string_view text, bool add_special,
                                      bool parse_special) const = 0;
  virtual std::string detokenize(const std::vector<Token>& tokens) const = 0;
  // Whether the model's tokenizer adds BOS for a raw completion prompt.
  virtual bool adds_bos() const = 0;

  // Chat template rendering; thread-safe. Error: invalid_request when the messages cannot be
  // rendered (e.g. bad role order for the template) or a schema is invalid.
  virtual Result<ChatPrompt> render_chat(const ChatInput& in) const = 0;

  // Queues a generation. Errors: unavailable (queue full or shutting down, with retry_after_s).
  virtual Result<std::shared_ptr<Sequence>> submit(GenerateRequest req,
                                                   std::function<void()> notify) = 0;

  virtual EngineStats stats() const = 0;

  // Stops accepting, waits until running work finishes or `deadline_s` passes (then cancels
  // what is left), and joins the scheduler thread.
  virtual void shutdown(double deadline_s) = 0;
};

// Loads a GGUF model and starts its scheduler. Metrics are registered in `registry` with a
// `model` label. Error: invalid_request-free; internal with the llama.cpp reason on failure.
Result<std::unique_ptr<Engine>> load_engine(const EngineOptions& opts, metrics::Registry& registry);

}  // namespace wharf::engine
