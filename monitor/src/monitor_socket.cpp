// Attaching and detaching a monitor: the reading end connects before libzmq binds, so there is
// never a moment when libzmq's PAIR has events to send and no reader.
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <string>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/monitor/monitor_socket.hpp>

namespace zmqsec::monitor {
namespace {

std::string unique_address() {
  static std::atomic<std::uint64_t> counter{0};
  return "inproc://zmqsec.monitor." + std::to_string(::getpid()) + "." +
         std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

[[noreturn]] void attach_failure(int err) {
  throw core::zmq_error(err, "cannot monitor socket");
}

}  // namespace

monitor_socket::monitor_socket(zmq::context_t& context, zmq::socket_ref socket, event_mask events)
    : monitored_(socket.handle()), events_(events), address_(unique_address()) {
  if (monitored_ == nullptr) attach_failure(ENOTSOCK);
  try {
    reader_ = zmq::socket_t(context, zmq::socket_type::pair);
    reader_.set(zmq::sockopt::linger, 0);
    reader_.set(zmq::sockopt::rcvhwm, 0);
    // inproc allows connecting before the bind: the pipe is attached the moment libzmq binds.
    reader_.connect(address_);
  } catch (const zmq::error_t& e) {
    attach_failure(e.num());
  }
  const int mask = events.bits() | ZMQ_EVENT_MONITOR_STOPPED;
  if (zmq_socket_monitor(monitored_, address_.c_str(), mask) != 0) {
    const int err = zmq_errno();
    reader_.close();  // libzmq holds no monitor: nothing to wait for
    attach_failure(err);
  }
}

monitor_socket::~monitor_socket() {
  stop();
  while (!stopped() && reader_) {
    try {
      receive(std::chrono::milliseconds(-1));
    } catch (...) {
      break;  // the reading end itself failed: nothing more will come through it
    }
  }
  close();
}

std::optional<event> monitor_socket::receive(std::chrono::milliseconds timeout) {
  if (stopped() || !reader_) return std::nullopt;
  std::optional<event> e;
  try {
    e = recv_monitor_message(reader_, timeout);
  } catch (const error& failure) {
    if (core::is_zmq_error(failure, ETERM)) {
      stopped_.store(true, std::memory_order_release);
      return std::nullopt;
    }
    if (is_io_error(failure)) throw;
    malformed_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  if (!e) return std::nullopt;
  received_.fetch_add(1, std::memory_order_relaxed);
  if (e->type == event_type::monitor_stopped) {
    stopped_.store(true, std::memory_order_release);
    if (!events_.contains(event_type::monitor_stopped)) return std::nullopt;
  }
  return e;
}

void monitor_socket::stop() noexcept {
  if (stopped() || stop_requested_.exchange(true, std::memory_order_acq_rel)) return;
  // Fails only when libzmq stops by itself (closed socket: ENOTSOCK; terminated context: ETERM).
  zmq_socket_monitor(monitored_, nullptr, 0);
}

void monitor_socket::close() noexcept {
  reader_.close();
}

}  // namespace zmqsec::monitor
