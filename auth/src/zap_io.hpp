// Moving ZAP messages between a ROUTER socket and the policy core, for the ZAP server step
// (zap_server.hpp): whole messages received into reusable slots, replies sent after their
// envelope. Private to the auth targets.
#pragma once

#include <zmq.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/zap.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth::detail {

// Frames kept of one message: the ROUTER's routing id and the delimiter, then the longest
// request (PLAIN: 8 frames), with room to spare. Frames past these are read and let go; the
// request then counts as having one frame too many (malformed, answered with 400).
constexpr std::size_t max_frames = 16;
class message_frame {
 public:
  message_frame() noexcept { zmq_msg_init(&msg_); }
  message_frame(const message_frame&) = delete;
  message_frame& operator=(const message_frame&) = delete;
  ~message_frame() { zmq_msg_close(&msg_); }
  zmq_msg_t* get() noexcept { return &msg_; }
  std::string_view view() noexcept {
    return {static_cast<const char*>(zmq_msg_data(&msg_)), zmq_msg_size(&msg_)};
  }

 private:
  zmq_msg_t msg_;
};

struct zap_slot {
  std::array<message_frame, max_frames> frames;
  std::size_t frame_count = 0;    // frames held
  bool truncated = false;         // more frames came than are held
  std::size_t envelope_size = 0;  // frames sent back before the reply (with the delimiter)
  zap_outcome outcome = zap_outcome::drop;
  zap_reply reply;  // reused: no allocation in steady state
};

enum class receive_result { message, empty, error };

// Receives one whole message into slot. error: errno says why (ETERM when terminating).
receive_result receive(void* socket, zap_slot& slot, message_frame& scratch) noexcept;

/// The frames of slot as views (the stand-in for frames let go counts as one more), split at
/// the envelope; nullopt when the message has no delimiter. views must outlive the result.
std::optional<zap_envelope_split> split_slot(zap_slot& slot,
                                             std::array<std::string_view, max_frames + 1>& views);

/// Overwrites the credential frames of the request in slot (PLAIN's password among them) once it
/// is decided: libzmq releases its messages without wiping them. A few hundred bytes at most.
void wipe_credentials(zap_slot& slot) noexcept;

// Sends the reply of slot. Returns 0, or the errno of the failed send.
int send_reply(void* socket, zap_slot& slot) noexcept;

/// A ROUTER of context bound at zap_endpoint (linger 0), or null with errno set.
void* open_zap_socket(void* context) noexcept;
/// What start() throws when open_zap_socket failed with err; owner names the authenticator.
zmqsec::error zap_socket_error(std::string_view owner, int err);
/// Unbinds (so that a start() right after can bind again: closing alone frees the endpoint
/// later, on libzmq's reaper thread) and closes.
void close_zap_socket(void* socket) noexcept;

}  // namespace zmqsec::auth::detail
