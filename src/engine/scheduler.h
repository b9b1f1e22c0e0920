// Internal to src/engine: the continuous-batching scheduler. One thread owns the llama_context;
// each step decodes one token for every generating sequence plus prefill chunks up to a token
// budget, then samples every sequence whose logits are ready.
// KV: one unified pool shared by all sequences. Finished sequences keep their KV as prefix-cache
// "holders" (llama seq ids not bound to a request); a new request starts from the longest
// cached prefix by sharing cells (llama_memory_seq_cp). Under pressure holders are evicted
// least-recently-used first, then the newest running sequence is preempted and recomputed.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine_metrics.h"
#include "llama.h"
#include "model.h"
#include "prefix_tree.h"
#include "text_stream.h"

struct common_sampler;

namespace wharf::engine {

struct SchedulerOptions {
  int32_t n_ctx = 4096;
  int32_t n_parallel = 8;
  int32_t n_batch = 512;
  int32_t max_queue = 256;
  int32_t n_threads = 0;
  bool prefix_cache = true;
};

class Scheduler {
 public:
  Scheduler(LlamaModel& model, llama_context* ctx, SchedulerOptions opts, EngineMetrics metrics);
  ~Scheduler();

  Result<std::shared_ptr<Sequence>> submit(GenerateRequest req, std::function<void()> notify);
  EngineStats stats() const;
  void shutdown(double deadline_s);

 private:
  struct Seq;
  void loop();
  bool admit_waiting();
  void intake();
  void step();
  void sample_and_emit(Seq& s, int batch_idx);
  void finish(Seq& s, FinishReason why, const std::string& error = {});
  void leave_queue(Seq& s);
  void release_kv(int seq_id, const std::vector<Token>& tokens, size_t n_past, bool keep);
  bool evict_one_holder(int protect = -1);
  void preempt_newest();
  int take_seq_id();
  size_t kv_used() const;
  void update_gauges();

  LlamaModel& model_;
  llama_context* ctx_;
  llama_memory_t mem_;
  SchedulerOptions opts_;
  EngineMetrics metrics_;
  int32_t n_seq_max_ = 0;

  // Shared with submitters.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Seq>> incoming_;
  bool stopping_ = false;
  bool hard_stop_ = false;
  int n_waiting_pub_ = 0;
  int queued_ = 0;  // submitted, not yet admitted or finished (bounded by max_queue)
  int n_running_pub_ = 0;
  double kv_usage_pub_ = 0;

  // Scheduler thread only.
  std::deque<std::unique_ptr<Seq>> waiting_;
  std::vector<std::unique_ptr<Seq>> running_;
  std::vector<int> free_ids_;
  std::vector<std::pair<int, uint64_t>> holders_;  // seq id, last use tick
  PrefixTree tree_;
  uint64_t tick_ = 0;
  llama_batch batch_{};
  std::thread thread_;
};

}  // namespace wharf::engine
