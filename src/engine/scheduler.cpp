#include "scheduler.h"

#include <algorithm>
#include <cmath>

#include "chat_internal.h"
#include "logprobs.h"
#include "common/sampling.h"
#include "sampling.h"

namespace wharf::engine {

namespace {
double secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

struct Scheduler::Seq {
  std::shared_ptr<Sequence> handle;
  GenerateRequest req;
  common_sampler* smpl = nullptr;
  TextStream text;
  std::vector<Token> tokens;  // prompt + generated: everything that must be in KV before sampling
  size_t n_prompt = 0;
  size_t n_past = 0;          // tokens of `tokens` already in KV
  size_t shared = 0;          // leading tokens shared from another sequence at admission
  int seq_id = -1;
  int n_generated = 0;
  bool counted_prompt = false;
  bool in_tree = false;
  int32_t cached_tokens = 0;
  bool queued = true;  // counts against max_queue until first admitted or finished
  Clock::time_point scheduled{}, first_token{}, last_token{};

  Seq(std::shared_ptr<Sequence> h, GenerateRequest r)
      : handle(std::move(h)), req(std::move(r)), text(req.stop) {
    tokens = req.prompt;
    n_prompt = tokens.size();
  }
  ~Seq() {
    if (smpl) common_sampler_free(smpl);
  }
};

Scheduler::Scheduler(LlamaModel& model, llama_context* ctx, SchedulerOptions opts, EngineMetrics metrics)
    : model_(model), ctx_(ctx), mem_(llama_get_memory(ctx)), opts_(opts), metrics_(metrics) {
  n_seq_max_ = (int32_t)llama_n_seq_max(ctx_);
  for (int i = n_seq_max_ - 1; i >= 0; --i) free_ids_.push_back(i);
  batch_ = llama_batch_init(opts_.n_batch, 0, 1);
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  shutdown(0);
  llama_batch_free(batch_);
}

Result<std::shared_ptr<Sequence>> Scheduler::submit(GenerateRequest req, std::function<void()> notify) {
  auto handle = std::make_shared<Sequence>(std::move(notify));
  std::lock_guard lk(mu_);
  if (stopping_) return Error{Errc::unavailable, "server is shutting down", "", 5};
  if (queued_ >= opts_.max_queue) return Error{Errc::unavailable, "too many requests waiting; retry later", "", 1};
  ++queued_;
  incoming_.push_back(std::make_unique<Seq>(handle, std::move(req)));
  cv_.notify_one();
  return handle;
}

EngineStats Scheduler::stats() const {
  std::lock_guard lk(mu_);
  return {n_running_pub_, queued_, kv_usage_pub_};
}

void Scheduler::shutdown(double deadline_s) {
  {
    std::lock_guard lk(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    cv_.notify_one();
  }
  auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(deadline_s));
  while (Clock::now() < until) {
    {
      std::lock_guard lk(mu_);
      if (n_running_pub_ == 0 && n_waiting_pub_ == 0 && incoming_.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  {
    std::lock_guard lk(mu_);
    hard_stop_ = true;
    cv_.notify_one();
  }
  thread_.join();
}

void Scheduler::intake() {
  std::unique_lock lk(mu_);
  while (!incoming_.empty()) {
    waiting_.push_back(std::move(incoming_.front()));
    incoming_.pop_front();
  }
}

int Scheduler::take_seq_id() {
  if (free_ids_.empty() && !evict_one_holder()) return -1;
  int id = free_ids_.back();
  free_ids_.pop_back();
  return id;
}

bool Scheduler::evict_one_holder(int protect) {
  auto victim = holders_.end();
  for (auto it = holders_.begin(); it != holders_.end(); ++it) {
    if (it->first == protect) continue;
    if (victim == holders_.end() || it->second < victim->second) victim = it;
  }
  if (victim == holders_.end()) return false;
  int id = victim->first;
  holders_.erase(victim);
  tree_.erase(id);
  llama_memory_seq_rm(mem_, id, -1, -1);
  free_ids_.push_back(id);
  return true;
}

size_t Scheduler::kv_used() const {
  size_t used = tree_.unique_tokens();
  for (const auto& s : running_) {
    size_t tracked = s->in_tree ? tree_.path(s->seq_id)->size() : s->shared;
    if (s->n_past > tracked) used += s->n_past - tracked;
  }
  return used;
}

void Scheduler::release_kv(int id, const std::vector<Token>& tokens, size_t n_past, bool keep) {
  tree_.erase(id);
  if (!keep || !opts_.prefix_cache || n_past == 0) {
    llama_memory_seq_rm(mem_, id, -1, -1);
    free_ids_.push_back(id);
    return;
  }
  std::span<const Token> path(tokens.data(), n_past);
  // Already covered by another owner's path: this copy adds nothing.
  auto m = tree_.longest(path);
  if (m.owner >= 0 && m.len == n_past) {
    const auto* other = tree_.path(m.owner);
    if (other && other->size() >= n_past) {
      llama_memory_seq_rm(mem_, id, -1, -1);
      free_ids_.push_back(id);
      for (auto& h : holders_)
        if (h.first == m.owner) h.second = ++tick_;
      return;
    }
  }
  // Holders whose whole path is a prefix of this one are now redundant.
  for (auto it = holders_.begin(); it != holders_.end();) {
    const auto* p = tree_.path(it->first);
    if (p && p->size() <= n_past && std::equal(p->begin(), p->end(), path.begin())) {
      tree_.erase(it->first);
      llama_memory_seq_rm(mem_, it->first, -1, -1);
      free_ids_.push_back(it->first);
      it = holders_.erase(it);
    } else {
      ++it;
    }
  }
  tree_.insert(id, path);
  holders_.emplace_back(id, ++tick_);
}

void Scheduler::leave_queue(Seq& s) {
  if (!s.queued) return;
  s.queued = false;
  std::lock_guard lk(mu_);
  --queued_;
}

void Scheduler::finish(Seq& s, FinishReason why, const std::string& error) {
  leave_queue(s);
  StreamEvent ev;
  if (why != FinishReason::cancelled && why != FinishReason::error) ev.text = s.text.flush();
  ev.finish = why;
  ev.error = error;
  ev.usage = {(int32_t)s.n_prompt, s.n_generated, s.cached_tokens};
  auto now = Clock::now();
  ev.timings.e2e_s = secs(now - s.req.arrival);
  if (s.scheduled != Clock::time_point{}) ev.timings.queue_s = secs(s.scheduled - s.req.arrival);
  if (s.first_token != Clock::time_point{}) {
    ev.timings.ttft_s = secs(s.first_token - s.req.arrival);
    ev.timings.prefill_s = secs(s.first_token - s.scheduled);
    ev.timings.decode_s = secs(s.last_token - s.first_token);
    if (s.n_generated > 1) metrics_.tpot->observe(ev.timings.decode_s / (s.n_generated - 1));
  }
  metrics_.e2e->observe(ev.timings.e2e_s);
  if (auto* c = metrics_.finished[static_cast<int>(why)]) c->inc();
  s.handle->push(std::move(ev));
  if (s.seq_id >= 0) {
    release_kv(s.seq_id, s.tokens, s.n_past, why != FinishReason::error);
    s.seq_id = -1;
  }
}

void Scheduler::preempt_newest() {
  // The most recently scheduled sequence gives its cells back and is recomputed later.
  auto it = std::max_element(running_.begin(), running_.end(), [](const auto& a, const auto& b) {
    return a->scheduled < b->scheduled;
  });
  if (it == running_.end()) return;
  std::unique_ptr<Seq> s = std::move(*it);
  running_.erase(it);
  release_kv(s->seq_id, s->tokens, s->n_past, false);
  s->seq_id = -1;
  s->n_past = 0;
  s->shared = 0;
  s->in_tree = false;
  metrics_.preemptions->inc();
  waiting_.push_front(std::move(s));
}

bool Scheduler::admit_waiting() {
  bool admitted = false;
  while (!waiting_.empty() && (int)running_.size() < opts_.n_parallel) {
    Seq& s = *waiting_.front();
    const size_t n_ctx = (size_t)opts_.n_ctx;
    if (s.smpl == nullptr) {
      std::string err;
      s.smpl = make_sampler(model_, s.req, err);
      if (!s.smpl) {
        auto dead = std::move(waiting_.front());
        waiting_.pop_front();
        finish(*dead, FinishReason::error, err);
        continue;
      }
    }
    // Longest cached prefix; at least the last token is recomputed to get its logits.
    PrefixTree::Match m;
    if (opts_.prefix_cache) m = tree_.longest(s.tokens);
    if (m.len >= s.tokens.size()) m.len = s.tokens.size() - 1;
    if (m.len == 0) m.owner = -1;
    // KV admission: the uncached part plus some room to generate must fit.
    size_t need = s.tokens.size() - m.len + std::min<size_t>(16, s.req.max_tokens);
    while (kv_used() + need > n_ctx && evict_one_holder(m.owner)) {
    }
    if (kv_used() + need > n_ctx && !running_.empty()) break;  // wait for running work to finish
    int id = take_seq_id();
    if (id < 0) break;
    if (m.owner >= 0 && !tree_.contains(m.owner)) m = {};  // owner was evicted to free an id
    s.seq_id = id;
    llama_memory_seq_rm(mem_, id, -1, -1);
    if (m.owner >= 0 && m.len > 0) llama_memory_seq_cp(mem_, m.owner, id, 0, (llama_pos)m.len);
    s.n_past = m.len;
    s.shared = m.len;
    if (s.scheduled == Clock::time_point{}) {
      s.scheduled = Clock::now();
      metrics_.queue->observe(secs(s.scheduled - s.req.arrival));
    }
    if (!s.counted_prompt) {
      s.counted_prompt = true;
      s.cached_tokens = (int32_t)m.len;
      metrics_.prompt_tokens->inc((double)s.n_prompt);
      metrics_.prefix_queries->inc((double)s.n_prompt);
      metrics_.prefix_hits->inc((double)m.len);
    }
    for (auto& h : holders_)
      if (h.first == m.owner) h.second = ++tick_;
    leave_queue(s);
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    admitted = true;
  }
  return admitted;
}

void Scheduler::update_gauges() {
  double usage = opts_.n_ctx > 0 ? std::min(1.0, (double)kv_used() / opts_.n_ctx) : 0.0;
  size_t waiting;
  {
    std::lock_guard lk(mu_);
    n_running_pub_ = (int)running_.size();
    n_waiting_pub_ = (int)waiting_.size();
    kv_usage_pub_ = usage;
    waiting = waiting_.size() + incoming_.size();
  }
  metrics_.running->set((double)running_.size());
  metrics_.waiting->set((double)waiting);
  metrics_.kv_usage->set(usage);
}

void Scheduler::loop() {
  while (true) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] {
        return hard_stop_ || !incoming_.empty() || !running_.empty() || !waiting_.empty();
      });
      if (hard_stop_) break;
    }
    intake();
    step();
    update_gauges();
  }
  // Hard stop: whatever is left is cancelled.
  intake();
  for (auto& s : running_) finish(*s, FinishReason::cancelled);
  for (auto& s : waiting_) finish(*s, FinishReason::cancelled);
  running_.clear();
  waiting_.clear();
  update_gauges();
}

void Scheduler::step() {
  // Drop sequences whose client went away.
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if ((*it)->handle->cancelled()) {
      finish(**it, FinishReason::cancelled);
      it = waiting_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = running_.begin(); it != running_.end();) {
    if ((*it)->handle->cancelled()) {
      finish(**it, FinishReason::cancelled);
      it = running_.erase(it);
    } else {
      ++it;
    }
  }
  admit_waiting();
  if (running_.empty()) {
    if (!waiting_.empty()) {
      // Nothing runs and the head cannot be admitted (should not happen: api validates sizes).
      auto s = std::move(waiting_.front());
      waiting_.pop_front();
      finish(*s, FinishReason::error, "request does not fit the KV cache");
    }
    return;
  }

  for (int attempt = 0; attempt < 64; ++attempt) {
    // Build one batch: decodes first (one token each), then prefill chunks within the budget.
    batch_.n_tokens = 0;
    std::vector<std::pair<Seq*, int>> outputs;  // sequence, batch index of its logits
    std::vector<std::pair<Seq*, size_t>> fed;
    int budget = opts_.n_batch;
    auto add = [&](Seq& s, size_t n) {
      for (size_t k = 0; k < n; ++k) {
        int i = batch_.n_tokens++;
        batch_.token[i] = s.tokens[s.n_past + k];
        batch_.pos[i] = (llama_pos)(s.n_past + k);
        batch_.n_seq_id[i] = 1;
        batch_.seq_id[i][0] = s.seq_id;
        batch_.logits[i] = 0;
      }
      budget -= (int)n;
      fed.emplace_back(&s, n);
      if (s.n_past + n == s.tokens.size()) {
        batch_.logits[batch_.n_tokens - 1] = 1;
        outputs.emplace_back(&s, batch_.n_tokens - 1);
      }
    };
    for (auto& s : running_)
      if (s->tokens.size() - s->n_past == 1 && budget > 0) add(*s, 1);
    for (auto& s : running_) {
      size_t left = s->tokens.size() - s->n_past;
      if (left > 1 && budget > 0) add(*s, std::min<size_t>(left, (size_t)budget));
    }
    if (batch_.n_tokens == 0) return;

    // Make room: every fed token takes a cell.
    while (kv_used() + batch_.n_tokens > (size_t)opts_.n_ctx && evict_one_holder()) {
    }
    int rc = llama_decode(ctx_, batch_);
    if (rc == 1) {
      // No KV slot: free cached prefixes first, then preempt the newest sequence.
      if (!evict_one_holder()) {
        if (running_.size() <= 1) {
          for (auto& s : running_) finish(*s, FinishReason::error, "KV cache exhausted");
          running_.clear();
          return;
        }
        preempt_newest();
      }
      continue;
    }
    if (rc != 0) {
      for (auto& s : running_) finish(*s, FinishReason::error, "decode failed (" + std::to_string(rc) + ")");
      running_.clear();
      return;
    }
    for (auto& [s, n] : fed) {
      s->n_past += n;
      if (!s->in_tree && opts_.prefix_cache && s->n_past >= s->n_prompt) {
        // Prompt fully in KV: later requests may share it while this one still runs.
        tree_.insert(s->seq_id, std::span<const Token>(s->tokens.data(), s->n_prompt));
        s->in_tree = true;
      }
    }
    for (auto& [s, idx] : outputs) sample_and_emit(*s, idx);
    break;
  }
  // Retire finished sequences (seq_id == -1 after finish()).
  running_.erase(std::remove_if(running_.begin(), running_.end(), [](const auto& s) { return s->seq_id < 0; }),
                 running_.end());
}

void Scheduler::sample_and_emit(Seq& s, int idx) {
  StreamEvent ev;
  const bool want_lp = s.req.sampling.logprobs;
  Token t = common_sampler_sample(s.smpl, ctx_, idx);
  common_sampler_accept(s.smpl, t, true);
  auto now = Clock::now();
  if (s.first_token == Clock::time_point{}) {
    s.first_token = now;
    metrics_.ttft->observe(secs(now - s.req.arrival));
  } else {
    metrics_.itl->observe(secs(now - s.last_token));
  }
  s.last_token = now;

  if (llama_vocab_is_eog(model_.vocab(), t) && !s.req.ignore_eos) {
    finish(s, FinishReason::stop);
    return;
  }
  s.n_generated++;
  metrics_.generation_tokens->inc();
  s.tokens.push_back(t);
  auto out = s.text.push(model_.piece(t, true));
  if (want_lp) ev.logprobs.push_back(token_logprob(ctx_, model_, idx, t, s.req.sampling.top_logprobs));
  ev.text = std::move(out.text);
  if (out.stopped) {
    s.handle->push(std::move(ev));
    finish(s, FinishReason::stop);
    return;
  }
  bool full = s.tokens.size() + 1 >= (size_t)opts_.n_ctx;
  if (s.n_generated >= s.req.max_tokens || full) {
    s.handle->push(std::move(ev));
    finish(s, FinishReason::length);
    return;
  }
  if (!ev.text.empty() || !ev.logprobs.empty()) s.handle->push(std::move(ev));
}

}  // namespace wharf::engine
