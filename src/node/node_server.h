// The node: one engine behind the OpenAI-compatible HTTP API, plus /health, /ready, /metrics,
// /tokenize and /detokenize. Owns the HTTP server and the metrics registry.
// Thread-safety: start/drain/stop from one controlling thread; handlers run on io threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/metrics.h"
#include "engine/engine.h"
#include "http/server.h"

namespace wharf::node {

struct NodeOptions {
  http::ServerOptions http;
  engine::EngineOptions engine;
  std::string api_key;           // empty: no authentication
  double shutdown_timeout_s = 30;
};

class NodeServer {
 public:
  explicit NodeServer(NodeOptions opts);
  ~NodeServer();

  // Binds the port (the model is not loaded yet: /ready answers 503). Error: the bind failure.
  Status listen();
  uint16_t port() const;
  // Loads the model; /ready turns 200 on success.
  Status load_model();
  // SIGTERM path: readiness false, refuse new work, finish in-flight requests up to the
  // shutdown timeout, then stop the engine and the server.
  void drain_and_stop();

  // For handlers.
  engine::Engine* engine() const { return engine_.get(); }
  metrics::Registry& registry() { return registry_; }
  const NodeOptions& options() const { return opts_; }

 private:
  void register_routes();

  NodeOptions opts_;
  metrics::Registry registry_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<engine::Engine> engine_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
};

// Registers /v1/chat/completions and /v1/completions (openai_handlers.cpp).
void register_openai_routes(http::Server& server, NodeServer& node);

// Constant-time comparison of a presented secret against the expected one.
bool secret_equals(std::string_view presented, std::string_view expected);

}  // namespace wharf::node
