#include <zmqsec/core/text.hpp>

#include <cstdint>
#include <cstring>
#include <ctime>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zmqsec::core {
namespace {

#if defined(__SSE2__)
// Bit k set where byte k of the 16 at p is not printable ASCII. As signed bytes, printable ASCII
// is exactly 0x1f < b < 0x7f (0x80 and above are negative).
inline unsigned not_plain_mask(const char* p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i plain =
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
  return ~static_cast<unsigned>(_mm_movemask_epi8(plain)) & 0xFFFFu;
}
#endif

// How many bytes from the start of text are printable ASCII (0x20 to 0x7e), which a terminal shows
// as they are. Log lines are mostly such runs (this is the loop zmq-logtail spends its time in):
// checked sixteen at a time with SSE2, which every x86-64 has, the last block read overlapping
// the one before; eight at a time elsewhere, and byte by byte in what is left.
std::size_t plain_ascii_run(std::string_view text) noexcept {
  std::size_t i = 0;
#if defined(__SSE2__)
  if (text.size() >= 16) {
    for (; i + 16 <= text.size(); i += 16) {
      if (const unsigned mask = not_plain_mask(text.data() + i)) {
        return i + static_cast<std::size_t>(__builtin_ctz(mask));
      }
    }
    if (i == text.size()) return i;
    // Bytes before i are known to be plain, so the first one this block flags is at i or after.
    const std::size_t last = text.size() - 16;
    const unsigned mask = not_plain_mask(text.data() + last);
    return mask == 0 ? text.size() : last + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    const std::uint64_t low = (w - 0x20 * ones) & ~w;  // a byte below 0x20
    const std::uint64_t del = ((w ^ (0x7f * ones)) - ones) & ~(w ^ (0x7f * ones));  // 0x7f
    if (((low | del | w) & highs) != 0) break;
  }
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7f) break;
    ++i;
  }
  return i;
}

void append_hex_byte(std::string& out, unsigned char byte) {
  out += "\\x";
  out += detail::hex_digits[byte >> 4];
  out += detail::hex_digits[byte & 0xF];
}

// Decodes the valid UTF-8 sequence of length bytes at text[0].
char32_t code_point(std::string_view text, std::size_t length) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  if (length == 1) return byte(0);
  char32_t cp = byte(0) & (0xFF >> (length + 1));
  for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(k) & 0x3F);
  return cp;
}

void write_digits(char* out, unsigned value, int count) noexcept {
  for (int i = count - 1; i >= 0; --i, value /= 10) out[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xC0) == 0x80;
  };
  const unsigned char lead = byte(0);
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

std::string escape_for_log(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && c != '"' && c != '\\') {
      out += c;
    } else {
      append_hex_byte(out, byte);
    }
  }
  return out;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_printable(out, text);
  return out;
}

void append_printable(std::string& out, std::string_view text) {
  std::size_t i = plain_ascii_run(text);
  out.append(text.substr(0, i));  // most log lines are all of this: one copy
  while (i < text.size()) {
    const std::size_t plain = plain_ascii_run(text.substr(i));
    if (plain != 0) {
      out.append(text.substr(i, plain));
      i += plain;
      continue;
    }
    const std::size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {
      append_hex_byte(out, static_cast<unsigned char>(text[i++]));
      continue;
    }
    const char32_t cp = code_point(text.substr(i), length);
    if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || cp == 0x7F) {
      append_hex_byte(out, static_cast<unsigned char>(cp));
    } else if (cp >= 0x80 && cp <= 0x9F) {  // C1 controls: terminals act on some of them
      out += "\\u00";
      out += detail::hex_digits[cp >> 4];
      out += detail::hex_digits[cp & 0xF];
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
}

std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  append_json_string(out, text);
  return out;
}

std::string_view utc_timestamp::format(std::chrono::system_clock::time_point when) noexcept {
  const auto since_epoch = when.time_since_epoch();
  const auto second = std::chrono::floor<std::chrono::seconds>(since_epoch);
  if (second.count() != second_) {
    const auto t = static_cast<std::time_t>(second.count());
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    std::strftime(text_, sizeof text_, "%Y-%m-%dT%H:%M:%S", &utc);
    second_ = second.count();
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - second);
  text_[19] = '.';
  write_digits(text_ + 20, static_cast<unsigned>(micros.count()), 6);
  text_[26] = 'Z';
  return {text_, size};
}

std::string rfc3339_utc(std::chrono::system_clock::time_point when) {
  utc_timestamp stamp;
  return std::string(stamp.format(when));
}

}  // namespace zmqsec::core
