#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include "folder_scan.hpp"
#include "inotify_limits.hpp"
#include "temp_dir.hpp"
#include "wait_until.hpp"

namespace zc = zmqsec::certs;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using zmqsec::testing::temp_dir;

namespace {

zc::public_key new_key() {
  return zc::generate_keypair().public_key;
}

// (GCC 12 warns about designated initializers that leave out trailing members.)
zc::cert_store_options not_following() {
  zc::cert_store_options options;
  options.follow = false;
  return options;
}

// A public certificate as CZMQ and pyzmq write it. Its size depends only on name's length.
std::string cert_text(const zc::public_key& key, std::string_view name) {
  return "#   a test certificate\nmetadata\n    name = \"" + std::string(name) +
         "\"\ncurve\n    public-key = \"" + key.z85() + "\"\n";
}

// Writes a certificate in place (truncate, write, close), as an editor or `cat >` would.
fs::path write_cert(const temp_dir& dir, std::string_view file, const zc::public_key& key,
                    std::string_view name = "client") {
  return dir.write(file, cert_text(key, name));
}

void write_text(const fs::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out) << file;
}

// Waits, on the store's own notification, until pred holds for its current snapshot.
template <class Pred>
bool wait_for(const zc::cert_store& store, Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto snapshot = store.current();
    if (pred(*snapshot)) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    store.wait_for_generation(
        snapshot->generation() + 1,
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms);
  }
}

std::vector<std::string> problem_files(const zc::cert_snapshot& snapshot) {
  std::vector<std::string> names;
  for (const auto& p : snapshot.problems()) names.push_back(p.path.filename().string());
  return names;
}

// A gate one thread waits at until another opens it.
class gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace

TEST(cert_store, loads_the_public_certificates_of_a_folder_with_their_metadata) {
  temp_dir dir;
  auto alice = zc::create_certificates(dir.path(), "alice", {{"name", "alice"}, {"role", "admin"}});
  zc::create_certificates(dir.path(), "bob", {{"name", "bob"}});
  const auto alice_key = zc::load_certificate(alice.public_file).public_key;

  zc::cert_store store(dir.path());
  auto snapshot = store.current();

  EXPECT_EQ(snapshot->size(), 2u);  // the .key_secret files are not public certificates
  EXPECT_EQ(snapshot->file_count(), 2u);
  EXPECT_EQ(snapshot->generation(), 1u);
  EXPECT_TRUE(snapshot->problems().empty());
  EXPECT_FALSE(snapshot->stale());
  EXPECT_EQ(store.folder(), dir.path());
  ASSERT_TRUE(store.contains(alice_key));
  EXPECT_TRUE(snapshot->contains(alice_key.bytes()));
  EXPECT_FALSE(store.contains(new_key()));
  EXPECT_FALSE(snapshot->contains(alice_key.bytes().first(31)));  // a span of the wrong size

  auto cert = store.find(alice_key);
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->key(), alice_key);
  EXPECT_EQ(cert->meta("name"), "alice");
  EXPECT_EQ(cert->meta("role"), "admin");
  EXPECT_EQ(cert->meta("email"), std::nullopt);
  EXPECT_EQ(cert->file_name(), "alice.key");
  EXPECT_EQ(cert->metadata(), (zc::metadata{{"name", "alice"}, {"role", "admin"}}));
  std::vector<std::string> seen;
  cert->for_each_meta([&](std::string_view n, std::string_view v) {
    seen.push_back(std::string(n) + "=" + std::string(v));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"name=alice", "role=admin"}));

  std::vector<std::string> listed;
  for (std::size_t i = 0; i < snapshot->size(); ++i) {
    listed.emplace_back(snapshot->at(i).file_name());
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"alice.key", "bob.key"}));
  EXPECT_THROW(snapshot->at(2), std::out_of_range);
}

TEST(cert_store, ignores_secret_hidden_backup_and_nested_files) {
  temp_dir dir;
  write_cert(dir, "server.key_secret", new_key());
  write_cert(dir, ".hidden.key", new_key());
  write_cert(dir, "client.key~", new_key());
  fs::create_directory(dir / "nested");
  write_cert(dir, "nested/deep.key", new_key());

  zc::cert_store store(dir.path(), not_following());

  EXPECT_EQ(store.current()->size(), 0u);
  EXPECT_TRUE(store.current()->problems().empty());
}

TEST(cert_store, loads_the_public_key_of_a_secret_certificate_under_a_public_name) {
  temp_dir dir;
  auto pair = zc::generate_keypair();
  zc::save_certificates(dir.path(), "server", pair);
  fs::rename(dir / "server.key_secret", dir / "copied-by-mistake.key");
  fs::remove(dir / "server.key");

  zc::cert_store store(dir.path(), not_following());

  EXPECT_TRUE(store.contains(pair.public_key));
}

TEST(cert_store, reports_bad_files_by_name_and_loads_the_others) {
  temp_dir dir;
  const auto good = new_key();
  write_cert(dir, "good.key", good);
  dir.write("broken.key", "curve\n  public-key = \"x\"\n");  // two-space indent: not ZPL
  dir.write("short.key", "curve\n    public-key = \"HelloWorld\"\n");
  dir.write("nokey.key", "metadata\n    name = \"x\"\n");
  dir.write("empty.key", "");

  zc::cert_store store(dir.path());
  auto snapshot = store.current();

  EXPECT_EQ(snapshot->size(), 1u);
  EXPECT_TRUE(snapshot->contains(good));
  ASSERT_EQ(problem_files(*snapshot),
            (std::vector<std::string>{"broken.key", "empty.key", "nokey.key", "short.key"}));
  for (const auto& p : snapshot->problems()) {
    EXPECT_EQ(p.path.parent_path(), dir.path());
    EXPECT_FALSE(p.reason.empty());
    EXPECT_EQ(p.reason.find(p.path.filename().string()), std::string::npos) << p.reason;
  }

  // Fixing a file takes it off the list.
  const auto fixed = new_key();
  write_cert(dir, "broken.key", fixed);
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(fixed); }));
  EXPECT_EQ(problem_files(*store.current()),
            (std::vector<std::string>{"empty.key", "nokey.key", "short.key"}));
}

TEST(cert_store, does_not_hang_on_a_fifo_named_like_a_certificate) {
  temp_dir dir;
  ASSERT_EQ(::mkfifo((dir / "pipe.key").c_str(), 0644), 0);
  const auto key = new_key();
  write_cert(dir, "client.key", key);

  zc::cert_store store(dir.path());

  EXPECT_EQ(store.current()->size(), 1u);
  EXPECT_TRUE(store.current()->problems().empty());
}

TEST(cert_store, reads_a_large_folder_on_two_threads_with_every_rule_of_a_small_one) {
  temp_dir dir;
  temp_dir elsewhere;
  const std::size_t count = zmqsec::certs::detail::files_for_two_threads + 500;
  std::vector<zc::public_key> keys;
  for (std::size_t i = 0; i < count; ++i) {
    keys.push_back(new_key());
    write_cert(dir, "c-" + std::to_string(i) + ".key", keys.back(), "n" + std::to_string(i));
  }
  dir.write("broken.key", "curve\n  public-key = \"x\"\n");
  dir.write("short.key", "curve\n    public-key = \"HelloWorld\"\n");
  write_cert(dir, "dup.key", keys[0]);
  const auto pair = zc::generate_keypair();
  zc::save_certificates(elsewhere.path(), "server", pair);
  fs::rename(elsewhere / "server.key_secret", dir / "secret-by-mistake.key");
  const auto linked = new_key();
  fs::create_symlink(write_cert(elsewhere, "linked.key", linked), dir / "link.key");
  ASSERT_EQ(::mkfifo((dir / "pipe.key").c_str(), 0644), 0);
  fs::create_directory(dir / "folder.key");
  write_cert(dir, "server.key_secret", new_key());

  zc::cert_store store(dir.path(), not_following());
  const auto snapshot = store.current();

  EXPECT_EQ(snapshot->size(), count + 2);
  EXPECT_EQ(problem_files(*snapshot),
            (std::vector<std::string>{"broken.key", "dup.key", "short.key"}));
  for (const auto& key : keys) ASSERT_TRUE(snapshot->contains(key));
  EXPECT_TRUE(snapshot->contains(pair.public_key));
  EXPECT_TRUE(snapshot->contains(linked));
  const auto cert = store.find(keys[count - 1]);
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->file_name(), "c-" + std::to_string(count - 1) + ".key");
  EXPECT_EQ(cert->meta("name"), "n" + std::to_string(count - 1));
  EXPECT_EQ(store.find(keys[0])->file_name(), "c-0.key");  // the first by name, not dup.key
}

TEST(cert_store, sees_an_added_file) {
  temp_dir dir;
  zc::cert_store store(dir.path());
  const auto key = new_key();

  // Without overwrite this writes a hidden temporary file and links it into place: the new name
  // only ever shows up as created, never as written.
  zc::save_public_certificate(dir / "new.key", key, {{"name", "new"}});

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(key); }));
  EXPECT_EQ(store.find(key)->meta("name"), "new");
}

TEST(cert_store, sees_same_size_rewrite_within_a_second) {
  temp_dir dir;
  const auto first = new_key();
  const auto second = new_key();
  ASSERT_EQ(cert_text(first, "client").size(), cert_text(second, "client").size());
  write_cert(dir, "client.key", first);
  zc::cert_store store(dir.path());
  ASSERT_TRUE(store.contains(first));

  // Microseconds later, same size, same inode: size and mtime (CZMQ's test) cannot tell.
  write_cert(dir, "client.key", second);

  ASSERT_TRUE(wait_for(
      store, [&](const zc::cert_snapshot& s) { return s.contains(second) && !s.contains(first); }));
}

TEST(cert_store, sees_a_removed_file) {
  temp_dir dir;
  const auto key = new_key();
  const auto other = new_key();
  write_cert(dir, "gone.key", key);
  write_cert(dir, "stays.key", other);
  zc::cert_store store(dir.path());
  ASSERT_TRUE(store.contains(key));

  fs::remove(dir / "gone.key");

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return !s.contains(key); }));
  EXPECT_TRUE(store.contains(other));
}

TEST(cert_store, sees_files_renamed_in_out_and_within) {
  temp_dir dir;
  temp_dir elsewhere;
  const auto key = new_key();
  write_cert(elsewhere, "a.key", key);
  zc::cert_store store(dir.path());

  fs::rename(elsewhere / "a.key", dir / "a.key");
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(key); }));

  fs::rename(dir / "a.key", dir / "b.key");
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
    auto cert = s.find(key);
    return cert && cert->file_name() == "b.key" && s.file_count() == 1;
  }));

  fs::rename(dir / "b.key", dir / ".b.key.disabled");  // out by name: hidden files do not count
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return !s.contains(key); }));

  fs::rename(dir / ".b.key.disabled", dir / "c.key");
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(key); }));

  fs::rename(dir / "c.key", elsewhere / "c.key");  // out of the folder
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.empty(); }));
}

TEST(cert_store, sees_an_atomic_replace_by_rename_without_a_gap) {
  temp_dir dir;
  const auto old_key = new_key();
  const auto new_key_ = new_key();
  write_cert(dir, "client.key", old_key);
  std::mutex mutex;
  std::vector<std::shared_ptr<const zc::cert_snapshot>> published;
  zc::cert_store store(dir.path(), {.on_change = [&](const auto& snapshot) {
                         std::lock_guard lock(mutex);
                         published.push_back(snapshot);
                       }});

  write_cert(dir, ".client.key.tmp", new_key_);
  fs::rename(dir / ".client.key.tmp", dir / "client.key");

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
    return s.contains(new_key_) && !s.contains(old_key);
  }));
  std::lock_guard lock(mutex);
  for (const auto& s : published) {
    EXPECT_TRUE(s->contains(old_key) || s->contains(new_key_)) << "generation " << s->generation();
  }
}

TEST(cert_store, keeps_the_last_snapshot_when_the_folder_is_removed_and_reads_it_when_back) {
  temp_dir root;
  const auto folder = root / "certs";
  fs::create_directory(folder);
  const auto before = new_key();
  write_cert(root, "certs/client.key", before);
  zc::cert_store store(folder);

  fs::remove_all(folder);

  ASSERT_TRUE(wait_for(store, [](const zc::cert_snapshot& s) { return s.stale(); }));
  auto snapshot = store.current();
  EXPECT_TRUE(snapshot->contains(before));
  ASSERT_FALSE(snapshot->problems().empty());
  EXPECT_EQ(snapshot->problems().front().path, folder);
  EXPECT_NE(snapshot->problems().front().reason.find("removed"), std::string::npos)
      << snapshot->problems().front().reason;

  // A reload while it is gone does not throw and keeps the keys.
  EXPECT_TRUE(store.reload()->contains(before));

  const auto after = new_key();
  fs::create_directory(folder);
  write_cert(root, "certs/client.key", after);

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
    return !s.stale() && s.contains(after) && !s.contains(before) && s.problems().empty();
  }));
}

TEST(cert_store, follows_a_folder_replaced_by_rename) {
  temp_dir root;
  fs::create_directory(root / "certs");
  fs::create_directory(root / "certs.new");
  const auto old_key = new_key();
  const auto new_key_ = new_key();
  write_cert(root, "certs/client.key", old_key);
  write_cert(root, "certs.new/client.key", new_key_);
  zc::cert_store store(root / "certs");

  fs::rename(root / "certs", root / "certs.old");
  fs::rename(root / "certs.new", root / "certs");

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
    return !s.stale() && s.contains(new_key_) && !s.contains(old_key);
  }));

  // The new folder is the one followed now, the old one no longer.
  const auto in_old = new_key();
  const auto in_new = new_key();
  write_cert(root, "certs.old/late.key", in_old);
  write_cert(root, "certs/late.key", in_new);
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(in_new); }));
  EXPECT_FALSE(store.contains(in_old));
}

TEST(cert_store, keeps_the_last_snapshot_while_the_path_is_not_a_folder) {
  temp_dir root;
  const auto folder = root / "certs";
  fs::create_directory(folder);
  const auto key = new_key();
  write_cert(root, "certs/client.key", key);
  zc::cert_store store(folder);

  fs::remove_all(folder);
  write_text(folder, "not a folder");

  ASSERT_TRUE(wait_for(store, [](const zc::cert_snapshot& s) { return s.stale(); }));
  EXPECT_TRUE(store.contains(key));

  fs::remove(folder);
  fs::create_directory(folder);
  ASSERT_TRUE(wait_for(store, [](const zc::cert_snapshot& s) { return !s.stale(); }));
  EXPECT_TRUE(store.current()->empty());
}

// chmod 000 does not stop root, so as root the test runs in a child that has become nobody.
TEST(cert_store, keeps_the_last_snapshot_while_the_folder_is_unreadable) {
  auto scenario = []() -> int {
    char pattern[] = "/tmp/zmqsec-unreadable-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) return 10;
    const fs::path folder(pattern);
    int result = 0;
    try {
      const auto key = new_key();
      write_text(folder / "client.key", cert_text(key, "client"));
      zc::cert_store store(folder);
      if (::chmod(folder.c_str(), 0) != 0) return 11;
      if (!wait_for(store, [](const zc::cert_snapshot& s) { return s.stale(); })) result = 12;
      if (result == 0 && !store.contains(key)) result = 13;
      if (result == 0 && store.current()->problems().front().reason.find("cannot open folder") ==
                             std::string::npos) {
        result = 14;
      }
      ::chmod(folder.c_str(), 0700);
      if (result == 0 && !wait_for(store, [&](const zc::cert_snapshot& s) {
            return !s.stale() && s.contains(key);
          })) {
        result = 15;
      }
    } catch (...) {
      result = 16;
    }
    ::chmod(folder.c_str(), 0700);
    std::error_code ignored;
    fs::remove_all(folder, ignored);
    return result;
  };

  if (::geteuid() != 0) {
    EXPECT_EQ(scenario(), 0);
    return;
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(20);
    ::_exit(scenario());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the scenario failed at step " << WEXITSTATUS(status);
}

TEST(cert_store, maps_a_key_while_any_of_its_files_remains) {
  temp_dir dir;
  const auto key = new_key();
  write_cert(dir, "a.key", key, "from-a");
  write_cert(dir, "b.key", key, "from-b");
  zc::cert_store store(dir.path());

  auto snapshot = store.current();
  EXPECT_EQ(snapshot->size(), 1u);
  EXPECT_EQ(snapshot->file_count(), 2u);
  EXPECT_EQ(snapshot->find(key)->meta("name"), "from-a");  // the first file by name
  ASSERT_EQ(problem_files(*snapshot), std::vector<std::string>{"b.key"});
  EXPECT_NE(snapshot->problems()[0].reason.find("a.key"), std::string::npos);

  fs::remove(dir / "a.key");
  ASSERT_TRUE(wait_for(store, [](const zc::cert_snapshot& s) { return s.file_count() == 1; }));
  snapshot = store.current();
  ASSERT_TRUE(snapshot->contains(key));
  EXPECT_EQ(snapshot->find(key)->meta("name"), "from-b");
  EXPECT_EQ(snapshot->find(key)->file_name(), "b.key");
  EXPECT_TRUE(snapshot->problems().empty());

  fs::remove(dir / "b.key");
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return !s.contains(key); }));
}

TEST(cert_store, keeps_old_snapshots_and_views_unchanged) {
  temp_dir dir;
  const auto key = new_key();
  write_cert(dir, "client.key", key, "client-1");
  std::optional<zc::cert_view> view;
  std::shared_ptr<const zc::cert_snapshot> old;
  {
    zc::cert_store store(dir.path());
    old = store.current();
    view = store.find(key);
    write_cert(dir, "client.key", key, "client-2");
    ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
      return s.find(key)->meta("name") == "client-2";
    }));
  }
  // The store is gone; what was read from it is not.
  EXPECT_EQ(old->generation(), 1u);
  EXPECT_EQ(old->find(key)->meta("name"), "client-1");
  EXPECT_EQ(view->meta("name"), "client-1");
  EXPECT_EQ(view->key(), key);
}

TEST(cert_store, reload_reads_the_folder_on_the_calling_thread) {
  temp_dir dir;
  zc::cert_store store(dir.path(), not_following());
  const auto key = new_key();
  write_cert(dir, "client.key", key);
  EXPECT_FALSE(store.contains(key));  // not following

  auto snapshot = store.reload();

  EXPECT_TRUE(snapshot->contains(key));
  EXPECT_EQ(snapshot->generation(), 2u);
  EXPECT_EQ(store.generation(), 2u);
  EXPECT_EQ(store.current(), snapshot);
  EXPECT_TRUE(store.wait_for_generation(2, 0ms));
  EXPECT_FALSE(store.wait_for_generation(3, 10ms));
}

TEST(cert_store, throws_for_a_folder_that_cannot_be_opened) {
  temp_dir dir;
  try {
    zc::cert_store store(dir / "missing");
    FAIL() << "no exception";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  const auto file = dir.write("file", "x");
  try {
    zc::cert_store store(file, not_following());
    FAIL() << "no exception";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::errc::not_a_directory);
  }
}

TEST(cert_store, calls_on_change_after_publishing_and_ignores_its_exceptions) {
  temp_dir dir;
  std::atomic<int> calls{0};
  std::atomic<bool> reentry_refused{false};
  zc::cert_store* self = nullptr;
  zc::cert_store store(dir.path(), {.on_change = [&](const auto& snapshot) {
                         EXPECT_EQ(self->current(), snapshot);  // published first
                         try {
                           self->reload();
                         } catch (const zmqsec::error&) {
                           reentry_refused = true;
                         }
                         ++calls;
                         throw std::runtime_error("callback failure");
                       }});
  self = &store;
  EXPECT_EQ(calls, 0);  // not for the snapshot the constructor publishes

  const auto first = new_key();
  write_cert(dir, "first.key", first);
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(first); }));
  const auto second = new_key();
  write_cert(dir, "second.key", second);
  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) { return s.contains(second); }));

  // The callback runs after the snapshot is visible: wait for it to have run for both.
  EXPECT_TRUE(zmqsec::testing::wait_until([&] { return calls >= 2; }));
  EXPECT_TRUE(reentry_refused);
}

TEST(cert_store, stops_promptly_while_events_are_flowing) {
  temp_dir dir;
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; writing; ++i)
      write_cert(dir, "churn-" + std::to_string(i % 50) + ".key", new_key());
  });
  auto store = std::make_unique<zc::cert_store>(dir.path());
  ASSERT_TRUE(store->wait_for_generation(3, 10s));  // it is busy following

  const auto start = std::chrono::steady_clock::now();
  store.reset();
  const auto took = std::chrono::steady_clock::now() - start;

  writing = false;
  writer.join();
  EXPECT_LT(took, 1s);
}

TEST(cert_store, answers_lookups_from_several_threads_while_files_change) {
  temp_dir dir;
  const auto fixed = new_key();
  write_cert(dir, "fixed.key", fixed, "fixed");
  zc::cert_store store(dir.path());

  std::atomic<bool> running{true};
  std::atomic<int> wrong{0};
  std::atomic<std::uint64_t> lookups{0};
  std::vector<std::thread> readers;
  // One reader as a ZAP handler would: keep a snapshot, refresh it when the generation moves.
  readers.emplace_back([&] {
    auto snapshot = store.current();
    while (running) {
      if (snapshot->generation() != store.generation()) {
        auto next = store.current();
        if (next->generation() < snapshot->generation()) ++wrong;
        snapshot = std::move(next);
      }
      if (!snapshot->contains(fixed)) ++wrong;
      ++lookups;
    }
  });
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      std::uint64_t last_generation = 0;
      const auto absent = new_key();
      while (running) {
        auto snapshot = store.current();
        if (snapshot->generation() < last_generation) ++wrong;
        last_generation = snapshot->generation();
        auto cert = snapshot->find(fixed);
        if (!cert || cert->meta("name") != "fixed" || snapshot->contains(absent)) ++wrong;
        if (!store.contains(fixed)) ++wrong;
        for (std::size_t i = 0; i < snapshot->size(); ++i) {
          if (!snapshot->contains(snapshot->at(i).key())) ++wrong;
        }
        ++lookups;
      }
    });
  }
  std::vector<zc::public_key> keys;
  for (int i = 0; i < 200; ++i) {
    keys.push_back(new_key());
    write_cert(dir, "churn-" + std::to_string(i % 20) + ".key", keys.back());
    if (i % 7 == 0) fs::remove(dir / ("churn-" + std::to_string((i + 3) % 20) + ".key"));
  }
  const bool settled = wait_for(store, [&](const zc::cert_snapshot& s) {
    return s.contains(keys.back()) && s.contains(keys[keys.size() - 2]);
  });
  running = false;
  for (auto& t : readers) t.join();

  ASSERT_TRUE(settled);
  EXPECT_EQ(wrong, 0);
  EXPECT_GT(lookups, 0u);
  EXPECT_GT(store.current()->generation(), 1u);
}

TEST(cert_store, reads_everything_again_after_the_event_queue_overflows) {
  const std::size_t limit = zmqsec::testing::max_queued_inotify_events();
  if (limit > 200000) GTEST_SKIP() << "max_queued_events " << limit << " is too large to overflow";

  temp_dir dir;
  const auto victim = new_key();
  write_cert(dir, "victim.key", victim);
  gate entered;
  gate release;
  std::atomic<int> calls{0};
  zc::cert_store store(dir.path(), {.on_change = [&](const auto&) {
                         if (calls++ == 0) {
                           entered.open();
                           release.wait(60s);  // holds the follower off the queue
                         }
                       }});
  struct opener {
    gate& g;
    ~opener() { g.open(); }
  } open_on_exit{release};

  write_cert(dir, "trigger.key", new_key());
  ASSERT_TRUE(entered.wait());
  // Fill the queue: attribute changes of two files in turn (the kernel merges only an event
  // that repeats the one before it). What happens after that is dropped from the queue: new
  // files and a removal that only a full read can see.
  const auto a = write_cert(dir, "a.key", new_key());
  const auto b = write_cert(dir, "b.key", new_key());
  for (std::size_t i = 0; i < limit / 2 + 100; ++i) {
    ASSERT_EQ(::chmod(a.c_str(), 0644), 0);
    ASSERT_EQ(::chmod(b.c_str(), 0644), 0);
  }
  std::vector<zc::public_key> late;
  for (std::size_t i = 0; i < 20; ++i) {
    late.push_back(new_key());
    write_cert(dir, "late-" + std::to_string(i) + ".key", late.back());
  }
  fs::remove(dir / "victim.key");
  release.open();

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
    return std::all_of(late.begin(), late.end(), [&](const auto& k) { return s.contains(k); }) &&
           !s.contains(victim);
  }));
  EXPECT_EQ(store.current()->file_count(), 23u);  // trigger, a, b and the late ones
}

TEST(cert_store, follows_a_kubernetes_style_symlink_swap) {
  temp_dir dir;
  const auto old_key = new_key();
  const auto new_key_ = new_key();
  fs::create_directory(dir / "..2024_01_01");
  write_cert(dir, "..2024_01_01/client.key", old_key);
  fs::create_directory_symlink("..2024_01_01", dir / "..data");
  fs::create_symlink("..data/client.key", dir / "client.key");
  zc::cert_store store(dir.path());
  ASSERT_TRUE(store.contains(old_key));

  fs::create_directory(dir / "..2024_02_01");
  write_cert(dir, "..2024_02_01/client.key", new_key_);
  fs::create_directory_symlink("..2024_02_01", dir / "..data_tmp");
  fs::rename(dir / "..data_tmp", dir / "..data");
  fs::remove_all(dir / "..2024_01_01");

  ASSERT_TRUE(wait_for(store, [&](const zc::cert_snapshot& s) {
    return s.contains(new_key_) && !s.contains(old_key);
  }));
}

TEST(cert_store, holds_keys_in_memory_without_a_folder) {
  const auto a = new_key();
  const auto b = new_key();
  std::vector<zc::certificate> certs(2);
  certs[0].public_key = a;
  certs[0].metadata = {{"name", "a"}};
  certs[1].public_key = b;
  std::atomic<int> calls{0};

  auto store =
      zc::cert_store::from_certificates(certs, {.on_change = [&](const auto&) { ++calls; }});

  EXPECT_TRUE(store.folder().empty());
  EXPECT_EQ(store.current()->size(), 2u);
  EXPECT_EQ(store.current()->generation(), 1u);
  EXPECT_EQ(store.find(a)->meta("name"), "a");
  EXPECT_EQ(store.find(a)->file_name(), "");
  EXPECT_TRUE(store.contains(b));

  const auto c = new_key();
  store.insert(c, {{"name", "c"}});
  EXPECT_EQ(store.current()->generation(), 2u);
  EXPECT_EQ(store.find(c)->meta("name"), "c");
  store.insert(c, {{"name", "c"}});  // no change, no new snapshot
  EXPECT_EQ(store.current()->generation(), 2u);
  store.insert(c, {{"name", "c2"}});
  EXPECT_EQ(store.find(c)->meta("name"), "c2");

  EXPECT_TRUE(store.erase(a));
  EXPECT_FALSE(store.contains(a));
  EXPECT_FALSE(store.erase(a));
  EXPECT_EQ(store.current()->size(), 2u);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(store.reload(), store.current());

  zc::cert_store moved = std::move(store);
  EXPECT_TRUE(moved.contains(b));

  temp_dir dir;
  zc::cert_store folder_store(dir.path(), not_following());
  EXPECT_THROW(folder_store.insert(a), zmqsec::error);
  EXPECT_THROW(folder_store.erase(a), zmqsec::error);
}
