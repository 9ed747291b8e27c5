// Authorized-keys files: the format, the store that follows one, and its incremental updates.
#include <gtest/gtest.h>
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <zmqsec/certs/authorized_keys.hpp>
#include <zmqsec/certs/cert_store.hpp>

#include "keys_file_model.hpp"
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

void append(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << text;
}

// Waits for the store to publish a snapshot after generation.
std::shared_ptr<const zc::cert_snapshot> next_snapshot(const zc::cert_store& store,
                                                       std::uint64_t generation) {
  EXPECT_TRUE(store.wait_for_generation(generation + 1, 10s));
  return store.current();
}

}  // namespace

TEST(authorized_keys, loads_keys_with_metadata_and_skips_bad_lines_by_number) {
  zmqsec::testing::temp_dir dir;
  const auto a = random_key();
  const auto b = random_key();
  const auto file = dir.write("clients.keys", "# devices of hall 3\n\n" + a.z85() +
                                                  " name=sensor-12 site=\"hall \\\"3\\\"\"\n" +
                                                  "not-a-key name=x\n" + b.z85() + " name\n" +
                                                  b.z85() + "\t\r\n" + a.z85() + " name=again\n");
  auto store = zc::cert_store::from_authorized_keys(file, {.follow = false, .on_change = {}});
  const auto snapshot = store.current();
  EXPECT_EQ(snapshot->size(), 2u);
  EXPECT_EQ(snapshot->file_count(), 3u);  // b once, a twice
  const auto cert = snapshot->find(a);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->meta("name"), "sensor-12");
  EXPECT_EQ(cert->meta("site"), "hall \"3\"");
  EXPECT_EQ(cert->file_name(), "clients.keys");
  ASSERT_TRUE(snapshot->find(b));
  EXPECT_TRUE(snapshot->find(b)->metadata().empty());
  ASSERT_EQ(snapshot->problems().size(), 3u);
  EXPECT_EQ(snapshot->problems()[0].line, 4u);
  EXPECT_NE(snapshot->problems()[0].reason.find("40 Z85 characters"), std::string::npos);
  EXPECT_EQ(snapshot->problems()[1].line, 5u);
  EXPECT_EQ(snapshot->problems()[2].line, 7u);
  EXPECT_NE(snapshot->problems()[2].reason.find("duplicate of line 3"), std::string::npos);
  EXPECT_EQ(snapshot->problems()[2].path, fs::absolute(file));
  EXPECT_FALSE(snapshot->stale());
  EXPECT_EQ(store.keys_file(), fs::absolute(file));
  EXPECT_TRUE(store.folder().empty());
  EXPECT_EQ(snapshot->at(0).key() == a || snapshot->at(1).key() == a, true);
}

TEST(authorized_keys, refuses_a_file_that_cannot_be_read) {
  zmqsec::testing::temp_dir dir;
  EXPECT_THROW(zc::cert_store::from_authorized_keys(dir / "missing.keys"), zmqsec::error);
  EXPECT_THROW(zc::cert_store::from_authorized_keys(dir.path()), zmqsec::error);
}

TEST(authorized_keys, follows_lines_appended_and_removed) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(3);
  const auto file = dir.write("clients.keys", lines_of({keys[0], keys[1]}));
  auto store = zc::cert_store::from_authorized_keys(file);
  auto generation = store.generation();
  append(file, keys[2].z85() + " name=new\n");
  auto snapshot = next_snapshot(store, generation);
  ASSERT_TRUE(snapshot->find(keys[2]));
  EXPECT_EQ(snapshot->find(keys[2])->meta("name"), "new");
  EXPECT_EQ(snapshot->size(), 3u);

  generation = snapshot->generation();
  dir.write("clients.keys", keys[0].z85() + "\n" + keys[2].z85() + " name=new\n");  // in place
  snapshot = next_snapshot(store, generation);
  EXPECT_FALSE(snapshot->contains(keys[1]));
  EXPECT_TRUE(snapshot->contains(keys[0]));
  EXPECT_TRUE(snapshot->find(keys[0])->metadata().empty());
  EXPECT_EQ(snapshot->size(), 2u);
}

TEST(authorized_keys, follows_a_file_replaced_by_rename) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(2);
  const auto file = dir.write("clients.keys", lines_of({keys[0]}));
  auto store = zc::cert_store::from_authorized_keys(file);
  const auto generation = store.generation();
  const auto next = dir.write("clients.keys.new", lines_of({keys[1]}) + "bad line\n");
  fs::rename(next, file);
  const auto snapshot = next_snapshot(store, generation);
  EXPECT_FALSE(snapshot->contains(keys[0]));
  EXPECT_TRUE(snapshot->contains(keys[1]));
  ASSERT_EQ(snapshot->problems().size(), 1u);
  EXPECT_EQ(snapshot->problems()[0].line, 2u);
}

namespace {

// How many of this process's open files are in folder (deleted ones included).
std::size_t files_open_in(const fs::path& folder) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = fs::read_symlink(entry.path(), ec).string();
    if (!ec && target.rfind(fs::canonical(folder).string() + "/", 0) == 0) ++count;
  }
  return count;
}

}  // namespace

// A followed file stays open (so that a writer's rename() does not pay for freeing the file it
// replaces), but never more than the file in force: the replaced one is closed once the change
// is published. A store that does not follow keeps nothing open.
TEST(authorized_keys, holds_only_the_file_in_force_open_while_following) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(2);
  const auto file = dir.write("clients.keys", lines_of({keys[0]}));
  {
    auto still = zc::cert_store::from_authorized_keys(file, {.follow = false, .on_change = {}});
    EXPECT_EQ(files_open_in(dir.path()), 0u);
  }
  auto store = zc::cert_store::from_authorized_keys(file);
  EXPECT_EQ(files_open_in(dir.path()), 1u);
  const auto generation = store.generation();
  fs::rename(dir.write("clients.keys.new", lines_of({keys[1]})), file);
  EXPECT_TRUE(next_snapshot(store, generation)->contains(keys[1]));
  EXPECT_TRUE(zmqsec::testing::wait_until([&] { return files_open_in(dir.path()) == 1; }));
  fs::remove(file);
  EXPECT_TRUE(zmqsec::testing::wait_until([&] { return files_open_in(dir.path()) == 0; }));
  EXPECT_TRUE(store.current()->contains(keys[1]));  // the keys loaded before stay
}

TEST(authorized_keys, keeps_its_keys_while_the_file_is_gone) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(2);
  const auto file = dir.write("clients.keys", lines_of(keys));
  auto store = zc::cert_store::from_authorized_keys(file);
  auto generation = store.generation();
  fs::remove(file);
  auto snapshot = next_snapshot(store, generation);
  EXPECT_TRUE(snapshot->stale());
  EXPECT_TRUE(snapshot->contains(keys[0]));
  ASSERT_FALSE(snapshot->problems().empty());
  EXPECT_EQ(snapshot->problems()[0].line, 0u);

  generation = snapshot->generation();
  dir.write("clients.keys", lines_of({keys[1]}));
  ASSERT_TRUE(zmqsec::testing::wait_until([&] {
    const auto now = store.current();
    return !now->stale() && !now->contains(keys[0]);
  }));
  EXPECT_TRUE(store.contains(keys[1]));
}

TEST(authorized_keys, reads_and_writes_lines_that_round_trip) {
  zmqsec::testing::temp_dir dir;
  const auto key = random_key();
  const zc::metadata meta = {
      {"name", "a b"}, {"quote", "say \"hi\"\\"}, {"empty", ""}, {"X-Site", "hall#3"}};
  const std::string line = zc::authorized_key_line(key, meta);
  const auto file = dir.write("k", "# c\n" + line + "\n");
  const auto contents = zc::read_authorized_keys(file);
  ASSERT_EQ(contents.keys.size(), 1u);
  EXPECT_EQ(contents.keys[0].key, key);
  EXPECT_EQ(contents.keys[0].metadata, meta);
  EXPECT_EQ(contents.keys[0].line, 2u);
  EXPECT_TRUE(contents.problems.empty());
  EXPECT_THROW(zc::authorized_key_line(key, {{"bad name", "x"}}), zmqsec::error);
  EXPECT_THROW(zc::authorized_key_line(key, {{"name", "a\nb"}}), zmqsec::error);
}

TEST(keys_file_model, applies_a_line_added_or_removed_without_a_full_load) {
  zmqsec::testing::temp_dir dir;
  auto keys = random_keys(5000);
  std::string text = lines_of(keys);
  const auto file = dir.write("k", "bad\n" + text);
  zc::detail::keys_file_model model(file);
  model.load_all();
  EXPECT_EQ(model.table()->size(), 5000u);

  const auto extra = random_key();
  append(file, extra.z85() + " name=extra\nalso bad\n");
  ASSERT_TRUE(model.update());
  EXPECT_TRUE(model.last_update_incremental());
  EXPECT_EQ(model.table()->size(), 5001u);
  EXPECT_NE(model.table()->find_id(extra.data()), zc::detail::key_table::no_entry);

  // Remove the line of keys[100] (line 102: the bad line comes first).
  const auto line_100 = keys[100].z85() + " name=device-100\n";
  text.erase(text.find(line_100), line_100.size());
  dir.write("k", "bad\n" + text + extra.z85() + " name=extra\nalso bad\n");
  ASSERT_TRUE(model.update());
  EXPECT_TRUE(model.last_update_incremental());
  EXPECT_EQ(model.table()->size(), 5000u);
  EXPECT_EQ(model.table()->find_id(keys[100].data()), zc::detail::key_table::no_entry);

  // Edit the metadata of a line.
  dir.write("k", "bad\n" + text + extra.z85() + " name=changed\nalso bad\n");
  ASSERT_TRUE(model.update());
  EXPECT_TRUE(model.last_update_incremental());
  EXPECT_EQ(model.table()->size(), 5000u);
  const auto id = model.table()->find_id(extra.data());
  ASSERT_NE(id, zc::detail::key_table::no_entry);
  std::string name;
  model.table()->visit_meta(
      id,
      [](void* out, std::string_view n, std::string_view v) {
        if (n == "name") *static_cast<std::string*>(out) = v;
      },
      &name);
  EXPECT_EQ(name, "changed");
  const auto problems = model.problems();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].line, 1u);
  EXPECT_EQ(problems[1].line, 5002u);  // 1 bad + 4999 keys + extra, then "also bad"
  EXPECT_FALSE(model.update());        // nothing changed since
}

TEST(keys_file_model, falls_back_to_a_full_load_for_a_large_change_and_stays_exact) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(5000);
  const auto file = dir.write("k", lines_of(keys));
  zc::detail::keys_file_model model(file);
  model.load_all();
  const auto others = random_keys(5000);
  dir.write("k", lines_of(others));
  ASSERT_TRUE(model.update());
  EXPECT_FALSE(model.last_update_incremental());
  EXPECT_EQ(model.table()->size(), 5000u);
  EXPECT_EQ(model.table()->find_id(keys[0].data()), zc::detail::key_table::no_entry);
  EXPECT_NE(model.table()->find_id(others[4999].data()), zc::detail::key_table::no_entry);
}

// Large files: 100,000 keys here (the benchmark takes a million).
namespace {

constexpr std::size_t large = 100000;

// Lines of keys, with bad lines put in at the (1-based) line numbers given, ascending.
std::string lines_with_bad(const std::vector<zc::public_key>& keys,
                           const std::vector<std::size_t>& bad_lines) {
  std::string text;
  text.reserve(keys.size() * 48);
  std::size_t next_bad = 0;
  std::size_t line = 1;
  for (std::size_t i = 0; i < keys.size(); ++line) {
    if (next_bad < bad_lines.size() && bad_lines[next_bad] == line) {
      text += "not a key, line " + std::to_string(line) + "\n";
      ++next_bad;
      continue;
    }
    text += keys[i].z85() + "\n";
    ++i;
  }
  return text;
}

}  // namespace

TEST(authorized_keys, a_large_file_reports_bad_lines_by_number_and_loads_the_rest) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(large);
  const std::vector<std::size_t> bad = {1, 50000, large + 2};
  const auto file = dir.write("clients.keys", lines_with_bad(keys, bad));
  auto store = zc::cert_store::from_authorized_keys(file, {.follow = false, .on_change = {}});
  const auto snapshot = store.current();
  EXPECT_EQ(snapshot->size(), large);
  ASSERT_EQ(snapshot->problems().size(), bad.size());
  for (std::size_t i = 0; i < bad.size(); ++i) {
    EXPECT_EQ(snapshot->problems()[i].line, bad[i]);
  }
  EXPECT_TRUE(snapshot->contains(keys.front()));
  EXPECT_TRUE(snapshot->contains(keys[large / 2]));
  EXPECT_TRUE(snapshot->contains(keys.back()));
}

TEST(authorized_keys, a_large_file_replaced_by_rename_is_applied_line_by_line) {
  zmqsec::testing::temp_dir dir;
  auto keys = random_keys(large);
  const auto file = dir.write("clients.keys", lines_of(keys));
  zc::detail::keys_file_model model(file);
  model.load_all();
  auto store = zc::cert_store::from_authorized_keys(file);
  const auto generation = store.generation();

  const auto gone = keys[large / 3];
  keys[large / 3] = random_key();  // one line replaced by another
  fs::rename(dir.write("clients.keys.new", lines_of(keys)), file);

  const auto snapshot = next_snapshot(store, generation);
  EXPECT_FALSE(snapshot->contains(gone));
  EXPECT_TRUE(snapshot->contains(keys[large / 3]));
  EXPECT_EQ(snapshot->size(), large);
  ASSERT_TRUE(model.update());
  EXPECT_TRUE(model.last_update_incremental());
}

// Too large a change to apply in place: the file is read whole again (at low priority and
// paced, as reload() reads a large file), and the new keys replace the old ones.
TEST(authorized_keys, a_large_file_replaced_with_other_keys_is_read_again_in_full) {
  zmqsec::testing::temp_dir dir;
  const auto before = random_keys(large);
  const auto file = dir.write("clients.keys", lines_of(before));
  auto store = zc::cert_store::from_authorized_keys(file);
  const auto generation = store.generation();

  const auto after = random_keys(large);
  fs::rename(dir.write("clients.keys.new", lines_of(after)), file);

  const auto snapshot = next_snapshot(store, generation);
  EXPECT_EQ(snapshot->size(), large);
  EXPECT_TRUE(snapshot->problems().empty());
  for (const std::size_t i : {std::size_t{0}, large / 2, large - 1}) {
    EXPECT_FALSE(snapshot->contains(before[i]));
    EXPECT_TRUE(snapshot->contains(after[i]));
  }
}

TEST(authorized_keys, a_large_file_rewritten_in_place_is_applied_line_by_line) {
  zmqsec::testing::temp_dir dir;
  auto keys = random_keys(large);
  const auto file = dir.write("clients.keys", lines_of(keys));
  zc::detail::keys_file_model model(file);
  model.load_all();
  auto store = zc::cert_store::from_authorized_keys(file);
  const auto generation = store.generation();

  const auto gone = keys[large - 10];
  keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(large - 10));
  dir.write("clients.keys", lines_of(keys) + "a bad line at the end\n");  // truncated, written

  ASSERT_TRUE(zmqsec::testing::wait_until([&] {
    const auto now = store.current();
    return now->generation() > generation && !now->contains(gone) && now->problems().size() == 1;
  }));
  const auto snapshot = store.current();
  EXPECT_EQ(snapshot->size(), large - 1);
  EXPECT_EQ(snapshot->problems()[0].line, large);
  EXPECT_TRUE(snapshot->contains(keys.back()));
  ASSERT_TRUE(model.update());
  EXPECT_TRUE(model.last_update_incremental());
}

namespace {

// model holds what a fresh load of its file holds: the keys, the lines and the problems by line.
void expect_as_fresh_load(zc::detail::keys_file_model& model, const std::string& label) {
  zc::detail::keys_file_model fresh(model.file());
  fresh.load_all();
  EXPECT_EQ(model.table()->size(), fresh.table()->size()) << label;
  EXPECT_EQ(model.line_count(), fresh.line_count()) << label;
  for (std::size_t i = 0; i < fresh.table()->size(); ++i) {
    const auto& key = fresh.table()->key_of(fresh.table()->id_at(i));
    EXPECT_NE(model.table()->find_id(key.data()), zc::detail::key_table::no_entry) << label;
  }
  const auto a = model.problems();
  const auto b = fresh.problems();
  ASSERT_EQ(a.size(), b.size()) << label;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].line, b[i].line) << label;
    EXPECT_EQ(a[i].reason, b[i].reason) << label;
  }
  EXPECT_FALSE(model.update()) << label;
}

}  // namespace

// Whatever one edit does to the file, update() ends where a fresh load of the file ends.
TEST(keys_file_model, ends_as_a_fresh_load_after_edits_at_either_end_and_within) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(3000);
  const auto extra = random_key();
  std::vector<std::string> lines;
  for (const auto& k : keys) lines.push_back(k.z85());
  const std::vector<std::vector<std::string>> edits = [&] {
    std::vector<std::vector<std::string>> e;
    auto without = [&](std::size_t i) {
      auto copy = lines;
      copy.erase(copy.begin() + static_cast<std::ptrdiff_t>(i));
      return copy;
    };
    e.push_back(without(0));
    e.push_back(without(lines.size() - 1));
    auto first = lines;
    first.insert(first.begin(), extra.z85() + " name=first");
    e.push_back(first);
    auto same_line_twice = lines;
    same_line_twice.insert(same_line_twice.begin() + 1500, "# a comment");
    same_line_twice.insert(same_line_twice.begin() + 1500, "# a comment");
    e.push_back(same_line_twice);
    auto bad = lines;
    bad[10] = "bad line";
    e.push_back(bad);
    e.push_back({lines.begin(), lines.begin() + 100});
    return e;
  }();
  for (std::size_t n = 0; n < edits.size(); ++n) {
    auto join = [](const std::vector<std::string>& text) {
      std::string out;
      for (const auto& l : text) out += l + "\n";
      return out;
    };
    const auto file = dir.write("k", join(lines));
    zc::detail::keys_file_model model(file);
    model.load_all();
    dir.write("k", join(edits[n]));
    ASSERT_TRUE(model.update()) << "edit " << n;
    expect_as_fresh_load(model, "edit " + std::to_string(n));
  }
}

// The same where the lines compared from the end span several reads (files of a few MB), end
// without a newline, or are too long to be read backwards (64 KiB and more).
TEST(keys_file_model, ends_as_a_fresh_load_after_edits_of_large_files_and_unusual_lines) {
  zmqsec::testing::temp_dir dir;
  const std::string text = lines_of(random_keys(40000));  // 2.5 MB: several reads backwards
  const std::string extra = random_key().z85() + "\n";
  const std::string long_line = "# " + std::string(70000, 'x') + "\n";
  const std::size_t middle = text.find('\n', text.size() / 2) + 1;
  const std::size_t second = text.find('\n') + 1;
  struct edit {
    std::string before, after;
    bool line_by_line;  // small enough not to be a full load
  };
  const std::vector<edit> edits = {
      {text, text.substr(second), true},                                   // first line gone
      {text, text.substr(0, middle) + extra + text.substr(middle), true},  // one inserted
      {text, text.substr(0, text.size() - 1) + "x", true},    // last line bad, no newline
      {text.substr(0, text.size() - 1), text + extra, true},  // newline added, then a line
      {text, text + "\n\n", true},                            // empty lines
      {text + long_line, extra + text + long_line, false},    // long line last
      {text + long_line + extra, text.substr(second) + long_line + extra, false},
      {text + long_line + extra, text + long_line, true},  // after a long line
      {text, "", false},                                   // emptied
      {"", text.substr(0, middle), false},                 // filled
  };
  for (std::size_t n = 0; n < edits.size(); ++n) {
    const auto file = dir.write("k", edits[n].before);
    zc::detail::keys_file_model model(file);
    model.load_all();
    dir.write("k", edits[n].after);
    ASSERT_TRUE(model.update()) << "edit " << n;
    EXPECT_EQ(model.last_update_incremental(), edits[n].line_by_line) << "edit " << n;
    expect_as_fresh_load(model, "edit " + std::to_string(n));
  }
}
