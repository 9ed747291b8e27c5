// The topic every record on a log stream carries as its first frame, in the convention of pyzmq's
// PUBHandler: ROOT.LEVEL[.SUBTOPIC], or LEVEL[.SUBTOPIC] without a root topic, LEVEL in Python
// logging's names. Subscribers filter on topic prefixes, so "myapp.ERROR" selects one program's
// errors and "myapp." everything it logs.
//
//   namespace zl = zmqsec::logging;
//   zl::make_topic("myapp", spdlog::level::warn, "disk");    // "myapp.WARNING.disk"
//   auto parts = zl::parse_topic("myapp.WARNING.disk");      // "myapp", warn, "disk"
//   auto [sub, text] = zl::split_subtopic("disk::low space");  // "disk", "low space"
#pragma once

#include <spdlog/common.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace zmqsec::logging {

/// Python logging's name for an spdlog level: TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, and
/// OFF for spdlog::level::off (which spdlog lets a caller log at).
std::string_view level_name(spdlog::level::level_enum level) noexcept;

/// The spdlog level of a level name as it appears in a topic: the names above, Python's aliases
/// WARN and FATAL, and "Level N", Python's name for an unnamed numeric level (N below 10 is
/// trace, below 20 debug, and so on up to 50 and above for critical). Case-sensitive, as topics
/// are; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_level_name(std::string_view name) noexcept;

/// root.LEVEL.subtopic, leaving out an empty root topic or subtopic.
std::string make_topic(std::string_view root_topic, spdlog::level::level_enum level,
                       std::string_view subtopic);

/// A topic taken apart. The views point into the topic that was parsed.
struct topic_parts {
  std::string_view root_topic;  ///< what comes before the level ("" if nothing)
  std::string_view level_name;  ///< the level as written ("WARNING"), "" if the topic has none
  spdlog::level::level_enum level = spdlog::level::info;  ///< info if the topic names no level
  std::string_view subtopic;  ///< what comes after the level ("" if nothing)
};

/// Splits a topic at its first dot-separated part that names a level (a root topic may itself
/// contain dots). A topic without such a part is all root topic, at level info.
topic_parts parse_topic(std::string_view topic) noexcept;

/// Splits "subtopic::text" at the first "::", as PUBHandler does; a message without "::" has no
/// subtopic and keeps all its text.
std::pair<std::string_view, std::string_view> split_subtopic(std::string_view message) noexcept;

}  // namespace zmqsec::logging
