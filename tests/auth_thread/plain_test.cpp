// PLAIN: right, wrong and unknown users; password files followed live (rewrites within one
// second, renames over the file, broken and missing files, a folder that goes and comes back).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"
#include "wait_until.hpp"

namespace za = zmqsec::auth;
using namespace zmqsec::testing::auth;

namespace {

class thread_authenticator_plain : public ::testing::Test {
 protected:
  handshake_outcome login(const std::string& user, const std::string& password,
                          const std::optional<std::string>& domain = std::nullopt) {
    test_server server(ctx_, {.mechanism = mech::plain, .zap_domain = domain});
    return try_handshake(ctx_, server,
                         {.mechanism = mech::plain, .username = user, .password = password});
  }
  bool accepted(const std::string& user, const std::string& password) {
    auto outcome = login(user, password);
    if (!outcome.accepted() && !outcome.refused_with(400)) {
      ADD_FAILURE() << "neither accepted nor refused: " << describe(outcome);
    }
    return outcome.accepted();
  }
  // Waits for the policy published after a change of the file.
  void expect_reload_after(std::uint64_t generation) {
    ASSERT_TRUE(auth_.wait_for_generation(generation + 1, patience))
        << "the password file change was not picked up; log:\n"
        << log_.sink->all();
  }

  zmqsec::testing::temp_dir dir_;
  captured_logger log_;
  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_, log_.logger};
};

}  // namespace

TEST_F(thread_authenticator_plain, right_wrong_and_unknown_users) {
  auth_.configure_plain("*", {{"admin", "secret"}, {"ops", "p=w#1"}});
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::plain});
  auto got = handshake_and_read(
      ctx_, server, {.mechanism = mech::plain, .username = "admin", .password = "secret"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "admin");

  EXPECT_TRUE(accepted("ops", "p=w#1"));
  EXPECT_FALSE(accepted("admin", "wrong"));
  EXPECT_FALSE(accepted("admin", "secret "));
  EXPECT_FALSE(accepted("nobody", "secret"));
  EXPECT_TRUE(login("admin", "wrong").refused_with(400));
}

TEST_F(thread_authenticator_plain, no_table_for_the_domain_refuses) {
  auth_.configure_plain("api", {{"admin", "secret"}});
  auth_.start();
  EXPECT_TRUE(login("admin", "secret", "api").accepted());
  EXPECT_TRUE(login("admin", "secret", "other").refused_with(400));
  auth_.configure_plain("*", {{"admin", "other-secret"}});
  EXPECT_TRUE(login("admin", "other-secret", "other").accepted());
  EXPECT_TRUE(login("admin", "secret", "api").accepted());  // its own table goes first
}

TEST_F(thread_authenticator_plain, a_rewrite_of_the_same_size_within_one_second_is_seen) {
  auto file = dir_.write("passwords", "admin=secret-1\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  EXPECT_TRUE(accepted("admin", "secret-1"));

  // Rewrite twice within a second, keeping the size: each one is in effect for the next
  // handshake after it is seen.
  for (int attempt = 0;; ++attempt) {
    struct stat before {};
    ASSERT_EQ(::stat(file.c_str(), &before), 0);
    auto generation = auth_.generation();
    dir_.write("passwords", "admin=secret-2\n");
    expect_reload_after(generation);
    EXPECT_TRUE(accepted("admin", "secret-2"));
    EXPECT_FALSE(accepted("admin", "secret-1"));

    generation = auth_.generation();
    dir_.write("passwords", "admin=secret-1\n");
    expect_reload_after(generation);
    EXPECT_TRUE(accepted("admin", "secret-1"));
    EXPECT_FALSE(accepted("admin", "secret-2"));

    struct stat after {};
    ASSERT_EQ(::stat(file.c_str(), &after), 0);
    EXPECT_EQ(before.st_size, after.st_size);
    if (before.st_mtim.tv_sec == after.st_mtim.tv_sec) break;  // the case that matters
    ASSERT_LT(attempt, 3) << "could not rewrite the file twice within one second";
  }
  EXPECT_GE(auth_.stats().password_reloads, 2U);
}

TEST_F(thread_authenticator_plain, a_file_renamed_over_the_password_file_is_seen) {
  auto file = dir_.write("passwords", "admin=old\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  EXPECT_TRUE(accepted("admin", "old"));
  auto generation = auth_.generation();
  auto next = dir_.write("passwords.new", "admin=new\nops=ops\n");
  std::filesystem::rename(next, file);
  expect_reload_after(generation);
  EXPECT_TRUE(accepted("admin", "new"));
  EXPECT_TRUE(accepted("ops", "ops"));
  EXPECT_FALSE(accepted("admin", "old"));
}

TEST_F(thread_authenticator_plain, a_broken_file_keeps_the_last_good_table_and_says_so) {
  auto file = dir_.write("passwords", "admin=secret\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  auto generation = auth_.generation();
  dir_.write("passwords", "admin=changed\nthis line has no equals sign\n");
  ASSERT_TRUE(log_.sink->wait_for({"passwords", "not reloaded", "keeping"})) << log_.sink->all();
  EXPECT_EQ(auth_.generation(), generation);
  EXPECT_EQ(auth_.stats().password_reload_failures, 1U);
  EXPECT_TRUE(accepted("admin", "secret"));
  EXPECT_FALSE(accepted("admin", "changed"));

  dir_.write("passwords", "admin=fixed\n");
  expect_reload_after(generation);
  EXPECT_TRUE(accepted("admin", "fixed"));
}

TEST_F(thread_authenticator_plain, a_removed_file_keeps_the_last_good_table_until_it_is_back) {
  auto file = dir_.write("passwords", "admin=secret\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  auto generation = auth_.generation();
  std::filesystem::remove(file);
  ASSERT_TRUE(log_.sink->wait_for({"not reloaded", "keeping"})) << log_.sink->all();
  EXPECT_TRUE(accepted("admin", "secret"));

  dir_.write("passwords", "admin=back\n");
  expect_reload_after(generation);
  EXPECT_TRUE(accepted("admin", "back"));
}

TEST_F(thread_authenticator_plain, a_folder_that_goes_away_and_comes_back) {
  std::filesystem::create_directory(dir_ / "etc");
  auto file = dir_.write("etc/passwords", "admin=secret\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  auto generation = auth_.generation();
  std::filesystem::rename(dir_ / "etc", dir_ / "etc.old");
  ASSERT_TRUE(log_.sink->wait_for({"is gone"})) << log_.sink->all();
  EXPECT_TRUE(accepted("admin", "secret"));

  // The new folder appears whole (as a deployment tool would put it in place).
  std::filesystem::create_directory(dir_ / "etc.new");
  dir_.write("etc.new/passwords", "admin=new-folder\n");
  std::filesystem::rename(dir_ / "etc.new", dir_ / "etc");
  // Looked for again every second.
  ASSERT_TRUE(auth_.wait_for_generation(generation + 1, patience)) << log_.sink->all();
  EXPECT_TRUE(accepted("admin", "new-folder"));
}

TEST_F(thread_authenticator_plain, a_file_replaced_by_a_fixed_table_is_no_longer_followed_there) {
  auto file = dir_.write("passwords", "admin=from-file\n");
  auth_.configure_plain_file("*", file);
  auth_.configure_plain_file("other", file);
  auth_.configure_plain("*", {{"admin", "fixed"}});
  auth_.start();
  auto generation = auth_.generation();
  dir_.write("passwords", "admin=changed\n");
  expect_reload_after(generation);  // "other" still follows it
  EXPECT_TRUE(login("admin", "fixed").accepted());
  EXPECT_TRUE(login("admin", "changed", "other").accepted());
  EXPECT_TRUE(login("admin", "changed").refused_with(400));
}

TEST_F(thread_authenticator_plain, reload_reads_the_files_again_now) {
  auto file = dir_.write("passwords", "admin=one\n");
  auth_.configure_plain_file("*", file);
  auto generation = auth_.generation();
  EXPECT_TRUE(auth_.reload());
  EXPECT_EQ(auth_.generation(), generation + 1);
  std::filesystem::remove(file);
  EXPECT_FALSE(auth_.reload());
  auth_.start();
  EXPECT_TRUE(accepted("admin", "one"));
}

TEST_F(thread_authenticator_plain, files_configured_through_configure_are_followed_too) {
  auto file = dir_.write("passwords", "admin=one\n");
  auth_.configure([&](za::policy_config& config) {
    config.configure_plain_file("*", file).allow("127.0.0.1");
  });
  auth_.start();
  EXPECT_TRUE(accepted("admin", "one"));
  auto generation = auth_.generation();
  dir_.write("passwords", "admin=two\n");
  expect_reload_after(generation);
  EXPECT_TRUE(accepted("admin", "two"));
}

TEST(thread_authenticator_plain_file, a_configuration_prepared_beforehand_has_its_files_followed) {
  zmqsec::testing::temp_dir dir;
  auto file = dir.write("passwords", "admin=one\n");
  za::policy_config config;
  config.configure_plain_file("*", file);
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx, config};
  auth.start();
  test_server server(ctx, {.mechanism = mech::plain});
  EXPECT_ACCEPTED(try_handshake(
      ctx, server, {.mechanism = mech::plain, .username = "admin", .password = "one"}));
  auto generation = auth.generation();
  dir.write("passwords", "admin=two\n");
  ASSERT_TRUE(auth.wait_for_generation(generation + 1, patience));
  test_server server2(ctx, {.mechanism = mech::plain});
  EXPECT_ACCEPTED(try_handshake(
      ctx, server2, {.mechanism = mech::plain, .username = "admin", .password = "two"}));
}

TEST_F(thread_authenticator_plain, a_symbolic_link_swapped_as_kubernetes_does) {
  // passwords -> ..data/passwords, ..data -> ..v1; an update writes ..v2 and renames a new
  // ..data link over the old one.
  namespace fs = std::filesystem;
  fs::create_directory(dir_ / "..v1");
  dir_.write("..v1/passwords", "admin=v1\n");
  fs::create_directory_symlink("..v1", dir_ / "..data");
  fs::create_symlink("..data/passwords", dir_ / "passwords");
  auth_.configure_plain_file("*", dir_ / "passwords");
  auth_.start();
  EXPECT_TRUE(accepted("admin", "v1"));

  auto generation = auth_.generation();
  fs::create_directory(dir_ / "..v2");
  dir_.write("..v2/passwords", "admin=v2\n");
  fs::create_directory_symlink("..v2", dir_ / "..data_tmp");
  fs::rename(dir_ / "..data_tmp", dir_ / "..data");
  expect_reload_after(generation);
  // The swap may be seen in more than one reload; the last one reads v2.
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return accepted("admin", "v2"); }))
      << log_.sink->all();
  EXPECT_FALSE(accepted("admin", "v1"));
}
