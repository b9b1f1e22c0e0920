#include "serve_command.h"

#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "node/node_server.h"

namespace wharf::apps {

void add_serve_flags(CLI::App& sc, ServeArgs& a) {
  sc.add_option("-m,--model", a.model, "GGUF model file");
  sc.add_option("--model-id", a.model_id, "Name the model is served under (default: file stem)");
  sc.add_option("--host", a.host, "Address to listen on")->capture_default_str();
  sc.add_option("--port", a.port, "Port (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  sc.add_option("--parallel", a.parallel, "Max sequences decoded together")->capture_default_str()->check(CLI::Range(1, 128));
  sc.add_option("--ctx", a.ctx, "KV cache size in tokens, shared by all sequences (0: model's)")->capture_default_str()->check(CLI::Range(0, 1 << 24));
  sc.add_option("--threads", a.threads, "Compute threads (0: all cores)")->capture_default_str()->check(CLI::Range(0, 1024));
  sc.add_option("--batch", a.batch, "Token budget per decode step (prefill chunk size)")->capture_default_str()->check(CLI::Range(32, 1 << 16));
  sc.add_option("--gpu-layers", a.gpu_layers, "Layers to offload to the GPU: N, or auto")->capture_default_str();
  sc.add_option("--api-key", a.api_key, "Require this key as 'Authorization: Bearer <key>'")->envname("WHARF_API_KEY");
  sc.add_option("--config", a.config, "YAML file with any of these options (flags win)");
  sc.add_option("--max-queue", a.max_queue, "Waiting requests beyond which new ones get 503")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  sc.add_option("--max-body", a.max_body, "Largest request body in bytes")->capture_default_str();
  sc.add_option("--shutdown-timeout", a.shutdown_timeout, "Seconds to finish in-flight requests on SIGTERM")->capture_default_str();
  sc.add_flag("--no-prefix-cache", a.no_prefix_cache, "Disable reuse of KV across requests");
  sc.add_option("--http-threads", a.http_threads, "HTTP I/O threads")->capture_default_str()->check(CLI::Range(1, 64));
}

namespace {

// Applies keys from the YAML config to options not given on the command line.
bool apply_config(ServeArgs& a, const CLI::App& sc, std::string& err) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(a.config);
  } catch (const std::exception& e) {
    err = e.what();
    return false;
  }
  if (root["serve"]) root = root["serve"];
  auto set = [&](const char* key, const char* flag, auto& field) {
    if (!root[key] || sc.count(flag) > 0) return;
    field = root[key].as<std::decay_t<decltype(field)>>();
  };
  try {
    set("model", "--model", a.model);
    set("model_id", "--model-id", a.model_id);
    set("host", "--host", a.host);
    set("port", "--port", a.port);
    set("parallel", "--parallel", a.parallel);
    set("ctx", "--ctx", a.ctx);
    set("threads", "--threads", a.threads);
    set("batch", "--batch", a.batch);
    set("gpu_layers", "--gpu-layers", a.gpu_layers);
    set("api_key", "--api-key", a.api_key);
    set("max_queue", "--max-queue", a.max_queue);
    set("max_body", "--max-body", a.max_body);
    set("shutdown_timeout", "--shutdown-timeout", a.shutdown_timeout);
    set("no_prefix_cache", "--no-prefix-cache", a.no_prefix_cache);
    set("http_threads", "--http-threads", a.http_threads);
  } catch (const std::exception& e) {
    err = std::string("bad value in config: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace

int run_serve(ServeArgs a, const CLI::App& sc) {
  if (!a.config.empty()) {
    std::string err;
    if (!apply_config(a, sc, err)) {
      fprintf(stderr, "wharf: config %s: %s\n", a.config.c_str(), err.c_str());
      return 2;
    }
  }
  if (a.model.empty()) {
    fprintf(stderr, "wharf: no model given (-m MODEL.gguf or 'model:' in --config)\n");
    return 2;
  }
  node::NodeOptions o;
  o.http.host = a.host;
  o.http.port = (uint16_t)a.port;
  o.http.threads = a.http_threads;
  o.http.max_body_bytes = a.max_body;
  o.engine.model_path = a.model;
  o.engine.model_id = a.model_id;
  o.engine.n_ctx = a.ctx;
  o.engine.n_parallel = a.parallel;
  o.engine.n_threads = a.threads;
  o.engine.n_batch = a.batch;
  o.engine.max_queue = a.max_queue;
  o.engine.prefix_cache = !a.no_prefix_cache;
  if (a.gpu_layers == "auto") {
    o.engine.n_gpu_layers = -2;  // resolved by the engine: all layers when a GPU is present
  } else {
    try {
      o.engine.n_gpu_layers = std::stoi(a.gpu_layers);
    } catch (...) {
      fprintf(stderr, "wharf: --gpu-layers must be a number or 'auto'\n");
      return 2;
    }
  }
  o.api_key = a.api_key;
  o.shutdown_timeout_s = a.shutdown_timeout;

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  node::NodeServer node(o);
  if (auto st = node.listen(); !st) {
    fprintf(stderr, "wharf: %s\n", st.error().message.c_str());
    return 1;
  }
  printf("wharf: listening on http://%s:%u\n", a.host.c_str(), node.port());
  fflush(stdout);
  if (auto st = node.load_model(); !st) {
    fprintf(stderr, "wharf: %s\n", st.error().message.c_str());
    node.drain_and_stop();
    return 1;
  }
  const auto& info = node.engine()->info();
  fprintf(stderr, "wharf: serving %s (%s, ctx %d, parallel %d)\n", info.id.c_str(), info.architecture.c_str(),
          info.n_ctx, info.n_parallel);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "wharf: %s received, draining (up to %.0fs)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
          a.shutdown_timeout);
  node.drain_and_stop();
  fprintf(stderr, "wharf: stopped\n");
  return 0;
}

}  // namespace wharf::apps
