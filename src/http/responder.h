// Private to src/http: the Responder a Connection hands to a handler for one request.
// Thread-safety: used only on the connection's strand (the handler's coroutine).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "http/server.h"

namespace wharf::http::detail {

class Connection;

class ConnResponder final : public Responder {
 public:
  enum class State { none, sent, streaming, ended };

  ConnResponder(Connection& c, unsigned version, bool request_keep_alive)
      : c_(c), version_(version), keep_(request_keep_alive) {}

  awaitable<void> send(int status, std::string body, std::string content_type = "application/json",
                       Headers extra = {}) override;
  awaitable<bool> start_stream(int status, std::string content_type, Headers extra = {}) override;
  awaitable<bool> write(std::string_view data) override;
  awaitable<void> end_stream() override;
  std::shared_ptr<Disconnect> disconnect() override;
  boost::asio::any_io_executor executor() override;

  State state() const { return state_; }
  // True when the connection may serve another request after this response.
  bool keep_alive() const { return keep_ && !failed_; }
  // The response cannot be completed (handler threw mid-stream): close the connection.
  void abort() { failed_ = true; }

 private:
  void fail();  // a write failed: the client is gone
  // Writes all of bufs (a non-blocking attempt first, then an async write with a timeout).
  template <class Buffers>
  awaitable<bool> flush(const Buffers& bufs);
  // Decides keep-alive for the response header being written now.
  bool decide_keep_alive();

  Connection& c_;
  unsigned version_;
  bool keep_;
  bool chunked_ = false;
  bool failed_ = false;
  State state_ = State::none;
  std::array<char, 24> chunk_head_{};  // "<hex size>\r\n"
};

}  // namespace wharf::http::detail
