#include "http/server.h"

#include <future>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/error.h"
#include "http/connection.h"
#include "http/server_state.h"

namespace wharf::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

// ---- Request / Disconnect / error_body ----

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

void Disconnect::on_fire(std::function<void()> cb) {
  {
    std::lock_guard lk(mu_);
    if (!fired_.load(std::memory_order_relaxed)) {
      cbs_.push_back(std::move(cb));
      return;
    }
  }
  if (cb) cb();
}

void Disconnect::fire() {
  std::vector<std::function<void()>> cbs;
  {
    std::lock_guard lk(mu_);
    if (fired_.load(std::memory_order_relaxed)) return;
    fired_.store(true, std::memory_order_release);
    cbs.swap(cbs_);
  }
  for (auto& cb : cbs) {
    try {
      if (cb) cb();
    } catch (const std::exception& e) {
      spdlog::error("http: disconnect callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("http: disconnect callback threw");
    }
  }
}

std::string error_body(int status, std::string_view message) {
  std::optional<Errc> code;
  switch (status) {
    case 400: code = Errc::invalid_request; break;
    case 401: code = Errc::unauthorized; break;
    case 403: code = Errc::forbidden; break;
    case 404: code = Errc::not_found; break;
    case 405: code = Errc::method_not_allowed; break;
    case 413: code = Errc::payload_too_large; break;
    case 415: code = Errc::unsupported_media; break;
    case 429: code = Errc::rate_limited; break;
    case 500: code = Errc::internal; break;
    case 502: code = Errc::bad_gateway; break;
    case 503: code = Errc::unavailable; break;
    case 504: code = Errc::timeout; break;
    default: break;
  }
  if (code) return error_json(Error{*code, std::string(message), {}, 0});
  nlohmann::json err = {{"message", message},
                        {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                        {"param", nullptr},
                        {"code", nullptr}};
  return nlohmann::json{{"error", err}}.dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
}

// ---- Server ----

namespace {

thread_local const void* tl_io_owner = nullptr;  // the Server::Impl whose io thread this is

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("http: coroutine failed: {}", ex.what());
  } catch (...) {
    spdlog::error("http: coroutine failed");
  }
}

// Over max_connections: answer 503 at once, then close without resetting the response.
awaitable<void> reject_busy(tcp::socket sock, detail::ServerState& st) {
  detail::CountGuard g(st.rejecting);
  static const std::string kResp = [] {
    std::string body = error_body(503, "too many connections");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: wharf\r\nContent-Type: application/json\r\n"
           "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  constexpr auto kAwait = net::as_tuple(net::use_awaitable);
  boost::beast::tcp_stream stream(std::move(sock));
  stream.expires_after(std::chrono::seconds(2));
  auto [ec, n] = co_await net::async_write(stream, net::buffer(kResp), kAwait);
  if (!ec) {
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    char scratch[1024];
    for (size_t total = 0; !ec && total < (256u << 10);) {
      auto [rec, got] = co_await stream.async_read_some(net::buffer(scratch), kAwait);
      ec = rec;
      total += got;
    }
  }
  stream.socket().close(ec);
}

}  // namespace

struct Server::Impl {
  detail::ServerState st;
  std::optional<net::io_context> ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::strand<net::io_context::executor_type>> accept_strand;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex life_mu;  // start/stop
  bool started = false;
  bool stopped = false;

  awaitable<void> accept_loop();
  // Runs fn on the accept strand; waits for it unless called from an io thread.
  void on_accept_strand(std::function<void()> fn);
  void close_acceptor();
};

awaitable<void> Server::Impl::accept_loop() {
  constexpr auto kAwait = net::as_tuple(net::use_awaitable);
  while (acceptor && acceptor->is_open()) {
    net::any_io_executor conn_ex = net::make_strand(*ioc);
    auto [ec, sock] = co_await acceptor->async_accept(conn_ex, kAwait);
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor->is_open()) break;
      // Out of descriptors or a transient error: back off instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      net::steady_timer t(co_await net::this_coro::executor, std::chrono::milliseconds(50));
      co_await t.async_wait(kAwait);
      continue;
    }
    error_code opt_ec;
    sock.set_option(tcp::no_delay(true), opt_ec);
    if (st.stopping.load(std::memory_order_acquire)) {
      sock.close(opt_ec);
      continue;
    }
    if (st.connections.load(std::memory_order_acquire) >= st.opts.max_connections) {
      if (st.rejecting.load(std::memory_order_acquire) >= st.opts.max_connections) {
        sock.close(opt_ec);  // a flood: do not even answer
      } else {
        net::co_spawn(conn_ex, reject_busy(std::move(sock), st), log_exception);
      }
      continue;
    }
    try {
      auto conn = std::make_shared<detail::Connection>(st, std::move(sock));
      net::co_spawn(conn->executor(), [conn]() { return conn->run(); }, log_exception);
    } catch (const std::exception& e) {  // out of memory: drop this one, keep accepting
      spdlog::error("http: cannot serve a connection: {}", e.what());
    }
  }
}

void Server::Impl::on_accept_strand(std::function<void()> fn) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  net::post(*accept_strand, [fn = std::move(fn), done] {
    fn();
    done->set_value();
  });
  if (tl_io_owner == this) return;
  // The io_context may be stopped from a handler meanwhile: then fn never runs.
  while (fut.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
    if (ioc->stopped()) return;
  }
}

void Server::Impl::close_acceptor() {
  on_accept_strand([this] {
    error_code ec;
    if (acceptor) acceptor->close(ec);
  });
}

Server::Server(ServerOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->st.opts = std::move(opts);
  if (impl_->st.opts.threads < 1) impl_->st.opts.threads = 1;
  if (impl_->st.opts.max_connections < 1) impl_->st.opts.max_connections = 1;
}

Server::~Server() { stop(); }

void Server::route(std::string method, std::string path, Handler h) {
  auto& r = impl_->st.routes[std::move(path)];
  r.by_method[std::move(method)] = std::move(h);
  r.allow.clear();
  for (const auto& [m, _] : r.by_method) r.allow += (r.allow.empty() ? "" : ", ") + m;
}

void Server::set_filter(Filter f) { impl_->st.filter = std::move(f); }

bool Server::start(std::string& err) {
  std::lock_guard lk(impl_->life_mu);
  auto& I = *impl_;
  if (I.started) {
    err = "server already started";
    return false;
  }
  I.ioc.emplace(I.st.opts.threads);
  I.accept_strand.emplace(net::make_strand(*I.ioc));
  error_code ec;
  tcp::endpoint ep;
  auto addr = net::ip::make_address(I.st.opts.host, ec);
  if (!ec) {
    ep = tcp::endpoint(addr, I.st.opts.port);
  } else {
    tcp::resolver res(*I.ioc);
    auto results = res.resolve(I.st.opts.host, std::to_string(I.st.opts.port), ec);
    if (ec || results.empty()) {
      err = "cannot resolve '" + I.st.opts.host + "': " + (ec ? ec.message() : "no address");
      return false;
    }
    ep = results.begin()->endpoint();
  }
  tcp::acceptor acc(*I.accept_strand);
  auto fail = [&](const char* what) {
    err = std::string(what) + " " + ep.address().to_string() + ":" + std::to_string(ep.port()) +
          ": " + ec.message();
    return false;
  };
  acc.open(ep.protocol(), ec);
  if (ec) return fail("open");
  acc.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  acc.bind(ep, ec);
  if (ec) return fail("bind");
  acc.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  I.port = acc.local_endpoint(ec).port();
  I.acceptor.emplace(std::move(acc));
  I.work.emplace(I.ioc->get_executor());
  I.started = true;
  net::co_spawn(*I.accept_strand, I.accept_loop(), log_exception);
  for (int i = 0; i < I.st.opts.threads; ++i) {
    I.threads.emplace_back([this] {
      tl_io_owner = impl_.get();
      for (;;) {
        try {
          impl_->ioc->run();
          break;
        } catch (const std::exception& e) {
          spdlog::error("http: io thread: {}", e.what());
        } catch (...) {
          spdlog::error("http: io thread: unknown exception");
        }
      }
    });
  }
  return true;
}

uint16_t Server::port() const { return impl_->port; }

int Server::in_flight() const { return impl_->st.in_flight.load(std::memory_order_acquire); }

void Server::drain() {
  auto& I = *impl_;
  I.st.draining.store(true, std::memory_order_release);
  std::unique_lock lk(I.life_mu, std::defer_lock);
  if (tl_io_owner == &I) {
    if (!lk.try_lock()) return;  // stop() is running (and joining this very thread)
  } else {
    lk.lock();
  }
  if (!I.started || I.stopped || I.st.stopping.load(std::memory_order_acquire)) return;
  I.close_acceptor();
  std::vector<std::shared_ptr<detail::Connection>> conns;
  {
    std::lock_guard clk(I.st.conns_mu);
    conns.reserve(I.st.conns.size());
    for (auto* c : I.st.conns)
      if (auto sp = c->weak_from_this().lock()) conns.push_back(std::move(sp));
  }
  for (auto& c : conns) net::post(c->executor(), [c] { c->on_drain(); });
}

void Server::stop() {
  auto& I = *impl_;
  I.st.draining.store(true, std::memory_order_release);
  I.st.stopping.store(true, std::memory_order_release);
  if (tl_io_owner == &I) {
    // From a handler: a thread cannot join itself. Stop the io_context (run() returns on every
    // thread); the destructor, or a later stop() from another thread, joins and cleans up. The
    // io_context cannot be destroyed meanwhile: that needs this thread joined.
    spdlog::warn("http: Server::stop() called from an io thread; joining later");
    I.ioc->stop();
    return;
  }
  std::lock_guard lk(I.life_mu);
  if (I.stopped) return;
  I.stopped = true;
  if (!I.started) return;
  I.close_acceptor();  // waits for the accept strand (unless the io_context stopped)
  I.work.reset();
  I.ioc->stop();
  for (auto& t : I.threads) t.join();
  I.threads.clear();
  // Destroy the coroutines still suspended (connections, handlers) while the state they
  // reference is alive.
  I.acceptor.reset();
  I.accept_strand.reset();
  I.ioc.reset();
}

}  // namespace wharf::http
