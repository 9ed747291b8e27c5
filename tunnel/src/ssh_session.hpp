// Internal: a logged-in libssh2 session over its own TCP socket. establish() does everything that
// can fail before forwarding starts (connect, handshake, host key check, authentication), in
// libssh2's blocking mode bounded by options::connect_timeout; the forwarder then switches the
// session to non-blocking mode.
#pragma once

#include <libssh2.h>

#include <string>
#include <utility>

#include <zmqsec/tunnel/address.hpp>
#include <zmqsec/tunnel/options.hpp>

#include "net.hpp"

namespace zmqsec::tunnel::detail {

class ssh_session {
 public:
  ssh_session() = default;
  ssh_session(unique_fd socket, LIBSSH2_SESSION* session) noexcept
      : socket_(std::move(socket)), session_(session) {}
  ssh_session(ssh_session&& other) noexcept
      : socket_(std::move(other.socket_)), session_(std::exchange(other.session_, nullptr)) {}
  ssh_session& operator=(ssh_session&& other) noexcept {
    if (this != &other) {
      reset();
      socket_ = std::move(other.socket_);
      session_ = std::exchange(other.session_, nullptr);
    }
    return *this;
  }
  ~ssh_session() { reset(); }

  LIBSSH2_SESSION* get() const noexcept { return session_; }
  int fd() const noexcept { return socket_.get(); }
  explicit operator bool() const noexcept { return session_ != nullptr; }

  /// Says goodbye (briefly, blocking) and frees the session and its channels.
  void reset() noexcept;

 private:
  unique_fd socket_;
  LIBSSH2_SESSION* session_ = nullptr;
};

/// Connects, checks the host key and logs in; throws zmqsec::error with a tunnel::errc code.
ssh_session establish(const server_address& server, const options& opt);

/// libssh2's last error message for a session ("" if none).
std::string last_error_message(LIBSSH2_SESSION* session);

}  // namespace zmqsec::tunnel::detail
