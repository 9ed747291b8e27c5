#include <zmqsec/monitor/event_counts.hpp>

#include <bit>
#include <cstring>

namespace zmqsec::monitor {

namespace {

// One writer: a load and a store, no read-modify-write.
void bump(std::atomic<std::uint64_t>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

bool is_handshake_failure(event_type type) noexcept {
  return type == event_type::handshake_failed_no_detail ||
         type == event_type::handshake_failed_protocol || type == event_type::handshake_failed_auth;
}

}  // namespace

std::string failure_reason(event_type type, std::uint32_t value) {
  switch (type) {
    case event_type::handshake_failed_auth:
      return "ZAP_" + std::to_string(value);
    case event_type::handshake_failed_protocol:
      if (const auto name = protocol_error_name(value)) return std::string(*name);
      break;
    case event_type::handshake_failed_no_detail:
      if (const char* name = ::strerrorname_np(static_cast<int>(value))) return name;
      break;
    default:
      break;
  }
  return std::to_string(value);
}

void event_counter::count(const event& e) noexcept {
  const auto bits = static_cast<std::uint16_t>(e.type);
  if (std::has_single_bit(bits)) bump(by_type_[static_cast<std::size_t>(std::countr_zero(bits))]);
  switch (e.type) {
    case event_type::connected:
    case event_type::accepted:
      bump(open_);
      break;
    case event_type::disconnected:
      if (const auto open = open_.load(std::memory_order_relaxed); open > 0) {
        open_.store(open - 1, std::memory_order_relaxed);
      }
      break;
    default:
      if (is_handshake_failure(e.type)) count_failure(e.type, e.value);
      break;
  }
}

void event_counter::count_failure(event_type type, std::uint32_t value) noexcept {
  const std::uint64_t key = std::uint64_t{static_cast<std::uint16_t>(type)} << 32 | value;
  for (reason_slot& slot : reasons_) {
    const std::uint64_t held = slot.key.load(std::memory_order_relaxed);
    if (held == key) {
      bump(slot.count);
      return;
    }
    if (held == 0) {
      slot.count.store(1, std::memory_order_relaxed);
      slot.key.store(key, std::memory_order_release);  // the count is set before it is seen
      return;
    }
  }
  bump(other_failures_);
}

event_counts event_counter::snapshot() const {
  event_counts counts;
  for (std::size_t i = 0; i < by_type_.size(); ++i) {
    counts.by_type[i] = by_type_[i].load(std::memory_order_relaxed);
  }
  counts.connected_peers = open_.load(std::memory_order_relaxed);
  for (const reason_slot& slot : reasons_) {
    const std::uint64_t key = slot.key.load(std::memory_order_acquire);
    if (key == 0) break;
    counts.handshake_failures.push_back({static_cast<event_type>(key >> 32),
                                         static_cast<std::uint32_t>(key),
                                         slot.count.load(std::memory_order_relaxed)});
  }
  counts.other_handshake_failures = other_failures_.load(std::memory_order_relaxed);
  return counts;
}

}  // namespace zmqsec::monitor
