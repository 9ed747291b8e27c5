#include "shard_arena.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

#include <zmqsec/error.hpp>

#include "cert_store_table.hpp"

namespace zmqsec::certs::detail {
namespace {

std::size_t round_up(std::size_t n, std::size_t to) noexcept {
  return (n + to - 1) / to * to;
}

// A mapping of bytes starting on a huge page boundary (the kernel backs only aligned 2 MiB
// ranges with huge pages), advised to use huge pages. The extra alignment slack is unmapped.
std::shared_ptr<std::byte> map_huge(std::size_t bytes) {
  const std::size_t size = round_up(bytes, shard_arena::huge_page_size);
  const std::size_t slack = shard_arena::huge_page_size;
  auto* raw = static_cast<std::byte*>(map_pages(size + slack));
  const auto address = reinterpret_cast<std::uintptr_t>(raw);
  auto* start = reinterpret_cast<std::byte*>(round_up(address, shard_arena::huge_page_size));
  const auto head = static_cast<std::size_t>(start - raw);
  if (head > 0) unmap_pages(raw, head);
  if (slack - head > 0) unmap_pages(start + size, slack - head);
  // Only advice: without huge pages (THP off, no free 2 MiB page) the table works on 4 KiB pages.
  (void)::madvise(start, size, MADV_HUGEPAGE);
  return {start, [size](std::byte* p) { unmap_pages(p, size); }};
}

}  // namespace

shard_arena::shard_arena(std::size_t bytes) : size_(round_up(bytes, alignment)) {
  block_ = size_ >= huge_page_size ? map_huge(size_) : own(size_);
}

std::shared_ptr<std::byte> shard_arena::take(std::size_t bytes) {
  bytes = round_up(bytes, alignment);
  if (bytes > size_ - used_) {
    throw zmqsec::error(errc::invalid_argument, "shard_arena::take: past its size");
  }
  std::byte* p = block_.get() + used_;
  used_ += bytes;
  return {block_, p};  // shares the arena's ownership
}

std::shared_ptr<std::byte> shard_arena::own(std::size_t bytes) {
  bytes = round_up(bytes, alignment);
  if (bytes >= mapped_allocation_threshold) {  // as page_allocator: released pages go back
    return {static_cast<std::byte*>(map_pages(bytes)),
            [bytes](std::byte* p) { unmap_pages(p, bytes); }};
  }
  auto* p = static_cast<std::byte*>(::operator new (bytes, std::align_val_t{alignment}));
  std::fill_n(p, bytes, std::byte{0});
  return {p, [](std::byte* q) { ::operator delete (q, std::align_val_t{alignment}); }};
}

}  // namespace zmqsec::certs::detail
