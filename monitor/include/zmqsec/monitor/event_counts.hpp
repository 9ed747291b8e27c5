// Plain counters of the events a monitor received: by type, handshake failures by reason, and
// the peers connected now. monitor and loop_monitor keep one each (counts()); an exporter such as
// zmqsec::metrics reads them. Written by one thread (the monitor's), read from any, no lock.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <zmqsec/monitor/event.hpp>

namespace zmqsec::monitor {

/// How many handshakes failed for one reason.
struct handshake_failure_count {
  event_type type = event_type::handshake_failed_no_detail;
  std::uint32_t value = 0;  ///< the event's value: errno, ZMQ_PROTOCOL_ERROR_* or ZAP status
  std::uint64_t count = 0;
};

struct event_counts {
  /// Number of libzmq 4.3 event types (bits 0..15 of event_type).
  static constexpr std::size_t type_count = 16;
  /// by_type[i]: events of type 1 << i (event_type's bit).
  std::array<std::uint64_t, type_count> by_type{};
  /// CONNECTED and ACCEPTED minus DISCONNECTED: the connections open now.
  std::uint64_t connected_peers = 0;
  /// HANDSHAKE_FAILED_* by reason, each reason once.
  std::vector<handshake_failure_count> handshake_failures;
  /// Failures whose reason did not fit in the table (more than max_failure_reasons distinct).
  std::uint64_t other_handshake_failures = 0;
};

/// A handshake failure's reason as a short name: "ZAP_400" (the ZAP status), the protocol
/// error's name ("ZMTP_MECHANISM_MISMATCH") or the errno's ("ECONNRESET"); a number when unknown.
std::string failure_reason(event_type type, std::uint32_t value);

class event_counter {
 public:
  /// Distinct failure reasons counted on their own: far more than libzmq has.
  static constexpr std::size_t max_failure_reasons = 64;

  /// Counts e; on the one thread that receives the events.
  void count(const event& e) noexcept;
  event_counts snapshot() const;

 private:
  struct reason_slot {
    std::atomic<std::uint64_t> key{0};  // (type << 32 | value), 0 while free
    std::atomic<std::uint64_t> count{0};
  };
  void count_failure(event_type type, std::uint32_t value) noexcept;

  std::array<std::atomic<std::uint64_t>, event_counts::type_count> by_type_{};
  std::atomic<std::uint64_t> open_{0};
  std::array<reason_slot, max_failure_reasons> reasons_{};
  std::atomic<std::uint64_t> other_failures_{0};
};

}  // namespace zmqsec::monitor
