#include "node/access_log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <nlohmann/json.hpp>

namespace wharf::node {

void log_access(const AccessRecord& r) {
  using namespace std::chrono;
  nlohmann::json j = {
      {"ts", duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() / 1000.0},
      {"event", "request"},
      {"id", r.id},
      {"model", r.model},
      {"endpoint", r.endpoint},
      {"status", r.status},
      {"stream", r.stream},
      {"prompt_tokens", r.prompt_tokens},
      {"completion_tokens", r.completion_tokens},
      {"cached_tokens", r.cached_tokens},
      {"queue_ms", r.queue_s * 1000},
      {"ttft_ms", r.ttft_s * 1000},
      {"e2e_ms", r.e2e_s * 1000},
  };
  if (!r.finish_reason.empty()) j["finish_reason"] = r.finish_reason;
  if (!r.error.empty()) j["error"] = r.error;
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  static std::mutex mu;
  std::lock_guard lk(mu);
  fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace wharf::node
