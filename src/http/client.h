// Minimal HTTP/1.1 client on Beast + Asio C++20 coroutines: one request at a time on one
// connection (keep-alive reuse), Content-Length and chunked responses, optional streaming of
// the body to a callback as it arrives (SSE / NDJSON). No TLS, no redirects, no proxies.
// Thread-safety: a ClientConnection is used from one coroutine at a time; the free functions
// are independent and safe to call concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "common/error.h"
#include "http/server.h"

namespace wharf::http {

struct ClientResponse {
  int status = 0;
  Headers headers;   // names lower-cased
  std::string body;  // empty when the body went to a ChunkCallback
  // First header with this (lower-case) name, or "" when absent.
  std::string_view header(std::string_view lower_name) const;
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds io_timeout{60000};  // one read or write that makes no progress
  size_t max_body_bytes = 64u << 20;            // larger (non-streamed) bodies: error
  uint32_t max_header_bytes = 64u << 10;
};

// Receives body bytes as they arrive (chunk framing removed). Return false to stop reading:
// the connection is then closed and the request still succeeds with what was received.
using ChunkCallback = std::function<bool(std::string_view data)>;

// Errors: Errc::bad_gateway (resolve/connect/IO/protocol failure), Errc::timeout.
class ClientConnection {
 public:
  explicit ClientConnection(boost::asio::any_io_executor ex, ClientOptions opts = {});
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  awaitable<Status> connect(std::string host, uint16_t port);
  // Sends one request and reads the response. Adds Host, User-Agent, Content-Length, and
  // Content-Type: application/json when there is a body and no content-type in `headers`.
  // With on_chunk, the body is delivered to it instead of ClientResponse::body.
  // After an error, or a response with Connection: close, the connection is closed.
  awaitable<Result<ClientResponse>> request(std::string method, std::string target,
                                            std::string body = {}, Headers headers = {},
                                            ChunkCallback on_chunk = {});
  bool is_open() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot: connect, one request, close.
awaitable<Result<ClientResponse>> request(boost::asio::any_io_executor ex, std::string host,
                                          uint16_t port, std::string method, std::string target,
                                          std::string body = {}, Headers headers = {},
                                          ClientOptions opts = {});

// One-shot streaming variant: body bytes go to on_chunk as they arrive.
awaitable<Result<ClientResponse>> request_stream(boost::asio::any_io_executor ex,
                                                 std::string host, uint16_t port,
                                                 std::string method, std::string target,
                                                 std::string body, Headers headers,
                                                 ChunkCallback on_chunk, ClientOptions opts = {});

}  // namespace wharf::http
