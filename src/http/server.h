// HTTP/1.1 server on Boost.Beast + Asio C++20 coroutines: routing, keep-alive, limits,
// chunked streaming (SSE / NDJSON), client-disconnect detection and graceful drain.
// Thread-safety: configure (route/options) before start(); start/stop/drain are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>

namespace wharf::http {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target
  std::string path;    // target without the query string
  std::map<std::string, std::string> query;  // decoded query parameters
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;  // "ip:port"

  // First header with this (lower-case) name, or "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Set when the client closes its connection while a handler runs (detected by a read on the
// socket that runs alongside the handler, and by failed writes). Thread-safe; callbacks run
// once, on the connection's executor (so they may touch the handler's timers and channels), or
// immediately in on_fire() if already disconnected. The server fires it only while the
// handler runs, so callbacks may capture the handler's locals. A client that half-closes its
// sending side (shutdown(SHUT_WR)) after the request counts as disconnected.
class Disconnect {
 public:
  bool fired() const { return fired_.load(std::memory_order_acquire); }
  void on_fire(std::function<void()> cb);
  void fire();

 private:
  std::atomic<bool> fired_{false};
  std::mutex mu_;
  std::vector<std::function<void()>> cbs_;
};

// Writes one response. Exactly one of send() or start_stream()+...+end_stream() per request.
// Not thread-safe: use it only from the handler's coroutine. Never throws for I/O errors:
// a failed write marks the client gone (fires disconnect) and later writes return false.
// A second send()/start_stream() is ignored (logged). If the handler returns without
// responding the client gets a 500; a stream left open is ended for it; a handler that throws
// after starting a response gets its connection closed (the client sees a truncated body).
class Responder {
 public:
  virtual ~Responder() = default;
  // A complete response with Content-Length.
  virtual awaitable<void> send(int status, std::string body,
                               std::string content_type = "application/json",
                               Headers extra = {}) = 0;
  // Starts a chunked response (e.g. "text/event-stream"; for it Cache-Control: no-cache and
  // X-Accel-Buffering: no are added). HTTP/1.0 clients get a close-delimited body instead.
  // Returns false if the client is gone.
  virtual awaitable<bool> start_stream(int status, std::string content_type, Headers extra = {}) = 0;
  // Writes one chunk and flushes it (no copy of `data`, no allocation). Returns false if the
  // client is gone (and fires disconnect). An empty `data` writes nothing and returns true.
  // A client that stops reading fails the write after ServerOptions::write_timeout.
  virtual awaitable<bool> write(std::string_view data) = 0;
  // Ends the chunked response.
  virtual awaitable<void> end_stream() = 0;
  // Fires when the client disconnects. Valid while the handler runs.
  virtual std::shared_ptr<Disconnect> disconnect() = 0;
  // The connection's executor (for timers / channels in the handler).
  virtual boost::asio::any_io_executor executor() = 0;
};

using Handler = std::function<awaitable<void>(const Request&, Responder&)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                 // 0: pick a free port (see Server::port())
  int threads = 2;                      // io_context threads
  size_t max_body_bytes = 8u << 20;     // larger bodies: 413 with the OpenAI error JSON
  size_t max_header_bytes = 16u << 10;  // larger headers: 431
  std::chrono::seconds read_timeout{30};   // header+body read, from the request's first byte
  std::chrono::seconds idle_timeout{60};   // keep-alive idle: waiting for a first byte
  int max_connections = 1024;           // beyond: the connection gets 503 and is closed
  std::chrono::seconds write_timeout{60};  // one response write (a header, a body, a chunk)
};

class Server {
 public:
  explicit Server(ServerOptions opts);
  ~Server();

  // Exact-path routes. Unknown path: 404, known path with another method: 405, both with the
  // OpenAI error JSON. A handler that throws gets a 500 JSON error (if nothing was sent yet),
  // and the server keeps serving.
  void route(std::string method, std::string path, Handler h);
  // Called before routing for every request (used for API keys). Optional. Return true to
  // short-circuit: the server answers with `status`, `body` (sent as application/json) and the
  // `extra` headers and skips routing; return false to let the request through. Runs on the
  // connection's executor; must not block. An exception counts as a handler exception (500).
  using Filter = std::function<bool(const Request&, int& status, std::string& body, Headers& extra)>;
  void set_filter(Filter f);

  // Binds (SO_REUSEADDR) and starts the io threads. Returns false (with a message in `err`) if
  // resolving or binding fails, or if already started. `host` may be an address or a name.
  bool start(std::string& err);
  uint16_t port() const;  // the bound port
  // Stops accepting new connections (the listening socket is closed before drain() returns,
  // except when called from a handler); idle keep-alive connections are closed; in-flight
  // requests continue and their responses carry Connection: close. Requests that arrive on
  // open connections (e.g. pipelined) get 503 + Retry-After. Idempotent.
  void drain();
  // Number of requests being handled now.
  int in_flight() const;
  // Stops everything and joins the io threads: handlers still running are destroyed at their
  // current suspension point (their disconnect callbacks do not run). Safe to call twice and
  // from the destructor. Called from a handler it only stops the io threads; the destructor
  // (or a later stop() from another thread) joins them.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// OpenAI-style JSON error body for status codes produced by the HTTP layer itself:
// {"error":{"message","type","param":null,"code"}}. Statuses with a wharf::Errc (400, 401, 403,
// 404, 405, 413, 415, 429, 500, 502, 503, 504) use wharf::error_json; others get
// invalid_request_error (4xx) or server_error (5xx) with a null code.
std::string error_body(int status, std::string_view message);

}  // namespace wharf::http
