// The policy file followed live by a thread_authenticator: every key of the format has an effect
// a real client sees (NULL, PLAIN and CURVE handshakes over tcp on 127.0.0.0/8; GSSAPI through
// a ZAP request, since no GSSAPI client runs here), rewrites are in force for the next handshake
// (same size within one second, rename over), a broken or removed file keeps the last good
// policy and the log names the line and column. Every wait is on a generation or a log line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

namespace {

class policy_file : public ::testing::Test {
 protected:
  policy_file() {
    std::filesystem::create_directories(dir_ / "clients");
    zc::save_public_certificate(dir_ / "clients" / "known.key", known_.public_key);
  }

  // Writes the policy file and waits until the authenticator has put it in force.
  void rewrite(const std::string& text) {
    const auto before = auth_.generation();
    dir_.write("policy.toml", text);
    ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience)) << "not reloaded: " << text;
  }

  handshake_outcome null_from(const std::string& source, const std::string& domain = "global") {
    test_server server(ctx_, {.mechanism = mech::null, .zap_domain = domain});
    return try_handshake(ctx_, server, {.source = source});
  }
  handshake_outcome login(const std::string& user, const std::string& password,
                          const std::string& domain = "global") {
    test_server server(ctx_, {.mechanism = mech::plain, .zap_domain = domain});
    return try_handshake(ctx_, server,
                         {.mechanism = mech::plain, .username = user, .password = password});
  }
  handshake_outcome curve(const zc::keypair& keys, const std::string& domain) {
    test_server server(ctx_, {.mechanism = mech::curve, .zap_domain = domain, .curve = &server_});
    return try_handshake(
        ctx_, server,
        {.mechanism = mech::curve, .curve = &keys, .server_key = &server_.public_key});
  }

  zmqsec::testing::temp_dir dir_;
  zmq::context_t ctx_;
  captured_logger log_;
  za::thread_authenticator auth_{ctx_, log_.logger};
  zc::keypair server_ = zc::generate_keypair();
  zc::keypair known_ = zc::generate_keypair();
  zc::keypair stranger_ = zc::generate_keypair();
};

}  // namespace

TEST_F(policy_file, address_rules_apply_to_every_domain) {
  dir_.write("policy.toml", R"([addresses]
allow = ["127.0.0.1", "127.0.0.2"]
deny = ["127.0.0.2"]
)");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  EXPECT_ACCEPTED(null_from("127.0.0.1"));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.2"));  // deny wins
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));  // in no allow rule
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3", "api"));
  EXPECT_EQ(auth_.stats().policy_loads, 1U);
}

TEST_F(policy_file, null_rules_user_id_and_metadata_per_domain) {
  dir_.write("policy.toml", R"([domains.api]
null = { allow = true, user_id = "anonymous", metadata = { Hello = "World" } }
[domains.closed]
null = { allow = false }
)");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::null, .zap_domain = "api"});
  auto seen = handshake_and_read(ctx_, server, {}, {"Hello"});
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->user_id, "anonymous");
  ASSERT_EQ(seen->properties.size(), 1U);
  EXPECT_EQ(seen->properties[0].second, "World");
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.1", "closed"));
  EXPECT_ACCEPTED(null_from("127.0.0.1", "other"));  // no rule: NULL admitted
}

TEST_F(policy_file, password_file_relative_to_the_policy_file_and_followed) {
  dir_.write("passwords", "admin=secret\n");
  dir_.write("policy.toml", "[domains.\"*\"]\nplain = { password_file = \"passwords\" }\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  EXPECT_ACCEPTED(login("admin", "secret"));
  EXPECT_REFUSED_WITH(400, login("admin", "wrong"));
  // The password file it names is followed like one given to configure_plain_file.
  const auto before = auth_.generation();
  dir_.write("passwords", "admin=public\n");
  ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience));
  EXPECT_ACCEPTED(login("admin", "public"));
  EXPECT_REFUSED_WITH(400, login("admin", "secret"));
}

TEST_F(policy_file, curve_certificates_keys_and_allow_any) {
  dir_.write("policy.toml",
             "[domains.folder]\ncurve = { certificates = \"clients/\" }\n"
             "[domains.list]\ncurve = { keys = [\"" +
                 known_.public_key.z85() +
                 "\"] }\n"
                 "[domains.any]\ncurve = { allow_any = true }\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  EXPECT_ACCEPTED(curve(known_, "folder"));
  EXPECT_REFUSED_WITH(400, curve(stranger_, "folder"));
  EXPECT_ACCEPTED(curve(known_, "list"));
  EXPECT_REFUSED_WITH(400, curve(stranger_, "list"));
  EXPECT_ACCEPTED(curve(stranger_, "any"));
  EXPECT_REFUSED_WITH(400, curve(known_, "unlisted"));  // no CURVE for it, nor for "*"
  ASSERT_NE(auth_.curve_store("folder"), nullptr);      // opened by the authenticator
}

TEST_F(policy_file, gssapi_enabled_per_domain) {
  dir_.write("policy.toml",
             "[domains.krb]\ngssapi = { enabled = true }\n"
             "[domains.off]\ngssapi = { enabled = false }\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  zap_dealer zap(ctx_);
  zap.send(zap_request("1", "GSSAPI", {"alice@EXAMPLE.ORG"}, "127.0.0.1", "krb"));
  auto reply = zap.receive();
  ASSERT_TRUE(reply);
  ASSERT_GE(reply->size(), 5U);
  EXPECT_EQ((*reply)[2], "200");
  EXPECT_EQ((*reply)[4], "alice@EXAMPLE.ORG");
  zap.send(zap_request("2", "GSSAPI", {"alice@EXAMPLE.ORG"}, "127.0.0.1", "off"));
  reply = zap.receive();
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[2], "400");
}

TEST_F(policy_file, log_decisions_all_refusals_none) {
  dir_.write("policy.toml",
             "[log]\ndecisions = \"refusals\"\n[domains.closed]\n"
             "null = { allow = false }\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  EXPECT_ACCEPTED(null_from("127.0.0.1", "open-refusals"));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.1", "closed"));
  EXPECT_TRUE(log_.sink->wait_for({"ZAP 400", "closed"}));
  EXPECT_FALSE(log_.sink->any_contains("open-refusals")) << log_.sink->all();

  rewrite("[log]\ndecisions = \"all\"\n");
  EXPECT_ACCEPTED(null_from("127.0.0.1", "open-all"));
  EXPECT_TRUE(log_.sink->wait_for({"ZAP 200", "open-all"}));

  rewrite("[log]\ndecisions = \"none\"\n[domains.closed]\nnull = { allow = false }\n");
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.1", "closed"));
  EXPECT_ACCEPTED(null_from("127.0.0.1", "open-none"));
  // The decisions were made (counted) but none reached the log.
  EXPECT_EQ(auth_.stats().refused, 2U);
  EXPECT_FALSE(log_.sink->any_contains("open-none")) << log_.sink->all();
  EXPECT_EQ(log_.sink->all().find("ZAP 400"), log_.sink->all().rfind("ZAP 400"));
}

TEST_F(policy_file, a_same_size_rewrite_within_one_second_is_in_force) {
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\"]\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  EXPECT_ACCEPTED(null_from("127.0.0.2"));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));
  const auto size = std::filesystem::file_size(dir_ / "policy.toml");
  rewrite("[addresses]\nallow = [\"127.0.0.3\"]\n");
  EXPECT_EQ(std::filesystem::file_size(dir_ / "policy.toml"), size);
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.2"));
  EXPECT_ACCEPTED(null_from("127.0.0.3"));
  EXPECT_EQ(auth_.stats().policy_loads, 2U);
}

TEST_F(policy_file, a_rename_over_the_file_is_in_force) {
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\"]\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  const auto before = auth_.generation();
  dir_.write("policy.toml.new", "[addresses]\ndeny = [\"127.0.0.2\"]\n");
  std::filesystem::rename(dir_ / "policy.toml.new", dir_ / "policy.toml");  // an editor's save
  ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.2"));
  EXPECT_ACCEPTED(null_from("127.0.0.3"));
}

TEST_F(policy_file, a_broken_file_keeps_the_last_good_policy_and_says_where) {
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\"]\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  const auto good = auth_.generation();
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.3\"]\n[throttle]\nrate = 5\n");
  ASSERT_TRUE(log_.sink->wait_for({"policy file not reloaded", "policy.toml:4:1", "rate"}))
      << log_.sink->all();
  EXPECT_EQ(auth_.generation(), good);
  EXPECT_EQ(auth_.stats().policy_reload_failures, 1U);
  EXPECT_ACCEPTED(null_from("127.0.0.2"));  // still decided by the last good policy
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));

  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.300\"]\n");  // a bad rule
  ASSERT_TRUE(log_.sink->wait_for({"policy.toml:2:10"})) << log_.sink->all();
  EXPECT_EQ(auth_.stats().policy_reload_failures, 2U);
  EXPECT_ACCEPTED(null_from("127.0.0.2"));

  rewrite("[addresses]\nallow = [\"127.0.0.3\"]\n");  // repaired: in force again
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.2"));
  EXPECT_ACCEPTED(null_from("127.0.0.3"));
}

TEST_F(policy_file, a_file_removed_and_restored_is_loaded_again) {
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\"]\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  std::filesystem::remove(dir_ / "policy.toml");
  ASSERT_TRUE(log_.sink->wait_for({"policy file not reloaded", "policy.toml"})) << log_.sink->all();
  EXPECT_EQ(auth_.stats().policy_reload_failures, 1U);
  EXPECT_ACCEPTED(null_from("127.0.0.2"));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));
  rewrite("[addresses]\nallow = [\"127.0.0.3\"]\n");
  EXPECT_ACCEPTED(null_from("127.0.0.3"));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.2"));
}

TEST_F(policy_file, a_bad_first_load_throws_and_changes_nothing) {
  auth_.allow("127.0.0.2");
  const auto before = auth_.generation();
  dir_.write("policy.toml", "[domains.api]\ncurve = { allow_any = true, keys = [] }\n");
  try {
    auth_.load_policy_file(dir_ / "policy.toml");
    FAIL() << "loaded";
  } catch (const za::policy_file_error& e) {
    EXPECT_EQ(e.line(), 2U);
    EXPECT_EQ(e.column(), 29U);
    EXPECT_NE(e.reason().find("two CURVE sources"), std::string::npos) << e.what();
  }
  EXPECT_THROW(auth_.load_policy_file(dir_ / "missing.toml"), za::policy_file_error);
  EXPECT_EQ(auth_.generation(), before);
  auth_.start();
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));
  EXPECT_EQ(auth_.stats().policy_loads, 0U);
}

// A rewrite that names the same folder keeps its store (it follows the folder already: a policy
// edit must not read a large folder again); a folder named anew, and reload(), open it afresh.
TEST_F(policy_file, a_rewrite_keeps_the_store_of_an_unchanged_folder) {
  const std::string folder = "[domains.folder]\ncurve = { certificates = \"clients/\" }\n";
  dir_.write("policy.toml", folder);
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  const auto first = auth_.curve_store("folder");
  ASSERT_NE(first, nullptr);

  rewrite(folder + "[addresses]\ndeny = [\"127.0.0.9\"]\n");
  EXPECT_EQ(auth_.curve_store("folder"), first);
  EXPECT_ACCEPTED(curve(known_, "folder"));
  EXPECT_REFUSED_WITH(400, curve(stranger_, "folder"));
  zc::save_public_certificate(dir_ / "clients" / "stranger.key", stranger_.public_key);
  for (auto seen = first->generation(); first->current()->size() < 2;) {
    ASSERT_TRUE(first->wait_for_generation(++seen, patience)) << "the new certificate not seen";
  }
  EXPECT_ACCEPTED(curve(stranger_, "folder"));  // the kept store still follows its folder

  std::filesystem::create_directories(dir_ / "others");
  rewrite("[domains.folder]\ncurve = { certificates = \"others/\" }\n");
  const auto second = auth_.curve_store("folder");
  EXPECT_NE(second, first);
  EXPECT_REFUSED_WITH(400, curve(known_, "folder"));

  EXPECT_TRUE(auth_.reload());  // asked for: everything read anew
  EXPECT_NE(auth_.curve_store("folder"), second);
}

TEST_F(policy_file, configuring_calls_last_until_the_next_load_and_reload_reads_it) {
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\"]\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  auth_.allow("127.0.0.3");  // on top of the file's policy
  EXPECT_ACCEPTED(null_from("127.0.0.3"));
  const auto before = auth_.generation();
  EXPECT_TRUE(auth_.reload());  // SIGHUP: the file again, in place of the whole policy
  EXPECT_GT(auth_.generation(), before);
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));
  EXPECT_ACCEPTED(null_from("127.0.0.2"));
  EXPECT_EQ(auth_.stats().policy_loads, 2U);
}

TEST_F(policy_file, replace_stops_following_the_file) {
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\"]\n");
  dir_.write("users", "a=b\n");
  auth_.load_policy_file(dir_ / "policy.toml");
  auth_.start();
  za::policy_config config;
  config.configure_plain_file("*", dir_ / "users").deny("127.0.0.3");
  auth_.replace(config);
  const auto before = auth_.generation();
  dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.3\"]\n");
  // The same watch reports the password file's change after the policy file's (in one batch,
  // in the order of their names), so once the password file is in, a policy file reload would
  // have been too.
  dir_.write("users", "a=c\n");
  ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience));
  EXPECT_ACCEPTED(login("a", "c"));
  EXPECT_REFUSED_WITH(400, null_from("127.0.0.3"));
  EXPECT_ACCEPTED(null_from("127.0.0.4"));
  EXPECT_EQ(auth_.stats().policy_loads, 1U);
}
