// Z85 per ZeroMQ RFC 32, with precise errors instead of libzmq's silent garbage on overflow.
#include <zmqsec/certs/z85.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace zmqsec::certs {
namespace {

constexpr std::string_view alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
static_assert(alphabet.size() == 85);

constexpr unsigned char invalid = 0xFF;

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
  for (std::size_t in = 0, at = 0; in < data.size(); in += 4, at += 5) {
    std::uint32_t value = (std::uint32_t{data[in]} << 24) | (std::uint32_t{data[in + 1]} << 16) |
                          (std::uint32_t{data[in + 2]} << 8) | std::uint32_t{data[in + 3]};
    for (int i = 4; i >= 0; --i) {
      out[at + static_cast<std::size_t>(i)] = alphabet[value % 85];
      value /= 85;
    }
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
