// Real sockets for the session_guard tests: a server socket of the authenticator's context with
// a guard (the guard takes the socket's monitor, so the server has none of the harness's), and
// clients monitored from their side, which see their connection cut and their reconnection
// refused. Every wait is bounded and waits for a real event.
#pragma once

#include <gtest/gtest.h>
#include <zmq.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/session_guard.hpp>

#include "harness.hpp"

namespace zmqsec::testing::auth {

/// Sets the server side of mechanism m on socket.
inline void make_server(zmq::socket_t& socket, mech m, const certs::keypair* curve) {
  socket.set(zmq::sockopt::linger, 0);
  // libzmq 4.3 asks ZAP about NULL clients only for a socket with a ZAP domain.
  if (m == mech::null) socket.set(zmq::sockopt::zap_domain, "global");
  if (m == mech::plain) socket.set(zmq::sockopt::plain_server, 1);
  if (m == mech::curve) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey,
               zmq::const_buffer(curve->secret_key.bytes().data(), certs::key_size));
  }
}

/// A server socket bound at tcp://127.0.0.1:<ephemeral port>, guarded by a session_guard made
/// before it binds (as the guard's documentation asks).
class guarded_server {
 public:
  guarded_server(zmq::context_t& context, zmqsec::auth::authenticator& auth, mech m,
                 const certs::keypair* curve = nullptr,
                 zmq::socket_type type = zmq::socket_type::router)
      : socket_(context, type), guard_(make(auth, m, curve)) {
    endpoint_ = zmqsec::testing::bind_loopback(socket_);
    port_ = endpoint_.substr(endpoint_.rfind(':') + 1);
  }

  const std::string& port() const { return port_; }
  const std::string& endpoint() const { return endpoint_; }
  zmq::socket_t& socket() { return socket_; }
  zmqsec::auth::session_guard& guard() { return guard_; }

  /// Waits until a message can be read (it is in the socket's queue, read by nobody yet).
  bool readable(std::chrono::milliseconds timeout = patience) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, timeout);
    return (item.revents & ZMQ_POLLIN) != 0;
  }

  /// What check() said of the message whose last frame is text: read now, or before (a message
  /// read while looking for another one is kept for its turn); nullopt if none came in timeout.
  std::optional<bool> verdict_for(std::string_view text,
                                  std::chrono::milliseconds timeout = patience) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto it = verdicts_.find(std::string(text)); it != verdicts_.end()) {
        const bool allowed = it->second;
        verdicts_.erase(it);
        return allowed;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return std::nullopt;
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if ((item.revents & ZMQ_POLLIN) == 0) continue;
      std::vector<zmq::message_t> frames;
      do {
        if (!socket_.recv(frames.emplace_back())) return std::nullopt;
      } while (frames.back().more());
      verdicts_[frames.back().to_string()] = guard_.check(frames);
    }
  }

 private:
  zmqsec::auth::session_guard make(zmqsec::auth::authenticator& auth, mech m,
                                   const certs::keypair* curve) {
    make_server(socket_, m, curve);
    if (socket_.get(zmq::sockopt::type) == ZMQ_SUB) socket_.set(zmq::sockopt::subscribe, "");
    return zmqsec::auth::session_guard(auth, socket_);
  }

  zmq::socket_t socket_;
  zmqsec::auth::session_guard guard_;
  std::string endpoint_;
  std::string port_;
  std::map<std::string, bool> verdicts_;  // read, not yet asked for
};

/// A client connected from options.source to the server's port, monitored from its side.
class guarded_client {
 public:
  guarded_client(zmq::context_t& context, const std::string& port,
                 const client_options& options = {},
                 zmq::socket_type type = zmq::socket_type::dealer)
      : socket_(context, type), monitor_(context, socket_) {
    socket_.set(zmq::sockopt::linger, 0);
    if (options.mechanism == mech::plain) {
      socket_.set(zmq::sockopt::plain_username, options.username);
      socket_.set(zmq::sockopt::plain_password, options.password);
    }
    if (options.mechanism == mech::curve) {
      socket_.set(zmq::sockopt::curve_serverkey,
                  zmq::const_buffer(options.server_key->data(), certs::key_size));
      socket_.set(zmq::sockopt::curve_publickey,
                  zmq::const_buffer(options.curve->public_key.data(), certs::key_size));
      socket_.set(zmq::sockopt::curve_secretkey,
                  zmq::const_buffer(options.curve->secret_key.bytes().data(), certs::key_size));
    }
    if (type == zmq::socket_type::sub) socket_.set(zmq::sockopt::subscribe, "");
    socket_.connect("tcp://" + options.source + ":0;127.0.0.1:" + port);
  }

  zmq::socket_t& socket() { return socket_; }
  socket_monitor& monitor() { return monitor_; }
  void send(std::string_view text) { socket_.send(zmq::buffer(text), zmq::send_flags::none); }

  /// Whether the handshake succeeded.
  bool accepted() {
    auto end = monitor_.handshake();
    return end && end->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
  }
  /// Whether the connection was closed (by the server) within timeout.
  bool cut(std::chrono::milliseconds timeout = patience) {
    return monitor_.next(ZMQ_EVENT_DISCONNECTED, timeout).has_value();
  }
  /// The ZAP status of the next handshake if it failed for authentication (0 otherwise).
  std::uint32_t next_refusal() {
    auto end = monitor_.handshake();
    return end && end->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? end->value : 0;
  }

 private:
  zmq::socket_t socket_;
  socket_monitor monitor_;
};

/// The revocations the decision observer reported, copied out of the observer call.
class revocation_log {
 public:
  struct entry {
    std::string reason, address, username, client_key, user_id;
    int fd = -1;
  };

  zmqsec::auth::decision_observer observer() {
    return [this](const zmqsec::auth::decision& d) {
      if (!d.revoked) return;
      std::lock_guard lock(mutex_);
      entries_.push_back({std::string(d.reason), std::string(d.address), std::string(d.username),
                          std::string(d.client_key), std::string(d.user_id), d.closed_fd});
    };
  }
  std::vector<entry> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<entry> entries_;
};

}  // namespace zmqsec::testing::auth
