// The coroutine HTTP client: errors, streamed Content-Length bodies, early stop.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "test_util.h"

namespace wharf::http::test {
namespace {

namespace net = boost::asio;

TEST(HttpClient, ConnectionRefusedIsBadGateway) {
  uint16_t port;
  {
    auto srv = start_server({}, [](Server&) {});
    port = srv->port();
  }  // stopped: nothing listens there now
  auto r = http_request(port, "GET", "/");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::bad_gateway);
  EXPECT_NE(r.error().message.find("connect"), std::string::npos);
}

TEST(HttpClient, StreamsContentLengthBodyAndStopsEarly) {
  const std::string big(200000, 'z');
  auto srv = start_server({}, [&](Server& s) {
    s.route("GET", "/big", [&](const Request&, Responder& r) -> awaitable<void> {
      co_await r.send(200, big, "text/plain");
    });
  });
  auto port = srv->port();
  size_t total = 0, calls = 0;
  auto r = run_sync<Result<ClientResponse>>([&](net::any_io_executor ex) {
    return request_stream(ex, "127.0.0.1", port, "GET", "/big", "", {}, [&](std::string_view d) {
      total += d.size();
      ++calls;
      return true;
    });
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(total, big.size());
  EXPECT_TRUE(r->body.empty());

  size_t first = 0;
  r = run_sync<Result<ClientResponse>>([&](net::any_io_executor ex) {
    return request_stream(ex, "127.0.0.1", port, "GET", "/big", "", {}, [&](std::string_view d) {
      first = d.size();
      return false;  // enough
    });
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_GT(first, 0u);
  EXPECT_LT(first, big.size());
}

TEST(HttpClient, TimeoutIsReported) {
  auto srv = start_server({}, [](Server& s) {
    s.route("GET", "/never", [](const Request&, Responder& r) -> awaitable<void> {
      net::steady_timer t(r.executor(), 30s);
      auto d = r.disconnect();
      d->on_fire([&t] { t.cancel(); });  // the timer outlives every fire: fired only in here
      co_await t.async_wait(net::as_tuple(net::use_awaitable));
      co_await r.send(200, "late", "text/plain");
    });
  });
  ClientOptions o;
  o.io_timeout = 300ms;
  auto port = srv->port();
  auto r = run_sync<Result<ClientResponse>>([&](net::any_io_executor ex) {
    return request(ex, "127.0.0.1", port, "GET", "/never", "", {}, o);
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::timeout);
  EXPECT_TRUE(eventually([&] { return srv->in_flight() == 0; }));
}

}  // namespace
}  // namespace wharf::http::test
