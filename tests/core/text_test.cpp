#include <chrono>
#include <initializer_list>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <zmqsec/core/text.hpp>

namespace {

using namespace zmqsec::core;

TEST(text_test, escape_for_log_keeps_printable_ascii_and_escapes_the_rest) {
  EXPECT_EQ(escape_for_log("alice 127.0.0.1"), "alice 127.0.0.1");
  EXPECT_EQ(escape_for_log("a\nb"), "a\\x0ab");
  EXPECT_EQ(escape_for_log("say \"hi\"\\"), "say \\x22hi\\x22\\x5c");
  EXPECT_EQ(escape_for_log("\x1b[31m"), "\\x1b[31m");
  EXPECT_EQ(escape_for_log("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(text_test, printable_keeps_utf8_and_escapes_controls_and_broken_bytes) {
  EXPECT_EQ(printable("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
  EXPECT_EQ(printable("a\nb\tc"), "a\\nb\\tc");
  EXPECT_EQ(printable("\x1b"), "\\x1b");
  EXPECT_EQ(printable("\xc2\x9b"), "\\u009b");  // C1 CSI
  EXPECT_EQ(printable("x\xff"), "x\\xff");
  EXPECT_EQ(printable("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");  // overlong '/'
}

TEST(text_test, json_string_passes_utf8_through_and_escapes_controls) {
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_string("\xf0\x9f\x94\x92 lock"), "\"\xf0\x9f\x94\x92 lock\"");
  EXPECT_EQ(json_string("q\"b\\n\n\r\t\x01"), "\"q\\\"b\\\\n\\n\\r\\t\\u0001\"");
  EXPECT_EQ(json_string(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

// Plain text is skipped eight bytes at a time: a byte that needs care is found wherever it sits in
// a word, and in whichever word.
TEST(text_test, json_string_finds_every_special_byte_at_every_position) {
  const std::pair<std::string, std::string> specials[] = {{"\"", "\\\""},
                                                          {"\\", "\\\\"},
                                                          {"\n", "\\n"},
                                                          {std::string(1, '\0'), "\\u0000"},
                                                          {"\x1f", "\\u001f"},
                                                          {"\xff", "\\ufffd"},
                                                          {"\xc3\xa9", "\xc3\xa9"},
                                                          {"\x7f", "\x7f"}};
  for (const auto& [raw, escaped] : specials) {
    for (std::size_t before = 0; before < 20; ++before) {
      for (const std::size_t after : {0, 1, 6, 7, 11}) {  // in the last word, or before it
        const std::string left(before, 'a'), right(after, 'z');
        EXPECT_EQ(json_string(left + raw + right), '"' + left + escaped + right + '"')
            << "at " << before << " of " << before + raw.size() + after << ": " << escaped;
        EXPECT_EQ(json_plain(left + raw + right), raw == "\x7f") << "at " << before;
      }
    }
  }
}

// Plain runs are copied whole, whatever their length (the last bytes are checked
// as a word padded with spaces, which are plain).
TEST(text_test, json_string_of_text_of_any_length) {
  for (std::size_t size = 0; size < 40; ++size) {
    std::string text;
    for (std::size_t i = 0; i < size; ++i) text.push_back(static_cast<char>(' ' + i % 95));
    std::string expected = "\"";
    for (const char c : text) {
      if (c == '"' || c == '\\') expected.push_back('\\');
      expected.push_back(c);
    }
    expected.push_back('"');
    EXPECT_EQ(json_string(text), expected) << "size " << size;
  }
  EXPECT_TRUE(json_plain(""));
  EXPECT_TRUE(json_plain("request 123456 served in 17 us"));
  EXPECT_FALSE(json_plain("request \"x\""));
}

// Plain ASCII is copied in runs checked sixteen or eight bytes at a time, the last block
// overlapping the one before: what needs escaping is found wherever it sits, in texts of every
// length around those blocks.
TEST(text_test, printable_finds_every_byte_that_needs_care_at_every_position) {
  const std::pair<std::string, std::string> specials[] = {{"\n", "\\n"},
                                                          {"\t", "\\t"},
                                                          {"\x1b", "\\x1b"},
                                                          {"\x7f", "\\x7f"},
                                                          {"\xff", "\\xff"},
                                                          {"\xc2\x85", "\\u0085"},
                                                          {"\xc3\xa9", "\xc3\xa9"},
                                                          {std::string(1, '\0'), "\\x00"},
                                                          {"\x1f", "\\x1f"},
                                                          {"\x80", "\\x80"},
                                                          {"~", "~"},
                                                          {" ", " "}};
  for (const auto& [raw, shown] : specials) {
    for (std::size_t before = 0; before < 40; ++before) {
      for (const std::size_t after :
           std::initializer_list<std::size_t>{0, 1, 7, 11, 15, 16, 17, 33}) {
        const std::string left(before, 'a'), right(after, 'z');
        EXPECT_EQ(printable(left + raw + right), left + shown + right)
            << "at " << before << " of " << before + raw.size() + after;
        std::string appended = "kept|";
        append_printable(appended, left + raw + right);
        EXPECT_EQ(appended, "kept|" + left + shown + right);
      }
    }
  }
}

TEST(text_test, json_string_replaces_bytes_that_are_not_utf8) {
  EXPECT_EQ(json_string("a\xff"), "\"a\\ufffd\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(json_string("\xc3"), "\"\\ufffd\"");                        // cut short
}

TEST(text_test, append_json_name_separates_members) {
  std::string out = "{";
  append_json_name(out, "a", true);
  out += "1";
  append_json_name(out, "b");
  out += "2}";
  EXPECT_EQ(out, "{\"a\":1,\"b\":2}");
}

TEST(text_test, utc_timestamp_is_rfc3339_with_microseconds) {
  using namespace std::chrono;
  const auto when =
      sys_days{year{2026} / 12 / 2} + hours{10} + minutes{4} + seconds{5} + microseconds{123456};
  EXPECT_EQ(rfc3339_utc(time_point_cast<system_clock::duration>(when)),
            "2026-12-02T10:04:05.123456Z");
  utc_timestamp stamp;
  EXPECT_EQ(stamp.format(time_point_cast<system_clock::duration>(when)),
            "2026-12-02T10:04:05.123456Z");
  EXPECT_EQ(stamp.format(time_point_cast<system_clock::duration>(when + microseconds{1})),
            "2026-12-02T10:04:05.123457Z");
  EXPECT_EQ(stamp.format(time_point_cast<system_clock::duration>(when + seconds{60})),
            "2026-12-02T10:05:05.123456Z");
}

}  // namespace
