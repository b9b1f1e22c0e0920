#include "http/connection.h"

#include <algorithm>
#include <limits>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "http/responder.h"
#include "http/util.h"

namespace wharf::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kAwait = net::as_tuple(net::use_awaitable);
constexpr size_t kReadChunk = 8192;         // first read of a request
constexpr size_t kWatchChunk = 4096;        // one read of the disconnect watch
constexpr size_t kWatchCap = 64u << 10;     // pipelined bytes kept while a handler runs
constexpr size_t kLingerBytes = 1u << 20;   // discarded at most before closing
constexpr auto kLingerAfterError = std::chrono::milliseconds(2000);
constexpr auto kLingerAfterClose = std::chrono::milliseconds(1000);

std::string endpoint_string(const tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  auto a = ep.address();
  std::string host = a.to_string();
  if (a.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

}  // namespace

Connection::Connection(ServerState& st, tcp::socket sock)
    : st_(st), stream_(std::move(sock)), watch_done_(stream_.get_executor()) {
  remote_ = endpoint_string(stream_.socket());
  error_code ec;
  stream_.socket().non_blocking(true, ec);  // for the speculative chunk writes (responder)
  st_.connections.fetch_add(1, std::memory_order_acq_rel);
  std::lock_guard lk(st_.conns_mu);
  st_.conns.insert(this);
}

Connection::~Connection() {
  {
    std::lock_guard lk(st_.conns_mu);
    st_.conns.erase(this);
  }
  st_.connections.fetch_sub(1, std::memory_order_acq_rel);
}

void Connection::on_drain() {
  if (!idle_) return;  // mid-request or mid-handler: the serve loop notices draining itself
  error_code ec;
  stream_.socket().cancel(ec);  // the idle read completes with operation_aborted
}

void Connection::close_now() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  stream_.socket().close(ec);
}

awaitable<void> Connection::run() {
  try {
    while (!closed_) {
      const bool again = co_await serve_one();  // (kept out of &&: GCC 12 coroutine bugs)
      if (!again) break;
    }
  } catch (const std::exception& e) {
    spdlog::warn("http: connection {}: {}", remote_, e.what());
  }
  if (watch_pending_) co_await stop_watch();
  close_now();
}

awaitable<bool> Connection::serve_one() {
  if (buf_.size() == 0) {  // idle between requests: wait for the first byte
    if (st_.draining.load(std::memory_order_acquire)) co_return false;
    if (buf_.capacity() > 2 * kReadChunk) buf_.shrink_to_fit();  // idle: keep memory small
    idle_ = true;
    stream_.expires_after(st_.opts.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(buf_.prepare(kReadChunk), kAwait);
    idle_ = false;
    if (ec) co_return false;  // EOF, idle timeout, drain
    buf_.commit(n);
  }
  Parser p;
  p.header_limit(static_cast<uint32_t>(
      std::min<size_t>(st_.opts.max_header_bytes, std::numeric_limits<uint32_t>::max())));
  p.body_limit(static_cast<uint64_t>(st_.opts.max_body_bytes));
  if (!co_await read_request(p)) co_return false;
  co_return co_await dispatch(p);
}

awaitable<bool> Connection::read_request(Parser& p) {
  const auto deadline = std::chrono::steady_clock::now() + st_.opts.read_timeout;
  stream_.expires_at(deadline);
  error_code ec;
  std::tie(ec, std::ignore) = co_await bhttp::async_read_header(stream_, buf_, p, kAwait);
  if (!ec && st_.draining.load(std::memory_order_acquire)) {
    Headers retry{{"Retry-After", "1"}};
    co_await fail_request(503, "server is shutting down", std::move(retry));
    co_return false;
  }
  if (!ec && !p.is_done()) {
    auto& m = p.get();
    if (m.version() >= 11 && iequals(m[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view k100 = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(st_.opts.write_timeout);
      std::tie(ec, std::ignore) =
          co_await net::async_write(stream_, net::buffer(k100.data(), k100.size()), kAwait);
      if (ec) co_return false;
      stream_.expires_at(deadline);
    }
    std::tie(ec, std::ignore) = co_await bhttp::async_read(stream_, buf_, p, kAwait);
  }
  if (!ec) co_return true;

  if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
    co_await fail_request(431, "request header exceeds " +
                                   std::to_string(st_.opts.max_header_bytes) + " bytes");
  } else if (ec == bhttp::error::body_limit) {
    co_await fail_request(413, "request body exceeds " +
                                   std::to_string(st_.opts.max_body_bytes) + " bytes");
  } else if (is_http_error(ec) && ec != bhttp::error::end_of_stream &&
             ec != bhttp::error::partial_message) {
    co_await fail_request(400, "malformed HTTP request: " + ec.message());
  }
  // Otherwise EOF, reset or timeout (tcp_stream has closed the socket): nothing to say.
  co_return false;
}

awaitable<bool> Connection::dispatch(Parser& p) {
  auto& m = p.get();
  Request req;
  req.method = std::string(m.method_string());
  req.target = std::string(m.target());
  const size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = parse_query(std::string_view(req.target).substr(q + 1));
  req.headers.reserve(std::distance(m.begin(), m.end()));
  for (const auto& f : m) req.headers.emplace_back(to_lower(f.name_string()), std::string(f.value()));
  req.body = std::move(m.body());
  req.remote = remote_;

  ConnResponder r(*this, m.version(), m.keep_alive());
  {
    CountGuard in_flight(st_.in_flight);
    disc_ = std::make_shared<Disconnect>();
    handler_running_ = true;
    start_watch();
    co_await run_handler(req, r);
  }
  if (r.keep_alive() && !peer_gone_ && !closed_) co_return true;
  if (!peer_gone_) co_await linger_close(kLingerAfterClose);
  co_return false;
}

awaitable<void> Connection::run_handler(const Request& req, ConnResponder& r) {
  std::exception_ptr err;
  try {
    bool answered = false;
    if (st_.filter) {
      int status = 0;
      std::string body;
      Headers extra;
      if (st_.filter(req, status, body, extra)) {
        answered = true;
        co_await r.send(status > 0 ? status : 403, std::move(body), "application/json",
                        std::move(extra));
      }
    }
    if (!answered) {
      auto it = st_.routes.find(req.path);
      if (it == st_.routes.end()) {
        co_await r.send(404, error_body(404, "no route for " + req.path));
      } else if (auto h = it->second.by_method.find(req.method); h == it->second.by_method.end()) {
        // (Headers built outside the co_await: GCC 12 mishandles initializer lists there.)
        Headers allow{{"Allow", it->second.allow}};
        co_await r.send(405, error_body(405, "method " + req.method + " not allowed for " + req.path),
                        "application/json", std::move(allow));
      } else {
        co_await h->second(req, r);
      }
    }
  } catch (...) {
    err = std::current_exception();
  }
  // The handler is over: its disconnect callbacks may capture its locals, so nothing fires
  // them any more (a failed fallback write below still closes the connection).
  disc_.reset();
  handler_running_ = false;
  co_await stop_watch();

  if (err) {
    try {
      std::rethrow_exception(err);
    } catch (const std::exception& e) {
      spdlog::error("http: handler for {} {} threw: {}", req.method, req.path, e.what());
    } catch (...) {
      spdlog::error("http: handler for {} {} threw a non-exception", req.method, req.path);
    }
    if (r.state() == ConnResponder::State::none && !peer_gone_) {
      co_await r.send(500, error_body(500, "internal server error"));
    } else {
      r.abort();  // part of a response is out: only closing tells the client it is incomplete
    }
  } else if (r.state() == ConnResponder::State::none) {
    spdlog::error("http: handler for {} {} sent no response", req.method, req.path);
    co_await r.send(500, error_body(500, "handler produced no response"));
  } else if (r.state() == ConnResponder::State::streaming) {
    co_await r.end_stream();
  }
}

bool Connection::can_keep_alive() const {
  if (st_.stopping.load(std::memory_order_acquire) || peer_gone_ || closed_) return false;
  // While draining, only pipelined requests already buffered are answered (with 503).
  return !st_.draining.load(std::memory_order_acquire) || buf_.size() > 0;
}

awaitable<void> Connection::fail_request(int status, std::string msg, Headers extra) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::server, "wharf");
  res.set(bhttp::field::content_type, "application/json");
  for (auto& [k, v] : extra) res.set(k, v);
  res.keep_alive(false);
  res.body() = error_body(status, msg);
  res.prepare_payload();
  stream_.expires_after(st_.opts.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(stream_, res, kAwait);
  if (ec) {
    close_now();
    co_return;
  }
  co_await linger_close(kLingerAfterError);
}

awaitable<void> Connection::linger_close(std::chrono::milliseconds max_wait) {
  if (closed_) co_return;
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (!ec) {
    stream_.expires_after(max_wait);
    size_t total = 0;
    while (total < kLingerBytes) {
      buf_.clear();
      auto [rec, n] = co_await stream_.async_read_some(buf_.prepare(kReadChunk), kAwait);
      if (rec) break;
      total += n;
    }
  }
  close_now();
}

// ---- disconnect watch ----

void Connection::start_watch() {
  if (watch_pending_ || peer_gone_ || closed_ || buf_.size() >= kWatchCap) return;
  watch_pending_ = true;
  stream_.socket().async_read_some(
      buf_.prepare(kWatchChunk),
      [self = shared_from_this()](error_code ec, size_t n) { self->on_watch(ec, n); });
}

void Connection::on_watch(error_code ec, size_t n) {
  watch_pending_ = false;
  if (n > 0) buf_.commit(n);  // pipelined bytes: kept for the next request
  if (ec) {
    if (!(watch_cancel_ && ec == net::error::operation_aborted)) {
      peer_gone_ = true;
      if (disc_) disc_->fire();
    }
  } else if (handler_running_ && !watch_cancel_) {
    start_watch();
  }
  watch_done_.cancel();
}

awaitable<void> Connection::stop_watch() {
  if (!watch_pending_) co_return;
  watch_cancel_ = true;
  error_code ec;
  stream_.socket().cancel(ec);  // nothing else is outstanding on the socket now
  while (watch_pending_) {
    watch_done_.expires_at(std::chrono::steady_clock::time_point::max());
    co_await watch_done_.async_wait(kAwait);
  }
  watch_cancel_ = false;
}

}  // namespace wharf::http::detail
