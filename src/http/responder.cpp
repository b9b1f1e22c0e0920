#include "http/responder.h"

#include <charconv>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include "http/connection.h"

namespace wharf::http::detail {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

namespace {

constexpr auto kAwait = net::as_tuple(net::use_awaitable);

unsigned valid_status(int status) {
  return (status >= 100 && status <= 999) ? static_cast<unsigned>(status) : 500u;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_token_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Handler-supplied headers: invalid names and values that could split the header are dropped.
template <class Fields>
void set_extra(Fields& f, const Headers& extra) {
  for (const auto& [k, v] : extra) {
    bool ok = !k.empty() && v.find_first_of("\r\n") == std::string::npos;
    for (char c : k) ok = ok && is_token_char(c);
    if (ok) {
      f.set(k, v);
    } else {
      spdlog::warn("http: dropped invalid response header '{}'", k);
    }
  }
}

}  // namespace

bool ConnResponder::decide_keep_alive() {
  keep_ = keep_ && c_.can_keep_alive();
  return keep_;
}

void ConnResponder::fail() {
  failed_ = true;
  c_.peer_gone_ = true;
  if (c_.disc_) c_.disc_->fire();
}

awaitable<void> ConnResponder::send(int status, std::string body, std::string content_type,
                                    Headers extra) {
  if (state_ != State::none) {
    spdlog::error("http: Responder::send() after the response was started; ignored");
    co_return;
  }
  state_ = State::sent;
  bhttp::response<bhttp::string_body> res;
  res.version(version_);
  res.result(valid_status(status));
  res.set(bhttp::field::server, "wharf");
  res.set(bhttp::field::content_type, content_type);
  set_extra(res, extra);
  res.keep_alive(decide_keep_alive());
  const unsigned st = res.result_int();
  if (st < 200 || st == 204 || st == 304) body.clear();  // these never carry a body
  res.body() = std::move(body);
  res.prepare_payload();
  c_.stream_.expires_after(c_.st_.opts.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(c_.stream_, res, kAwait);
  if (ec) fail();
}

awaitable<bool> ConnResponder::start_stream(int status, std::string content_type, Headers extra) {
  if (state_ != State::none) {
    spdlog::error("http: Responder::start_stream() after the response was started; ignored");
    co_return false;
  }
  state_ = State::streaming;
  bhttp::response<bhttp::empty_body> res;
  res.version(version_);
  res.result(valid_status(status));
  res.set(bhttp::field::server, "wharf");
  res.set(bhttp::field::content_type, content_type);
  if (starts_with(content_type, "text/event-stream")) {
    res.set(bhttp::field::cache_control, "no-cache");
    res.set("X-Accel-Buffering", "no");
  }
  set_extra(res, extra);
  chunked_ = version_ >= 11;
  if (chunked_) {
    res.chunked(true);
    res.keep_alive(decide_keep_alive());
  } else {
    keep_ = false;  // HTTP/1.0: the body ends when the connection closes
    res.keep_alive(false);
  }
  bhttp::response_serializer<bhttp::empty_body> sr{res};
  c_.stream_.expires_after(c_.st_.opts.write_timeout);
  auto [ec, n] = co_await bhttp::async_write_header(c_.stream_, sr, kAwait);
  if (ec) {
    fail();
    co_return false;
  }
  co_return true;
}

// Hot path (one call per token batch): try one non-blocking send first, which nearly always
// takes everything, so no timer is armed and the coroutine does not suspend; only a full
// socket buffer falls back to an async write bounded by write_timeout.
template <class Buffers>
awaitable<bool> ConnResponder::flush(const Buffers& bufs) {
  boost::system::error_code ec;
  const size_t total = net::buffer_size(bufs);
  const size_t n = c_.stream_.socket().write_some(bufs, ec);  // socket is non-blocking
  if (!ec && n == total) co_return true;
  if (ec && ec != net::error::would_block && ec != net::error::try_again) {
    fail();
    co_return false;
  }
  boost::beast::buffers_suffix<Buffers> rest(bufs);
  rest.consume(ec ? 0 : n);
  c_.stream_.expires_after(c_.st_.opts.write_timeout);
  std::tie(ec, std::ignore) = co_await net::async_write(c_.stream_, rest, kAwait);
  if (ec) {
    fail();
    co_return false;
  }
  co_return true;
}

awaitable<bool> ConnResponder::write(std::string_view data) {
  if (state_ != State::streaming || failed_ || c_.peer_gone_) co_return false;
  if (data.empty()) co_return true;  // a zero-size chunk would end the stream
  if (!chunked_) co_return co_await flush(net::const_buffer(data.data(), data.size()));
  static constexpr char kCrlf[] = "\r\n";
  auto [end, err] = std::to_chars(chunk_head_.data(), chunk_head_.data() + chunk_head_.size() - 2,
                                  data.size(), 16);
  end[0] = '\r';
  end[1] = '\n';
  const std::array<net::const_buffer, 3> bufs{
      net::buffer(chunk_head_.data(), static_cast<size_t>(end + 2 - chunk_head_.data())),
      net::buffer(data.data(), data.size()), net::buffer(kCrlf, 2)};
  co_return co_await flush(bufs);
}

awaitable<void> ConnResponder::end_stream() {
  if (state_ != State::streaming) co_return;
  state_ = State::ended;
  if (failed_ || !chunked_) co_return;
  static constexpr std::string_view kLast = "0\r\n\r\n";
  co_await flush(net::const_buffer(kLast.data(), kLast.size()));
}

std::shared_ptr<Disconnect> ConnResponder::disconnect() { return c_.disc_; }

boost::asio::any_io_executor ConnResponder::executor() { return c_.executor(); }

}  // namespace wharf::http::detail
