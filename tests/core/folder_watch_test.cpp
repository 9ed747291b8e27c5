#include <poll.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <zmqsec/core/folder_watch.hpp>

#include "inotify_limits.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using zmqsec::core::folder_changes;
using zmqsec::core::folder_event;
using zmqsec::core::folder_watch;
using zmqsec::testing::temp_dir;
using attachment = folder_watch::attachment;

// Everything read from the watch so far, the entries of several reads merged by name.
struct seen {
  folder_changes all;

  void merge(const folder_changes& more) {
    all.rescan = all.rescan || more.rescan;
    all.folder_changed = all.folder_changed || more.folder_changed;
    for (const auto& entry : more.entries) {
      auto* mine = find(entry.name);
      if (mine == nullptr) {
        all.entries.push_back(entry);
      } else {
        mine->what |= entry.what;
      }
    }
  }
  folder_changes::entry* find(const std::string& name) {
    for (auto& entry : all.entries) {
      if (entry.name == name) return &entry;
    }
    return nullptr;
  }
  std::uint32_t what(const std::string& name) {
    const auto* entry = find(name);
    return entry == nullptr ? 0 : entry->what;
  }
};

// Polls the watch's fd and reads its changes until done(seen) holds or timeout passes.
template <class Done>
bool read_until(folder_watch& watch, seen& s, Done done, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(s)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd p{watch.fd(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) s.merge(watch.read_changes());
  }
  return true;
}

bool has_name(seen& s, const std::string& name, std::uint32_t bits) {
  return (s.what(name) & bits) == bits;
}

// Reads what is queued now (the events of the calls made so far are queued when they return).
folder_changes read_now(folder_watch& watch) {
  pollfd p{watch.fd(), POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return {};
  return watch.read_changes();
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

struct watched_folder {
  temp_dir root;
  fs::path path = root / "watched";
  watched_folder() { fs::create_directory(path); }
};

TEST(folder_watch, reports_created_written_renamed_deleted_and_chmod_by_name) {
  watched_folder dir;
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);

  write_file(dir.path / "a", "text");
  fs::rename(dir.path / "a", dir.path / "b");
  ASSERT_EQ(::chmod((dir.path / "b").c_str(), 0600), 0);
  fs::remove(dir.path / "b");

  seen s;
  ASSERT_TRUE(
      read_until(watch, s, [](seen& s) { return has_name(s, "b", folder_event::deleted); }));
  EXPECT_TRUE(
      has_name(s, "a", folder_event::created | folder_event::written | folder_event::moved_out));
  EXPECT_TRUE(has_name(s, "b", folder_event::moved_in | folder_event::attributes));
  EXPECT_FALSE(s.all.rescan);
  EXPECT_FALSE(s.all.folder_changed);
}

TEST(folder_watch, coalesces_the_events_of_one_name_in_one_read) {
  watched_folder dir;
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);

  for (int i = 0; i < 50; ++i) write_file(dir.path / "burst", std::to_string(i));
  fs::create_directory(dir.path / "sub");
  const auto changes = read_now(watch);

  ASSERT_EQ(changes.entries.size(), 2u);
  EXPECT_EQ(changes.entries[0].name, "burst");
  EXPECT_EQ(changes.entries[0].what, folder_event::created | folder_event::written);
  EXPECT_EQ(changes.entries[1].name, "sub");
  EXPECT_EQ(changes.entries[1].what, folder_event::created | folder_event::is_folder);
  EXPECT_TRUE(changes.entries[1].only_created());
  EXPECT_FALSE(changes.entries[0].only_created());
  EXPECT_TRUE(read_now(watch).empty());  // drained
}

TEST(folder_watch, reports_a_same_size_rewrite_at_close) {
  watched_folder dir;
  write_file(dir.path / "f", "one");
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);

  write_file(dir.path / "f", "two");

  seen s;
  ASSERT_TRUE(
      read_until(watch, s, [](seen& s) { return has_name(s, "f", folder_event::written); }));
  EXPECT_FALSE(has_name(s, "f", folder_event::created));
}

// A real overflow: the watch is not a thread, so nothing drains the queue until read_changes();
// attribute changes of two files in turn (the kernel merges only an event that repeats the one
// before it) fill the queue past fs.inotify.max_queued_events, which is left as it is.
TEST(folder_watch, reports_an_overflowing_queue_as_rescan) {
  const std::size_t limit = zmqsec::testing::max_queued_inotify_events();
  if (limit > 1000000) GTEST_SKIP() << "max_queued_events " << limit << " is too large to fill";
  watched_folder dir;
  write_file(dir.path / "a", "");
  write_file(dir.path / "b", "");
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);

  for (std::size_t i = 0; i < limit / 2 + 100; ++i) {
    ASSERT_EQ(::chmod((dir.path / "a").c_str(), 0644), 0);
    ASSERT_EQ(::chmod((dir.path / "b").c_str(), 0644), 0);
  }

  seen s;
  ASSERT_TRUE(read_until(watch, s, [](seen& s) { return s.all.rescan; }));
  EXPECT_TRUE(s.all.folder_changed);
  EXPECT_TRUE(has_name(s, "a", folder_event::attributes));
}

TEST(folder_watch, attach_again_keeps_the_same_folder_and_reports_its_chmod) {
  watched_folder dir;
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);
  EXPECT_EQ(watch.attach(), attachment::same);

  ASSERT_EQ(::chmod(dir.path.c_str(), 0700), 0);

  seen s;
  ASSERT_TRUE(read_until(watch, s, [](seen& s) { return s.all.folder_changed; }));
  EXPECT_EQ(watch.attach(), attachment::same);
  EXPECT_TRUE(watch.attached());
}

TEST(folder_watch, follows_a_folder_replaced_by_rename) {
  watched_folder dir;
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);
  fs::create_directory(dir.root / "next");
  write_file(dir.root / "next" / "inside", "x");

  fs::rename(dir.root / "next", dir.path);  // over the (empty) watched folder

  seen s;
  ASSERT_TRUE(read_until(watch, s, [](seen& s) { return s.all.folder_changed; }));
  ASSERT_EQ(watch.attach(), attachment::new_folder);
  write_file(dir.path / "after", "y");
  seen after;
  ASSERT_TRUE(read_until(watch, after,
                         [](seen& s) { return has_name(s, "after", folder_event::written); }));
}

TEST(folder_watch, reattaches_a_folder_removed_and_created_again) {
  watched_folder dir;
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);

  fs::remove(dir.path);
  seen gone;
  ASSERT_TRUE(read_until(watch, gone, [](seen& s) { return s.all.folder_changed; }));
  EXPECT_EQ(watch.attach(), attachment::lost);
  EXPECT_EQ(watch.attach_error(), ENOENT);
  EXPECT_FALSE(watch.attached());

  fs::create_directory(dir.path);  // seen through the parent's watch
  seen back;
  ASSERT_TRUE(read_until(watch, back, [](seen& s) { return s.all.folder_changed; }));
  ASSERT_EQ(watch.attach(), attachment::new_folder);
  EXPECT_EQ(watch.attach_error(), 0);
  write_file(dir.path / "f", "z");
  seen file;
  ASSERT_TRUE(
      read_until(watch, file, [](seen& s) { return has_name(s, "f", folder_event::written); }));
}

TEST(folder_watch, stops_reporting_a_folder_renamed_away) {
  watched_folder dir;
  folder_watch watch(dir.path);
  ASSERT_EQ(watch.attach(), attachment::new_folder);

  fs::rename(dir.path, dir.root / "elsewhere");
  seen moved;
  ASSERT_TRUE(read_until(watch, moved, [](seen& s) { return s.all.folder_changed; }));
  EXPECT_EQ(watch.attach(), attachment::lost);
  write_file(dir.root / "elsewhere" / "f", "z");
  write_file(dir.root / "unrelated", "z");  // a parent event that is not about the folder

  seen later;
  EXPECT_FALSE(read_until(
      watch, later, [](seen& s) { return !s.all.empty(); }, 200ms));
}

TEST(folder_watch, reports_a_folder_that_does_not_exist_as_lost) {
  temp_dir root;
  folder_watch watch(root / "missing");
  EXPECT_EQ(watch.attach(), attachment::lost);
  EXPECT_EQ(watch.attach_error(), ENOENT);
  write_file(root / "missing", "a file, not a folder");
  EXPECT_EQ(watch.attach(), attachment::lost);
  EXPECT_EQ(watch.attach_error(), ENOTDIR);
  EXPECT_EQ(watch.folder(), fs::absolute(root / "missing").lexically_normal());
}

}  // namespace
