// default_formatter: spdlog's default pattern "%+" ("[2026-12-03 06:50:01.123] [app] [info] text",
// local time, "\n"), written straight into the record's buffer. Byte for byte what
// spdlog::pattern_formatter("%+") writes (tests/logging/default_format_test.cpp compares them),
// for about a third of its instructions: its pieces are appended one fmt buffer call each, and
// the sink formats every record it publishes, so this is a quarter of a record's cost.
#pragma once

#include <spdlog/formatter.h>

#include <cstdint>
#include <memory>
#include <string>

namespace zmqsec::logging::detail {

class default_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  void cache_datetime(std::int64_t second);

  std::int64_t cached_second_ = INT64_MIN;
  char datetime_[40] = {};  // "[2026-12-03 06:50:01." for cached_second_
  std::size_t datetime_size_ = 0;
};

/// The formatter of a pattern: default_formatter for "%+", spdlog's pattern_formatter otherwise.
std::unique_ptr<spdlog::formatter> formatter_for(const std::string& pattern);

}  // namespace zmqsec::logging::detail
