// Runs engine sequences from an HTTP handler coroutine: submits them, wakes the coroutine when
// the scheduler pushes events (a thread-safe doorbell channel), and cancels them when the client
// disconnects. Not thread-safe: one instance per request handler.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/experimental/concurrent_channel.hpp>

#include "engine/engine.h"
#include "http/server.h"

namespace wharf::node {

class Generation {
 public:
  explicit Generation(http::Responder& res);
  ~Generation();

  // Submits one sequence; its events are reported with index = order of submission.
  Status submit(engine::Engine& eng, engine::GenerateRequest req);
  size_t size() const { return seqs_.size(); }

  struct Event {
    size_t index;
    engine::StreamEvent ev;
  };
  // Waits until at least one event is available (or all sequences finished) and returns the
  // events in order. Returns an empty vector once every sequence has delivered its final event.
  http::awaitable<std::vector<Event>> next();
  // Cancels every sequence that has not finished.
  void cancel();

 private:
  using Doorbell = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;
  // Shared with the disconnect callback, which may outlive this object.
  struct Shared {
    std::mutex mu;
    std::vector<std::shared_ptr<engine::Sequence>> seqs;
  };
  http::Responder& res_;
  std::shared_ptr<Doorbell> bell_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<engine::Sequence>> seqs_;
  std::vector<bool> done_;
};

}  // namespace wharf::node
