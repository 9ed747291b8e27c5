// poll(): the first readable of several async_sockets (pyzmq's green Poller), each watched by a
// socket_operation of kind readable, none of which reads anything.
#include <zmqsec/loop/awaitable.hpp>

#include <cerrno>
#include <utility>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::loop {

class poll_awaiter::watch final : public detail::socket_operation {
 public:
  watch(std::shared_ptr<detail::async_socket_state> state, poll_awaiter& owner, std::size_t index)
      : socket_operation(std::move(state), kind::readable), owner_(owner), index_(index) {}

 private:
  void finish() override { owner_.ready(index_, error()); }
  poll_awaiter& owner_;
  std::size_t index_;
};

poll_awaiter::poll_awaiter(const socket_set& sockets, std::chrono::steady_clock::duration timeout)
    : timeout_(timeout) {
  if (sockets.sockets().empty()) throw zmqsec::error(errc::invalid_argument, "poll: no sockets");
  std::size_t index = 0;
  for (async_socket* socket : sockets.sockets()) {
    watches_.push_back(std::make_unique<watch>(socket->state_, *this, index++));
  }
  loop_ = &sockets.sockets().front()->loop();
}

poll_awaiter::~poll_awaiter() = default;

bool poll_awaiter::await_ready() {
  // Every socket is asked (and, if none is ready, queued); the first ready one wins.
  for (std::size_t i = 0; i < watches_.size() && !finished_; ++i) {
    if (!watches_[i]->start(std::nullopt)) ready(i, watches_[i]->error());
  }
  if (finished_) return true;
  if (timeout_ >= std::chrono::steady_clock::duration::zero()) {
    timer_ = loop_->call_later(timeout_, [this] { ready(watches_.size(), 0); });
  }
  return false;
}

void poll_awaiter::ready(std::size_t index, int error) noexcept {
  if (finished_) return;
  finished_ = true;
  if (index < watches_.size()) ready_ = index;
  error_ = error;
  timer_.cancel();
  watches_.clear();  // the others stop waiting
  if (awaiting_) std::exchange(awaiting_, nullptr).resume();
}

std::optional<std::size_t> poll_awaiter::await_resume() {
  if (error_ == ECANCELED) {
    throw zmqsec::error(std::error_code(ECANCELED, std::generic_category()),
                        "poll: cancelled (a socket was closed or reset)");
  }
  if (error_ != 0) throw core::zmq_error(error_, "poll");
  return ready_;
}

}  // namespace zmqsec::loop
