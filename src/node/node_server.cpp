#include "node/node_server.h"

#include <chrono>
#include <thread>

#include "api/openai.h"
#include "common/error.h"
#include "node/access_log.h"
#include "node/respond.h"

namespace wharf::node {

namespace {

bool is_open_path(const std::string& path) {
  return path == "/health" || path == "/ready" || path == "/metrics";
}

}  // namespace

bool secret_equals(std::string_view presented, std::string_view expected) {
  // Touch every byte of the expected secret whatever the presented length.
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char p = i < presented.size() ? (unsigned char)presented[i] : 0;
    diff |= (unsigned char)(p ^ (unsigned char)expected[i]);
  }
  return diff == 0;
}

NodeServer::NodeServer(NodeOptions opts) : opts_(std::move(opts)) {
  server_ = std::make_unique<http::Server>(opts_.http);
  register_routes();
}

NodeServer::~NodeServer() {
  if (server_) server_->stop();
  if (engine_) engine_->shutdown(0);
}

Status NodeServer::listen() {
  std::string err;
  if (!server_->start(err)) return Error{Errc::internal, "listen on " + opts_.http.host + ":" +
                                                             std::to_string(opts_.http.port) + ": " + err};
  return Ok{};
}

uint16_t NodeServer::port() const { return server_->port(); }

Status NodeServer::load_model() {
  auto e = engine::load_engine(opts_.engine, registry_);
  if (!e) return e.error();
  engine_ = std::move(*e);
  ready_.store(true);
  return Ok{};
}

void NodeServer::drain_and_stop() {
  ready_.store(false);
  draining_.store(true);
  server_->drain();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds((int64_t)(opts_.shutdown_timeout_s * 1000));
  while (server_->in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Whatever is still running past the deadline is cancelled; handlers then finish quickly.
  if (engine_) engine_->shutdown(0);
  auto grace = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (server_->in_flight() > 0 && std::chrono::steady_clock::now() < grace)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  server_->stop();
}

void NodeServer::register_routes() {
  if (!opts_.api_key.empty()) {
    server_->set_filter([this](const http::Request& req, int& status, std::string& body, http::Headers& extra) {
      if (is_open_path(req.path)) return false;
      std::string_view auth = req.header("authorization");
      std::string_view key;
      if (auth.size() > 7 && (auth.substr(0, 7) == "Bearer " || auth.substr(0, 7) == "bearer "))
        key = auth.substr(7);
      else
        key = req.header("x-api-key");
      if (!key.empty() && secret_equals(key, opts_.api_key)) return false;
      Error e{Errc::unauthorized, key.empty() ? "missing API key: send 'Authorization: Bearer <key>'"
                                              : "invalid API key"};
      status = 401;
      body = error_json(e);
      extra.emplace_back("WWW-Authenticate", "Bearer");
      return true;
    });
  }

  server_->route("GET", "/health", [](const http::Request&, http::Responder& res) -> http::awaitable<void> {
    co_await res.send(200, "{\"status\":\"ok\"}");
  });
  server_->route("GET", "/ready", [this](const http::Request&, http::Responder& res) -> http::awaitable<void> {
    if (ready_.load()) {
      co_await res.send(200, "{\"status\":\"ready\"}");
    } else {
      const char* why = draining_.load() ? "shutting down" : "loading model";
      Error err_{Errc::unavailable, why, "", 1};
      co_await send_error(res, std::move(err_));
    }
  });
  server_->route("GET", "/metrics", [this](const http::Request&, http::Responder& res) -> http::awaitable<void> {
    std::string body = registry_.render();
    co_await res.send(200, std::move(body), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->route("GET", "/v1/models", [this](const http::Request&, http::Responder& res) -> http::awaitable<void> {
    std::vector<engine::ModelInfo> models;
    if (engine_ && ready_.load()) models.push_back(engine_->info());
    std::string body = api::models_json(models);
    co_await res.send(200, std::move(body));
  });

  auto limits = [this] {
    const auto& i = engine_->info();
    api::ModelLimits l;
    l.model_id = i.id;
    l.n_vocab = i.n_vocab;
    l.n_ctx = i.n_ctx;
    return l;
  };
  server_->route("POST", "/tokenize", [this, limits](const http::Request& req, http::Responder& res) -> http::awaitable<void> {
    if (!engine_ || !ready_.load()) {
    Error err_ = Error{Errc::unavailable, "model is loading", "", 1};
    co_await send_error(res, std::move(err_));
    co_return;
  }
    auto r = api::parse_tokenize_request(req.body, limits());
    if (!r) {
    Error err_ = r.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
    auto toks = engine_->tokenize(r->content, r->add_special, true);
    std::vector<std::string> pieces;
    if (r->with_pieces)
      for (auto t : toks) pieces.push_back(engine_->detokenize({t}));
    std::string body = api::tokenize_response_json(toks, r->with_pieces ? &pieces : nullptr);
    co_await res.send(200, std::move(body));
  });
  server_->route("POST", "/detokenize", [this, limits](const http::Request& req, http::Responder& res) -> http::awaitable<void> {
    if (!engine_ || !ready_.load()) {
    Error err_ = Error{Errc::unavailable, "model is loading", "", 1};
    co_await send_error(res, std::move(err_));
    co_return;
  }
    auto r = api::parse_detokenize_request(req.body, limits());
    if (!r) {
    Error err_ = r.error();
    co_await send_error(res, std::move(err_));
    co_return;
  }
    std::string body = api::detokenize_response_json(engine_->detokenize(r->tokens));
    co_await res.send(200, std::move(body));
  });
  register_openai_routes(*server_, *this);
}

}  // namespace wharf::node
