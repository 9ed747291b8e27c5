// Certificate parsing of arbitrary text: never crashes, fails only with zmqsec::error, and a
// certificate that loads with a secret key has a matching public key.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <zmqsec/certs/certificate.hpp>

namespace zc = zmqsec::certs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    zc::certificate cert = zc::parse_certificate(text, "fuzz.key");
    if (cert.secret_key && zc::derive_public_key(*cert.secret_key) != cert.public_key) {
      std::abort();
    }
  } catch (const zmqsec::error&) {
  }
  return 0;
}
