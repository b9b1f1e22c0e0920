// Private to src/http: state shared by the Server and its connections.
// Thread-safety: routes/filter/opts are written before start() and read-only afterwards;
// the flags and counters are atomics; `conns` is guarded by `conns_mu`.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "http/server.h"

namespace wharf::http::detail {

class Connection;

struct Route {
  std::map<std::string, Handler> by_method;
  std::string allow;  // "GET, POST" for the Allow header of a 405
};

struct ServerState {
  ServerOptions opts;
  std::unordered_map<std::string, Route> routes;
  Server::Filter filter;

  std::atomic<bool> draining{false};
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::atomic<int> connections{0};  // served connections (not counting 503 rejections)
  std::atomic<int> rejecting{0};    // connections being answered 503 (over max_connections)

  std::mutex conns_mu;
  std::unordered_set<Connection*> conns;
};

// RAII increment/decrement of an atomic counter.
class CountGuard {
 public:
  explicit CountGuard(std::atomic<int>& c) : c_(c) { c_.fetch_add(1, std::memory_order_acq_rel); }
  ~CountGuard() { c_.fetch_sub(1, std::memory_order_acq_rel); }
  CountGuard(const CountGuard&) = delete;
  CountGuard& operator=(const CountGuard&) = delete;

 private:
  std::atomic<int>& c_;
};

}  // namespace wharf::http::detail
