// Round trips, keep-alive, pipelining, routing errors, filter, handler failures.
#include <nlohmann/json.hpp>

#include <atomic>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "test_util.h"

namespace wharf::http::test {
namespace {

namespace net = boost::asio;
using nlohmann::json;

std::string describe(const Request& q) {
  json hs = json::object();
  for (auto& [k, v] : q.headers) hs[k] = v;
  json j = {{"method", q.method}, {"path", q.path},       {"target", q.target},
            {"query", q.query},   {"body", q.body},       {"headers", hs},
            {"remote", q.remote}, {"x_test", q.header("x-test")}};
  return j.dump();
}

void add_routes(Server& s) {
  s.route("GET", "/hello", [](const Request&, Responder& r) -> awaitable<void> {
    co_await r.send(200, "hi", "text/plain");
  });
  s.route("POST", "/echo", [](const Request& q, Responder& r) -> awaitable<void> {
    Headers extra(1, {"X-Extra", "1"});  // (no init-lists in coroutines: GCC 12 bug)
    co_await r.send(200, describe(q), "application/json", std::move(extra));
  });
  s.route("PUT", "/echo", [](const Request& q, Responder& r) -> awaitable<void> {
    co_await r.send(201, q.body, "text/plain");
  });
  s.route("GET", "/throw", [](const Request&, Responder&) -> awaitable<void> {
    throw std::runtime_error("boom");
    co_return;
  });
  s.route("GET", "/silent", [](const Request&, Responder&) -> awaitable<void> { co_return; });
  s.route("GET", "/slow", [](const Request&, Responder& r) -> awaitable<void> {
    net::steady_timer t(r.executor(), 100ms);
    co_await t.async_wait(net::use_awaitable);
    co_await r.send(200, "slow", "text/plain");
  });
}

class ServerBasic : public ::testing::Test {
 protected:
  void SetUp() override { srv_ = start_server({}, add_routes); }
  std::unique_ptr<Server> srv_;
};

TEST_F(ServerBasic, GetAndPostRoundTrip) {
  auto r = http_request(srv_->port(), "GET", "/hello");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hi");
  EXPECT_EQ(r->header("server"), "wharf");
  EXPECT_EQ(r->header("content-type"), "text/plain");

  r = http_request(srv_->port(), "POST", "/echo?a=1&b=hello%20world&c=x+y", "{\"k\":1}",
                   {{"X-Test", "Value"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("x-extra"), "1");
  auto j = json::parse(r->body);
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/echo");
  EXPECT_EQ(j["target"], "/echo?a=1&b=hello%20world&c=x+y");
  EXPECT_EQ(j["query"]["a"], "1");
  EXPECT_EQ(j["query"]["b"], "hello world");
  EXPECT_EQ(j["query"]["c"], "x y");
  EXPECT_EQ(j["body"], "{\"k\":1}");
  EXPECT_EQ(j["x_test"], "Value");
  EXPECT_EQ(j["headers"]["x-test"], "Value");
  EXPECT_EQ(j["headers"]["content-type"], "application/json");
  EXPECT_EQ(j["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
}

TEST_F(ServerBasic, KeepAliveServesTwoRequestsOnOneConnection) {
  auto port = srv_->port();
  auto res = run_sync<Result<std::pair<std::string, std::string>>>(
      [port](net::any_io_executor ex) -> awaitable<Result<std::pair<std::string, std::string>>> {
        ClientConnection c(ex);
        auto st = co_await c.connect("127.0.0.1", port);
        if (!st) co_return st.error();
        auto a = co_await c.request("POST", "/echo", "one");
        if (!a) co_return a.error();
        if (!c.is_open()) co_return Error{Errc::internal, "closed after first response"};
        auto b = co_await c.request("POST", "/echo", "two");
        if (!b) co_return b.error();
        co_return std::pair{json::parse(a->body)["remote"].get<std::string>(),
                            json::parse(b->body)["remote"].get<std::string>()};
      });
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->first, res->second);  // same client port: same connection
}

TEST_F(ServerBasic, PipelinedRequestsAreAnsweredInOrder) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  // The second request arrives while the first (slow) handler runs: the disconnect watch
  // reads it and must keep it for the next request.
  ASSERT_TRUE(c.send_all("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                         "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                         "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->body, "slow");
  EXPECT_EQ(b->status, 201);
  EXPECT_EQ(b->body, "abc");
  EXPECT_EQ(d->body, "hi");
}

TEST_F(ServerBasic, UnknownPathIs404Json) {
  auto r = http_request(srv_->port(), "GET", "/nope?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("content-type"), "application/json");
  auto j = json::parse(r->body);
  EXPECT_EQ(j["error"]["type"], "not_found_error");
  EXPECT_TRUE(j["error"]["param"].is_null());
  EXPECT_TRUE(j["error"]["code"].is_null());
  EXPECT_NE(j["error"]["message"].get<std::string>().find("/nope"), std::string::npos);
}

TEST_F(ServerBasic, WrongMethodIs405WithAllow) {
  auto r = http_request(srv_->port(), "DELETE", "/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "POST, PUT");
  auto j = json::parse(r->body);
  EXPECT_EQ(j["error"]["type"], "invalid_request_error");
  EXPECT_TRUE(j["error"].contains("param"));
}

TEST_F(ServerBasic, HandlerExceptionIs500AndConnectionKeepsServing) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 500);
  EXPECT_EQ(json::parse(a->body)["error"]["type"], "server_error");
  ASSERT_TRUE(c.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto b = c.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "hi");

  auto r = http_request(srv_->port(), "GET", "/silent");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(http_request(srv_->port(), "GET", "/hello")->status, 200);
}

TEST_F(ServerBasic, ChunkedRequestBodyAndExpectContinue) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto a = c.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "abcde");

  ASSERT_TRUE(c.send_all("PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                         "Content-Length: 4\r\n\r\n"));
  ASSERT_TRUE(c.read_until([](const std::string& b) { return b.find("100 Continue") != b.npos; }));
  c.buffer().clear();
  ASSERT_TRUE(c.send_all("wxyz"));
  auto b = c.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->body, "wxyz");
}

TEST_F(ServerBasic, Http10GetsAnAnswerAndClose) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("GET /hello HTTP/1.0\r\n\r\n"));
  auto a = c.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "hi");
  EXPECT_TRUE(c.wait_closed());
}

TEST(ServerFilter, FilterRunsBeforeRouting) {
  auto srv = start_server({}, [](Server& s) {
    add_routes(s);
    s.set_filter([](const Request& q, int& status, std::string& body, Headers& extra) {
      if (q.path == "/hello" && q.header("authorization") == "Bearer k") return false;
      status = 401;
      body = error_body(401, "invalid api key");
      extra.emplace_back("WWW-Authenticate", "Bearer");
      return true;
    });
  });
  auto r = http_request(srv->port(), "GET", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("www-authenticate"), "Bearer");
  auto j = json::parse(r->body);
  EXPECT_EQ(j["error"]["type"], "authentication_error");
  EXPECT_EQ(j["error"]["code"], "invalid_api_key");
  r = http_request(srv->port(), "GET", "/unknown");  // before routing: 401, not 404
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = http_request(srv->port(), "GET", "/hello", "", {{"Authorization", "Bearer k"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(ServerLimits, OverMaxConnectionsGets503) {
  ServerOptions o;
  o.max_connections = 1;
  auto srv = start_server(o, add_routes);
  RawConn a;
  ASSERT_EQ(a.connect(srv->port()), 0);
  ASSERT_TRUE(a.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(a.read_response());  // `a` is now surely accepted and counted
  auto r = http_request(srv->port(), "GET", "/hello");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("retry-after"), "1");
  a.close();
  EXPECT_TRUE(eventually([&] {
    auto x = http_request(srv->port(), "GET", "/hello");
    return x && x->status == 200;
  }));
}

TEST(ServerLifecycle, StartFailsOnBusyPortAndStopIsIdempotent) {
  auto a = start_server({}, add_routes);
  ServerOptions o;
  o.port = a->port();
  Server b(o);
  std::string err;
  EXPECT_FALSE(b.start(err));
  EXPECT_FALSE(err.empty());
  a->stop();
  a->stop();
  RawConn c;
  EXPECT_NE(c.connect(a->port()), 0);
  Server never_started(ServerOptions{});
  never_started.stop();
}

}  // namespace
}  // namespace wharf::http::test

namespace wharf::http::test {
namespace {

TEST(ServerLifecycle, DrainAndStopFromAHandler) {
  Server* self = nullptr;
  std::atomic<bool> stopped{false};
  auto srv = start_server({}, [&](Server& s) {
    self = &s;
    s.route("POST", "/drain", [&](const Request&, Responder& r) -> awaitable<void> {
      self->drain();
      co_await r.send(200, "draining", "text/plain");
    });
    s.route("POST", "/stop", [&](const Request&, Responder& r) -> awaitable<void> {
      co_await r.send(200, "stopping", "text/plain");
      self->stop();  // cannot join here: the destructor finishes it
      stopped = true;
    });
  });
  RawConn c;
  ASSERT_EQ(c.connect(srv->port()), 0);
  ASSERT_TRUE(c.send_all("POST /drain HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto a = c.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->body, "draining");
  EXPECT_EQ(a->headers["connection"], "close");
  // From an io thread drain() cannot wait for the acceptor to close; it closes soon after.
  EXPECT_TRUE(eventually([&] {
    RawConn d;
    return d.connect(srv->port()) != 0;
  }));
  srv.reset();

  auto srv2 = start_server({}, [&](Server& s) {
    self = &s;
    s.route("POST", "/stop", [&](const Request&, Responder& r) -> awaitable<void> {
      co_await r.send(200, "stopping", "text/plain");
      self->stop();
      stopped = true;
    });
  });
  RawConn e;
  ASSERT_EQ(e.connect(srv2->port()), 0);
  ASSERT_TRUE(e.send_all("POST /stop HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto b = e.read_response();
  ASSERT_TRUE(b);
  EXPECT_TRUE(eventually([&] { return stopped.load(); }));
  srv2.reset();  // joins the io threads
}

}  // namespace
}  // namespace wharf::http::test
