#include "http/client.h"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "http/util.h"

namespace wharf::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto kAwait = net::as_tuple(net::use_awaitable);

Error io_error(std::string_view what, const error_code& ec) {
  const Errc code = ec == beast::error::timeout ? Errc::timeout : Errc::bad_gateway;
  return Error{code, std::string(what) + ": " + ec.message(), {}, 0};
}

template <class Fields>
void copy_headers(const Fields& f, Headers& out) {
  for (const auto& h : f) out.emplace_back(to_lower(h.name_string()), std::string(h.value()));
}

}  // namespace

std::string_view ClientResponse::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

struct ClientConnection::Impl {
  Impl(net::any_io_executor ex, ClientOptions o) : stream(ex), opts(o) {}
  beast::tcp_stream stream;
  beast::flat_buffer buf;
  ClientOptions opts;
  std::string host_header;
  bool open = false;

  void close() {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.close();
    buf.clear();
    open = false;
  }
  awaitable<Result<ClientResponse>> read_streamed(ChunkCallback& on_chunk);
  awaitable<Result<ClientResponse>> read_whole();
};

ClientConnection::ClientConnection(net::any_io_executor ex, ClientOptions opts)
    : impl_(std::make_unique<Impl>(std::move(ex), opts)) {}

ClientConnection::~ClientConnection() = default;

bool ClientConnection::is_open() const { return impl_->open; }

void ClientConnection::close() { impl_->close(); }

awaitable<Status> ClientConnection::connect(std::string host, uint16_t port) {
  auto& I = *impl_;
  if (I.open) I.close();
  tcp::resolver resolver(I.stream.get_executor());
  auto [rec, results] = co_await resolver.async_resolve(host, std::to_string(port), kAwait);
  if (rec) co_return io_error("resolve " + host, rec);
  I.stream.expires_after(I.opts.connect_timeout);
  auto [ec, ep] = co_await I.stream.async_connect(results, kAwait);
  if (ec) co_return io_error("connect " + host + ":" + std::to_string(port), ec);
  error_code opt_ec;
  I.stream.socket().set_option(tcp::no_delay(true), opt_ec);
  I.host_header = host + ":" + std::to_string(port);
  I.open = true;
  co_return Ok{};
}

awaitable<Result<ClientResponse>> ClientConnection::request(std::string method, std::string target,
                                                            std::string body, Headers headers,
                                                            ChunkCallback on_chunk) {
  auto& I = *impl_;
  if (!I.open) co_return Error{Errc::bad_gateway, "client connection is not open", {}, 0};
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, I.host_header);
  req.set(bhttp::field::user_agent, "wharf");
  bool has_type = false;
  for (auto& [k, v] : headers) {
    has_type = has_type || iequals(k, "content-type");
    req.insert(k, v);
  }
  if (!body.empty() && !has_type) req.set(bhttp::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  I.stream.expires_after(I.opts.io_timeout);
  auto [wec, wn] = co_await bhttp::async_write(I.stream, req, kAwait);
  if (wec) {
    I.close();
    co_return io_error("write request", wec);
  }
  // (No co_await inside ?: -- GCC 12 miscompiles it.)
  if (on_chunk) {
    auto res = co_await I.read_streamed(on_chunk);
    if (!res) I.close();
    co_return res;
  }
  auto res = co_await I.read_whole();
  if (!res) I.close();
  co_return res;
}

awaitable<Result<ClientResponse>> ClientConnection::Impl::read_whole() {
  bhttp::response_parser<bhttp::string_body> p;
  p.header_limit(opts.max_header_bytes);
  p.body_limit(static_cast<uint64_t>(opts.max_body_bytes));
  while (!p.is_done()) {  // one deadline per read that must make progress
    stream.expires_after(opts.io_timeout);
    auto [ec, n] = co_await bhttp::async_read_some(stream, buf, p, kAwait);
    if (ec) co_return io_error("read response", ec);
  }
  auto& m = p.get();
  ClientResponse out;
  out.status = static_cast<int>(m.result_int());
  copy_headers(m, out.headers);
  const bool keep = m.keep_alive();
  out.body = std::move(m.body());
  if (!keep) close();
  co_return out;
}

awaitable<Result<ClientResponse>> ClientConnection::Impl::read_streamed(ChunkCallback& on_chunk) {
  bhttp::response_parser<bhttp::buffer_body> p;
  p.header_limit(opts.max_header_bytes);
  p.body_limit(boost::none);  // streamed: the callback decides how much it wants
  stream.expires_after(opts.io_timeout);
  auto [hec, hn] = co_await bhttp::async_read_header(stream, buf, p, kAwait);
  if (hec) co_return io_error("read response header", hec);
  ClientResponse out;
  out.status = static_cast<int>(p.get().result_int());
  copy_headers(p.get(), out.headers);
  std::array<char, 16384> tmp;
  while (!p.is_done()) {
    p.get().body().data = tmp.data();
    p.get().body().size = tmp.size();
    stream.expires_after(opts.io_timeout);
    auto [ec, n] = co_await bhttp::async_read_some(stream, buf, p, kAwait);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) co_return io_error("read response body", ec);
    const size_t got = tmp.size() - p.get().body().size;
    if (got > 0 && !on_chunk(std::string_view(tmp.data(), got))) {
      close();
      co_return out;
    }
  }
  if (!p.get().keep_alive()) close();
  co_return out;
}

awaitable<Result<ClientResponse>> request(net::any_io_executor ex, std::string host, uint16_t port,
                                          std::string method, std::string target, std::string body,
                                          Headers headers, ClientOptions opts) {
  return request_stream(std::move(ex), std::move(host), port, std::move(method),
                        std::move(target), std::move(body), std::move(headers), {}, opts);
}

awaitable<Result<ClientResponse>> request_stream(net::any_io_executor ex, std::string host,
                                                 uint16_t port, std::string method,
                                                 std::string target, std::string body,
                                                 Headers headers, ChunkCallback on_chunk,
                                                 ClientOptions opts) {
  ClientConnection c(std::move(ex), opts);
  auto st = co_await c.connect(std::move(host), port);
  if (!st) co_return st.error();
  auto res = co_await c.request(std::move(method), std::move(target), std::move(body),
                                std::move(headers), std::move(on_chunk));
  c.close();
  co_return res;
}

}  // namespace wharf::http
