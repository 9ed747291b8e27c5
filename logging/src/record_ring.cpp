#include "record_ring.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace zmqsec::logging::detail {
namespace {

constexpr std::size_t minimum_capacity = 64 * 1024;
constexpr std::uint32_t wrap_marker = 0xffffffffu;  // in topic_size: the rest of the ring is unused

constexpr std::size_t align8(std::size_t n) noexcept {
  return (n + 7) & ~std::size_t{7};
}

struct header {
  std::uint32_t topic_size;
  std::uint32_t payload_size;
  std::int64_t time_ns;
  std::uint32_t level;
  std::uint32_t reasons;
  std::uint64_t reports;
  std::int64_t reported_from_ns;
  std::int64_t reported_to_ns;
};
static_assert(sizeof(header) % 8 == 0);

}  // namespace

record_ring::record_ring(std::size_t bytes)
    : capacity_(std::bit_ceil(std::max(bytes, minimum_capacity))),
      bytes_(std::make_unique<std::byte[]>(capacity_)) {}

std::size_t record_ring::stored_size(std::size_t topic, std::size_t payload) const noexcept {
  return align8(sizeof(header) + topic + payload);
}

// Room for `need` bytes from head on: looks at the consumer's position only when the last look
// says there is none (one shared cache line read per ring's worth, not per record).
bool record_ring::has_room(std::uint64_t head, std::size_t need) const noexcept {
  if (head + need - tail_seen_ <= capacity_) return true;
  tail_seen_ = tail_.load(std::memory_order_acquire);
  return head + need - tail_seen_ <= capacity_;
}

bool record_ring::fits(std::size_t topic, std::size_t payload) const noexcept {
  const std::size_t size = stored_size(topic, payload);
  if (size > capacity_ / 2) return false;
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  const std::size_t to_end = capacity_ - (head & (capacity_ - 1));
  return has_room(head, to_end < size ? to_end + size : size);
}

bool record_ring::over_half() const noexcept {
  const std::uint64_t head = head_.load(std::memory_order_relaxed);
  return head - tail_.load(std::memory_order_relaxed) > capacity_ / 2;
}

record_ring::pushed record_ring::push(const ring_entry& entry) noexcept {
  const std::size_t size = stored_size(entry.topic.size(), entry.payload.size());
  if (size > capacity_ / 2) return pushed::too_large;
  std::uint64_t head = head_.load(std::memory_order_relaxed);
  std::size_t offset = head & (capacity_ - 1);
  const std::size_t to_end = capacity_ - offset;
  if (!has_room(head, to_end < size ? to_end + size : size)) return pushed::full;
  if (to_end < size) {  // an entry never wraps: the end of the ring is skipped
    if (to_end >= sizeof(header)) {
      header marker{};
      marker.topic_size = wrap_marker;
      std::memcpy(bytes_.get() + offset, &marker, sizeof marker);
    }
    head += to_end;
    offset = 0;
  }
  const header h{static_cast<std::uint32_t>(entry.topic.size()),
                 static_cast<std::uint32_t>(entry.payload.size()),
                 entry.time_ns,
                 entry.level,
                 entry.reasons,
                 entry.reports,
                 entry.reported_from_ns,
                 entry.reported_to_ns};
  std::byte* at = bytes_.get() + offset;
  std::memcpy(at, &h, sizeof h);
  std::memcpy(at + sizeof h, entry.topic.data(), entry.topic.size());
  std::memcpy(at + sizeof h + entry.topic.size(), entry.payload.data(), entry.payload.size());
  head_.store(head + size, std::memory_order_release);
  return pushed::queued;
}

std::optional<ring_entry> record_ring::front() noexcept {
  std::uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == head_seen_) {
    head_seen_ = head_.load(std::memory_order_acquire);
    if (tail == head_seen_) return std::nullopt;
  }
  std::size_t offset = tail & (capacity_ - 1);
  std::size_t skipped = 0;
  header h;
  if (capacity_ - offset >= sizeof h) std::memcpy(&h, bytes_.get() + offset, sizeof h);
  if (capacity_ - offset < sizeof h || h.topic_size == wrap_marker) {
    skipped = capacity_ - offset;
    offset = 0;
    std::memcpy(&h, bytes_.get(), sizeof h);
  }
  front_advance_ = skipped + stored_size(h.topic_size, h.payload_size);
  const auto* text = reinterpret_cast<const char*>(bytes_.get() + offset + sizeof h);
  return ring_entry{std::string_view(text, h.topic_size),
                    std::string_view(text + h.topic_size, h.payload_size),
                    h.time_ns,
                    h.level,
                    h.reasons,
                    h.reports,
                    h.reported_from_ns,
                    h.reported_to_ns};
}

void record_ring::pop() noexcept {
  tail_.store(tail_.load(std::memory_order_relaxed) + front_advance_, std::memory_order_release);
  front_advance_ = 0;
}

bool record_ring::empty() const noexcept {
  return tail_.load(std::memory_order_acquire) == head_.load(std::memory_order_acquire);
}

}  // namespace zmqsec::logging::detail
