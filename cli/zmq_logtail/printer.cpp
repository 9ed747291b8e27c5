#include "printer.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <zmqsec/core/text.hpp>

namespace zmqsec::logtail {
namespace {

// spdlog's console colours, so a tail looks like the program's own console.
std::string_view level_color(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "\033[37m";
    case spdlog::level::debug:
      return "\033[36m";
    case spdlog::level::info:
      return "\033[32m";
    case spdlog::level::warn:
      return "\033[33m\033[1m";
    case spdlog::level::err:
      return "\033[31m\033[1m";
    case spdlog::level::critical:
      return "\033[1m\033[41m";
    default:
      return "";
  }
}

constexpr std::string_view reset = "\033[m";

}  // namespace

bool use_color(color_mode mode) {
  if (mode != color_mode::automatic) return mode == color_mode::always;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

void printer::print(const logging::record& r) {
  if (json_) {
    out_ << r.to_json() << '\n';
    return;
  }
  // Topic and message come from the network: control characters (a terminal's escape
  // sequences, line ends that would forge records) are shown escaped, UTF-8 kept.
  const std::string topic = core::printable(r.topic);
  const std::string_view color = color_ ? level_color(r.level) : std::string_view();
  if (color.empty()) {
    out_ << topic;
  } else {
    out_ << color << topic << reset;
  }
  out_ << ' ' << core::printable(r.message()) << '\n';
}

}  // namespace zmqsec::logtail
