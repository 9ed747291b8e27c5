#include "zap_io.hpp"

#include <cerrno>
#include <string>

#include <zmqsec/core/secret_memory.hpp>
#include <zmqsec/core/zmq_error.hpp>

namespace zmqsec::auth::detail {

// Receives one whole message into slot. error: errno says why (ETERM when terminating).
receive_result receive(void* socket, zap_slot& slot, message_frame& scratch) noexcept {
  slot.frame_count = 0;
  slot.truncated = false;
  for (;;) {
    message_frame& target = slot.frame_count < max_frames ? slot.frames[slot.frame_count] : scratch;
    if (zmq_msg_recv(target.get(), socket, ZMQ_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && slot.frame_count == 0 && !slot.truncated) {
        return receive_result::empty;
      }
      return receive_result::error;  // a message's frames arrive together: EAGAIN mid-way is odd
    }
    if (slot.frame_count < max_frames) {
      ++slot.frame_count;
    } else {
      slot.truncated = true;
    }
    if (zmq_msg_more(target.get()) == 0) return receive_result::message;
  }
}

std::optional<zap_envelope_split> split_slot(zap_slot& slot,
                                             std::array<std::string_view, max_frames + 1>& views) {
  for (std::size_t i = 0; i < slot.frame_count; ++i) views[i] = slot.frames[i].view();
  std::size_t count = slot.frame_count + (slot.truncated ? 1 : 0);
  return split_envelope(std::span<const std::string_view>(views.data(), count));
}

void wipe_credentials(zap_slot& slot) noexcept {
  // After the envelope: version, request id, domain, address, routing id, mechanism, then the
  // credentials.
  constexpr std::size_t credentials_frame = 6;
  for (std::size_t i = slot.envelope_size + credentials_frame; i < slot.frame_count; ++i) {
    core::wipe(zmq_msg_data(slot.frames[i].get()), zmq_msg_size(slot.frames[i].get()));
  }
}

// Sends the reply of slot. Returns 0, or the errno of the failed send.
int send_reply(void* socket, zap_slot& slot) noexcept {
  for (std::size_t i = 0; i < slot.envelope_size; ++i) {
    // zmq_msg_send hands the frame over (and empties it) only when it succeeds.
    while (zmq_msg_send(slot.frames[i].get(), socket, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
      if (errno != EINTR) return errno;
    }
  }
  auto frames = slot.reply.frames();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    int flags = ZMQ_DONTWAIT | (i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
    while (zmq_send(socket, frames[i].data(), frames[i].size(), flags) < 0) {
      if (errno != EINTR) return errno;
    }
  }
  return 0;
}

void* open_zap_socket(void* context) noexcept {
  void* socket = zmq_socket(context, ZMQ_ROUTER);
  if (socket == nullptr) return nullptr;
  int zero = 0;
  zmq_setsockopt(socket, ZMQ_LINGER, &zero, sizeof zero);
  const std::string endpoint(zap_endpoint);
  if (zmq_bind(socket, endpoint.c_str()) != 0) {
    const int err = errno;
    zmq_close(socket);
    errno = err;
    return nullptr;
  }
  return socket;
}

zmqsec::error zap_socket_error(std::string_view owner, int err) {
  std::string what = std::string(owner) + ": cannot bind " + std::string(zap_endpoint);
  if (err == EADDRINUSE) {
    what +=
        ": another ZAP handler (a second authenticator, or pyzmq's or CZMQ's) holds it in "
        "this context";
  }
  return core::zmq_error(err, what);
}

void close_zap_socket(void* socket) noexcept {
  const std::string endpoint(zap_endpoint);
  zmq_unbind(socket, endpoint.c_str());
  zmq_close(socket);
}

}  // namespace zmqsec::auth::detail
