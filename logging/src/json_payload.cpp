#include "json_payload.hpp"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cstring>

#include <zmqsec/logging/topic.hpp>

namespace zmqsec::logging::detail {
namespace {

// fmt's buffer append is a call and a loop per piece; a JSON record is a dozen short pieces into
// a buffer that already has the room (it is reused), so those are a size check and a memcpy.
void append(spdlog::memory_buf_t& out, std::string_view text) {
  const std::size_t size = out.size();
  if (size + text.size() > out.capacity()) {
    out.append(text.data(), text.data() + text.size());
    return;
  }
  out.resize(size + text.size());
  std::memcpy(out.data() + size, text.data(), text.size());
}

// Copies text to p, which has the room, and returns the end. Literals have a constant size: the
// copy is then a few moves.
inline char* put(char* p, std::string_view text) noexcept {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

void append_number(spdlog::memory_buf_t& out, std::uint64_t value) {
  const fmt::format_int text(value);
  append(out, {text.data(), text.size()});
}

}  // namespace

json_payload::json_payload() {
  for (std::size_t i = 0; i < after_time_.size(); ++i) {
    std::string piece = R"(,"level":)";
    core::append_json_string(piece, level_name(static_cast<spdlog::level::level_enum>(i)));
    piece += R"(,"logger":)";
    after_time_[i] = std::move(piece);
  }
  logger_json_ = R"("")";
}

void json_payload::set_level_topics(
    const std::array<std::string, spdlog::level::n_levels>& topics) {
  for (std::size_t i = 0; i < topics.size(); ++i) {
    level_topics_[i] = topics[i];
    level_topics_json_[i] = core::json_string(topics[i]);
  }
}

// The members up to the message are written through a pointer into room made once: a dozen
// short pieces whose sizes are known or bounded, instead of a size check and a call each.
void json_payload::write(spdlog::memory_buf_t& out, const spdlog::details::log_msg& msg,
                         spdlog::level::level_enum level, std::string_view topic,
                         std::string_view text, const drop_span* drops) {
  const std::string_view logger = logger_json({msg.logger_name.data(), msg.logger_name.size()});
  const std::string_view topic_json = this->topic_json(level, topic);
  const bool plain = core::json_plain(text);
  const std::string_view level_members = after_time_[static_cast<std::size_t>(level)];
  constexpr std::size_t fixed = 64 + core::utc_timestamp::size + 20;  // literals, time, thread
  out.resize(fixed + level_members.size() + logger.size() + topic_json.size() +
             (plain ? text.size() + 2 : 0));
  char* p = out.data();
  p = put(p, R"({"time":")");
  p = put(p, time_.format(msg.time));
  p = put(p, "\"");
  p = put(p, level_members);
  p = put(p, logger);
  p = put(p, R"(,"thread":)");
  const fmt::format_int thread(msg.thread_id);
  p = put(p, {thread.data(), thread.size()});
  p = put(p, R"(,"topic":)");
  p = put(p, topic_json);
  p = put(p, R"(,"message":)");
  if (plain) {
    p = put(p, "\"");
    p = put(p, text);
    p = put(p, "\"");
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  if (!plain) core::append_json_string(out, text);
  if (!msg.source.empty()) {
    append(out, R"(,"file":)");
    core::append_json_string(out, msg.source.filename);
    append(out, R"(,"line":)");
    append_number(out, static_cast<std::uint64_t>(std::max(msg.source.line, 0)));
    append(out, R"(,"function":)");
    core::append_json_string(out, msg.source.funcname == nullptr ? "" : msg.source.funcname);
  }
  if (drops != nullptr) {
    append(out, R"(,"dropped":)");
    append_number(out, drops->count);
    append(out, R"(,"dropped_from":)");
    append_time(out, drops->from);
    append(out, R"(,"dropped_to":)");
    append_time(out, drops->to);
  }
  out.push_back('}');
}

// A quoted timestamp, formatted into the reused buffer: no allocation.
void json_payload::append_time(spdlog::memory_buf_t& out, spdlog::log_clock::time_point when) {
  out.push_back('"');
  append(out, time_.format(when));
  out.push_back('"');
}

// A sink usually serves one logger: its name is escaped when it differs from the last one's.
std::string_view json_payload::logger_json(std::string_view name) {
  if (name != logger_) {
    std::string escaped = core::json_string(name);
    logger_.assign(name);
    logger_json_ = std::move(escaped);
  }
  return logger_json_;
}

std::string_view json_payload::topic_json(spdlog::level::level_enum level, std::string_view topic) {
  const auto i = static_cast<std::size_t>(level);
  if (topic == level_topics_[i]) return level_topics_json_[i];
  topic_json_.clear();  // a topic with a subtopic: escaped into a reused buffer
  core::append_json_string(topic_json_, topic);
  return topic_json_;
}

}  // namespace zmqsec::logging::detail
