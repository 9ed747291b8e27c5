// The sink's own formatter of spdlog's default pattern "%+" writes exactly what spdlog's
// pattern_formatter writes, for every level, with and without a logger name and a source
// location, across seconds, days and years, before and after 1970.
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "default_format.hpp"

namespace {

using zmqsec::logging::detail::default_formatter;
using zmqsec::logging::detail::formatter_for;

std::string formatted(spdlog::formatter& formatter, const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t out;
  out.append(std::string_view("already there|"));  // the sink appends to what a buffer holds
  formatter.format(msg, out);
  return std::string(out.data(), out.size());
}

spdlog::log_clock::time_point at_ms(std::int64_t ms) {
  return spdlog::log_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace

TEST(default_format_test, writes_what_spdlogs_default_pattern_writes) {
  spdlog::pattern_formatter spdlogs("%+");
  default_formatter ours;
  const std::int64_t times[] = {
      1764745801123, 1764745801999, 1764745802000, 1764745802001, 0, 999, -1,
      -1001,         4102444799999, 1764720000000, 1735689599999};
  const spdlog::source_loc sources[] = {
      {}, {"/work/app/src/server.cpp", 42, "serve"}, {"plain.cpp", 0, "f"}, {"a/b/", -3, ""}};
  const char* names[] = {"app", "", "a logger with spaces"};
  const char* texts[] = {"hello", "", "disk::low space", "tab\there\nnewline"};
  int compared = 0;
  for (const std::int64_t ms : times) {
    for (int level = 0; level < spdlog::level::n_levels; ++level) {
      for (const auto& source : sources) {
        for (const char* name : names) {
          for (const char* text : texts) {
            spdlog::details::log_msg msg(at_ms(ms), source, name,
                                         static_cast<spdlog::level::level_enum>(level), text);
            ASSERT_EQ(formatted(ours, msg), formatted(spdlogs, msg))
                << "time " << ms << " level " << level << " name " << name;
            ++compared;
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 11 * spdlog::level::n_levels * 4 * 3 * 4);
}

TEST(default_format_test, a_clone_formats_the_same) {
  default_formatter ours;
  const auto clone = ours.clone();
  spdlog::details::log_msg msg(at_ms(1764745801123), {}, "app", spdlog::level::warn, "x");
  EXPECT_EQ(formatted(*clone, msg), formatted(ours, msg));
}

TEST(default_format_test, only_the_default_pattern_gets_the_sinks_formatter) {
  EXPECT_NE(dynamic_cast<default_formatter*>(formatter_for("%+").get()), nullptr);
  EXPECT_EQ(dynamic_cast<default_formatter*>(formatter_for("%v").get()), nullptr);
  EXPECT_EQ(dynamic_cast<default_formatter*>(formatter_for("%+ ").get()), nullptr);
}
