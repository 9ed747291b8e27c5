// The one results table every zmqsec benchmark program prints: each figure of ours beside the
// reference measured in the same run, and the ratio between them.
//
//   zmqsec::bench::print_header(std::cout);
//   zmqsec::bench::print_row(std::cout, {"z85 decode 32B", rate(95.1e6), "libzmq",
//                                        rate(61.2e6), 95.1 / 61.2});
//
// Ratios are always "how many times better ours is" (higher throughput, less time, fewer bytes),
// so 1.55x means ours is ahead and 0.80x means the reference is. Only the ratio is comparable
// between runs: the machine is shared, and absolute figures move with its load.
#pragma once

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>

namespace zmqsec::bench {

/// A number with three significant digits and a unit prefix: "95.1 M/s", or with binary
/// prefixes "2.61 KiB".
inline std::string si(double value, std::string_view unit, bool binary = false) {
  static constexpr const char* decimal[] = {"", "k", "M", "G", "T"};
  static constexpr const char* binary_prefixes[] = {"", "Ki", "Mi", "Gi", "Ti"};
  const auto& prefixes = binary ? binary_prefixes : decimal;
  const double base = binary ? 1024.0 : 1000.0;
  std::size_t i = 0;
  while (std::fabs(value) >= 999.5 && i + 1 < std::size(prefixes)) {
    value /= base;
    ++i;
  }
  char buf[64];
  const int decimals = std::fabs(value) >= 99.95 ? 0 : std::fabs(value) >= 9.995 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f %s%.*s", decimals, value, prefixes[i],
                static_cast<int>(unit.size()), unit.data());
  return buf;
}

/// Operations (or keys) per second.
inline std::string rate(double per_second) {
  return si(per_second, "/s");
}
/// Bytes per second, decimal prefixes (MB/s = 10^6 bytes per second).
inline std::string byte_rate(double per_second) {
  return si(per_second, "B/s");
}
/// Bytes, binary prefixes ("2.61 KiB").
inline std::string bytes(double n) {
  return si(n, "B", true);
}

/// A duration, in the unit that keeps it readable.
inline std::string seconds(double s) {
  char buf[64];
  if (s >= 1.0) {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof buf, "%.*f ms", s >= 0.1 ? 0 : s >= 0.01 ? 1 : 2, s * 1e3);
  } else if (s >= 1e-6) {
    std::snprintf(buf, sizeof buf, "%.*f us", s >= 1e-4 ? 0 : s >= 1e-5 ? 1 : 2, s * 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ns", s * 1e9);
  }
  return buf;
}

/// A goal checked against a figure: "PASS (< 2 s)" or "MISS (< 2 s)".
inline std::string goal(bool met, std::string_view target) {
  return std::string(met ? "PASS" : "MISS") + " (" + std::string(target) + ")";
}

struct row {
  std::string measure;    ///< what is measured, e.g. "z85 decode 32B (decode_to)"
  std::string ours;       ///< our figure, formatted
  std::string reference;  ///< what it is compared with, e.g. "libzmq zmq_z85_decode"
  std::string ref_value;  ///< the reference's figure, formatted
  double ratio = NAN;     ///< how many times better ours is; NAN when not comparable
  std::string goal = {};  ///< PASS/MISS against a stated goal, or empty
};

inline constexpr int measure_width = 38;
inline constexpr int ours_width = 11;
inline constexpr int reference_width = 37;
inline constexpr int ref_value_width = 11;
inline constexpr int ratio_width = 9;

inline void print_header(std::ostream& out) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-*s %*s   %-*s %*s %*s  %s\n", measure_width, "measure",
                ours_width, "ours", reference_width, "reference (same run)", ref_value_width,
                "reference", ratio_width, "ratio", "goal");
  out << buf
      << std::string(
             measure_width + ours_width + reference_width + ref_value_width + ratio_width + 12, '-')
      << '\n';
}

inline void print_row(std::ostream& out, const row& r) {
  char ratio[32] = "n/a";
  if (std::isfinite(r.ratio)) {
    const int decimals = r.ratio >= 99.5 ? 0 : r.ratio >= 9.95 ? 1 : 2;
    std::snprintf(ratio, sizeof ratio, "%.*fx", decimals, r.ratio);
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-*s %*s   %-*s %*s %*s  %s\n", measure_width, r.measure.c_str(),
                ours_width, r.ours.c_str(), reference_width, r.reference.c_str(), ref_value_width,
                r.ref_value.c_str(), ratio_width, ratio, r.goal.c_str());
  std::string line = buf;
  line.erase(line.find_last_not_of(" \n") + 1);
  out << line << '\n' << std::flush;
}

}  // namespace zmqsec::bench
