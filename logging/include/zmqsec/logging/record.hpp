// One log record as it travels on a log stream: two frames, a topic and a payload. pub_sink
// sends them; pyzmq's PUBHandler sends the same shape; subscriber and zmq-logtail receive them.
//
//   auto r = zmqsec::logging::record::from_frames("myapp.WARNING.disk", "low space\n");
//   r.level;       // spdlog::level::warn
//   r.subtopic;    // "disk"
//   r.message();   // "low space" (the payload without its line end)
//   r.to_json();   // {"topic":"myapp.WARNING.disk","root_topic":"myapp","level":"WARNING",...}
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

namespace zmqsec::logging {

/// text without one trailing line end ("\n" or "\r\n"), which formatters append.
std::string_view without_line_end(std::string_view text) noexcept;

struct record {
  std::string topic;       ///< the first frame, e.g. "myapp.WARNING.disk"
  std::string payload;     ///< the second frame as sent: formatted text or a JSON object
  std::string root_topic;  ///< parsed from the topic (see topic.hpp)
  std::string level_name;  ///< the level as written in the topic, "" if it names none
  spdlog::level::level_enum level = spdlog::level::info;
  std::string subtopic;

  /// A record from its two frames, the topic parsed with parse_topic().
  static record from_frames(std::string topic, std::string payload);

  /// The payload without one trailing line end ("\n" or "\r\n"), which formatters append.
  std::string_view message() const noexcept;

  /// One JSON object on one line: topic, root_topic, level, subtopic and message, as strings.
  /// Text that is not valid UTF-8 has its bad bytes replaced by U+FFFD.
  std::string to_json() const;
};

}  // namespace zmqsec::logging
