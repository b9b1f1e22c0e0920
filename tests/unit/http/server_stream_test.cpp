// Chunked streaming, client-disconnect detection, graceful drain.
#include <nlohmann/json.hpp>

#include <atomic>
#include <future>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "test_util.h"

namespace wharf::http::test {
namespace {

namespace net = boost::asio;
using nlohmann::json;
constexpr auto kAwait = net::as_tuple(net::use_awaitable);

// Waits (on the handler's executor) until flag is set; false after `limit`.
awaitable<bool> wait_flag(Responder& r, const std::atomic<bool>& flag,
                          std::chrono::milliseconds limit = 10s) {
  net::steady_timer t(r.executor());
  for (auto end = Clock::now() + limit; Clock::now() < end;) {
    if (flag.load()) co_return true;
    t.expires_after(2ms);
    co_await t.async_wait(kAwait);
  }
  co_return flag.load();
}

struct Shared {
  std::atomic<bool> go{false};
  std::atomic<bool> started{false};
  std::atomic<bool> fired{false};
  std::atomic<bool> done{false};
  std::atomic<int64_t> fired_at_us{0};
  std::atomic<int> writes_ok{0};
  std::atomic<bool> write_failed{false};
};

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

void add_routes(Server& s, std::shared_ptr<Shared> sh) {
  s.route("GET", "/hello", [](const Request&, Responder& r) -> awaitable<void> {
    co_await r.send(200, "hi", "text/plain");
  });
  // Two SSE events; the second only after the test has seen the first.
  s.route("GET", "/sse", [sh](const Request&, Responder& r) -> awaitable<void> {
    if (!co_await r.start_stream(200, "text/event-stream")) co_return;
    co_await r.write("data: a\n\n");
    if (!co_await wait_flag(r, sh->go)) throw std::runtime_error("test never saw chunk 1");
    co_await r.write("");  // no-op, must not end the stream
    co_await r.write("data: b\n\n");
    co_await r.end_stream();
  });
  // Non-streamed handler waiting on a timer that a disconnect cancels.
  s.route("GET", "/wait", [sh](const Request&, Responder& r) -> awaitable<void> {
    auto t = std::make_shared<net::steady_timer>(r.executor(), 30s);
    r.disconnect()->on_fire([sh, t] {
      sh->fired_at_us = now_us();
      sh->fired = true;
      t->cancel();
    });
    sh->started = true;
    co_await t->async_wait(kAwait);
    co_await r.send(200, sh->fired ? "fired" : "timeout", "text/plain");
    sh->done = true;
  });
  // Streams until a write fails.
  s.route("GET", "/endless", [sh](const Request&, Responder& r) -> awaitable<void> {
    co_await r.start_stream(200, "application/x-ndjson");
    net::steady_timer t(r.executor());
    for (auto end = Clock::now() + 20s; Clock::now() < end;) {
      if (!co_await r.write("{\"tick\":1}\n")) {
        sh->write_failed = true;
        break;
      }
      sh->writes_ok++;
      t.expires_after(5ms);
      co_await t.async_wait(kAwait);
    }
    sh->fired = r.disconnect()->fired();
    sh->done = true;
  });
  // Slow: answers once the test sets `go`.
  s.route("GET", "/slow", [sh](const Request&, Responder& r) -> awaitable<void> {
    sh->started = true;
    co_await wait_flag(r, sh->go);
    co_await r.send(200, "done", "text/plain");
  });
}

// Big chunks: exercises partial non-blocking writes and the async fallback.
void add_bulk_routes(Server& s, std::shared_ptr<Shared> sh) {
  s.route("GET", "/bulk", [sh](const Request&, Responder& r) -> awaitable<void> {
    co_await r.start_stream(200, "application/octet-stream");
    std::string chunk(50000, '\0');
    for (int i = 0; i < 200; ++i) {
      for (size_t j = 0; j < chunk.size(); ++j) chunk[j] = static_cast<char>('a' + (i + j) % 26);
      if (!co_await r.write(chunk)) {
        sh->write_failed = true;
        break;
      }
      sh->writes_ok++;
    }
    sh->done = true;
  });
}

class ServerStream : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.write_timeout = std::chrono::seconds(1);
    srv_ = start_server(o, [this](Server& s) {
      add_routes(s, sh_);
      add_bulk_routes(s, sh_);
    });
  }
  std::shared_ptr<Shared> sh_ = std::make_shared<Shared>();
  std::unique_ptr<Server> srv_;
};

TEST_F(ServerStream, ChunksArriveIncrementally) {
  auto port = srv_->port();
  std::vector<std::string> chunks;
  auto res = run_sync<Result<ClientResponse>>([&](net::any_io_executor ex) -> awaitable<Result<ClientResponse>> {
    ClientConnection c(ex);
    auto st = co_await c.connect("127.0.0.1", port);
    if (!st) co_return st.error();
    std::string seen;
    auto r = co_await c.request("GET", "/sse", "", {}, [&](std::string_view d) {
      chunks.emplace_back(d);
      seen += d;
      if (seen == "data: a\n\n") sh_->go = true;  // the handler may now write chunk 2
      return true;
    });
    if (!r) co_return r;
    // The connection stays usable after a chunked response.
    auto again = co_await c.request("GET", "/hello");
    if (!again || again->body != "hi") co_return Error{Errc::internal, "keep-alive after stream"};
    co_return r;
  });
  ASSERT_TRUE(res) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->header("content-type"), "text/event-stream");
  EXPECT_EQ(res->header("transfer-encoding"), "chunked");
  EXPECT_EQ(res->header("cache-control"), "no-cache");
  EXPECT_EQ(res->header("x-accel-buffering"), "no");
  ASSERT_GE(chunks.size(), 2u);
  EXPECT_EQ(chunks.front(), "data: a\n\n");
  std::string all;
  for (auto& c : chunks) all += c;
  EXPECT_EQ(all, "data: a\n\ndata: b\n\n");
}

TEST_F(ServerStream, ClientCloseFiresDisconnectPromptly) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return sh_->started.load(); }));
  EXPECT_EQ(srv_->in_flight(), 1);
  const int64_t t0 = now_us();
  c.close();
  ASSERT_TRUE(eventually([&] { return sh_->fired.load(); }, 5s)) << "Disconnect never fired";
  const int64_t dt_us = sh_->fired_at_us - t0;
  EXPECT_LT(dt_us, 200000) << "disconnect took " << dt_us << " us";
  EXPECT_TRUE(eventually([&] { return sh_->done.load() && srv_->in_flight() == 0; }));
  auto r = http_request(srv_->port(), "GET", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerStream, StreamingWriteFailsAfterClientCloses) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_until([](const std::string& b) { return b.find("tick") != b.npos; }));
  c.close();
  ASSERT_TRUE(eventually([&] { return sh_->done.load(); }, 5s));
  EXPECT_TRUE(sh_->fired.load());
  EXPECT_TRUE(eventually([&] { return srv_->in_flight() == 0; }));
}

TEST_F(ServerStream, LargeStreamArrivesIntactThroughASlowReader) {
  auto port = srv_->port();
  size_t total = 0, bad = 0, calls = 0;
  auto r = run_sync<Result<ClientResponse>>([&](net::any_io_executor ex) {
    return request_stream(ex, "127.0.0.1", port, "GET", "/bulk", "", {}, [&](std::string_view d) {
      if (calls++ < 3) std::this_thread::sleep_for(100ms);  // let the server's socket fill up
      for (size_t j = 0; j < d.size(); ++j, ++total) {
        size_t i = total / 50000, k = total % 50000;
        bad += d[j] != static_cast<char>('a' + (i + k) % 26);
      }
      return true;
    });
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(total, 200u * 50000u);
  EXPECT_EQ(bad, 0u);
  EXPECT_TRUE(eventually([&] { return sh_->done.load(); }));
  EXPECT_FALSE(sh_->write_failed.load());
}

TEST_F(ServerStream, ClientThatStopsReadingHitsWriteTimeout) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  int small = 4096;
  ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(c.send_all("GET /bulk HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Never read: the server's writes stall, time out after write_timeout (1 s) and fail.
  ASSERT_TRUE(eventually([&] { return sh_->done.load(); }, 20s));
  EXPECT_TRUE(sh_->write_failed.load());
  EXPECT_LT(sh_->writes_ok.load(), 200);
  EXPECT_TRUE(eventually([&] { return srv_->in_flight() == 0; }));
}

TEST_F(ServerStream, DrainFinishesInFlightAndRefusesNewWork) {
  RawConn busy, idle;
  ASSERT_EQ(idle.connect(srv_->port()), 0);
  ASSERT_TRUE(idle.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_response());
  ASSERT_EQ(busy.connect(srv_->port()), 0);
  ASSERT_TRUE(busy.send_all("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return sh_->started.load(); }));
  // (The /hello request may still count for a moment after its response was read.)
  EXPECT_TRUE(eventually([&] { return srv_->in_flight() == 1; }));

  srv_->drain();
  EXPECT_TRUE(idle.wait_closed());  // idle keep-alive connection: closed
  RawConn fresh;
  EXPECT_NE(fresh.connect(srv_->port()), 0);  // acceptor closed: refused
  EXPECT_EQ(srv_->in_flight(), 1);

  sh_->go = true;  // let the in-flight request finish
  auto r = busy.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(busy.wait_closed());
  EXPECT_TRUE(eventually([&] { return srv_->in_flight() == 0; }));
}

TEST_F(ServerStream, DrainAnswersPipelinedRequestWith503) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  // One send: the second request is already buffered by the server when drain starts.
  ASSERT_TRUE(c.send_all("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return sh_->started.load(); }));
  srv_->drain();
  sh_->go = true;
  auto a = c.read_response();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  auto b = c.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 503);
  EXPECT_EQ(b->headers["retry-after"], "1");
  EXPECT_EQ(json::parse(b->body)["error"]["code"], "service_unavailable");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_TRUE(eventually([&] { return srv_->in_flight() == 0; }));
}

TEST_F(ServerStream, StopWithHandlersInFlight) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return sh_->started.load(); }));
  srv_->stop();  // destroys the suspended handler
  EXPECT_EQ(srv_->in_flight(), 0);
  EXPECT_TRUE(c.wait_closed());
  srv_.reset();
}

}  // namespace
}  // namespace wharf::http::test
