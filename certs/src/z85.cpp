// Z85 per ZeroMQ RFC 32, with precise errors instead of libzmq's silent garbage on overflow.
#include <zmqsec/certs/z85.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace zmqsec::certs {
namespace {

constexpr std::string_view alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
static_assert(alphabet.size() == 85);

constexpr unsigned char invalid = 0xFF;

// Every pair of digits, in order: pair n is alphabet[n / 85], alphabet[n % 85].
constexpr std::uint32_t pair_count = 85 * 85;
constexpr std::array<char, 2 * pair_count> make_digit_pairs() {
  std::array<char, 2 * pair_count> pairs{};
  for (std::uint32_t n = 0; n < pair_count; ++n) {
    pairs[2 * n] = alphabet[n / 85];
    pairs[2 * n + 1] = alphabet[n % 85];
  }
  return pairs;
}

constexpr auto digit_pairs = make_digit_pairs();

constexpr std::array<unsigned char, 256> make_decoder() {
  std::array<unsigned char, 256> table{};
  for (auto& entry : table) entry = invalid;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<unsigned char>(i);
  }
  return table;
}

constexpr auto decoder = make_decoder();

std::string printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) return std::string("'") + c + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xF];
}

}  // namespace

std::string describe(const z85_result& result, bool reveal_character) {
  switch (result.problem) {
    case z85_problem::none:
      return "valid Z85";
    case z85_problem::bad_length:
      return "invalid Z85 length " + std::to_string(result.position) +
             " (text must be a multiple of 5 characters, data a multiple of 4 bytes)";
    case z85_problem::invalid_character:
      if (!reveal_character) {
        return "invalid Z85 character at position " + std::to_string(result.position);
      }
      return "invalid Z85 character " + printable(result.character) + " at position " +
             std::to_string(result.position);
    case z85_problem::group_overflow:
      return "Z85 group at position " + std::to_string(result.position) + " exceeds 32 bits";
    case z85_problem::output_too_small:
      return "Z85 output buffer has the wrong size";
  }
  return "invalid Z85";
}

z85_error::z85_error(const z85_result& result)
    : zmqsec::error(errc::invalid_z85, describe(result)), result_(result) {}

z85_result z85_encode_to(std::span<const unsigned char> data, std::span<char> out) noexcept {
  if (data.size() % 4 != 0) return {z85_problem::bad_length, data.size(), 0};
  if (out.size() != z85_encoded_size(data.size())) return {z85_problem::output_too_small, 0, 0};
  // Two base-85 digits at a time from a table of the 7225 pairs: two divisions (by constants,
  // so multiplications) per 4-byte group instead of five. The authenticator encodes the key of
  // every CURVE request it accepts (the User-Id), so this is on its hot path.
  char* target = out.data();
  for (std::size_t in = 0; in < data.size(); in += 4, target += 5) {
    std::uint32_t value;  // big-endian, as RFC 32 reads a group
    std::memcpy(&value, data.data() + in, sizeof value);
    if constexpr (std::endian::native == std::endian::little) value = __builtin_bswap32(value);
    const std::uint32_t high = value / pair_count;  // the first three digits
    const std::uint32_t low = value - high * pair_count;
    const std::uint32_t first = high / pair_count;  // below 85: 2^32 < 85^5
    const std::uint32_t middle = high - first * pair_count;
    target[0] = alphabet[first];
    std::memcpy(target + 1, digit_pairs.data() + 2 * middle, 2);
    std::memcpy(target + 3, digit_pairs.data() + 2 * low, 2);
  }
  return {};
}

z85_result z85_decode_to(std::string_view text, std::span<unsigned char> out) noexcept {
  if (text.size() % 5 != 0) return {z85_problem::bad_length, text.size(), 0};
  if (out.size() != z85_decoded_size(text.size())) return {z85_problem::output_too_small, 0, 0};
  for (std::size_t in = 0, at = 0; in < text.size(); in += 5, at += 4) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      unsigned char digit = decoder[static_cast<unsigned char>(text[in + i])];
      if (digit == invalid) return {z85_problem::invalid_character, in + i, text[in + i]};
      value = value * 85 + digit;
    }
    if (value > 0xFFFFFFFFu) return {z85_problem::group_overflow, in, 0};
    out[at] = static_cast<unsigned char>(value >> 24);
    out[at + 1] = static_cast<unsigned char>(value >> 16);
    out[at + 2] = static_cast<unsigned char>(value >> 8);
    out[at + 3] = static_cast<unsigned char>(value);
  }
  return {};
}

std::string z85_encode(std::span<const unsigned char> data) {
  std::string text(z85_encoded_size(data.size()), '\0');
  if (auto result = z85_encode_to(data, text); !result) throw z85_error(result);
  return text;
}

std::string z85_encode(std::string_view data) {
  return z85_encode(std::span(reinterpret_cast<const unsigned char*>(data.data()), data.size()));
}

std::vector<unsigned char> z85_decode(std::string_view text) {
  std::vector<unsigned char> bytes(z85_decoded_size(text.size()));
  if (auto result = z85_decode_to(text, bytes); !result) throw z85_error(result);
  return bytes;
}

}  // namespace zmqsec::certs
