// Private to src/http: one accepted HTTP/1.1 connection (keep-alive, pipelining, limits,
// disconnect watch) and the Responder it hands to handlers.
// Thread-safety: every member runs on the connection's strand (the socket's executor); the
// Server reaches a connection only by posting to that strand (on_drain).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/server_state.h"

namespace wharf::http::detail {

class ConnResponder;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Registers itself in st.conns; counts itself in st.connections.
  Connection(ServerState& st, boost::asio::ip::tcp::socket sock);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Serves requests until the peer goes away, an error, or draining. Spawn on executor().
  awaitable<void> run();
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }
  // On the strand: closes the connection if it is idle between requests.
  void on_drain();

 private:
  friend class ConnResponder;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  // One request: read, dispatch, respond. Returns false when the connection must close.
  awaitable<bool> serve_one();
  // Reads the header and (unless draining) the body. Returns false to close (the error
  // response, if any, has been written).
  awaitable<bool> read_request(Parser& p);
  awaitable<bool> dispatch(Parser& p);
  awaitable<void> run_handler(const Request& req, ConnResponder& r);
  // Error response with Connection: close, then a lingering close.
  awaitable<void> fail_request(int status, std::string msg, Headers extra = {});
  // Shuts down our sending side, then reads and discards what the peer still sends (bounded
  // in time and bytes) so that closing does not reset the connection under our response.
  awaitable<void> linger_close(std::chrono::milliseconds max_wait);
  void close_now();

  // Keep-alive decision for a response to a request that asked for keep-alive.
  bool can_keep_alive() const;

  // Disconnect watch: a read on the socket while a handler runs.
  void start_watch();
  void on_watch(boost::system::error_code ec, size_t n);
  awaitable<void> stop_watch();

  ServerState& st_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buf_;
  std::string remote_;
  std::shared_ptr<Disconnect> disc_;
  boost::asio::steady_timer watch_done_;
  bool idle_ = false;             // waiting for the first byte of a request, buffer empty
  bool handler_running_ = false;  // a request is being dispatched
  bool watch_pending_ = false;    // the watch read is outstanding
  bool watch_cancel_ = false;     // we cancelled the watch read ourselves
  bool peer_gone_ = false;        // EOF/reset seen, or a write failed
  bool closed_ = false;
};

}  // namespace wharf::http::detail
