// The sessions an authenticator accepted while a session_guard was attached, and which of them
// a change of policy or of a certificate store revoked. Written by the ZAP server (accepted), read
// by the guards' threads (refresh, revoked_since, forget). Thread-safe: one mutex, never held
// while user code runs. Private to zmqsec::auth.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/store_snapshots.hpp>

#include "handler_state.hpp"
#include "session_record.hpp"
#include "shared_log.hpp"

namespace zmqsec::auth::detail {

/// A session a change revoked, numbered in the order of revocation.
struct revoked_session {
  std::uint64_t sequence = 0;
  session_record session;
  std::string_view reason;  // static text
};

class session_registry {
 public:
  /// Sessions remembered at most (the oldest are forgotten first, and logged once).
  static constexpr std::size_t max_sessions = 1 << 18;
  /// Revocations kept for guards that have not read them yet.
  static constexpr std::size_t max_revoked = 4096;

  session_registry(const policy_source& source, handler_counters& counters, shared_log& log)
      : source_(source), counters_(counters), log_(log) {}

  /// A guard begins or ends: sessions are recorded while there is one; the last one gone, the
  /// sessions are forgotten (nothing would ever forget them otherwise).
  void attach();
  void detach() noexcept;
  /// Whether a guard is attached (the ZAP server's quick test before accepted()).
  bool tracking() const noexcept { return guards_.load(std::memory_order_relaxed) > 0; }

  /// ZAP server: request was accepted by p with reply. Records the session and adds its id to
  /// the reply's metadata (session_property). Never throws: a session that cannot be recorded
  /// gets no id (and is not tracked).
  void accepted(const policy& p, const zap_request& request, zap_reply& reply) noexcept;

  /// Re-evaluates every session if the policy or a certificate store in it changed since the
  /// last call (sessions recorded since are evaluated always). Cheap otherwise: one atomic load
  /// per store in force.
  void refresh();

  /// The revocations numbered cursor and later (cursor moves past them). Revocations older than
  /// the max_revoked last are gone: lost says how many were.
  std::vector<revoked_session> revoked_since(std::uint64_t& cursor, std::size_t& lost) const;
  /// The sequence number the next revocation gets (a new guard's cursor).
  std::uint64_t next_sequence() const;

  /// The session ended (its connection closed): no longer re-evaluated.
  void forget(std::uint64_t id);
  /// Whether some live (not revoked) session came from address.
  bool live_at(std::string_view address) const;

 private:
  using store_generations = std::vector<std::pair<const void*, std::uint64_t>>;
  bool changed_locked(const policy& p, std::uint64_t generation);
  void evaluate_locked(const policy& p, std::map<std::uint64_t, session_record>& sessions,
                       bool all);
  void revoke_locked(session_record session, std::string_view reason);

  const policy_source& source_;
  handler_counters& counters_;
  shared_log& log_;
  std::atomic<int> guards_{0};

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, session_record> live_;   // evaluated against the last policy seen
  std::map<std::uint64_t, session_record> fresh_;  // recorded since the last refresh
  std::uint64_t seen_generation_ = 0;
  store_generations seen_stores_;
  std::deque<revoked_session> revoked_;
  std::uint64_t next_sequence_ = 1;
  bool overflow_logged_ = false;
};

}  // namespace zmqsec::auth::detail
