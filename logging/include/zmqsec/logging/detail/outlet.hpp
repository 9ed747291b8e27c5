// outlet: the sending end of a pub_sink. It puts a record's two frames on the socket, reads the
// subscribe requests that reach it, and counts what it queued. One thread uses it at a time: the
// log call itself (under the sink's lock) or the sink's sender thread; its counters are read from
// any thread.
#pragma once

#include <spdlog/details/log_msg.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace zmqsec::logging::detail {

/// Why records were dropped, as bits: a drop report names each reason among its drops.
enum drop_reason : unsigned {
  queue_full = 1,         ///< a subscriber's queue was full
  send_failed = 2,        ///< sending failed
  format_failed = 4,      ///< formatting failed
  sink_queue_full = 8,    ///< the queue before the sink's sender thread was full
  larger_than_queue = 16  ///< the record was larger than half of that queue
};

class outlet {
 public:
  enum class sent { queued, full, failed };

  /// socket: a libzmq socket handle the owner keeps open; xpub: it reports subscriptions;
  /// send_flags: ZMQ_DONTWAIT, or 0 to wait up to the socket's ZMQ_SNDTIMEO.
  void attach(void* socket, bool xpub, int send_flags) noexcept;

  /// Queues topic and payload as one message; a full queue is retried once after the socket has
  /// handled its commands (its reader may have made room), then refused. Counts what is queued.
  sent send_record(std::string_view topic, std::string_view payload) noexcept;
  /// The same without the retry and without counting: for drop reports.
  sent send_frames(std::string_view topic, std::string_view payload) noexcept;

  /// Whether the periodic read of subscriptions is due for a record of time t (and counts it).
  bool read_due(spdlog::log_clock::time_point t) noexcept {
    return ++records_since_read_ >= read_interval || t >= next_read_;
  }
  /// Reads the subscribe requests that reached an XPUB socket; the next periodic read is due a
  /// millisecond after now. Receiving also makes the socket handle its pending commands.
  void read_subscriptions(spdlog::log_clock::time_point now = spdlog::log_clock::now()) noexcept;

  bool waits() const noexcept { return send_flags_ == 0; }
  std::uint64_t subscriptions() const noexcept {
    return subscriptions_.load(std::memory_order_relaxed);
  }
  std::uint64_t unsubscriptions() const noexcept {
    return unsubscriptions_.load(std::memory_order_relaxed);
  }
  std::uint64_t records() const noexcept { return records_.load(std::memory_order_relaxed); }
  std::uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

 private:
  // Subscribe requests wait in the XPUB socket until read, and reading them costs system calls
  // (poll and getpid): once a millisecond by the records' own time stamps, and at the latest
  // every read_interval records (issue 17: reading every 256 records put those log calls in the
  // 99th percentile).
  static constexpr unsigned read_interval = 65536;

  void* socket_ = nullptr;
  bool xpub_ = true;
  int send_flags_ = 0;
  unsigned records_since_read_ = 0;
  spdlog::log_clock::time_point next_read_{};
  unsigned refused_in_a_row_ = 0;
  std::atomic<std::uint64_t> subscriptions_{0};
  std::atomic<std::uint64_t> unsubscriptions_{0};
  // Written by the one thread that sends (a load and a store), read from any thread.
  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> bytes_{0};
};

}  // namespace zmqsec::logging::detail
