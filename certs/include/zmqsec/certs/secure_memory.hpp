// Memory for secrets: wiped (sodium_memzero) before it is released.
//
//   zmqsec::certs::secret_string z85 = secret.z85();   // wiped when z85 goes away
//
// secret_string is a std::basic_string whose allocator wipes every buffer it releases, including
// the ones left behind when the string grows. Z85 keys (40 characters) never fit the small-string
// buffer, so their characters always live in wiped heap memory.
#pragma once

#include <cstddef>
#include <new>
#include <string>

namespace zmqsec::certs {

namespace detail {
void secure_wipe(void* p, std::size_t n) noexcept;  // sodium_memzero
}

/// An allocator that wipes memory before returning it.
template <class T>
struct wiping_allocator {
  using value_type = T;
  wiping_allocator() noexcept = default;
  template <class U>
  wiping_allocator(const wiping_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    detail::secure_wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const wiping_allocator<U>&) const noexcept {
    return true;
  }
};

/// A string for secret text (Z85 secret keys, passwords, secret certificate files).
using secret_string = std::basic_string<char, std::char_traits<char>, wiping_allocator<char>>;

}  // namespace zmqsec::certs
