// The topic convention and the record's parsed and JSON forms, without sockets.
#include <gtest/gtest.h>

#include <string>

#include <zmqsec/logging/record.hpp>
#include <zmqsec/logging/topic.hpp>

namespace zl = zmqsec::logging;
namespace level = spdlog::level;

TEST(topic_test, level_names_are_pythons) {
  EXPECT_EQ(zl::level_name(level::trace), "TRACE");
  EXPECT_EQ(zl::level_name(level::debug), "DEBUG");
  EXPECT_EQ(zl::level_name(level::info), "INFO");
  EXPECT_EQ(zl::level_name(level::warn), "WARNING");
  EXPECT_EQ(zl::level_name(level::err), "ERROR");
  EXPECT_EQ(zl::level_name(level::critical), "CRITICAL");
  EXPECT_EQ(zl::level_name(level::off), "OFF");
}

TEST(topic_test, level_names_parse_back_with_pythons_aliases) {
  for (int i = level::trace; i < level::n_levels; ++i) {
    const auto l = static_cast<level::level_enum>(i);
    EXPECT_EQ(zl::parse_level_name(zl::level_name(l)), l);
  }
  EXPECT_EQ(zl::parse_level_name("WARN"), level::warn);
  EXPECT_EQ(zl::parse_level_name("FATAL"), level::critical);
  EXPECT_EQ(zl::parse_level_name("Level 5"), level::trace);
  EXPECT_EQ(zl::parse_level_name("Level 15"), level::debug);
  EXPECT_EQ(zl::parse_level_name("Level 25"), level::info);
  EXPECT_EQ(zl::parse_level_name("Level 35"), level::warn);
  EXPECT_EQ(zl::parse_level_name("Level 45"), level::err);
  EXPECT_EQ(zl::parse_level_name("Level 99"), level::critical);
  EXPECT_EQ(zl::parse_level_name("info"), std::nullopt);
  EXPECT_EQ(zl::parse_level_name("Level "), std::nullopt);
  EXPECT_EQ(zl::parse_level_name("Level 5x"), std::nullopt);
  EXPECT_EQ(zl::parse_level_name(""), std::nullopt);
}

TEST(topic_test, make_topic_leaves_out_empty_parts) {
  EXPECT_EQ(zl::make_topic("myapp", level::info, ""), "myapp.INFO");
  EXPECT_EQ(zl::make_topic("myapp", level::warn, "disk"), "myapp.WARNING.disk");
  EXPECT_EQ(zl::make_topic("", level::err, ""), "ERROR");
  EXPECT_EQ(zl::make_topic("", level::err, "db.pool"), "ERROR.db.pool");
}

TEST(topic_test, parse_topic_finds_the_level_after_a_dotted_root) {
  const auto parts = zl::parse_topic("cluster.node-7.WARNING.disk.sda");
  EXPECT_EQ(parts.root_topic, "cluster.node-7");
  EXPECT_EQ(parts.level_name, "WARNING");
  EXPECT_EQ(parts.level, level::warn);
  EXPECT_EQ(parts.subtopic, "disk.sda");
}

TEST(topic_test, parse_topic_without_root_or_subtopic) {
  const auto bare = zl::parse_topic("ERROR");
  EXPECT_EQ(bare.root_topic, "");
  EXPECT_EQ(bare.level, level::err);
  EXPECT_EQ(bare.subtopic, "");
  const auto python_custom = zl::parse_topic("app.Level 5.x");
  EXPECT_EQ(python_custom.level, level::trace);
  EXPECT_EQ(python_custom.root_topic, "app");
  EXPECT_EQ(python_custom.subtopic, "x");
}

TEST(topic_test, parse_topic_without_a_level_is_all_root_at_info) {
  const auto parts = zl::parse_topic("heartbeat.node");
  EXPECT_EQ(parts.root_topic, "heartbeat.node");
  EXPECT_EQ(parts.level_name, "");
  EXPECT_EQ(parts.level, level::info);
  EXPECT_EQ(parts.subtopic, "");
}

TEST(topic_test, split_subtopic_at_the_first_double_colon) {
  EXPECT_EQ(zl::split_subtopic("disk::low space"),
            (std::pair<std::string_view, std::string_view>{"disk", "low space"}));
  EXPECT_EQ(zl::split_subtopic("a.b::c::d"),
            (std::pair<std::string_view, std::string_view>{"a.b", "c::d"}));
  EXPECT_EQ(zl::split_subtopic("::bare"),
            (std::pair<std::string_view, std::string_view>{"", "bare"}));
  EXPECT_EQ(zl::split_subtopic("no subtopic: here"),
            (std::pair<std::string_view, std::string_view>{"", "no subtopic: here"}));
}

TEST(record_test, from_frames_parses_the_topic_and_message_drops_one_line_end) {
  const auto r = zl::record::from_frames("myapp.WARNING.disk", "low space\n\n");
  EXPECT_EQ(r.root_topic, "myapp");
  EXPECT_EQ(r.level_name, "WARNING");
  EXPECT_EQ(r.level, level::warn);
  EXPECT_EQ(r.subtopic, "disk");
  EXPECT_EQ(r.message(), "low space\n");
  EXPECT_EQ(zl::record::from_frames("INFO", "a\r\n").message(), "a");
  EXPECT_EQ(zl::record::from_frames("INFO", "a\r").message(), "a\r");
}

TEST(record_test, to_json_escapes_and_repairs_utf8) {
  const auto r = zl::record::from_frames("app.ERROR", std::string("q\"b\\ t\tnl\n\x01 \xC3\xA9 \xFF"
                                                                  "\xE2\x82\xAC\xED\xA0\x80\n"));
  // Each byte that is not UTF-8 becomes U+FFFD, written as the escape \ufffd (core's
  // append_json_string); the valid sequences around them stay as they are.
  EXPECT_EQ(r.to_json(),
            "{\"topic\":\"app.ERROR\",\"root_topic\":\"app\",\"level\":\"ERROR\",\"subtopic\":\"\","
            "\"message\":\"q\\\"b\\\\ t\\tnl\\n\\u0001 \xC3\xA9 \\ufffd\xE2\x82\xAC"
            "\\ufffd\\ufffd\\ufffd\"}");
}
