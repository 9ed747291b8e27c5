#include <zmqsec/logging/subscriber.hpp>

#include <zmq.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

#include <zmqsec/logging/topic.hpp>

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

// zmq_msg_recv failed: -1 if nothing is queued (or a signal came), else throws. Kept out of line,
// off the path of every frame.
[[gnu::noinline, gnu::cold]] int no_frame() {
  const int err = zmq_errno();
  if (err == EAGAIN || err == EINTR) return -1;
  throw socket_error(component, zmq::error_t(), "cannot receive");
}

// Receives one frame into msg without waiting: its size, or -1 if none is queued (or a signal
// came). The C call rather than cppzmq's recv(): this runs twice per record.
inline int receive_frame(void* socket, zmq::message_t& msg) {
  const int size = zmq_msg_recv(msg.handle(), socket, ZMQ_DONTWAIT);
  return size >= 0 ? size : no_frame();
}

// Counters with one writer (the subscriber's thread) that other threads read: a relaxed load and
// store, without a locked read-modify-write for each record.
void count_one(std::atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
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

// Receives one message without waiting into the reused frames; true for a record (two frames).
// Messages of other shapes are read whole, counted in skipped() and passed over.
bool subscriber::try_receive_frames() {
  void* const socket = socket_.handle();
  for (;;) {
    const int topic_size = receive_frame(socket, topic_frame_);
    if (topic_size < 0) return false;
    if (!topic_frame_.more()) {
      count_one(skipped_);
      continue;
    }
    // The rest of a message is there as soon as its first frame is.
    const int payload_size = receive_frame(socket, payload_frame_);
    if (payload_size < 0) {
      count_one(skipped_);  // never: libzmq delivers whole messages
      return false;
    }
    if (!payload_frame_.more()) {
      count_one(received_);
      topic_ = {static_cast<const char*>(topic_frame_.data()),
                static_cast<std::size_t>(topic_size)};
      payload_ = {static_cast<const char*>(payload_frame_.data()),
                  static_cast<std::size_t>(payload_size)};
      return true;
    }
    while (receive_frame(socket, extra_frame_) >= 0 && extra_frame_.more()) {
    }
    count_one(skipped_);
  }
}

std::optional<record> subscriber::try_receive() {
  if (!try_receive_frames()) return std::nullopt;
  return record::from_frames(std::string(topic_), std::string(payload_));
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

// The level a topic names. A stream carries a handful of topics, mostly the same one record after
// record: the last topic parsed and its level are kept, and a topic is parsed when it changes.
spdlog::level::level_enum subscriber::level_of(std::string_view topic) {
  if (topic != last_topic_) {
    last_level_ = parse_topic(topic).level;
    last_topic_.assign(topic);
  }
  return last_level_;
}

// The record in the frames to the logger, at its level, without a copy.
void subscriber::hand_over_frames() {
  std::string_view text = without_line_end(payload_);
  if (with_topic_) {
    line_.assign(topic_).append(": ").append(text);
    text = line_;
  }
  target_->log(level_of(topic_), spdlog::string_view_t(text.data(), text.size()));
}

// Receives the next record into the frames, waiting up to timeout; false if none came.
bool subscriber::wait_for_frames(std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  while (!try_receive_frames()) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return false;
    wait_readable(socket_, -1, static_cast<long>(left.count()));
  }
  return true;
}

std::size_t subscriber::receive_each(std::chrono::milliseconds timeout,
                                     const frames_handler& handle) {
  if (!wait_for_frames(timeout)) return 0;
  std::size_t count = 0;
  do {
    ++count;
    if (!handle(topic_, payload_)) break;
  } while (try_receive_frames());
  return count;
}

std::size_t subscriber::dispatch(std::chrono::milliseconds timeout) {
  if (!target_) throw zmqsec::error(errc::invalid_argument, "subscriber: no logger to dispatch to");
  if (!wait_for_frames(timeout)) return 0;
  std::size_t count = 0;
  do {
    hand_over_frames();
    ++count;
  } while (try_receive_frames());
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
      for (; handed < batch && try_receive_frames(); ++handed) hand_over_frames();
      if (handed == batch) continue;
      if (wait_readable(socket_, wake.fd(), -1)) return;
    }
  } catch (const zmqsec::error& e) {
    if (!core::is_zmq_error(e, ETERM)) throw;  // the context was shut down: nothing to receive
  }
}

}  // namespace zmqsec::logging
