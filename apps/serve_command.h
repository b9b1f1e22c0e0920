// `wharf serve`: flags, optional YAML config, signal handling, and the node's lifetime.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace wharf::apps {

struct ServeArgs {
  std::string model;
  std::string model_id;
  std::string host = "127.0.0.1";
  int port = 8080;
  int parallel = 4;
  int ctx = 4096;
  int threads = 0;
  int batch = 512;
  std::string gpu_layers = "0";
  std::string api_key;
  std::string config;
  int max_queue = 256;
  size_t max_body = 8u << 20;
  double shutdown_timeout = 30;
  bool no_prefix_cache = false;
  int http_threads = 2;
};

void add_serve_flags(CLI::App& sc, ServeArgs& a);
int run_serve(ServeArgs a, const CLI::App& sc);

}  // namespace wharf::apps
