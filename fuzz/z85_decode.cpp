// Z85 decoding of arbitrary text: never crashes, and whatever decodes re-encodes to the same
// text (no silent garbage). Also checks encode/decode round trips of arbitrary bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <zmqsec/certs/z85.hpp>

namespace zc = zmqsec::certs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<unsigned char> decoded(zc::z85_decoded_size(size));
  auto result = zc::z85_decode_to(text, decoded);
  if (result) {
    if (zc::z85_encode(decoded) != text) std::abort();
  } else if (result.position > size) {
    std::abort();
  }

  std::span<const unsigned char> bytes(data, size - size % 4);
  std::string encoded = zc::z85_encode(bytes);
  std::vector<unsigned char> back = zc::z85_decode(encoded);
  if (!std::equal(back.begin(), back.end(), bytes.begin(), bytes.end())) std::abort();
  return 0;
}
