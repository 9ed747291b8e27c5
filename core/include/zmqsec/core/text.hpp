// Text written once for every module: escaping for log lines and terminals, JSON strings, and
// RFC 3339 UTC timestamps. Internal to zmqsec (the tools use nlohmann-json for whole documents;
// the log sink's hot path uses append_json_string into its reused buffer).
//
//   log->warn("refused {}", zmqsec::core::escape_for_log(user_name));      // bob\x0a\x22
//   std::cout << zmqsec::core::printable(file_name);                       // UTF-8 kept
//   zmqsec::core::append_json_string(buffer, text);                        // "caf\u00e9" never:
//                                                                          // "café" stays UTF-8
//   zmqsec::core::utc_timestamp stamp;  stamp.format(now)                 //
//   2026-12-02T10:04:05.123456Z
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zmqsec::core {

/// The length of the valid UTF-8 sequence at the start of text (1 to 4), or 0 if it is not one:
/// no overlong forms, no surrogates, nothing above U+10FFFF. text must not be empty.
std::size_t utf8_sequence_length(std::string_view text) noexcept;

/// Text from the network or a file, fit for one log line whatever it holds: printable ASCII as
/// is; anything else, the double quote and the backslash as \xNN (so a quoted field stays one
/// field and nothing can forge a line or a terminal escape).
std::string escape_for_log(std::string_view text);

/// Text for a person at a terminal: valid UTF-8 is kept (names in any script stay readable);
/// control characters become \n, \t, \xNN or \uNNNN, and bytes that are not UTF-8 \xNN.
std::string printable(std::string_view text);
/// printable(text), appended to out (for a reused buffer: plain ASCII is copied in runs).
void append_printable(std::string& out, std::string_view text);

/// Appends text as a quoted JSON string (RFC 8259) to out: a std::string, or any buffer with
/// push_back(char) and append(const char*, const char*) (fmt's memory_buffer). Valid UTF-8 is
/// passed through unchanged; '"', '\\' and control characters are escaped; bytes that are not
/// UTF-8 become U+FFFD, so the result is always valid JSON and valid UTF-8.
template <class Buffer>
void append_json_string(Buffer& out, std::string_view text);

/// Whether append_json_string would copy text as it is, between its quotes (printable ASCII
/// without '"' and '\\': most log messages), checked eight bytes at a time.
inline bool json_plain(std::string_view text) noexcept;

/// The quoted JSON string of text (see append_json_string).
std::string json_string(std::string_view text);

/// Appends `"name":`, preceded by the comma that separates it from a previous member unless
/// first: for hand-built objects on hot paths.
template <class Buffer>
void append_json_name(Buffer& out, std::string_view name, bool first = false) {
  if (!first) out.push_back(',');
  append_json_string(out, name);
  out.push_back(':');
}

/// RFC 3339 UTC timestamps with microseconds, "2026-12-02T10:04:05.123456Z". Formats the date
/// and time once per second and only the fraction otherwise, for log lines at a high rate. One
/// object per thread (format() writes into it).
class utc_timestamp {
 public:
  static constexpr std::size_t size = 27;

  /// The timestamp of when; the view is valid until the next call.
  std::string_view format(std::chrono::system_clock::time_point when) noexcept;

 private:
  std::int64_t second_ = INT64_MIN;
  char text_[size + 1] = {};
};

/// The RFC 3339 UTC timestamp of when, with microseconds.
std::string rfc3339_utc(std::chrono::system_clock::time_point when);

// ---- implementation of the template ----

namespace detail {
inline constexpr char hex_digits[] = "0123456789abcdef";
// Whether c can be copied into a JSON string as is (printable ASCII other than '"' and '\\').
inline bool json_plain(unsigned char c) noexcept {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}
// Whether one 8-byte word holds a byte that needs care (below 0x20, '"', '\\', or 0x80 and up).
inline bool json_word_special(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  const auto has_zero = [](std::uint64_t x) { return (x - ones) & ~x & highs; };
  const std::uint64_t special =
      ((w - 0x20 * ones) & ~w) | has_zero(w ^ (0x22 * ones)) | has_zero(w ^ (0x5c * ones)) | w;
  return (special & highs) != 0;
}
// How many bytes from the start of text can be copied as is, eight at a time (log messages are
// mostly plain ASCII: a word is checked in a few instructions instead of a byte per branch);
// the byte loop finishes the word that holds the first byte needing care. A text that is plain
// to its end returns its size: the last bytes are checked as one word padded with spaces.
inline std::size_t json_plain_prefix(std::string_view text) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    __builtin_memcpy(&w, text.data() + i, 8);
    if (json_word_special(w)) return i;
  }
  if (i == text.size()) return i;
  std::uint64_t tail = 0x2020202020202020u;  // spaces: plain
  __builtin_memcpy(&tail, text.data() + i, text.size() - i);
  return json_word_special(tail) ? i : text.size();
}
}  // namespace detail

inline bool json_plain(std::string_view text) noexcept {
  return detail::json_plain_prefix(text) == text.size();
}

template <class Buffer>
void append_json_string(Buffer& out, std::string_view text) {
  static constexpr std::string_view replacement = "\\ufffd";
  const auto append = [&out](std::string_view piece) {
    out.append(piece.data(), piece.data() + piece.size());
  };
  out.push_back('"');
  std::size_t i = detail::json_plain_prefix(text);
  if (i == text.size()) {  // the common case: nothing to escape
    append(text);
    out.push_back('"');
    return;
  }
  std::size_t plain_start = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (detail::json_plain(c)) {
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
    append(text.substr(plain_start, i - plain_start));
    switch (c) {
      case '"':
        append("\\\"");
        break;
      case '\\':
        append("\\\\");
        break;
      case '\n':
        append("\\n");
        break;
      case '\r':
        append("\\r");
        break;
      case '\t':
        append("\\t");
        break;
      default:
        if (c < 0x20) {
          const char escape[] = {
              '\\', 'u', '0', '0', detail::hex_digits[c >> 4], detail::hex_digits[c & 0xF]};
          out.append(escape, escape + sizeof escape);
        } else {
          append(replacement);
        }
    }
    plain_start = ++i;
  }
  append(text.substr(plain_start));
  out.push_back('"');
}

}  // namespace zmqsec::core
