#include <zmqsec/monitor/async_monitor.hpp>

#include <coroutine>
#include <utility>

#include <zmqsec/loop/socket_watch.hpp>

namespace zmqsec::monitor {

namespace {

using steady = std::chrono::steady_clock;

// Resumes the awaiting coroutine once the reading end may have something (socket_watch's
// ZMQ_EVENTS discipline) or the time is up. Destroyed (with its watch and timer) when the
// coroutine resumes or is destroyed; both may happen inside their own callbacks.
class readable_or_timeout {
 public:
  readable_or_timeout(loop::event_loop& loop, void* socket, steady::duration timeout)
      : loop_(loop), socket_(socket), timeout_(timeout) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> awaiting) {
    awaiting_ = awaiting;
    watch_.emplace(loop_, socket_, ZMQ_POLLIN, [this](short, int) { wake(); });
    timer_ = loop_.call_later(timeout_, [this] { wake(); });
  }
  void await_resume() const noexcept {}

 private:
  void wake() {
    if (auto awaiting = std::exchange(awaiting_, nullptr)) awaiting.resume();
  }
  loop::event_loop& loop_;
  void* socket_;
  steady::duration timeout_;
  std::coroutine_handle<> awaiting_;
  std::optional<loop::socket_watch> watch_;
  loop::handle timer_;
};

}  // namespace

async_monitor::async_monitor(zmq::context_t& context, zmq::socket_ref socket,
                             loop::event_loop& loop, event_mask events)
    : events_(context, socket, events), loop_(loop) {}

std::optional<event> async_monitor::poll() {
  // receive() gives nullopt for a malformed message it skipped as well: try past those.
  for (int i = 0; i < 64 && !events_.stopped(); ++i) {
    if (auto e = events_.receive(std::chrono::milliseconds(0))) return e;
    int ready = 0;
    std::size_t size = sizeof ready;
    if (events_.socket().handle() == nullptr ||
        zmq_getsockopt(events_.socket().handle(), ZMQ_EVENTS, &ready, &size) != 0 ||
        (ready & ZMQ_POLLIN) == 0) {
      break;
    }
  }
  return std::nullopt;
}

loop::task<std::optional<event>> async_monitor::next(std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    if (auto e = poll()) co_return e;
    const auto left = deadline - steady::now();
    if (events_.stopped() || left <= steady::duration::zero()) co_return std::nullopt;
    co_await readable_or_timeout(loop_, events_.socket().handle(), left);
  }
}

}  // namespace zmqsec::monitor
