#include <zmqsec/logging/record.hpp>

#include <utility>

#include <zmqsec/logging/topic.hpp>

#include <zmqsec/core/text.hpp>

namespace zmqsec::logging {

record record::from_frames(std::string topic, std::string payload) {
  record r;
  const topic_parts parts = parse_topic(topic);
  r.root_topic = parts.root_topic;
  r.level_name = parts.level_name;
  r.level = parts.level;
  r.subtopic = parts.subtopic;
  r.topic = std::move(topic);
  r.payload = std::move(payload);
  return r;
}

std::string_view without_line_end(std::string_view text) noexcept {
  if (!text.ends_with('\n')) return text;
  text.remove_suffix(1);
  if (text.ends_with('\r')) text.remove_suffix(1);
  return text;
}

std::string_view record::message() const noexcept {
  return without_line_end(payload);
}

std::string record::to_json() const {
  std::string out;
  out.reserve(payload.size() + topic.size() * 2 + 80);
  out.push_back('{');
  core::append_json_name(out, "topic", true);
  core::append_json_string(out, topic);
  core::append_json_name(out, "root_topic");
  core::append_json_string(out, root_topic);
  core::append_json_name(out, "level");
  core::append_json_string(out, level_name);
  core::append_json_name(out, "subtopic");
  core::append_json_string(out, subtopic);
  core::append_json_name(out, "message");
  core::append_json_string(out, message());
  out.push_back('}');
  return out;
}

}  // namespace zmqsec::logging
