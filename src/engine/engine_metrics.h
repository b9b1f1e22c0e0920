// Internal to src/engine: the per-model metric handles, named in the style of vLLM's.
#pragma once

#include <string>

#include "common/metrics.h"
#include "engine/types.h"

namespace wharf::engine {

struct EngineMetrics {
  metrics::Histogram* ttft = nullptr;
  metrics::Histogram* itl = nullptr;
  metrics::Histogram* tpot = nullptr;
  metrics::Histogram* e2e = nullptr;
  metrics::Histogram* queue = nullptr;
  metrics::Counter* prompt_tokens = nullptr;
  metrics::Counter* generation_tokens = nullptr;
  metrics::Counter* prefix_queries = nullptr;
  metrics::Counter* prefix_hits = nullptr;
  metrics::Counter* preemptions = nullptr;
  metrics::Counter* finished[6] = {};  // by FinishReason
  metrics::Gauge* running = nullptr;
  metrics::Gauge* waiting = nullptr;
  metrics::Gauge* kv_usage = nullptr;

  static EngineMetrics create(metrics::Registry& r, const std::string& model);
};

}  // namespace wharf::engine
