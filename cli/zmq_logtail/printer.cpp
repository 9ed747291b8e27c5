#include "printer.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <zmqsec/core/text.hpp>
#include <zmqsec/logging/topic.hpp>

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

printer::~printer() {
  try {
    flush();
  } catch (...) {  // a closed stdout at exit: nothing more to do
  }
}

void printer::print(std::string_view topic, std::string_view payload) {
  constexpr std::size_t block = 64 * 1024;
  if (json_) {
    buffer_.append(
        logging::record::from_frames(std::string(topic), std::string(payload)).to_json());
    buffer_.push_back('\n');
  } else {
    // Topic and message come from the network: control characters (a terminal's escape
    // sequences, line ends that would forge records) are shown escaped, UTF-8 kept.
    if (!remembered_ || topic != topic_) remember_topic(topic);
    buffer_.append(shown_topic_);
    core::append_printable(buffer_, logging::without_line_end(payload));
    buffer_.push_back('\n');
  }
  if (buffer_.size() >= block) flush();
}

// A stream carries a handful of topics, mostly the same one record after record: what a line
// starts with is made when the topic changes, not for every record.
void printer::remember_topic(std::string_view topic) {
  remembered_ = true;
  topic_.assign(topic);
  const std::string_view color =
      color_ ? level_color(logging::parse_topic(topic).level) : std::string_view();
  shown_topic_.assign(color);
  core::append_printable(shown_topic_, topic);
  if (!color.empty()) shown_topic_.append(reset);
  shown_topic_.push_back(' ');
}

void printer::flush() {
  if (!buffer_.empty()) out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  out_.flush();
}

}  // namespace zmqsec::logtail
