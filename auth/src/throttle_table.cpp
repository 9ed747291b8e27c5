// Throttling state: one entry per address group (IPv4 address, IPv6 /64), in buckets of eight
// slots chosen by a keyed hash, so that nobody can aim many addresses at one bucket.
#include "throttle_table.hpp"

#include <sodium.h>

#include <algorithm>
#include <bit>
#include <string>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

#include "flag_table.hpp"

namespace zmqsec::auth::detail {

namespace {

std::int64_t ms(throttle_table::clock::time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::size_t bucket_count(const throttle_config& config, std::size_t ways) {
  if (!config.enabled()) return 0;
  return std::bit_ceil(std::max<std::size_t>(1, (config.capacity + ways - 1) / ways));
}

}  // namespace

void check_throttle_config(const throttle_config& config) {
  address_rules exempt;
  for (const auto& rule : config.exempt) exempt.allow(rule);
  if (!config.enabled()) return;
  if (config.window.count() <= 0 || config.initial_backoff.count() <= 0 ||
      config.max_backoff < config.initial_backoff) {
    throw zmqsec::error(errc::invalid_argument,
                        "throttle: window and back-off must be positive, and max_backoff at "
                        "least initial_backoff");
  }
  if (config.capacity == 0 || config.capacity > max_throttle_capacity) {
    throw zmqsec::error(errc::invalid_argument, "throttle: capacity must be from 1 to " +
                                                    std::to_string(max_throttle_capacity) +
                                                    " addresses");
  }
}

throttle_table::throttle_table(throttle_config config) : config_(std::move(config)) {
  check_throttle_config(config_);
  for (const auto& rule : config_.exempt) exempt_.allow(rule);
  certs::ensure_sodium_initialised();
  randombytes_buf(&seed_, sizeof seed_);
  buckets_.resize(bucket_count(config_, ways));
}

void throttle_table::reconfigure(throttle_config config) {
  if (config == config_) return;
  check_throttle_config(config);
  address_rules exempt;
  for (const auto& rule : config.exempt) exempt.allow(rule);
  std::vector<std::array<entry, ways>> buckets(bucket_count(config, ways));
  // Nothing below throws: the new settings come in whole or not at all.
  if (buckets.size() != buckets_.size()) {
    buckets_.swap(buckets);
    if (!buckets_.empty()) move_entries_from(buckets);
  }
  exempt_ = std::move(exempt);
  config_ = std::move(config);
}

// The entries of a table of another size into this one (keys are kept: no address is parsed
// again). Each claims its slot as a new failure would, at the time it last failed.
void throttle_table::move_entries_from(const std::vector<std::array<entry, ways>>& old) noexcept {
  for (const auto& bucket : old) {
    for (const entry& e : bucket) {
      if (e.key != 0) claim(e.key, e.last_failure) = e;
    }
  }
}

std::optional<std::uint64_t> throttle_table::key_of(std::string_view address) const noexcept {
  const auto parsed = ip_address::parse(address.substr(0, address.find('%')));
  if (!parsed) return std::nullopt;
  const ip_address ip = parsed->unmapped();
  if (exempt_.match(ip) == address_match::allowed) return std::nullopt;
  const auto& b = ip.bytes();
  std::uint64_t value = 0;
  const std::size_t bytes = ip.is_v4() ? 4 : 8;  // IPv6: the /64
  for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | b[i];
  const std::uint64_t family = ip.is_v4() ? 0x9e3779b97f4a7c15ULL : 0;
  return mix(mix(value ^ seed_) ^ family) | 1;  // never 0 (the empty slot)
}

std::size_t throttle_table::bucket_of(std::uint64_t key) const noexcept {
  return static_cast<std::size_t>(key >> 17) & (buckets_.size() - 1);
}

const throttle_table::entry* throttle_table::find(std::uint64_t key) const noexcept {
  for (const entry& e : buckets_[bucket_of(key)]) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

throttle_table::entry* throttle_table::find(std::uint64_t key) noexcept {
  return const_cast<entry*>(std::as_const(*this).find(key));
}

// A slot for key: an empty one, else the one that failed least recently among those not
// blocked at t (evicted), else (all blocked) the one whose block ends first. A blocked address
// must not get out of its block because others failed meanwhile.
throttle_table::entry& throttle_table::claim(std::uint64_t key, std::int64_t t) noexcept {
  auto& bucket = buckets_[bucket_of(key)];
  entry* victim = nullptr;
  auto worse = [t](const entry& a, const entry& b) {  // whether a should go before b
    const bool a_blocked = t < a.blocked_until;
    const bool b_blocked = t < b.blocked_until;
    if (a_blocked != b_blocked) return !a_blocked;
    return a_blocked ? a.blocked_until < b.blocked_until : a.last_failure < b.last_failure;
  };
  for (entry& e : bucket) {
    if (e.key == 0) {
      victim = &e;
      break;
    }
    if (victim == nullptr || worse(e, *victim)) victim = &e;
  }
  *victim = entry{};
  victim->key = key;
  return *victim;
}

bool throttle_table::blocked(std::string_view address, clock::time_point now) const noexcept {
  if (buckets_.empty()) return false;
  const auto key = key_of(address);
  if (!key) return false;
  const entry* e = find(*key);
  return e != nullptr && ms(now) < e->blocked_until;
}

bool throttle_table::failed(std::string_view address, clock::time_point now) noexcept {
  if (buckets_.empty()) return false;
  const auto key = key_of(address);
  if (!key) return false;
  const std::int64_t t = ms(now);
  entry* e = find(*key);
  if (e == nullptr) e = &claim(*key, t);
  // A long quiet time (no failure and no block for max_backoff) starts the schedule over.
  if (e->next_backoff == 0 ||
      t - std::max(e->last_failure, e->blocked_until) > config_.max_backoff.count()) {
    e->next_backoff = config_.initial_backoff.count();
  }
  if (e->failures == 0 || t - e->window_start > config_.window.count()) {
    e->failures = 0;
    e->window_start = t;
  }
  e->last_failure = t;
  if (++e->failures < config_.max_failures) return false;
  e->blocked_until = t + e->next_backoff;
  e->next_backoff = std::min(e->next_backoff * 2, config_.max_backoff.count());
  // On probation after the block: one more failure within window of its end starts the next
  // one, so a guesser gets one guess per block, not max_failures.
  e->failures = config_.max_failures - 1;
  e->window_start = e->blocked_until;
  return true;
}

void throttle_table::succeeded(std::string_view address) noexcept {
  if (buckets_.empty()) return;
  const auto key = key_of(address);
  if (!key) return;
  if (entry* e = find(*key)) *e = entry{};
}

std::size_t throttle_table::tracked() const noexcept {
  std::size_t n = 0;
  for (const auto& bucket : buckets_) {
    for (const entry& e : bucket) n += e.key != 0 ? 1 : 0;
  }
  return n;
}

}  // namespace zmqsec::auth::detail
