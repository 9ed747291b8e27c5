// The JSON payload of a record (payload_format::json): one object with the time, level, logger,
// thread, topic and message, the source location when the record has one, and the count and
// interval of a drop report. The pieces that come back record after record (the members around
// the level, the logger's name, each level's topic) are escaped once and kept, so that a record
// costs the escaping of its message and little else.
#pragma once

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include <zmqsec/core/text.hpp>

namespace zmqsec::logging::detail {

/// The drops a drop report tells of: how many, and the times of the first and last.
struct drop_span {
  std::uint64_t count = 0;
  spdlog::log_clock::time_point from{};
  spdlog::log_clock::time_point to{};
};

class json_payload {
 public:
  json_payload();

  /// The topic of each level without a subtopic (what most records carry), escaped once here.
  void set_level_topics(const std::array<std::string, spdlog::level::n_levels>& topics);

  /// Replaces out with the JSON object of msg at level, whose topic is topic and whose message
  /// (without its subtopic) is text; drops, when not null, adds the drop report's members.
  void write(spdlog::memory_buf_t& out, const spdlog::details::log_msg& msg,
             spdlog::level::level_enum level, std::string_view topic, std::string_view text,
             const drop_span* drops);

 private:
  void append_time(spdlog::memory_buf_t& out, spdlog::log_clock::time_point when);
  std::string_view logger_json(std::string_view name);
  std::string_view topic_json(spdlog::level::level_enum level, std::string_view topic);

  // `","level":"INFO","logger":` per level: what follows the time up to the logger's name.
  std::array<std::string, spdlog::level::n_levels> after_time_;
  std::array<std::string, spdlog::level::n_levels> level_topics_;       // as given
  std::array<std::string, spdlog::level::n_levels> level_topics_json_;  // quoted and escaped
  std::string logger_;       // the name of the last record's logger
  std::string logger_json_;  // the same, quoted and escaped
  std::string topic_json_;   // a topic with a subtopic, quoted and escaped
  core::utc_timestamp time_;
};

}  // namespace zmqsec::logging::detail
