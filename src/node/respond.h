// Response helpers shared by the node's handlers.
#pragma once

#include <string>
#include <utility>

#include "common/error.h"
#include "http/server.h"

namespace wharf::node {

// Sends `e` as the OpenAI error JSON with its HTTP status (and Retry-After when set).
// Takes the error by value: GCC 12 mishandles temporaries that live across a co_await, so
// callers pass named values and nothing here outlives the frame.
inline http::awaitable<void> send_error(http::Responder& res, Error e) {
  http::Headers h;
  if (e.retry_after_s > 0) h.emplace_back("Retry-After", std::to_string(e.retry_after_s));
  std::string body = error_json(e);
  co_await res.send(http_status(e.code), std::move(body), "application/json", std::move(h));
}

}  // namespace wharf::node
