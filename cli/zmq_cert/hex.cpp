#include "hex.hpp"

#include <zmqsec/error.hpp>

namespace zmqsec::cli {
namespace {

// 'c' for a visible ASCII character, "byte 0xNN" for anything else.
std::string describe_character(char c) {
  const auto b = static_cast<unsigned char>(c);
  if (b > 0x20 && b < 0x7F) return std::string{'\'', c, '\''};
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("byte 0x") + digits[b >> 4] + digits[b & 0xF];
}

int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<unsigned char> parse_hex(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (digit_value(text[i]) < 0) {
      throw zmqsec::error(
          errc::invalid_argument,
          "invalid hex digit " + describe_character(text[i]) + " at position " + std::to_string(i));
    }
  }
  if (text.size() % 2 != 0) {
    throw zmqsec::error(errc::invalid_argument,
                        "odd number of hex digits (" + std::to_string(text.size()) + ")");
  }
  std::vector<unsigned char> bytes(text.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] =
        static_cast<unsigned char>(digit_value(text[2 * i]) * 16 + digit_value(text[2 * i + 1]));
  }
  return bytes;
}

std::string to_hex(std::span<const unsigned char> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    text += digits[b >> 4];
    text += digits[b & 0xF];
  }
  return text;
}

}  // namespace zmqsec::cli
