// Numeric options checked as text before CLI11 converts them: CLI11 takes "-1" for an unsigned
// count as 2^64-1, "" as 0 and "nan" as a number that passes any range check, so that
// `--count -1` or `--timeout nan` would run unbounded. Only plain decimal digits (and one '.' for
// a decimal) within the documented range are accepted; anything else is a usage error.
//
//   app.add_option("-n,--count", count)->check(zmqsec::cli::whole_number(1, 1'000'000'000'000));
//   app.add_option("--timeout", seconds)->check(zmqsec::cli::decimal_number(0, 1e7));
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <string>

namespace zmqsec::cli {

namespace detail {
inline bool all_digits(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}
inline std::string plain(double value) {  // 10000000, not 1e+07
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}
inline std::string range_text(const std::string& low, const std::string& high) {
  return "from " + low + " to " + high;
}
}  // namespace detail

/// Decimal digits only, with a value from low to high.
inline CLI::Validator whole_number(std::uint64_t low, std::uint64_t high) {
  const std::string range = detail::range_text(std::to_string(low), std::to_string(high));
  return CLI::Validator(
      [low, high, range](std::string& text) -> std::string {
        const std::string wanted = "expected a whole number " + range;
        if (!detail::all_digits(text)) return wanted + ", not '" + text + "'";
        std::uint64_t value = 0;
        for (const char c : text) {
          const auto digit = static_cast<std::uint64_t>(c - '0');
          if (value > (high - digit) / 10) return wanted + ", not " + text;
          value = value * 10 + digit;
        }
        if (value < low) return wanted + ", not " + text;
        return {};
      },
      "N " + range);
}

/// Decimal digits with at most one '.' (no sign, exponent, nan or inf), from low to high.
inline CLI::Validator decimal_number(double low, double high) {
  const std::string range = detail::range_text(detail::plain(low), detail::plain(high));
  return CLI::Validator(
      [low, high, range](std::string& text) -> std::string {
        const std::string wanted = "expected a number " + range;
        const auto dot = text.find('.');
        const std::string whole = text.substr(0, dot);
        const std::string fraction = dot == std::string::npos ? "0" : text.substr(dot + 1);
        if (!detail::all_digits(whole.empty() ? "0" : whole) || !detail::all_digits(fraction) ||
            (whole.empty() && dot == std::string::npos) || text.size() > 32) {
          return wanted + ", not '" + text + "'";
        }
        const double value = std::stod(text);
        if (value < low || value > high) return wanted + ", not " + text;
        return {};
      },
      "S " + range);
}

}  // namespace zmqsec::cli
