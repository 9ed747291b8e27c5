// CURVE keys on libsodium. Secret bytes only ever live in the secret pool's locked memory.
#include <zmqsec/certs/keys.hpp>

#include <sodium.h>

#include <new>
#include <stdexcept>

#include <zmqsec/certs/z85.hpp>
#include <zmqsec/error.hpp>
#include "secret_pool.hpp"

namespace zmqsec::certs {
namespace {

static_assert(crypto_box_PUBLICKEYBYTES == key_size && crypto_box_SECRETKEYBYTES == key_size);
static_assert(crypto_scalarmult_BYTES == key_size);

zmqsec::error wrong_key_text(std::string_view what, std::size_t length) {
  return zmqsec::error(errc::invalid_key, std::string(what) + " must be " +
                                              std::to_string(z85_key_size) +
                                              " characters of Z85, got " + std::to_string(length));
}

zmqsec::error wrong_key_bytes(std::string_view what, std::size_t length) {
  return zmqsec::error(errc::invalid_key, std::string(what) + " must be " +
                                              std::to_string(key_size) + " bytes, got " +
                                              std::to_string(length));
}

}  // namespace

void ensure_sodium_initialised() {
  // sodium_init is thread-safe and idempotent; the static makes the common path one load.
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw zmqsec::error(errc::invalid_argument, "libsodium failed to initialise");
}

// ---- public_key ----

public_key::public_key(std::span<const unsigned char, key_size> bytes) noexcept {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

public_key public_key::from_z85(std::string_view text) {
  if (text.size() != z85_key_size) throw wrong_key_text("a public key", text.size());
  public_key key;
  if (auto result = z85_decode_to(text, key.bytes_); !result) {
    throw zmqsec::error(errc::invalid_key, "public key: " + describe(result));
  }
  return key;
}

public_key public_key::from_bytes(std::span<const unsigned char> bytes) {
  if (bytes.size() != key_size) throw wrong_key_bytes("a public key", bytes.size());
  return public_key(bytes.first<key_size>());
}

std::string public_key::z85() const {
  std::string text(z85_key_size, '\0');
  z85_encode_to(bytes_, text);
  return text;
}

// ---- secret_key ----

secret_key::secret_key() : bytes_(detail::allocate_secret_slot()) {}

secret_key::secret_key(std::span<const unsigned char, key_size> bytes)
    : bytes_(detail::allocate_secret_slot()) {
  std::copy(bytes.begin(), bytes.end(), bytes_);
}

secret_key::secret_key(secret_key&& other) noexcept : bytes_(other.bytes_) {
  other.bytes_ = nullptr;
}

secret_key& secret_key::operator=(secret_key&& other) noexcept {
  if (this != &other) {
    detail::release_secret_slot(bytes_);  // wipes before release; accepts null
    bytes_ = other.bytes_;
    other.bytes_ = nullptr;
  }
  return *this;
}

secret_key::~secret_key() {
  detail::release_secret_slot(bytes_);
}

secret_key secret_key::from_z85(std::string_view text) {
  // Messages name the problem and its position only: the text is secret.
  if (text.size() != z85_key_size) throw wrong_key_text("a secret key", text.size());
  secret_key key;
  if (auto result = z85_decode_to(text, std::span(key.bytes_, key_size)); !result) {
    throw zmqsec::error(errc::invalid_key, "secret key: " + describe(result, false));
  }
  return key;
}

secret_key secret_key::from_bytes(std::span<const unsigned char> bytes) {
  if (bytes.size() != key_size) throw wrong_key_bytes("a secret key", bytes.size());
  return secret_key(bytes.first<key_size>());
}

secret_key secret_key::clone() const {
  return secret_key(bytes());
}

secret_string secret_key::z85() const {
  secret_string text(z85_key_size, '\0');
  z85_encode_to(bytes(), std::span(text.data(), text.size()));
  return text;
}

std::span<const unsigned char, key_size> secret_key::bytes() const noexcept {
  return std::span<const unsigned char, key_size>(bytes_, key_size);
}

bool operator==(const secret_key& a, const secret_key& b) noexcept {
  if (a.bytes_ == nullptr || b.bytes_ == nullptr) return a.bytes_ == b.bytes_;
  return sodium_memcmp(a.bytes_, b.bytes_, key_size) == 0;
}

// ---- operations ----

keypair generate_keypair() {
  keypair pair{public_key{}, secret_key{}};
  std::array<unsigned char, key_size> pub{};
  if (crypto_box_keypair(pub.data(), pair.secret_key.bytes_) != 0) {
    throw zmqsec::error(errc::invalid_argument, "libsodium failed to generate a keypair");
  }
  pair.public_key = public_key(pub);
  return pair;
}

public_key derive_public_key(const secret_key& secret) {
  ensure_sodium_initialised();
  std::array<unsigned char, key_size> pub{};
  if (crypto_scalarmult_base(pub.data(), secret.bytes().data()) != 0) {
    throw zmqsec::error(errc::invalid_key, "cannot derive a public key from this secret key");
  }
  return public_key(pub);
}

bool keys_match(const public_key& expected, const secret_key& secret) noexcept {
  std::array<unsigned char, key_size> derived{};
  if (crypto_scalarmult_base(derived.data(), secret.bytes().data()) != 0) return false;
  bool same = sodium_memcmp(derived.data(), expected.data(), key_size) == 0;
  sodium_memzero(derived.data(), derived.size());
  return same;
}

}  // namespace zmqsec::certs
