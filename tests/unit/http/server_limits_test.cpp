// Size limits, malformed input, timeouts: every bad input gets its status (or a close) and the
// server keeps serving.
#include <nlohmann/json.hpp>

#include <random>

#include "test_util.h"

namespace wharf::http::test {
namespace {

using nlohmann::json;

void add_routes(Server& s) {
  s.route("POST", "/echo", [](const Request& q, Responder& r) -> awaitable<void> {
    co_await r.send(200, q.body, "text/plain");
  });
  s.route("GET", "/hello", [](const Request&, Responder& r) -> awaitable<void> {
    co_await r.send(200, "hi", "text/plain");
  });
}

class ServerLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.max_body_bytes = 1024;
    o.max_header_bytes = 2048;
    o.read_timeout = std::chrono::seconds(1);
    o.idle_timeout = std::chrono::seconds(1);
    srv_ = start_server(o, add_routes);
  }
  void expect_still_serving() {
    auto r = http_request(srv_->port(), "GET", "/hello");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  // Sends `raw`, expects one response with `status` and an OpenAI error body, then a close.
  void expect_error(const std::string& raw, int status) {
    RawConn c;
    ASSERT_EQ(c.connect(srv_->port()), 0);
    c.send_all(raw);  // may fail midway once the server answered and closed
    auto r = c.read_response();
    ASSERT_TRUE(r) << "no response for status " << status;
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->headers["content-type"], "application/json");
    auto j = json::parse(r->body);
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"]["type"].is_string());
    EXPECT_TRUE(j["error"].contains("param"));
    EXPECT_TRUE(j["error"].contains("code"));
    EXPECT_TRUE(c.wait_closed());
    expect_still_serving();
  }
  std::unique_ptr<Server> srv_;
};

TEST_F(ServerLimitsTest, BodyAtTheLimitIsAccepted) {
  auto r = http_request(srv_->port(), "POST", "/echo", std::string(1024, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 1024u);
}

TEST_F(ServerLimitsTest, OversizedBodyIs413) {
  expect_error("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n" +
                   std::string(1025, 'x'),
               413);
  // Declared far too large: answered before the body is read.
  expect_error("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", 413);
  // Chunked: detected while reading.
  std::string chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "200\r\n" + std::string(512, 'y') + "\r\n";
  expect_error(chunked + "0\r\n\r\n", 413);
  auto r = http_request(srv_->port(), "POST", "/echo", std::string(5000, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "payload_too_large");
}

TEST_F(ServerLimitsTest, OversizedHeaderIs431) {
  expect_error("GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'h') + "\r\n\r\n",
               431);
  std::string many = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 200; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  expect_error(many + "\r\n", 431);
  expect_error("GET /" + std::string(4096, 'p') + " HTTP/1.1\r\nHost: x\r\n\r\n", 431);
}

TEST_F(ServerLimitsTest, MalformedRequestIs400) {
  expect_error("GARBAGE\r\n\r\n", 400);
  expect_error("GET / HTTP/9.9\r\n\r\n", 400);
  expect_error("GET /hello HTTP/1.1\r\nBad Header\r\n\r\n", 400);
  expect_error("POST /echo HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400);
  expect_error("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
  expect_error("GET /he llo HTTP/1.1\r\n\r\n", 400);
}

TEST_F(ServerLimitsTest, StalledRequestIsClosedAfterReadTimeout) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  auto t0 = Clock::now();
  ASSERT_TRUE(c.send_all("GET /hello HTTP/1.1\r\nHost:"));
  EXPECT_TRUE(c.wait_closed());
  EXPECT_LT(Clock::now() - t0, 8s);
  expect_still_serving();
}

TEST_F(ServerLimitsTest, IdleKeepAliveConnectionIsClosed) {
  RawConn c;
  ASSERT_EQ(c.connect(srv_->port()), 0);
  ASSERT_TRUE(c.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_response());
  auto t0 = Clock::now();
  EXPECT_TRUE(c.wait_closed());
  EXPECT_GE(Clock::now() - t0, 500ms);
}

TEST_F(ServerLimitsTest, RandomGarbageNeverKillsTheServer) {
  std::mt19937 rng(1234);
  const std::string seeds[] = {"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
                               "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                               "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"};
  for (int i = 0; i < 60; ++i) {
    std::string s = seeds[i % 3];
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[pos] = static_cast<char>(rng() % 256); break;
        case 1: s.erase(pos, 1 + rng() % 4); break;
        default: s.insert(pos, std::string(1 + rng() % 3, static_cast<char>(rng() % 256)));
      }
      if (s.empty()) s = "x";
    }
    RawConn c(3s);
    ASSERT_EQ(c.connect(srv_->port()), 0);
    c.send_all(s);
    ::shutdown(c.fd(), SHUT_WR);  // whatever it was, that is all of it
    c.wait_closed();
  }
  expect_still_serving();
}

}  // namespace
}  // namespace wharf::http::test
