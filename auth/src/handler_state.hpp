// What the configuring side of an authenticator shares with its ZAP server: the policy in force
// and the counters. Both are read and written without a lock. Private to zmqsec::auth.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/policy.hpp>

namespace zmqsec::auth::detail {

/// Where the server finds the policy in force. The publisher stores the policy, then the
/// generation (release); the server loads the generation for every request (acquire) and the
/// policy only when the generation changed.
struct policy_source {
  std::atomic<std::shared_ptr<const policy>> current;
  std::atomic<std::uint64_t> generation{0};
};

/// The counters of authenticator_decision_stats, live. Written by the ZAP server's thread only
/// (a load and a store, relaxed: no read-modify-write, no lock); read from any thread.
class decision_counters {
 public:
  using stats = authenticator_decision_stats;

  /// The row of domain: its own among the first named_domains seen, other_domain after them.
  /// Allocates only when it names a new row (once per domain).
  std::size_t domain_row(std::string_view domain) noexcept {
    const std::size_t named = named_.load(std::memory_order_relaxed);
    for (std::size_t row = 0; row < named; ++row) {
      if (names_[row] == domain) return row;
    }
    if (named == stats::named_domains) return stats::other_domain;
    try {
      names_[named].assign(domain);
    } catch (...) {
      return stats::other_domain;
    }
    named_.store(named + 1, std::memory_order_release);  // the name is written before it is read
    return named;
  }

  void count_decision(std::size_t row, std::size_t status, std::size_t mechanism) noexcept {
    bump(values_.decisions[row][status][mechanism], 1);
  }
  void count_malformed() noexcept { bump(values_.malformed, 1); }
  void count_latency(std::uint64_t nanoseconds) noexcept {
    const double seconds = static_cast<double>(nanoseconds) * 1e-9;
    const auto& bounds = stats::latency_bounds;
    const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
    bump(values_.latency_buckets[static_cast<std::size_t>(bucket)], 1);
    bump(values_.latency_sum_ns, nanoseconds);
  }

  stats snapshot() const {
    stats copy;
    const std::size_t named = named_.load(std::memory_order_acquire);
    copy.domains.assign(names_.begin(), names_.begin() + static_cast<std::ptrdiff_t>(named));
    for (std::size_t d = 0; d < copy.decisions.size(); ++d) {
      for (std::size_t s = 0; s < stats::status_count; ++s) {
        for (std::size_t m = 0; m < stats::mechanism_count; ++m) {
          copy.decisions[d][s][m] = read(values_.decisions[d][s][m]);
        }
      }
    }
    for (std::size_t b = 0; b < copy.latency_buckets.size(); ++b) {
      copy.latency_buckets[b] = read(values_.latency_buckets[b]);
    }
    copy.latency_sum_ns = read(values_.latency_sum_ns);
    copy.malformed = read(values_.malformed);
    return copy;
  }

 private:
  static void bump(std::uint64_t& counter, std::uint64_t n) noexcept {
    std::atomic_ref<std::uint64_t> value(counter);
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static std::uint64_t read(std::uint64_t& counter) noexcept {
    return std::atomic_ref<std::uint64_t>(counter).load(std::memory_order_relaxed);
  }

  std::array<std::string, stats::named_domains> names_;  // [0, named_) written once each
  std::atomic<std::size_t> named_{0};
  mutable stats values_;  // only ever touched through atomic_ref; its domains stay empty
};

/// The counters of authenticator_stats, live. Each is read on its own (relaxed), without a lock.
///
/// Adding a counter touches two files: authenticator_stats.hpp (the field and its entry in
/// authenticator_counters) and the file where the event happens, which calls
/// add(&authenticator_stats::the_counter, n). stats() copies every listed counter.
class handler_counters {
 public:
  using counter = std::uint64_t authenticator_stats::*;

  /// For a counter one thread writes (the ZAP server's): a load and a store, no read-modify-write
  /// on the hot path.
  void add(counter c, std::uint64_t n) noexcept {
    if (n == 0) return;
    std::atomic_ref<std::uint64_t> value(values_.*c);
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  /// For a counter several threads write (password reloads: the file follower and reload()).
  void add_shared(counter c, std::uint64_t n = 1) noexcept {
    std::atomic_ref<std::uint64_t>(values_.*c).fetch_add(n, std::memory_order_relaxed);
  }

  /// The decisions in detail (by domain, status and mechanism; their times).
  decision_counters& decisions() noexcept { return decisions_; }
  const decision_counters& decisions() const noexcept { return decisions_; }

  /// Every counter as a plain number.
  authenticator_stats snapshot() const noexcept {
    authenticator_stats copy;
    for (counter c : authenticator_counters) {
      copy.*c = std::atomic_ref<std::uint64_t>(values_.*c).load(std::memory_order_relaxed);
    }
    return copy;
  }

 private:
  static_assert(std::atomic_ref<std::uint64_t>::required_alignment <= alignof(std::uint64_t));
  static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
  // Only ever touched through atomic_ref (snapshot() is const, hence mutable).
  mutable authenticator_stats values_;
  decision_counters decisions_;
};

}  // namespace zmqsec::auth::detail
