// What a session_guard knows of its socket's connections (fd, peer address, the session tied to
// it) and of the revoked sessions, shared by the guard's monitor thread, the thread that calls
// check(), and a stream filter that may outlive the guard. One mutex; never held while user code
// (the decision observer) runs. Private to zmqsec::auth.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <zmq.h>

#include <zmqsec/core/worker.hpp>

#include "authenticator_core.hpp"

namespace zmqsec::auth::detail {

/// One connection of the guarded socket, as the monitor reported it.
struct guarded_connection {
  std::string address;        // the peer's IP as libzmq writes it in ZAP requests
  std::string peer;           // address and port: the fd is still this connection if they match
  std::uint64_t session = 0;  // 0: no message tied it to a session yet
  // The first revocation not yet read when the connection was accepted: a session revoked
  // before that is not this connection's (its message was read after its own connection
  // closed and the fd was reused).
  std::uint64_t revocations_after = 0;
  bool cut = false;
};

class guard_state {
 public:
  /// Revoked sessions remembered (their messages refused), the oldest forgotten first.
  static constexpr std::size_t max_revoked = 1 << 16;

  explicit guard_state(std::shared_ptr<authenticator_core> core);
  guard_state(const guard_state&) = delete;
  guard_state& operator=(const guard_state&) = delete;
  ~guard_state();

  // --- The monitor thread ---------------------------------------------------------------------
  void accepted(int fd);
  void disconnected(int fd);
  /// Asks the authenticator for what changed, and cuts the connections of revoked sessions.
  void apply_revocations();

  // --- Any thread -----------------------------------------------------------------------------
  bool check(const zmq_msg_t* frame);
  std::uint64_t revocations() const noexcept { return revocations_.load(); }

  // What the guard's thread runs with (session_guard.cpp).
  core::worker worker;
  void* monitored = nullptr;  // the server socket; its owner's thread only

 private:
  struct revoked_entry {
    std::uint64_t sequence = 0;
    session_record session;
    std::string_view reason;
    bool counted = false;  // found on this socket: in revocations()
  };
  struct cut_report {  // a copy: reported after the lock is released
    session_record session;
    std::string_view reason;
    int fd;
  };
  void revoke_locked(const revoked_session& r, std::vector<cut_report>& reports);
  bool cut_by_address_locked(revoked_entry& entry, std::vector<cut_report>& reports);
  bool check_locked(std::uint64_t id, int fd, const char* peer_address,
                    std::vector<cut_report>& reports);
  void tie_locked(guarded_connection& c, std::uint64_t id, const char* peer_address) const;
  int cut_locked(int fd, guarded_connection& c) noexcept;
  void found_locked(revoked_entry& entry, int fd, std::vector<cut_report>& reports);
  void report(const std::vector<cut_report>& reports) noexcept;

  std::shared_ptr<authenticator_core> core_;
  mutable std::mutex mutex_;
  std::unordered_map<int, guarded_connection> connections_;
  std::unordered_map<std::uint64_t, revoked_entry> revoked_;
  std::deque<std::uint64_t> revoked_order_;
  std::uint64_t cursor_ = 0;
  std::atomic<std::uint64_t> revocations_{0};
};

}  // namespace zmqsec::auth::detail
