// wharf: the single binary. Subcommands are thin: parse flags, build options, hand over to src/.
#include <csignal>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Wharf: serve, route and measure large language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("wharf ") + WHARF_VERSION);
  wharf::apps::ServeArgs serve;
  auto* sc = app.add_subcommand("serve", "Serve a GGUF model over the OpenAI-compatible API");
  wharf::apps::add_serve_flags(*sc, serve);
  CLI11_PARSE(app, argc, argv);
  if (sc->parsed()) return wharf::apps::run_serve(serve, *sc);
  return 0;
}
