#include "engine/engine.h"

namespace wharf::engine {

const char* to_string(FinishReason r) {
  switch (r) {
    case FinishReason::none: return "none";
    case FinishReason::stop: return "stop";
    case FinishReason::length: return "length";
    case FinishReason::tool_calls: return "tool_calls";
    case FinishReason::cancelled: return "abort";
    case FinishReason::error: return "error";
  }
  return "error";
}

bool Sequence::drain(std::vector<StreamEvent>& out) {
  std::lock_guard lk(mu_);
  for (auto& e : pending_) out.push_back(std::move(e));
  pending_.clear();
  if (final_pushed_) final_drained_ = true;
  return final_drained_;
}

void Sequence::push(StreamEvent ev) {
  {
    std::lock_guard lk(mu_);
    if (final_pushed_) return;
    if (ev.finish != FinishReason::none) final_pushed_ = true;
    // Coalesce plain text into the previous undelivered event to bound the queue.
    if (!pending_.empty() && ev.finish == FinishReason::none &&
        pending_.back().finish == FinishReason::none) {
      auto& b = pending_.back();
      b.text += ev.text;
      for (auto& l : ev.logprobs) b.logprobs.push_back(std::move(l));
    } else {
      pending_.push_back(std::move(ev));
    }
  }
  if (notify_) notify_();
}

}  // namespace wharf::engine
