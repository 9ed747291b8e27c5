#include "default_format.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/pattern_formatter.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <string_view>

namespace zmqsec::logging::detail {
namespace {

// Writes n as spdlog's pad2 does: two digits from 0 to 99, fmt's "{:02}" otherwise.
char* put2(char* at, int n) {
  if (n >= 0 && n < 100) {
    at[0] = static_cast<char>('0' + n / 10);
    at[1] = static_cast<char>('0' + n % 10);
    return at + 2;
  }
  return fmt::format_to(at, "{:02}", n);
}

char* put(char* at, std::string_view text) {
  std::memcpy(at, text.data(), text.size());
  return at + text.size();
}

// spdlog's basename: what follows the last '/'.
std::string_view base_name(const char* filename) {
  const char* slash = std::strrchr(filename, '/');
  return slash != nullptr ? slash + 1 : filename;
}

}  // namespace

void default_formatter::cache_datetime(std::int64_t second) {
  const auto when = static_cast<std::time_t>(second);
  std::tm tm{};
  ::localtime_r(&when, &tm);
  char* at = datetime_;
  *at++ = '[';
  at = fmt::format_to(at, "{}", tm.tm_year + 1900);
  *at++ = '-';
  at = put2(at, tm.tm_mon + 1);
  *at++ = '-';
  at = put2(at, tm.tm_mday);
  *at++ = ' ';
  at = put2(at, tm.tm_hour);
  *at++ = ':';
  at = put2(at, tm.tm_min);
  *at++ = ':';
  at = put2(at, tm.tm_sec);
  *at++ = '.';
  datetime_size_ = static_cast<std::size_t>(at - datetime_);
  cached_second_ = second;
}

void default_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  using namespace std::chrono;
  const auto since_epoch = msg.time.time_since_epoch();
  const auto second = duration_cast<seconds>(since_epoch);
  if (second.count() != cached_second_) cache_datetime(second.count());
  const auto millis =
      duration_cast<milliseconds>(since_epoch) - duration_cast<milliseconds>(second);

  const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
  const auto level = spdlog::level::to_string_view(msg.level);
  const std::string_view level_name(level.data(), level.size());
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  const std::string_view file =
      msg.source.empty() ? std::string_view() : base_name(msg.source.filename);
  // Date and time, milliseconds (up to 10 digits), the brackets and spaces, the line number
  // (up to 11), the end of line: 64 bytes is more than all of them.
  const std::size_t most =
      datetime_size_ + name.size() + level_name.size() + file.size() + payload.size() + 64;
  const std::size_t start = dest.size();
  dest.resize(start + most);
  char* at = dest.data() + start;

  at = put(at, {datetime_, datetime_size_});
  // As spdlog's pad3, which takes the count as unsigned (before 1970 it is negative).
  const auto ms = static_cast<std::uint32_t>(millis.count());
  if (ms < 1000) {
    at[0] = static_cast<char>('0' + ms / 100);
    at[1] = static_cast<char>('0' + ms / 10 % 10);
    at[2] = static_cast<char>('0' + ms % 10);
    at += 3;
  } else {
    at = fmt::format_to(at, "{}", ms);
  }
  at = put(at, "] ");
  if (!name.empty()) {
    *at++ = '[';
    at = put(at, name);
    at = put(at, "] ");
  }
  *at++ = '[';
  msg.color_range_start = static_cast<std::size_t>(at - dest.data());
  at = put(at, level_name);
  msg.color_range_end = static_cast<std::size_t>(at - dest.data());
  at = put(at, "] ");
  if (!msg.source.empty()) {
    *at++ = '[';
    at = put(at, file);
    *at++ = ':';
    at = fmt::format_to(at, "{}", msg.source.line);
    at = put(at, "] ");
  }
  at = put(at, payload);
  at = put(at, spdlog::details::os::default_eol);
  dest.resize(static_cast<std::size_t>(at - dest.data()));
}

std::unique_ptr<spdlog::formatter> default_formatter::clone() const {
  return std::make_unique<default_formatter>();
}

std::unique_ptr<spdlog::formatter> formatter_for(const std::string& pattern) {
  if (pattern == "%+") return std::make_unique<default_formatter>();
  return std::make_unique<spdlog::pattern_formatter>(pattern);
}

}  // namespace zmqsec::logging::detail
