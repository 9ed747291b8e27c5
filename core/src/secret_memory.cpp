// The secret heap: pages out of core dumps (MADV_DONTDUMP), locked when the process may, every
// block wiped before reuse or release.
#include <zmqsec/core/secret_memory.hpp>

#include <string.h>
#include <sys/mman.h>

#include <array>
#include <bit>
#include <mutex>

namespace zmqsec::core {
namespace {

constexpr std::size_t smallest_block = 16;
constexpr std::size_t largest_block = 4096;  // larger requests get pages of their own
constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t size_classes = std::bit_width(largest_block / smallest_block);  // 16..4096

// Pages for secrets: anonymous, out of core dumps, locked if RLIMIT_MEMLOCK allows (swap is a
// lesser worry than cores: a failed mlock is not an error, a failed madvise is).
void* map_secret_pages(std::size_t bytes) {
  void* pages = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  if (::madvise(pages, bytes, MADV_DONTDUMP) != 0) {
    ::munmap(pages, bytes);
    throw std::bad_alloc();
  }
  (void)::mlock(pages, bytes);
  return pages;
}

std::size_t page_rounded(std::size_t bytes) {
  constexpr std::size_t page = 4096;
  return (bytes + page - 1) / page * page;
}

// The index of the smallest class that holds n bytes (n <= largest_block).
std::size_t class_of(std::size_t n) noexcept {
  const std::size_t blocks = (std::max(n, smallest_block) + smallest_block - 1) / smallest_block;
  return static_cast<std::size_t>(std::bit_width(std::bit_ceil(blocks)) - 1);
}

class secret_heap {
 public:
  void* allocate(std::size_t n) {
    if (n > largest_block) return map_secret_pages(page_rounded(n));
    const std::size_t c = class_of(n);
    const std::lock_guard lock(mutex_);
    if (free_[c] == nullptr) carve_chunk(c);
    free_block* block = free_[c];
    free_[c] = block->next;
    block->next = nullptr;
    return block;
  }

  void release(void* p, std::size_t n) noexcept {
    if (p == nullptr) return;
    wipe(p, n);
    if (n > largest_block) {
      ::munmap(p, page_rounded(n));
      return;
    }
    const std::size_t c = class_of(n);
    const std::lock_guard lock(mutex_);
    auto* block = static_cast<free_block*>(p);
    block->next = free_[c];
    free_[c] = block;
  }

 private:
  struct free_block {
    free_block* next;
  };

  void carve_chunk(std::size_t c) {
    const std::size_t size = smallest_block << c;
    auto* chunk = static_cast<unsigned char*>(map_secret_pages(chunk_size));
    for (std::size_t at = chunk_size; at >= size; at -= size) {
      auto* block = reinterpret_cast<free_block*>(chunk + at - size);
      block->next = free_[c];
      free_[c] = block;
    }
  }

  std::mutex mutex_;
  std::array<free_block*, size_classes> free_{};
};

secret_heap& heap() {
  // Never destroyed: secrets in static objects may be released after main returns.
  static secret_heap* instance = new secret_heap;
  return *instance;
}

}  // namespace

void wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) ::explicit_bzero(p, n);
}

namespace detail {

void* allocate_secret(std::size_t n) {
  return heap().allocate(n);
}

void release_secret(void* p, std::size_t n) noexcept {
  heap().release(p, n);
}

}  // namespace detail
}  // namespace zmqsec::core
