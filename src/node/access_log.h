// One structured JSON log line per request on stderr. Thread-safe.
#pragma once

#include <string>

#include "engine/types.h"

namespace wharf::node {

struct AccessRecord {
  std::string id;
  std::string model;
  std::string endpoint;
  int status = 200;
  bool stream = false;
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  int32_t cached_tokens = 0;
  std::string finish_reason;
  double queue_s = 0, ttft_s = 0, e2e_s = 0;
  std::string error;
};

void log_access(const AccessRecord& r);

}  // namespace wharf::node
