// Memory for secrets (passwords, passphrases, secret keys and the files that hold them): kept
// out of core dumps, locked out of swap when the process may lock memory, and wiped before it is
// reused or released.
//
//   zmqsec::core::secret_string password = read_password();   // never in a core, wiped at the end
//   zmqsec::core::wipe(scratch, sizeof scratch);              // a buffer of your own
//
// The pages come from mmap and are marked MADV_DONTDUMP (what libsodium's sodium_malloc does), so
// neither the kernel's core files nor gdb's gcore (even root's) contain them. Blocks of up to
// 4 KiB come from per-size free lists (an allocation is a lock and a pop, cheap enough for a
// request path); larger ones get pages of their own. Small blocks are reused, not returned to the
// system: the secret heap stays as large as the most secrets held at once.
//
// secret_string keeps even short text in that memory: std::string would store up to 15
// characters inside the string object itself (wherever that lives: stack, plain heap), so
// secret_string never uses that inline buffer.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace zmqsec::core {

/// Overwrites n bytes at p with zeros in a way the compiler does not remove (explicit_bzero).
void wipe(void* p, std::size_t n) noexcept;

namespace detail {
/// n bytes of secret memory (see above). Throws std::bad_alloc.
void* allocate_secret(std::size_t n);
/// Wipes the n bytes at p, then makes them available again. Accepts null.
void release_secret(void* p, std::size_t n) noexcept;
}  // namespace detail

/// An allocator of secret memory, for containers of secrets.
template <class T>
struct secret_allocator {
  using value_type = T;
  secret_allocator() noexcept = default;
  template <class U>
  secret_allocator(const secret_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(detail::allocate_secret(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { detail::release_secret(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const secret_allocator<U>&) const noexcept {
    return true;
  }
};

using secret_string_base = std::basic_string<char, std::char_traits<char>, secret_allocator<char>>;

/// A string for secret text: its characters always live in secret memory (never in the string
/// object), and every buffer it leaves behind is wiped. Builds like a std::string; assigns from
/// anything a std::string_view can see (std::string, literals).
class secret_string : public secret_string_base {
 public:
  secret_string() { reserve(inline_capacity + 1); }
  /// Whatever std::string's assign() takes: text, (pointer, length), (first, last), (n, c).
  template <class... Args>
  requires(sizeof...(Args) > 0) && requires(secret_string_base& s, Args&&... args) {
    s.assign(std::forward<Args>(args)...);
  }
  secret_string(Args&&... args) : secret_string() {
    assign(std::forward<Args>(args)...);  // into the buffer reserved above: never inline
  }
  secret_string(const secret_string& other) : secret_string() { assign(other); }
  /// Takes other's buffer; other keeps a fresh empty one (so this allocates, and may throw).
  secret_string(secret_string&& other) : secret_string() { swap(other); }
  secret_string& operator=(const secret_string& other) {
    assign(other);
    return *this;
  }
  secret_string& operator=(secret_string&& other) noexcept {
    swap(other);
    other.wipe_and_clear();
    return *this;
  }
  template <class T>
  requires(!std::is_same_v<std::remove_cvref_t<T>, secret_string>) &&
      requires(secret_string_base& s, T&& value) {
    s.assign(std::forward<T>(value));
  }
  secret_string& operator=(T&& value) {
    assign(std::forward<T>(value));
    return *this;
  }

  /// Overwrites the whole buffer, then empties the string (its buffer stays, in secret memory).
  void wipe_and_clear() noexcept {
    wipe(data(), capacity());
    clear();
  }
  /// Would move the text into the inline buffer: never.
  void shrink_to_fit() = delete;

 private:
  // std::string's inline buffer (15 in libstdc++): a capacity above it is always on the heap.
  static constexpr std::size_t inline_capacity = 15;
};

}  // namespace zmqsec::core
