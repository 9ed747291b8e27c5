#include <zmqsec/logging/topic.hpp>

#include <array>
#include <charconv>

namespace zmqsec::logging {
namespace {

constexpr std::array<std::string_view, spdlog::level::n_levels> level_names = {
    "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF"};

// Python's numeric levels: DEBUG 10, INFO 20, WARNING 30, ERROR 40, CRITICAL 50.
spdlog::level::level_enum from_python_number(int number) noexcept {
  if (number < 10) return spdlog::level::trace;
  if (number < 20) return spdlog::level::debug;
  if (number < 30) return spdlog::level::info;
  if (number < 40) return spdlog::level::warn;
  if (number < 50) return spdlog::level::err;
  return spdlog::level::critical;
}

}  // namespace

std::string_view level_name(spdlog::level::level_enum level) noexcept {
  const auto index = static_cast<std::size_t>(level);
  return index < level_names.size() ? level_names[index] : std::string_view("INFO");
}

std::optional<spdlog::level::level_enum> parse_level_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < level_names.size(); ++i) {
    if (name == level_names[i]) return static_cast<spdlog::level::level_enum>(i);
  }
  if (name == "WARN") return spdlog::level::warn;
  if (name == "FATAL") return spdlog::level::critical;
  constexpr std::string_view numbered = "Level ";
  if (name.starts_with(numbered) && name.size() > numbered.size()) {
    int number = 0;
    const char* first = name.data() + numbered.size();
    const char* last = name.data() + name.size();
    const auto [end, ec] = std::from_chars(first, last, number);
    if (ec == std::errc() && end == last) return from_python_number(number);
  }
  return std::nullopt;
}

std::string make_topic(std::string_view root_topic, spdlog::level::level_enum level,
                       std::string_view subtopic) {
  const std::string_view level_part = level_name(level);
  std::string topic;
  topic.reserve(root_topic.size() + level_part.size() + subtopic.size() + 2);
  if (!root_topic.empty()) topic.append(root_topic).push_back('.');
  topic.append(level_part);
  if (!subtopic.empty()) topic.append(1, '.').append(subtopic);
  return topic;
}

topic_parts parse_topic(std::string_view topic) noexcept {
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = topic.find('.', start);
    const std::size_t end = dot == std::string_view::npos ? topic.size() : dot;
    const std::string_view part = topic.substr(start, end - start);
    if (const auto level = parse_level_name(part)) {
      topic_parts parts;
      parts.root_topic = topic.substr(0, start == 0 ? 0 : start - 1);
      parts.level_name = part;
      parts.level = *level;
      parts.subtopic = end == topic.size() ? std::string_view() : topic.substr(end + 1);
      return parts;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  topic_parts parts;
  parts.root_topic = topic;
  return parts;
}

std::pair<std::string_view, std::string_view> split_subtopic(std::string_view message) noexcept {
  const std::size_t delimiter = message.find("::");
  if (delimiter == std::string_view::npos) return {std::string_view(), message};
  return {message.substr(0, delimiter), message.substr(delimiter + 2)};
}

}  // namespace zmqsec::logging
