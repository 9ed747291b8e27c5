#include <zmqsec/logging/subscriber.hpp>

#include <zmq.h>
#include <zmq_addon.hpp>

#include <cerrno>
#include <iterator>
#include <system_error>
#include <utility>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

#include "sockets.hpp"

namespace zmqsec::logging {
namespace {

constexpr std::string_view component = "subscriber";

using detail::socket_error;

// Waits until the socket (and fd, if not -1) can be read or timeout passes (-1: no limit);
// returns whether fd can be read.
bool wait_readable(zmq::socket_t& socket, int fd, long timeout_ms) {
  zmq_pollitem_t items[2] = {{socket.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, fd, ZMQ_POLLIN, 0}};
  const int count = fd < 0 ? 1 : 2;
  if (zmq_poll(items, count, timeout_ms) < 0) {
    if (zmq_errno() == EINTR) return false;
    core::throw_zmq_error("subscriber: poll failed");
  }
  return count == 2 && (items[1].revents & ZMQ_POLLIN) != 0;
}

}  // namespace

subscriber::subscriber(subscriber_config config, std::shared_ptr<spdlog::logger> target)
    : target_(std::move(target)), with_topic_(config.with_topic) {
  zmq::context_t* context = &detail::given_or_own_context(config.context, own_context_);
  try {
    socket_ = zmq::socket_t(*context, zmq::socket_type::sub);
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, config.receive_hwm);
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot make a SUB socket");
  }
  if (config.configure) config.configure(socket_);
  for (const auto& prefix : config.topics) subscribe(prefix);
  bound_ = detail::bind_and_connect(socket_, component, config.bind, config.connect);
}

subscriber::~subscriber() = default;

void subscriber::subscribe(const std::string& prefix) {
  try {
    socket_.set(zmq::sockopt::subscribe, prefix);
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot subscribe");
  }
}

std::optional<record> subscriber::try_receive() {
  for (;;) {
    frames_.clear();
    std::optional<std::size_t> received;
    try {
      received =
          zmq::recv_multipart(socket_, std::back_inserter(frames_), zmq::recv_flags::dontwait);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) return std::nullopt;
      throw socket_error(component, e, "cannot receive");
    }
    if (!received) return std::nullopt;
    if (frames_.size() == 2) {
      received_.fetch_add(1, std::memory_order_relaxed);
      return record::from_frames(frames_[0].to_string(), frames_[1].to_string());
    }
    skipped_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::optional<record> subscriber::receive(std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  for (;;) {
    if (auto r = try_receive()) return r;
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return std::nullopt;
    wait_readable(socket_, -1, static_cast<long>(left.count()));
  }
}

void subscriber::hand_over(const record& r) {
  std::string_view text = r.message();
  if (with_topic_) {
    line_.assign(r.topic).append(": ").append(text);
    text = line_;
  }
  target_->log(r.level, spdlog::string_view_t(text.data(), text.size()));
}

std::size_t subscriber::dispatch(std::chrono::milliseconds timeout) {
  if (!target_) throw zmqsec::error(errc::invalid_argument, "subscriber: no logger to dispatch to");
  auto first = receive(timeout);
  if (!first) return 0;
  hand_over(*first);
  std::size_t count = 1;
  while (auto next = try_receive()) {
    hand_over(*next);
    ++count;
  }
  return count;
}

void subscriber::run(std::stop_token stop) {
  if (!target_) throw zmqsec::error(errc::invalid_argument, "subscriber: no logger to dispatch to");
  constexpr std::size_t batch = 1024;  // records between looks at the stop token
  core::wakeup_fd wake;                // made readable by a stop request, so the poll below returns
  std::stop_callback on_stop(stop, [&wake] { wake.notify(); });
  try {
    while (!stop.stop_requested()) {
      std::size_t handed = 0;
      for (; handed < batch; ++handed) {
        auto r = try_receive();
        if (!r) break;
        hand_over(*r);
      }
      if (handed == batch) continue;
      if (wait_readable(socket_, wake.fd(), -1)) return;
    }
  } catch (const zmqsec::error& e) {
    if (!core::is_zmq_error(e, ETERM)) throw;  // the context was shut down: nothing to receive
  }
}

}  // namespace zmqsec::logging
