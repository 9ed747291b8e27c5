// CURVE keys (Curve25519, as libzmq's CURVE mechanism uses them), made and checked by libsodium.
//
//   auto pair = zmqsec::certs::generate_keypair();
//   std::string pub = pair.public_key.z85();              // safe to print and share
//   auto same = zmqsec::certs::derive_public_key(pair.secret_key);
//   assert(same == pair.public_key);
//
// A secret_key keeps its 32 bytes in locked, sodium_malloc'd pages (wiped on release),
// compares in constant time and never prints itself: its z85() returns a secret_string, and
// no zmqsec exception message ever contains secret material.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <zmqsec/certs/secure_memory.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::certs {

inline constexpr std::size_t key_size = 32;      ///< bytes in a CURVE key
inline constexpr std::size_t z85_key_size = 40;  ///< characters in a Z85-encoded key

/// A CURVE public key. A plain value: copy it, hash it, print it.
class public_key {
 public:
  public_key() noexcept = default;  ///< all zero bytes
  explicit public_key(std::span<const unsigned char, key_size> bytes) noexcept;

  /// Parses 40 characters of Z85; throws zmqsec::error (invalid_key) for anything else.
  static public_key from_z85(std::string_view text);
  /// Takes 32 raw bytes; throws zmqsec::error (invalid_key) for another length.
  static public_key from_bytes(std::span<const unsigned char> bytes);

  std::string z85() const;
  std::span<const unsigned char, key_size> bytes() const noexcept { return bytes_; }
  const unsigned char* data() const noexcept { return bytes_.data(); }

  friend bool operator==(const public_key&, const public_key&) noexcept = default;

 private:
  std::array<unsigned char, key_size> bytes_{};
};

/// A CURVE secret key in locked memory, wiped on release. Move-only; copy explicitly with clone().
class secret_key {
 public:
  secret_key();  ///< all zero bytes (takes a slot of locked memory)
  explicit secret_key(std::span<const unsigned char, key_size> bytes);
  secret_key(secret_key&& other) noexcept;
  secret_key& operator=(secret_key&& other) noexcept;
  secret_key(const secret_key&) = delete;
  secret_key& operator=(const secret_key&) = delete;
  ~secret_key();

  /// Parses 40 characters of Z85; throws zmqsec::error (invalid_key) with a message that does
  /// not repeat the input.
  static secret_key from_z85(std::string_view text);
  static secret_key from_bytes(std::span<const unsigned char> bytes);

  secret_key clone() const;
  secret_string z85() const;
  /// The raw bytes, for handing to libzmq (zmq::sockopt::curve_secretkey). Do not copy them into
  /// ordinary memory.
  std::span<const unsigned char, key_size> bytes() const noexcept;

  /// Constant-time comparison (sodium_memcmp).
  friend bool operator==(const secret_key& a, const secret_key& b) noexcept;

 private:
  friend struct keypair generate_keypair();
  unsigned char* bytes_ = nullptr;  // a slot of the secret pool; null only after a move
};

/// A matching public and secret key.
struct keypair {
  certs::public_key public_key;
  certs::secret_key secret_key;
};

/// A fresh random keypair (crypto_box_keypair).
keypair generate_keypair();

/// The public key that belongs to a secret key (crypto_scalarmult_base).
public_key derive_public_key(const secret_key& secret);

/// Constant-time check that secret belongs to expected.
bool keys_match(const public_key& expected, const secret_key& secret) noexcept;

/// Initialises libsodium once; every function above calls it, users need not.
void ensure_sodium_initialised();

}  // namespace zmqsec::certs

template <>
struct std::hash<zmqsec::certs::public_key> {
  std::size_t operator()(const zmqsec::certs::public_key& key) const noexcept {
    // Curve25519 public keys are uniformly distributed, so their first bytes are a good hash.
    // Not keyed: use it for tables of trusted keys (stores loaded from files), not for tables
    // that grow with keys chosen by remote peers.
    std::size_t h;
    static_assert(sizeof h <= zmqsec::certs::key_size);
    std::memcpy(&h, key.data(), sizeof h);
    return h;
  }
};
