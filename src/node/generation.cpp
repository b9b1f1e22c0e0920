#include "node/generation.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wharf::node {

Generation::Generation(http::Responder& res)
    : res_(res), bell_(std::make_shared<Doorbell>(res.executor(), 1)), shared_(std::make_shared<Shared>()) {
  // Client gone: free every sequence within one scheduler step. The callback holds only a weak
  // reference, so it is harmless if it runs after this object is gone.
  std::weak_ptr<Shared> weak = shared_;
  res_.disconnect()->on_fire([weak] {
    if (auto sh = weak.lock()) {
      std::lock_guard lk(sh->mu);
      for (auto& s : sh->seqs) s->cancel();
    }
  });
}

Generation::~Generation() {
  cancel();
  bell_->close();
}

Status Generation::submit(engine::Engine& eng, engine::GenerateRequest req) {
  std::weak_ptr<Doorbell> bell = bell_;
  auto r = eng.submit(std::move(req), [bell] {
    if (auto b = bell.lock()) b->try_send(boost::system::error_code{});
  });
  if (!r) return r.error();
  seqs_.push_back(*r);
  done_.push_back(false);
  {
    std::lock_guard lk(shared_->mu);
    shared_->seqs.push_back(std::move(*r));
  }
  if (res_.disconnect()->fired()) seqs_.back()->cancel();
  return Ok{};
}

void Generation::cancel() {
  for (size_t i = 0; i < seqs_.size(); ++i)
    if (!done_[i]) seqs_[i]->cancel();
}

http::awaitable<std::vector<Generation::Event>> Generation::next() {
  std::vector<Event> out;
  std::vector<engine::StreamEvent> evs;
  while (true) {
    bool all_done = true;
    for (size_t i = 0; i < seqs_.size(); ++i) {
      if (done_[i]) continue;
      evs.clear();
      done_[i] = seqs_[i]->drain(evs);
      for (auto& e : evs) out.push_back({i, std::move(e)});
      all_done = all_done && done_[i];
    }
    if (!out.empty() || all_done) co_return out;
    boost::system::error_code ec;
    co_await bell_->async_receive(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

}  // namespace wharf::node
