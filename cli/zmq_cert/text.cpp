#include "text.hpp"

#include <cstddef>
#include <cstdint>
#include <sstream>

namespace zmqsec::cli {
namespace {

constexpr char32_t malformed = 0xFFFFFFFF;

bool is_continuation(unsigned char c, unsigned char low = 0x80, unsigned char high = 0xBF) {
  return c >= low && c <= high;
}

// Decodes the UTF-8 sequence at text[i] and advances i past it. A malformed sequence yields
// `malformed` and advances by one byte, so that every byte is looked at exactly once.
char32_t next_code_point(std::string_view text, std::size_t& i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char b0 = byte(0);
  const std::size_t left = text.size() - i;
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;   // no overlong forms
    if (b0 == 0xED) high = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;   // no overlong forms
    if (b0 == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  }
  if (length == 0 || left < length || !is_continuation(byte(1), low, high)) {
    ++i;
    return malformed;
  }
  for (std::size_t k = 2; k < length; ++k) {
    if (!is_continuation(byte(k))) {
      ++i;
      return malformed;
    }
  }
  char32_t cp = b0 & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(k) & 0x3F);
  i += length;
  return cp;
}

bool is_control(char32_t cp) noexcept {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

void write_hex(std::ostream& out, std::uint32_t value, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out << hex[(value >> shift) & 0xF];
}

}  // namespace

void write_json_string(std::ostream& out, std::string_view text) {
  out << '"';
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const char32_t cp = next_code_point(text, i);
    if (cp == malformed) {
      out << "\\ufffd";
    } else if (cp == '"') {
      out << "\\\"";
    } else if (cp == '\\') {
      out << "\\\\";
    } else if (cp == '\n') {
      out << "\\n";
    } else if (cp == '\r') {
      out << "\\r";
    } else if (cp == '\t') {
      out << "\\t";
    } else if (is_control(cp)) {
      out << "\\u";
      write_hex(out, cp, 4);
    } else {
      out.write(text.data() + start, static_cast<std::streamsize>(i - start));
    }
  }
  out << '"';
}

std::string json_string(std::string_view text) {
  std::ostringstream out;
  write_json_string(out, text);
  return std::move(out).str();
}

std::string printable(std::string_view text) {
  std::ostringstream out;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const char32_t cp = next_code_point(text, i);
    if (cp == malformed) {
      out << "\\x";
      write_hex(out, static_cast<unsigned char>(text[start]), 2);
    } else if (cp == '\n') {
      out << "\\n";
    } else if (cp == '\t') {
      out << "\\t";
    } else if (cp < 0x80 && is_control(cp)) {
      out << "\\x";
      write_hex(out, cp, 2);
    } else if (is_control(cp)) {
      out << "\\u";
      write_hex(out, cp, 4);
    } else {
      out.write(text.data() + start, static_cast<std::streamsize>(i - start));
    }
  }
  return std::move(out).str();
}

}  // namespace zmqsec::cli
