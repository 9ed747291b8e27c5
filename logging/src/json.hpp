// JSON strings for the records' JSON forms: escaping, and valid UTF-8 out whatever comes in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zmqsec::logging::detail {

/// The length of the valid UTF-8 sequence at the start of text (1 to 4), or 0 if it is not one:
/// no overlong forms, no surrogates, nothing above U+10FFFF.
inline std::size_t utf8_sequence_length(std::string_view text) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xC0) == 0x80;
  };
  const std::uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

template <class Buffer>
void append_text(Buffer& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

/// Appends text as a quoted JSON string to out (std::string or fmt's memory buffer); bytes that
/// are not valid UTF-8 become U+FFFD.
template <class Buffer>
void append_json_string(Buffer& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  out.push_back('"');
  std::size_t plain_start = 0;
  const auto flush_plain = [&](std::size_t end) {
    append_text(out, text.substr(plain_start, end - plain_start));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text.substr(i));
      if (length != 0) {
        i += length;
        continue;
      }
    }
    flush_plain(i);
    switch (c) {
      case '"':
        append_text(out, "\\\"");
        break;
      case '\\':
        append_text(out, "\\\\");
        break;
      case '\n':
        append_text(out, "\\n");
        break;
      case '\r':
        append_text(out, "\\r");
        break;
      case '\t':
        append_text(out, "\\t");
        break;
      default:
        if (c < 0x20) {
          const char escape[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
          out.append(escape, escape + sizeof escape);
        } else {
          append_text(out, replacement);
        }
    }
    ++i;
    plain_start = i;
  }
  flush_plain(text.size());
  out.push_back('"');
}

/// Appends "name": with the comma that separates it from a previous member unless first.
template <class Buffer>
void append_json_name(Buffer& out, std::string_view name, bool first = false) {
  if (!first) out.push_back(',');
  append_json_string(out, name);
  out.push_back(':');
}

}  // namespace zmqsec::logging::detail
