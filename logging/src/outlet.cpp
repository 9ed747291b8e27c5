#include <zmqsec/logging/detail/outlet.hpp>

#include <zmq.h>

#include <cerrno>

namespace zmqsec::logging::detail {
namespace {

constexpr std::chrono::milliseconds read_period{1};

// During a stall, every so many refused records the socket is made to handle its commands (a
// system call); rarely enough that a refused record stays as cheap as without subscribers.
constexpr unsigned refresh_interval = 1024;

// Sends are retried this often when a signal interrupts them.
constexpr int interrupted_retries = 3;

}  // namespace

void outlet::attach(void* socket, bool xpub, int send_flags) noexcept {
  socket_ = socket;
  xpub_ = xpub;
  send_flags_ = send_flags;
}

outlet::sent outlet::send_frames(std::string_view topic, std::string_view payload) noexcept {
  int retries = interrupted_retries;
  // With send_flags_ 0 (block_for), the first frame waits up to SNDTIMEO for room.
  while (zmq_send(socket_, topic.data(), topic.size(), ZMQ_SNDMORE | send_flags_) < 0) {
    const int err = zmq_errno();
    if (err == EAGAIN) return sent::full;
    if (err != EINTR || --retries == 0) return sent::failed;
  }
  // The high-water mark counts whole messages and was checked for the first frame, so the second
  // cannot meet a full queue; only a closing socket or context makes it fail.
  retries = interrupted_retries;
  while (zmq_send(socket_, payload.data(), payload.size(), ZMQ_DONTWAIT) < 0) {
    if (zmq_errno() != EINTR || --retries == 0) return sent::failed;
  }
  return sent::queued;
}

outlet::sent outlet::send_record(std::string_view topic, std::string_view payload) noexcept {
  sent result = send_frames(topic, payload);
  // A queue looks full until the socket handles the word that its reader took records out, which
  // a send does only about once a millisecond: before a record counts as dropped, that word is
  // read and the send tried again. During a long stall only once in a while, not every record.
  // (A send that waits, with block_for, handles that word itself.)
  if (result == sent::full && send_flags_ != 0 && refused_in_a_row_ % refresh_interval == 0) {
    read_subscriptions();
    result = send_frames(topic, payload);
  }
  refused_in_a_row_ = result == sent::queued ? 0 : refused_in_a_row_ + 1;
  if (result == sent::queued) {
    records_.store(records_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    bytes_.store(bytes_.load(std::memory_order_relaxed) + topic.size() + payload.size(),
                 std::memory_order_relaxed);
  }
  return result;
}

void outlet::read_subscriptions(spdlog::log_clock::time_point now) noexcept {
  records_since_read_ = 0;
  next_read_ = now + read_period;
  if (!xpub_) return;
  zmq_msg_t message;
  zmq_msg_init(&message);
  while (zmq_msg_recv(&message, socket_, ZMQ_DONTWAIT) >= 0) {
    const auto* data = static_cast<const unsigned char*>(zmq_msg_data(&message));
    if (zmq_msg_size(&message) > 0 && data[0] == 1) {
      subscriptions_.fetch_add(1, std::memory_order_relaxed);
    } else if (zmq_msg_size(&message) > 0 && data[0] == 0) {
      unsubscriptions_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  zmq_msg_close(&message);
}

}  // namespace zmqsec::logging::detail
