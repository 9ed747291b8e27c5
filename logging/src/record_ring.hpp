// record_ring: the queue between a pub_sink's log calls and its sender thread. One producer (the
// log calls, serialised by the sink's lock) and one consumer (the sender); records are copied in
// as bytes, so a log call allocates nothing and never waits for the consumer.
//
//   record_ring ring(8 << 20);
//   ring.push({.topic = "app.INFO", .payload = "hello\n", .time_ns = t});  // log call
//   while (auto entry = ring.front()) { send(*entry); ring.pop(); }       // sender
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace zmqsec::logging::detail {

/// One record in the ring. For a drop report, `reports` is how many drops it reports, with their
/// interval, highest level and reasons, so that a report the socket refuses can be made again.
struct ring_entry {
  std::string_view topic;
  std::string_view payload;
  std::int64_t time_ns = 0;
  std::uint32_t level = 0;
  std::uint32_t reasons = 0;
  std::uint64_t reports = 0;
  std::int64_t reported_from_ns = 0;
  std::int64_t reported_to_ns = 0;
};

class record_ring {
 public:
  enum class pushed { queued, full, too_large };

  /// A ring of at least `bytes` (rounded up to a power of two, at least 64 KiB).
  explicit record_ring(std::size_t bytes);
  record_ring(const record_ring&) = delete;
  record_ring& operator=(const record_ring&) = delete;

  /// Producer: copies the entry in. too_large for one that takes more than half the ring.
  pushed push(const ring_entry& entry) noexcept;
  /// Producer: whether an entry of these sizes would fit now.
  bool fits(std::size_t topic, std::size_t payload) const noexcept;
  /// Producer: more than half of the ring is in use.
  bool over_half() const noexcept;

  /// Consumer: the oldest entry, viewing the ring until pop(); nullopt when empty.
  std::optional<ring_entry> front() noexcept;
  /// Consumer: releases the entry front() returned.
  void pop() noexcept;

  /// Either side: nothing is queued.
  bool empty() const noexcept;
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::size_t stored_size(std::size_t topic, std::size_t payload) const noexcept;
  bool has_room(std::uint64_t head, std::size_t need) const noexcept;

  std::size_t capacity_;
  std::unique_ptr<std::byte[]> bytes_;
  // Each side's position on a cache line of its own, with its copy of the other's.
  alignas(64) std::atomic<std::uint64_t> head_{0};  // written by the producer
  mutable std::uint64_t tail_seen_ = 0;             // the producer's last look at tail_
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // written by the consumer
  std::uint64_t head_seen_ = 0;                     // the consumer's last look at head_
  std::uint64_t front_advance_ = 0;                 // what pop() moves tail_ by
};

}  // namespace zmqsec::logging::detail
