#include "secret_pool.hpp"

#include <sodium.h>

#include <mutex>
#include <new>
#include <vector>

#include <zmqsec/certs/keys.hpp>

namespace zmqsec::certs::detail {
namespace {

// A page of slots per block: 128 keys.
constexpr std::size_t slots_per_block = 4096 / key_size;

class secret_pool {
 public:
  unsigned char* allocate() {
    std::lock_guard lock(mutex_);
    if (free_.empty()) grow();
    unsigned char* slot = free_.back();
    free_.pop_back();
    return slot;
  }

  void release(unsigned char* slot) noexcept {
    sodium_memzero(slot, key_size);
    std::lock_guard lock(mutex_);
    free_.push_back(slot);  // capacity reserved in grow(): cannot throw
  }

 private:
  void grow() {
    auto* block = static_cast<unsigned char*>(sodium_malloc(slots_per_block * key_size));
    if (block == nullptr) throw std::bad_alloc();
    sodium_memzero(block, slots_per_block * key_size);
    blocks_ += 1;
    free_.reserve(blocks_ * slots_per_block);
    for (std::size_t i = slots_per_block; i-- > 0;) free_.push_back(block + i * key_size);
  }

  std::mutex mutex_;
  std::vector<unsigned char*> free_;
  std::size_t blocks_ = 0;
};

secret_pool& pool() {
  // Never destroyed: secret keys in static objects may be released after main returns. The
  // blocks stay reachable from here, so leak checkers do not report them.
  static secret_pool* instance = new secret_pool;
  return *instance;
}

}  // namespace

unsigned char* allocate_secret_slot() {
  ensure_sodium_initialised();
  return pool().allocate();
}

void release_secret_slot(unsigned char* slot) noexcept {
  if (slot != nullptr) pool().release(slot);
}

}  // namespace zmqsec::certs::detail
