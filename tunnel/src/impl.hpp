// Internal: what every backend shares behind the tunnel handle: its counters, its last problem
// and the calls the handle forwards.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/address.hpp>
#include <zmqsec/tunnel/error.hpp>
#include <zmqsec/tunnel/options.hpp>
#include <zmqsec/tunnel/tunnel.hpp>

namespace zmqsec::tunnel {

class tunnel::impl {
 public:
  impl(zmqsec::tunnel::backend kind, std::uint16_t port) : kind_(kind), port_(port) {}
  virtual ~impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  virtual void close() noexcept = 0;
  virtual std::optional<int> ssh_pid() const noexcept { return std::nullopt; }

  zmqsec::tunnel::backend kind() const noexcept { return kind_; }
  std::uint16_t port() const noexcept { return port_; }
  bool alive() const noexcept { return alive_.load(std::memory_order_acquire); }

  tunnel_stats stats() const noexcept {
    tunnel_stats s;
    s.connections_accepted = accepted_.load(std::memory_order_relaxed);
    s.connections_active = active_.load(std::memory_order_relaxed);
    s.connections_refused = refused_.load(std::memory_order_relaxed);
    s.bytes_sent = sent_.load(std::memory_order_relaxed);
    s.bytes_received = received_.load(std::memory_order_relaxed);
    s.reconnects = reconnects_.load(std::memory_order_relaxed);
    return s;
  }

  std::string last_error() const {
    std::lock_guard lock(mutex_);
    return last_error_;
  }

 protected:
  void report(std::string problem) {
    std::lock_guard lock(mutex_);
    last_error_ = std::move(problem);
  }
  void set_port(std::uint16_t port) noexcept { port_ = port; }

  std::atomic<bool> alive_{true};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> active_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> sent_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> reconnects_{0};

 private:
  zmqsec::tunnel::backend kind_;
  std::uint16_t port_;
  mutable std::mutex mutex_;
  std::string last_error_;
};

namespace detail {

[[noreturn]] inline void fail(errc code, std::string what) {
  throw zmqsec::error(make_error_code(code), std::move(what));
}

std::unique_ptr<tunnel::impl> open_libssh2(const tcp_address& dest, const server_address& server,
                                           const options& opt);
std::unique_ptr<tunnel::impl> open_openssh(const tcp_address& dest, const server_address& server,
                                           const options& opt);
bool libssh2_can_log_in(const server_address& server, const options& opt);
bool openssh_can_log_in(const server_address& server, const options& opt);

}  // namespace detail
}  // namespace zmqsec::tunnel
