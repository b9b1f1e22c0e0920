// Helpers for the HTTP unit tests: a blocking POSIX client socket with timeouts (for raw
// protocol checks), a synchronous runner for client coroutines, and a started test server.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "http/client.h"
#include "http/server.h"
#include "http/util.h"

namespace wharf::http::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // chunked bodies are decoded
};

// Blocking IPv4 loopback connection; every wait is bounded by `timeout`.
class RawConn {
 public:
  explicit RawConn(std::chrono::milliseconds timeout = 10s) : timeout_(timeout) {}
  ~RawConn() { close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  // Returns 0 on success, else the errno of connect().
  int connect(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      int e = errno;
      close();
      return e;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
  }
  bool send_all(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  // Reads one complete response (Content-Length, chunked, or up to EOF).
  std::optional<RawResponse> read_response() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    RawResponse r;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    r.status = std::stoi(status_line.substr(9, 3));
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        r.headers[to_lower(line.substr(0, colon))] = v;
      }
      pos = e + 2;
    }
    if (r.status == 100) return read_response();
    if (r.headers.count("content-length")) {
      size_t n = std::stoul(r.headers["content-length"]);
      while (buf_.size() < n)
        if (!fill()) return std::nullopt;
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
    } else if (r.headers["transfer-encoding"] == "chunked") {
      for (;;) {
        size_t e;
        while ((e = buf_.find("\r\n")) == std::string::npos)
          if (!fill()) return std::nullopt;
        size_t n = std::stoul(buf_.substr(0, e), nullptr, 16);
        while (buf_.size() < e + 2 + n + 2)
          if (!fill()) return std::nullopt;
        r.body += buf_.substr(e + 2, n);
        buf_.erase(0, e + 2 + n + 2);
        if (n == 0) break;
      }
    } else {
      while (fill()) {
      }
      r.body = std::move(buf_);
      buf_.clear();
    }
    return r;
  }
  // True when the peer closes (EOF or reset) within the timeout; unread data is discarded.
  bool wait_closed() {
    for (;;) {
      char tmp[4096];
      if (!wait_readable()) return false;
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) return true;
    }
  }
  // Reads whatever arrives until `pred(received)` holds; false on timeout/EOF.
  bool read_until(const std::function<bool(const std::string&)>& pred) {
    while (!pred(buf_))
      if (!fill()) return false;
    return true;
  }
  std::string& buffer() { return buf_; }
  int fd() const { return fd_; }

 private:
  bool wait_readable() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(timeout_.count())) > 0;
  }
  bool fill() {
    if (fd_ < 0 || !wait_readable()) return false;
    char tmp[16384];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buf_;
};

// Runs a client coroutine to completion on a private io_context.
// (T need not be default-constructible, unlike with co_spawn(..., use_future).)
template <class T>
T run_sync(std::function<awaitable<T>(boost::asio::any_io_executor)> f) {
  boost::asio::io_context ioc;
  std::optional<T> out;
  auto wrap = [&]() -> awaitable<void> { out.emplace(co_await f(ioc.get_executor())); };
  auto fut = boost::asio::co_spawn(ioc, wrap(), boost::asio::use_future);
  ioc.run();
  fut.get();  // rethrows
  return std::move(*out);
}

inline Result<ClientResponse> http_request(uint16_t port, std::string method, std::string target,
                                           std::string body = {}, Headers headers = {}) {
  return run_sync<Result<ClientResponse>>([&](boost::asio::any_io_executor ex) {
    return request(ex, "127.0.0.1", port, method, target, body, headers);
  });
}

// Polls `pred` until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

inline std::unique_ptr<Server> start_server(ServerOptions o,
                                            const std::function<void(Server&)>& setup) {
  o.host = "127.0.0.1";
  o.port = 0;
  auto s = std::make_unique<Server>(o);
  setup(*s);
  std::string err;
  EXPECT_TRUE(s->start(err)) << err;
  EXPECT_NE(s->port(), 0);
  return s;
}

}  // namespace wharf::http::test
