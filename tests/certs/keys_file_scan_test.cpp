// A followed authorized-keys file replaced anywhere: the store ends holding what a fresh read
// of the file holds, wherever the two ends of the comparison (keys_file_scan: from the start on
// the follower's thread, from the end on a second one) stop or meet. The files are over 1 MiB,
// so that both ends run at once.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <zmqsec/certs/cert_store.hpp>

#include "keys_file_model.hpp"
#include "keys_file_scan.hpp"
#include "random_keys.hpp"
#include "temp_dir.hpp"
#include "wait_until.hpp"

namespace zc = zmqsec::certs;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using zmqsec::testing::lines_of;
using zmqsec::testing::random_key;
using zmqsec::testing::random_keys;

// 40,000 lines of some 55 bytes: 2.2 MB.
constexpr std::size_t keys_in_file = 40000;

std::string repeated(const std::string& line, std::size_t times) {
  std::string text;
  for (std::size_t i = 0; i < times; ++i) text += line;
  return text;
}

// followed holds what fresh holds: the same keys, with the same metadata, and the same
// problems at the same line numbers.
void expect_same(const zc::cert_snapshot& followed, const zc::cert_snapshot& fresh,
                 const std::string& label) {
  EXPECT_EQ(followed.size(), fresh.size()) << label;
  EXPECT_EQ(followed.file_count(), fresh.file_count()) << label;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    const auto expected = fresh.at(i);
    const auto found = followed.find(expected.key());
    ASSERT_TRUE(found) << label << ": key " << i << " missing";
    EXPECT_EQ(found->meta("name"), expected.meta("name")) << label;
  }
  ASSERT_EQ(followed.problems().size(), fresh.problems().size()) << label;
  for (std::size_t i = 0; i < fresh.problems().size(); ++i) {
    EXPECT_EQ(followed.problems()[i].line, fresh.problems()[i].line) << label;
    EXPECT_EQ(followed.problems()[i].reason, fresh.problems()[i].reason) << label;
  }
}

// Follows a file of before, renames a file of after over it, and expects the snapshot that has
// the change to be what a fresh read of after gives. Returns whether the follower applied it
// line by line (keys_file_model, on the same two texts).
bool follow_replacement(const std::string& before, const std::string& after,
                        const std::string& label) {
  zmqsec::testing::temp_dir dir;
  const auto file = dir.write("clients.keys", before);
  auto store = zc::cert_store::from_authorized_keys(file);
  zc::detail::keys_file_model model(file);
  model.load_all();
  const auto generation = store.generation();
  fs::rename(dir.write("clients.keys.new", after), file);
  EXPECT_TRUE(store.wait_for_generation(generation + 1, 10s)) << label;
  auto fresh = zc::cert_store::from_authorized_keys(file, {.follow = false, .on_change = {}});
  expect_same(*store.current(), *fresh.current(), label);
  EXPECT_TRUE(model.update()) << label;
  return model.last_update_incremental();
}

}  // namespace

TEST(keys_file_scan, a_line_added_beside_an_equal_line_is_found_when_both_ends_match_it) {
  // From [A, B] to [A, A, B]: the start matches the first A and the end the second, both with
  // the same loaded line; the window keeps one of them. Here A is every comment line of a block
  // in the middle of the file, so the ends meet in it whatever their pace.
  const std::string keys_before = lines_of(random_keys(keys_in_file / 2));
  const std::string keys_after = lines_of(random_keys(keys_in_file / 2));
  const std::string block = repeated("# the same comment\n", 20000);
  const std::string before = keys_before + block + "bad line\n" + keys_after;
  EXPECT_TRUE(follow_replacement(
      before, keys_before + block + "# the same comment\nbad line\n" + keys_after, "one more"));
  EXPECT_TRUE(follow_replacement(
      before, keys_before + repeated("# the same comment\n", 19999) + "bad line\n" + keys_after,
      "one fewer"));
}

TEST(keys_file_scan, a_file_of_one_line_repeated_grows_and_shrinks_by_a_line) {
  const std::string line = "# one line, again and again\n";
  EXPECT_TRUE(follow_replacement(repeated(line, 60000), repeated(line, 60001), "one more"));
  EXPECT_TRUE(follow_replacement(repeated(line, 60000), repeated(line, 59999), "one fewer"));
}

TEST(keys_file_scan, a_change_of_the_first_or_the_last_line_is_applied_line_by_line) {
  auto keys = random_keys(keys_in_file);
  const std::string text = lines_of(keys);
  const std::size_t second = text.find('\n') + 1;
  const std::size_t last = text.rfind('\n', text.size() - 2) + 1;
  const std::string extra = random_key().z85() + " name=extra\n";
  EXPECT_TRUE(follow_replacement(text, extra + text.substr(second), "first replaced"));
  EXPECT_TRUE(follow_replacement(text, text.substr(0, last) + extra, "last replaced"));
  EXPECT_TRUE(follow_replacement(text, text.substr(0, last) + random_key().z85(),
                                 "last replaced, no newline"));
  EXPECT_TRUE(follow_replacement(text, "bad line\n" + text, "bad line first"));
  EXPECT_TRUE(follow_replacement(text, text + "bad line", "bad line last"));
}

TEST(keys_file_scan, a_file_grown_or_shrunk_at_both_ends_ends_as_a_fresh_read) {
  const std::string text = lines_of(random_keys(keys_in_file));
  const std::string head = lines_of(random_keys(3));
  const std::string tail = "# a comment\n" + lines_of(random_keys(2));
  const std::size_t cut = text.find('\n', 1000) + 1;
  const std::size_t end_cut = text.rfind('\n', text.size() - 1000) + 1;
  // The window spans the file: a full read (the outcome is the same either way).
  follow_replacement(text, head + text + tail, "grown at both ends");
  follow_replacement(text, text.substr(cut, end_cut - cut), "shrunk at both ends");
  follow_replacement(text, head + text.substr(cut), "grown at the start, shrunk at the end");
}

TEST(keys_file_scan, lines_changed_anywhere_in_a_large_file_are_applied_line_by_line) {
  // One edit at each eighth of the file: one of them lies where the two ends meet.
  auto keys = random_keys(keys_in_file);
  const std::string text = lines_of(keys);
  for (std::size_t eighth = 0; eighth <= 8; ++eighth) {
    const std::size_t at = text.rfind('\n', text.size() * eighth / 8 - (eighth > 0)) + 1;
    const std::size_t line_end = text.find('\n', at) + 1;
    const std::string label = "eighth " + std::to_string(eighth);
    if (line_end == 0) continue;  // past the last line
    EXPECT_TRUE(
        follow_replacement(text, text.substr(0, at) + text.substr(line_end), label + ", removed"));
    EXPECT_TRUE(follow_replacement(
        text, text.substr(0, at) + random_key().z85() + " name=new\n" + text.substr(at),
        label + ", inserted"));
  }
}

TEST(keys_file_scan, an_unchanged_file_rewritten_publishes_nothing) {
  zmqsec::testing::temp_dir dir;
  const std::string text = lines_of(random_keys(keys_in_file));
  const auto file = dir.write("clients.keys", text);
  zc::detail::keys_file_model model(file, true);
  model.load_all();
  auto store = zc::cert_store::from_authorized_keys(file);
  const auto generation = store.generation();

  fs::rename(dir.write("clients.keys.new", text), file);  // the same lines, a new file
  EXPECT_FALSE(model.update());
  const auto extra = random_key();
  fs::rename(dir.write("clients.keys.new", text + extra.z85() + "\n"), file);
  ASSERT_TRUE(store.wait_for_generation(generation + 1, 10s));
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return store.current()->contains(extra); }));
  // One snapshot for the two replacements: the first one changed nothing.
  EXPECT_EQ(store.generation(), generation + 1);
}
