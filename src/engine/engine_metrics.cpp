#include "engine_metrics.h"

namespace wharf::engine {

EngineMetrics EngineMetrics::create(metrics::Registry& r, const std::string& model) {
  metrics::Labels l{{"model", model}};
  EngineMetrics m;
  m.ttft = &r.histogram("wharf:time_to_first_token_seconds", "Time to first token.",
                        metrics::latency_buckets(), l);
  m.itl = &r.histogram("wharf:inter_token_latency_seconds", "Time between consecutive output tokens.",
                       metrics::token_latency_buckets(), l);
  m.tpot = &r.histogram("wharf:time_per_output_token_seconds",
                        "Mean time per output token of a request after its first.",
                        metrics::token_latency_buckets(), l);
  m.e2e = &r.histogram("wharf:e2e_request_latency_seconds", "End-to-end request latency.",
                       metrics::latency_buckets(), l);
  m.queue = &r.histogram("wharf:request_queue_time_seconds", "Time a request waited before it was scheduled.",
                         metrics::latency_buckets(), l);
  m.prompt_tokens = &r.counter("wharf:prompt_tokens_total", "Prompt tokens processed.", l);
  m.generation_tokens = &r.counter("wharf:generation_tokens_total", "Tokens generated.", l);
  m.prefix_queries = &r.counter("wharf:prefix_cache_queries_total", "Prompt tokens looked up in the prefix cache.", l);
  m.prefix_hits = &r.counter("wharf:prefix_cache_hits_total", "Prompt tokens served from the prefix cache.", l);
  m.preemptions = &r.counter("wharf:num_preemptions_total", "Sequences preempted for lack of KV cache and recomputed.", l);
  const FinishReason reasons[] = {FinishReason::stop, FinishReason::length, FinishReason::tool_calls,
                                  FinishReason::cancelled, FinishReason::error};
  for (auto fr : reasons) {
    m.finished[static_cast<int>(fr)] =
        &r.counter("wharf:request_success_total", "Finished requests by finish reason.",
                   {{"model", model}, {"finished_reason", to_string(fr)}});
  }
  m.running = &r.gauge("wharf:num_requests_running", "Requests running in the batch.", l);
  m.waiting = &r.gauge("wharf:num_requests_waiting", "Requests waiting to be scheduled.", l);
  m.kv_usage = &r.gauge("wharf:kv_cache_usage_perc", "Fraction of KV cache cells in use (0..1).", l);
  return m;
}

}  // namespace wharf::engine
