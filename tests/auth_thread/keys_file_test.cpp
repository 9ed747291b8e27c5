// CURVE keys from an authorized-keys file: accepted keys with their metadata as ZAP metadata and
// in the User-Id hook (as a certificate folder's), lines added, edited and removed while the
// authenticator runs, bad lines logged by number, and the file named by a policy file. Real
// libzmq sockets over tcp on 127.0.0.0/8.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/authorized_keys.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

namespace {

class keys_file : public ::testing::Test {
 protected:
  client_options as(const zc::keypair& client) {
    return {.mechanism = mech::curve, .curve = &client, .server_key = &server_keys_.public_key};
  }
  handshake_outcome connect(const zc::keypair& client, const std::string& domain = "") {
    test_server server(
        ctx_, {.mechanism = mech::curve,
               .zap_domain = domain.empty() ? std::nullopt : std::optional<std::string>(domain),
               .curve = &server_keys_});
    return try_handshake(ctx_, server, as(client));
  }
  std::optional<received_properties> read(const zc::keypair& client,
                                          std::initializer_list<const char*> names = {}) {
    test_server server(ctx_, {.mechanism = mech::curve, .curve = &server_keys_});
    return handshake_and_read(ctx_, server, as(client), names);
  }
  // Writes the keys file (in place) and waits for the store to publish it.
  void rewrite(const std::string& text) {
    const auto store = auth_.curve_store("*");
    ASSERT_TRUE(store);
    const auto generation = store->generation();
    dir_.write("clients.keys", text);
    ASSERT_TRUE(store->wait_for_generation(generation + 1, patience));
  }

  zmqsec::testing::temp_dir dir_;
  zc::keypair server_keys_ = zc::generate_keypair();
  zc::keypair alice_ = zc::generate_keypair();
  zc::keypair bob_ = zc::generate_keypair();
  captured_logger log_;
  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_, log_.logger};
};

}  // namespace

TEST_F(keys_file, accepts_its_keys_with_their_metadata_and_logs_bad_lines_by_number) {
  const auto file = dir_.write(
      "clients.keys",
      "# fleet\n" +
          zc::authorized_key_line(alice_.public_key, {{"name", "alice"}, {"site", "hall 3"}}) +
          "\nthis is not a key\n");
  auth_.configure_curve_keys_file("*", file);
  auth_.start();
  auto got = read(alice_, {"name", "site", "missing"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, alice_.public_key.z85());
  EXPECT_EQ(got->properties, (std::vector<std::pair<std::string, std::string>>{
                                 {"name", "alice"}, {"site", "hall 3"}, {"missing", "<none>"}}));
  EXPECT_REFUSED_WITH(400, connect(bob_));
  EXPECT_TRUE(log_.sink->any_contains("1 keys from")) << log_.sink->all();
  EXPECT_TRUE(log_.sink->any_contains("clients.keys:3: expected a key")) << log_.sink->all();
  EXPECT_EQ(auth_.curve_store("*")->keys_file(), std::filesystem::absolute(file));
}

TEST_F(keys_file, the_user_id_hook_sees_the_metadata_of_the_line) {
  const auto file = dir_.write(
      "clients.keys", zc::authorized_key_line(alice_.public_key, {{"name", "alice"}}) + "\n");
  auth_.configure_curve_keys_file("*", file);
  auth_.configure_curve_user_id([](const za::curve_client& client) {
    return client.cert ? std::string(client.cert->meta("name").value_or("?")) : "none";
  });
  auth_.start();
  auto got = read(alice_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "alice");
}

TEST_F(keys_file, lines_added_edited_and_removed_while_it_runs) {
  const auto alice_line = zc::authorized_key_line(alice_.public_key, {{"name", "alice"}}) + "\n";
  const auto file = dir_.write("clients.keys", alice_line);
  auth_.configure_curve_keys_file("*", file);
  auth_.start();
  EXPECT_REFUSED_WITH(400, connect(bob_));

  rewrite(alice_line + zc::authorized_key_line(bob_.public_key, {{"name", "bob"}}) + "\n");
  auto got = read(bob_, {"name"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->properties.at(0).second, "bob");

  rewrite(alice_line + zc::authorized_key_line(bob_.public_key, {{"name", "robert"}}) + "\n");
  got = read(bob_, {"name"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->properties.at(0).second, "robert");

  rewrite(alice_line);
  EXPECT_REFUSED_WITH(400, connect(bob_));
  EXPECT_ACCEPTED(connect(alice_));
}

TEST_F(keys_file, named_by_the_policy_file) {
  dir_.write("clients.keys", zc::authorized_key_line(alice_.public_key, {{"name", "alice"}}));
  const auto policy = dir_.write(
      "policy.toml", "[domains.fleet]\ncurve = { authorized_keys = \"clients.keys\" }\n");
  auth_.load_policy_file(policy);
  auth_.start();
  EXPECT_ACCEPTED(connect(alice_, "fleet"));
  EXPECT_REFUSED_WITH(400, connect(bob_, "fleet"));
  const auto store = auth_.curve_store("fleet");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->keys_file(), dir_ / "clients.keys");
}

TEST(keys_file_policy, a_missing_authorized_keys_file_is_an_error_at_its_line) {
  zmqsec::testing::temp_dir dir;
  const auto policy =
      dir.write("policy.toml", "[domains.fleet]\n\ncurve = { authorized_keys = \"none.keys\" }\n");
  try {
    (void)za::load_policy_file(policy);
    FAIL() << "loaded a policy naming a missing keys file";
  } catch (const za::policy_file_error& e) {
    EXPECT_EQ(e.line(), 3u) << e.what();
  }
}
