// The state behind throttling (throttle.hpp): failures and blocks per address group, in a
// fixed-size set-associative table. Owned by one ZAP server (one thread): no lock. Private to
// zmqsec::auth.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <zmqsec/auth/address_rules.hpp>
#include <zmqsec/auth/throttle.hpp>

namespace zmqsec::auth::detail {

/// Settings with throttling off (what a new policy_config has).
inline throttle_config throttle_off() {
  throttle_config config;
  config.max_failures = 0;
  return config;
}

/// Throws zmqsec::error for settings a throttle_table refuses (checked when a policy is
/// configured, so that the ZAP handler never meets them).
void check_throttle_config(const throttle_config& config);

class throttle_table {
 public:
  using clock = std::chrono::steady_clock;

  /// Throws zmqsec::error for a bad exempt rule or a zero-length window or back-off.
  explicit throttle_table(throttle_config config);

  /// New settings, keeping what the addresses did (entries move to a table of the new capacity;
  /// when it is smaller, the least recently failed give way as usual). Throws like the
  /// constructor, and then changes nothing. Throttling turned off forgets everything.
  void reconfigure(throttle_config config);

  /// Whether a request from address must be refused now ("throttled").
  bool blocked(std::string_view address, clock::time_point now) const noexcept;
  /// A refused credential from address: counts it; may start a block. Returns whether this
  /// failure started one.
  bool failed(std::string_view address, clock::time_point now) noexcept;
  /// An accepted request from address: forgets what it did.
  void succeeded(std::string_view address) noexcept;

  const throttle_config& config() const noexcept { return config_; }
  /// Addresses tracked now (for tests and stats).
  std::size_t tracked() const noexcept;

 private:
  static constexpr std::size_t ways = 8;  // slots an address may use
  struct entry {
    std::uint64_t key = 0;          // 0: empty
    std::int64_t window_start = 0;  // ms on the steady clock
    std::int64_t last_failure = 0;
    std::int64_t blocked_until = 0;
    std::int64_t next_backoff = 0;
    std::uint32_t failures = 0;
  };

  std::optional<std::uint64_t> key_of(std::string_view address) const noexcept;
  entry* find(std::uint64_t key) noexcept;
  const entry* find(std::uint64_t key) const noexcept;
  entry& claim(std::uint64_t key, std::int64_t t) noexcept;
  std::size_t bucket_of(std::uint64_t key) const noexcept;
  void move_entries_from(const std::vector<std::array<entry, ways>>& old) noexcept;

  throttle_config config_;
  address_rules exempt_;
  std::uint64_t seed_;
  std::vector<std::array<entry, ways>> buckets_;
};

}  // namespace zmqsec::auth::detail
