// Random CURVE public keys and the authorized-keys lines that list them, for the tests of
// authorized-keys files and their tables.
#pragma once

#include <sodium.h>

#include <cstddef>
#include <string>
#include <vector>

#include <zmqsec/certs/keys.hpp>

namespace zmqsec::testing {

inline certs::public_key random_key() {
  unsigned char raw[certs::key_size];
  randombytes_buf(raw, sizeof raw);
  return certs::public_key::from_bytes(raw);
}

inline std::vector<certs::public_key> random_keys(std::size_t n) {
  std::vector<certs::public_key> keys;
  for (std::size_t i = 0; i < n; ++i) keys.push_back(random_key());
  return keys;
}

/// One line a key: "Z85 name=device-I".
inline std::string lines_of(const std::vector<certs::public_key>& keys) {
  std::string text;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    text += keys[i].z85() + " name=device-" + std::to_string(i) + "\n";
  }
  return text;
}

}  // namespace zmqsec::testing
