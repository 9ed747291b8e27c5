// Z85 (ZeroMQ RFC 32): the printable encoding of binary keys, 5 characters per 4 bytes.
//
//   std::string text = zmqsec::certs::z85_encode(bytes);          // bytes.size() % 4 == 0
//   std::vector<unsigned char> raw = zmqsec::certs::z85_decode("HelloWorld");
//
// Bad input is reported precisely (which rule it breaks and where), never decoded into garbage.
// The throwing functions raise z85_error; the *_to functions return a z85_result for hot paths
// that must not allocate or throw (e.g. decoding a key inside a ZAP handler).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/error.hpp>

namespace zmqsec::certs {

/// What is wrong with a Z85 input.
enum class z85_problem {
  none,
  bad_length,         ///< binary input not a multiple of 4, or text not a multiple of 5
  invalid_character,  ///< a character outside the Z85 alphabet
  group_overflow,     ///< five characters whose value exceeds 2^32 - 1
  output_too_small,   ///< the caller's buffer does not have the decoded (or encoded) size
};

/// The outcome of a non-throwing Z85 operation.
struct z85_result {
  z85_problem problem = z85_problem::none;
  std::size_t position = 0;  ///< offset of the bad character, or of the overflowing group
  char character = 0;        ///< the invalid character, for invalid_character

  explicit operator bool() const noexcept { return problem == z85_problem::none; }
};

/// Thrown by z85_encode / z85_decode for bad input.
class z85_error : public zmqsec::error {
 public:
  explicit z85_error(const z85_result& result);
  z85_problem problem() const noexcept { return result_.problem; }
  std::size_t position() const noexcept { return result_.position; }

 private:
  z85_result result_;
};

/// A human-readable description of a z85_result, e.g. "invalid Z85 character '~' at position 7".
/// With reveal_character == false the character is left out (for secret input).
std::string describe(const z85_result& result, bool reveal_character = true);

/// Size of the Z85 text for n bytes (n must be a multiple of 4).
constexpr std::size_t z85_encoded_size(std::size_t n) noexcept {
  return n / 4 * 5;
}
/// Size of the bytes for n characters of Z85 (n must be a multiple of 5).
constexpr std::size_t z85_decoded_size(std::size_t n) noexcept {
  return n / 5 * 4;
}

/// Encodes data into out (out.size() == z85_encoded_size(data.size())). No allocation.
z85_result z85_encode_to(std::span<const unsigned char> data, std::span<char> out) noexcept;
/// Decodes text into out (out.size() == z85_decoded_size(text.size())). No allocation. On
/// failure the content of out is unspecified but no byte is written past its end.
z85_result z85_decode_to(std::string_view text, std::span<unsigned char> out) noexcept;

/// Encodes binary data; throws z85_error if data.size() is not a multiple of 4.
std::string z85_encode(std::span<const unsigned char> data);
std::string z85_encode(std::string_view data);
/// Decodes Z85 text; throws z85_error naming the problem and its position.
std::vector<unsigned char> z85_decode(std::string_view text);

}  // namespace zmqsec::certs
