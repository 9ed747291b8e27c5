// The decision: the full matrix of mechanisms, addresses and domains; CURVE sources, metadata,
// hooks and callbacks; observation without secrets; immutability of built policies.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "frames.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace std::chrono_literals;
using za::zap_status;
using zmqsec::testing::curve_request;
using zmqsec::testing::frames;
using zmqsec::testing::gssapi_request;
using zmqsec::testing::null_request;
using zmqsec::testing::plain_request;

namespace {

struct outcome {
  za::zap_outcome what;
  za::zap_reply reply;
  std::string reason() const { return reply.status_text; }
};

outcome run(const za::policy& p, frames f) {
  outcome o;
  o.what = za::decide(p, f.view(), o.reply);
  if (o.what == za::zap_outcome::reply) {
    auto frames = o.reply.frames();
    EXPECT_TRUE(za::is_valid_reply(frames, o.reply.request_id));
  }
  return o;
}

zap_status status(const za::policy& p, frames f) {
  auto o = run(p, std::move(f));
  EXPECT_EQ(o.what, za::zap_outcome::reply);
  return o.reply.status;
}

zc::public_key new_key() {
  return zc::generate_keypair().public_key;
}

std::shared_ptr<const zc::cert_store> memory_store(zc::certificate one) {
  zc::cert_store_options options;
  options.follow = false;
  return std::make_shared<const zc::cert_store>(
      zc::cert_store::from_certificates(std::span(&one, 1), options));
}

zc::certificate cert(const zc::public_key& key, zc::metadata meta = {}) {
  zc::certificate c;
  c.public_key = key;
  c.metadata = std::move(meta);
  return c;
}

}  // namespace

// ---- The matrix ---------------------------------------------------------------------------------

class decision_matrix : public ::testing::Test {
 protected:
  void SetUp() override {
    star_key = new_key();
    special_key = new_key();
    unknown_key = new_key();
    config.allow("127.0.0.1").allow("10.0.0.0/8").deny("10.6.6.0/24");
    config.configure_plain("*", {{"admin", "secret"}});
    config.configure_curve("*", memory_store(cert(star_key, {{"name", "Star"}})));
    config.configure_gssapi("*");
    config.configure_plain("special", {{"special", "pw"}});
    config.configure_curve("special", std::vector<zc::public_key>{special_key});
    policy = config.build();
  }

  za::policy_config config;
  std::shared_ptr<const za::policy> policy;
  zc::public_key star_key, special_key, unknown_key;
};

TEST_F(decision_matrix, every_mechanism_address_and_domain) {
  struct address_case {
    const char* address;
    bool passes;
  };
  const address_case addresses[] = {
      {"127.0.0.1", true},
      {"10.1.2.3", true},
      {"::ffff:10.1.2.3", true},
      {"10.6.6.6", false},
      {"::ffff:10.6.6.6", false},
      {"192.0.2.1", false},
      {"::1", false},
      {"localhost:0:0:1234", false},
      {"", false},
  };
  for (const auto& [address, passes] : addresses) {
    for (const std::string domain : {"special", "other", "", "*"}) {
      const bool special = domain == "special";
      SCOPED_TRACE(std::string(address) + " in domain '" + domain + "'");
      auto expect = [&](bool accepted) {
        return passes && accepted ? zap_status::success : zap_status::failure;
      };
      EXPECT_EQ(status(*policy, null_request(domain, address)), expect(true));
      // PLAIN: the domain's own table, or "*"'s.
      EXPECT_EQ(status(*policy, plain_request("admin", "secret", domain, address)),
                expect(!special));
      EXPECT_EQ(status(*policy, plain_request("special", "pw", domain, address)), expect(special));
      EXPECT_EQ(status(*policy, plain_request("admin", "wrong", domain, address)), expect(false));
      EXPECT_EQ(status(*policy, plain_request("nobody", "secret", domain, address)), expect(false));
      // CURVE: the domain's key list, or "*"'s store.
      EXPECT_EQ(status(*policy, curve_request(star_key, domain, address)), expect(!special));
      EXPECT_EQ(status(*policy, curve_request(special_key, domain, address)), expect(special));
      EXPECT_EQ(status(*policy, curve_request(unknown_key, domain, address)), expect(false));
      // GSSAPI: only "*" has it, every domain inherits it.
      EXPECT_EQ(status(*policy, gssapi_request("alice@EXAMPLE.ORG", domain, address)),
                expect(true));
      // Unknown mechanisms never pass.
      EXPECT_EQ(status(*policy, zmqsec::testing::request("X-TOKEN", {}, domain, address)),
                expect(false));
    }
  }
}

TEST_F(decision_matrix, reasons_and_user_ids) {
  auto o = run(*policy, plain_request("admin", "secret"));
  EXPECT_EQ(o.reply.status, zap_status::success);
  EXPECT_EQ(o.reply.status_text, "OK");
  EXPECT_EQ(o.reply.user_id, "admin");
  EXPECT_EQ(run(*policy, plain_request("admin", "nope")).reason(), "wrong password");
  EXPECT_EQ(run(*policy, plain_request("nobody", "x")).reason(), "unknown user");
  EXPECT_EQ(run(*policy, null_request("global", "10.6.6.1")).reason(), "address denied");
  EXPECT_EQ(run(*policy, null_request("global", "192.0.2.1")).reason(),
            "address not in the allow list");
  EXPECT_EQ(run(*policy, curve_request(unknown_key)).reason(), "unknown CURVE key");
  EXPECT_EQ(run(*policy, zmqsec::testing::request("X")).reason(), "unknown mechanism");

  o = run(*policy, curve_request(star_key));
  EXPECT_EQ(o.reply.user_id, star_key.z85());
  o = run(*policy, gssapi_request("alice@EXAMPLE.ORG"));
  EXPECT_EQ(o.reply.user_id, "alice@EXAMPLE.ORG");
  o = run(*policy, null_request());
  EXPECT_EQ(o.reply.user_id, "");
  // A refusal carries neither User-Id nor metadata.
  o = run(*policy, curve_request(star_key, "global", "10.6.6.6"));
  EXPECT_EQ(o.reply.user_id, "");
  EXPECT_EQ(o.reply.metadata, "");
}

TEST(policy, without_allow_rules_unlisted_addresses_pass) {
  za::policy_config config;
  config.deny("192.0.2.0/24");
  config.configure_plain("*", {{"u", "p"}});
  auto p = config.build();
  EXPECT_EQ(status(*p, null_request("d", "198.51.100.1")), zap_status::success);
  EXPECT_EQ(status(*p, null_request("d", "localhost:0:0:42")), zap_status::success);
  EXPECT_EQ(status(*p, null_request("d", "")), zap_status::success);
  EXPECT_EQ(status(*p, null_request("d", "192.0.2.9")), zap_status::failure);
  EXPECT_EQ(status(*p, plain_request("u", "p", "d", "198.51.100.1")), zap_status::success);
  EXPECT_EQ(status(*p, plain_request("u", "x", "d", "198.51.100.1")), zap_status::failure);
}

TEST(policy, nothing_configured) {
  auto p = za::policy_config{}.build();
  EXPECT_EQ(status(*p, null_request()), zap_status::success);
  EXPECT_EQ(run(*p, plain_request("u", "p")).reason(), "PLAIN not configured for the domain");
  EXPECT_EQ(run(*p, curve_request(new_key())).reason(), "CURVE not configured for the domain");
  EXPECT_EQ(run(*p, gssapi_request("x")).reason(), "GSSAPI not configured for the domain");
  EXPECT_TRUE(p->configured("any", za::mechanism::null));
  EXPECT_FALSE(p->configured("any", za::mechanism::plain));
  EXPECT_FALSE(p->configured("any", za::mechanism::unknown));
}

TEST(policy, domain_without_star_is_its_own) {
  za::policy_config config;
  config.configure_plain("api", {{"u", "p"}});
  auto p = config.build();
  EXPECT_EQ(status(*p, plain_request("u", "p", "api")), zap_status::success);
  EXPECT_EQ(status(*p, plain_request("u", "p", "other")), zap_status::failure);
  EXPECT_EQ(status(*p, plain_request("u", "p", "")), zap_status::failure);
  EXPECT_TRUE(p->configured("api", za::mechanism::plain));
  EXPECT_FALSE(p->configured("other", za::mechanism::plain));
}

TEST(policy, reconfiguring_replaces) {
  za::policy_config config;
  config.configure_curve("*", za::curve_allow_any);
  auto key = new_key();
  auto p1 = config.build();
  config.configure_curve("*", std::vector<zc::public_key>{});
  auto p2 = config.build();
  EXPECT_EQ(status(*p1, curve_request(key)), zap_status::success);  // built before: unchanged
  EXPECT_EQ(status(*p2, curve_request(key)), zap_status::failure);
  config.allow("10.0.0.1");
  EXPECT_EQ(status(*p2, null_request("d", "127.0.0.1")), zap_status::success);
  EXPECT_EQ(status(*config.build(), null_request("d", "127.0.0.1")), zap_status::failure);
}

TEST(policy, configuration_errors_change_nothing) {
  zmqsec::testing::temp_dir dir;
  za::policy_config config;
  config.allow("10.0.0.0/8");
  EXPECT_THROW(config.allow("10.0.0.1/8"), zmqsec::error);
  std::vector<std::string> some{"10.1.0.0/16", "bogus"};
  EXPECT_THROW(config.deny(some), zmqsec::error);
  EXPECT_EQ(config.build()->addresses().deny_count(), 0u);
  std::vector<std::string> good{"10.1.0.0/16", "fd00::/8"};
  config.deny(good);
  EXPECT_EQ(config.build()->addresses().deny_count(), 2u);

  config.configure_plain("*", {{"u", "p"}});
  auto bad = dir.write("bad", "u=p\nbroken\n");
  EXPECT_THROW(config.configure_plain_file("*", bad), za::password_file_error);
  EXPECT_THROW(config.configure_plain_file("*", dir / "missing"), za::password_file_error);
  EXPECT_EQ(status(*config.build(), plain_request("u", "p", "d", "10.2.0.1")), zap_status::success);

  EXPECT_THROW(config.configure_curve("*", dir / "no-such-folder"), zmqsec::error);
  EXPECT_THROW(config.configure_curve("*", {"not a key"}), zmqsec::error);
  EXPECT_THROW(config.configure_plain(std::string(256, 'd'), {}), zmqsec::error);
  EXPECT_THROW(config.configure_curve_callback("*", nullptr), zmqsec::error);
  EXPECT_FALSE(config.build()->configured("*", za::mechanism::curve));
}

TEST(policy, plain_file_and_updates) {
  zmqsec::testing::temp_dir dir;
  auto file = dir.write("users", "admin=one\n");
  za::policy_config config;
  config.configure_plain_file("*", file);
  config.configure_plain_file("api", file);
  config.configure_plain("other", {{"x", "y"}});
  ASSERT_EQ(config.plain_files().size(), 1u);
  EXPECT_EQ(config.plain_files()[0], file);
  auto before = config.build();
  EXPECT_EQ(status(*before, plain_request("admin", "one", "api")), zap_status::success);

  dir.write("users", "admin=two\n");
  EXPECT_EQ(config.update_plain_file(file, za::load_password_file(file)), 2u);
  auto after = config.build();
  EXPECT_EQ(status(*after, plain_request("admin", "two", "api")), zap_status::success);
  EXPECT_EQ(status(*after, plain_request("admin", "two", "elsewhere")), zap_status::success);
  EXPECT_EQ(status(*after, plain_request("admin", "one", "api")), zap_status::failure);
  EXPECT_EQ(status(*before, plain_request("admin", "one", "api")), zap_status::success);
  EXPECT_EQ(status(*after, plain_request("x", "y", "other")), zap_status::success);
  EXPECT_EQ(config.update_plain_file(dir / "unrelated", za::password_table{}), 0u);

  // A domain given a fixed table no longer follows the file.
  config.configure_plain("api", {{"fixed", "table"}});
  EXPECT_EQ(config.update_plain_file(file, za::password_table{}), 1u);
  EXPECT_EQ(status(*config.build(), plain_request("fixed", "table", "api")), zap_status::success);
}

// ---- CURVE sources ------------------------------------------------------------------------------

TEST(policy_curve, allow_any_key_list_and_z85_list) {
  auto a = zc::generate_keypair().public_key;
  auto b = new_key();
  za::policy_config config;
  config.configure_curve("any", za::curve_allow_any);
  config.configure_curve("list", std::vector<zc::public_key>{a});
  config.configure_curve("z85", {b.z85()});
  auto p = config.build();
  EXPECT_EQ(status(*p, curve_request(b, "any")), zap_status::success);
  EXPECT_EQ(status(*p, curve_request(a, "list")), zap_status::success);
  EXPECT_EQ(status(*p, curve_request(b, "list")), zap_status::failure);
  EXPECT_EQ(status(*p, curve_request(b, "z85")), zap_status::success);
  EXPECT_EQ(status(*p, curve_request(a, "z85")), zap_status::failure);
}

TEST(policy_curve, callback_sees_domain_and_z85_key) {
  auto good = new_key();
  std::vector<std::pair<std::string, std::string>> calls;
  za::policy_config config;
  config.configure_curve_callback("*", [&](std::string_view domain, std::string_view key) {
    calls.emplace_back(domain, key);
    return key == good.z85();
  });
  auto p = config.build();
  EXPECT_EQ(status(*p, curve_request(good, "dom")), zap_status::success);
  EXPECT_EQ(status(*p, curve_request(new_key(), "dom")), zap_status::failure);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].first, "dom");
  EXPECT_EQ(calls[0].second, good.z85());
  // Not asked for a refused address.
  config.deny("127.0.0.0/8");
  EXPECT_EQ(status(*config.build(), curve_request(good, "dom")), zap_status::failure);
  EXPECT_EQ(calls.size(), 2u);
}

TEST(policy_curve, throwing_callback_and_hook_give_500) {
  za::policy_config config;
  config.configure_curve_callback(
      "cb", [](std::string_view, std::string_view) -> bool { throw std::runtime_error("boom"); });
  config.configure_curve("hook", za::curve_allow_any);
  config.configure_curve_user_id([](const za::curve_client& c) -> std::string {
    if (c.domain == "hook") throw 42;
    return "x";
  });
  auto p = config.build();
  auto o = run(*p, curve_request(new_key(), "cb"));
  EXPECT_EQ(o.reply.status, zap_status::internal_error);
  EXPECT_EQ(o.reason(), "CURVE callback failed");
  o = run(*p, curve_request(new_key(), "hook"));
  EXPECT_EQ(o.reply.status, zap_status::internal_error);
  EXPECT_EQ(o.reply.user_id, "");
}

TEST(policy_curve, store_metadata_goes_into_the_reply) {
  auto key = new_key();
  auto store = memory_store(cert(key, {{"name", "Alice"}, {"email", "alice@example.org"}}));
  za::policy_config config;
  config.configure_curve("*", store);
  auto o = run(*config.build(), curve_request(key));
  ASSERT_EQ(o.reply.status, zap_status::success);
  EXPECT_EQ(o.reply.metadata, std::string("\x04name\x00\x00\x00\x05"
                                          "Alice"
                                          "\x05"
                                          "email\x00\x00\x00\x11"
                                          "alice@example.org",
                                          14 + 27));
}

TEST(policy_curve, metadata_libzmq_would_refuse_is_skipped_and_reported) {
  auto key = new_key();
  std::string long_name(256, 'n');
  auto store = memory_store(cert(
      key, {{"Socket-Type", "PUB"}, {"name", "Bob"}, {"Identity", "evil"}, {"User-Id", "root"}}));
  std::vector<std::string> observed;
  std::size_t skipped = 0;
  za::policy_config config;
  config.configure_curve("*", store);
  config.on_decision([&](const za::decision& d) {
    skipped = d.metadata_skipped;
    observed.emplace_back(d.first_skipped_name);
    EXPECT_EQ(d.first_skipped_problem, za::metadata_problem::reserved_name);
  });
  auto o = run(*config.build(), curve_request(key));
  ASSERT_EQ(o.reply.status, zap_status::success);
  EXPECT_EQ(o.reply.metadata, std::string("\x04name\x00\x00\x00\x03"
                                          "Bob",
                                          12));
  EXPECT_EQ(skipped, 3u);
  ASSERT_EQ(observed.size(), 1u);
  EXPECT_EQ(observed[0], "Socket-Type");
}

TEST(policy_curve, user_id_hook) {
  auto key = new_key();
  auto store = memory_store(cert(key, {{"name", "carol"}}));
  za::policy_config config;
  config.configure_curve("*", store);
  config.configure_curve("any", za::curve_allow_any);
  config.configure_curve_user_id([](const za::curve_client& client) {
    if (client.cert) return std::string(client.cert->meta("name").value_or("?"));
    return "anonymous:" + std::string(client.z85_key.substr(0, 8));
  });
  auto p = config.build();
  EXPECT_EQ(run(*p, curve_request(key)).reply.user_id, "carol");
  EXPECT_EQ(run(*p, curve_request(key, "any")).reply.user_id,
            "anonymous:" + key.z85().substr(0, 8));
  // The metadata still goes in.
  EXPECT_FALSE(run(*p, curve_request(key)).reply.metadata.empty());
}

TEST(policy_curve, folder_store_is_followed_live) {
  zmqsec::testing::temp_dir dir;
  auto first = zc::generate_keypair();
  zc::save_public_certificate(dir / "first.key", first.public_key, {{"name", "first"}});
  za::policy_config config;
  std::atomic<int> changes{0};
  zc::cert_store_options options;
  options.on_change = [&](const std::shared_ptr<const zc::cert_snapshot>&) { ++changes; };
  config.configure_curve("*", dir.path(), options);
  auto p = config.build();
  EXPECT_EQ(status(*p, curve_request(first.public_key)), zap_status::success);
  auto second = zc::generate_keypair();
  EXPECT_EQ(status(*p, curve_request(second.public_key)), zap_status::failure);
  zc::save_public_certificate(dir / "second.key", second.public_key, {{"name", "second"}});
  // The same built policy sees the store's new snapshot.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (status(*p, curve_request(second.public_key)) != zap_status::success &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(status(*p, curve_request(second.public_key)), zap_status::success);
  EXPECT_GE(changes.load(), 1);
  std::filesystem::remove(dir / "first.key");
  while (status(*p, curve_request(first.public_key)) != zap_status::failure &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(status(*p, curve_request(first.public_key)), zap_status::failure);
}

// ---- Malformed requests -------------------------------------------------------------------------

TEST(policy_malformed, answered_with_400_or_dropped) {
  za::policy_config config;
  config.configure_curve("*", za::curve_allow_any);
  auto p = config.build();
  auto short_key = zmqsec::testing::request("CURVE", {std::string(31, 'k')});
  auto o = run(*p, short_key);
  EXPECT_EQ(o.what, za::zap_outcome::reply);
  EXPECT_EQ(o.reply.status, zap_status::failure);
  EXPECT_EQ(o.reply.request_id, "1");
  EXPECT_EQ(o.reason(), "CURVE key is not 32 bytes");

  frames wrong_version{"9.9", "abc", "d", "127.0.0.1", "", "NULL"};
  o = run(*p, wrong_version);
  EXPECT_EQ(o.reply.status, zap_status::failure);
  EXPECT_EQ(o.reply.request_id, "abc");

  frames no_id{"1.0"};
  EXPECT_EQ(run(*p, no_id).what, za::zap_outcome::drop);
  EXPECT_FALSE(za::decide(*p, no_id.view()));
  // An empty request id is one RFC 27 allows: answered, the id echoed empty.
  auto empty_id = zmqsec::testing::request("NULL", {}, "d", "127.0.0.1", "");
  EXPECT_EQ(run(*p, empty_id).what, za::zap_outcome::reply);
}

TEST(policy_malformed, hand_made_requests_are_checked_too) {
  za::policy_config config;
  config.configure_curve("*", za::curve_allow_any);
  auto p = config.build();
  std::string short_key(5, 'k');
  za::zap_request request;
  request.version = "1.0";
  request.request_id = "1";
  request.mechanism_name = "CURVE";
  request.mechanism = za::mechanism::curve;
  request.credentials[0] = short_key;
  request.credential_count = 1;
  za::zap_reply reply;
  EXPECT_EQ(za::decide(*p, request, reply), za::zap_outcome::reply);
  EXPECT_EQ(reply.status, zap_status::failure);
  std::string key(32, 'k');
  request.credentials[0] = key;
  EXPECT_EQ(za::decide(*p, request, reply), za::zap_outcome::reply);
  EXPECT_EQ(reply.status, zap_status::success);
}

TEST(policy_malformed, random_requests_always_get_a_valid_reply_or_none) {
  za::policy_config config;
  config.allow("127.0.0.0/8");
  config.configure_plain("*", {{"u", "p"}});
  config.configure_curve("*", za::curve_allow_any);
  config.configure_gssapi("*");
  auto p = config.build();
  std::mt19937 rng(99);
  za::zap_reply reply;  // reused, as a transport does
  const char* mechanisms[] = {"NULL", "PLAIN", "CURVE", "GSSAPI", "XYZ"};
  for (int round = 0; round < 20000; ++round) {
    frames f;
    const int count = static_cast<int>(rng() % 10);
    for (int i = 0; i < count; ++i) {
      std::string frame(rng() % (i == 6 ? 40 : 8), 'x');
      for (char& c : frame) c = static_cast<char>(rng());
      if (i == 0 && rng() % 4) frame = "1.0";
      if (i == 3 && rng() % 2) frame = "127.0.0." + std::to_string(rng() % 3);
      if (i == 5 && rng() % 4) frame = mechanisms[rng() % 5];
      if (i == 6 && rng() % 2) frame.resize(32);
      f.add(frame);
    }
    auto view = f.view();
    const auto outcome = za::decide(*p, view, reply);
    const bool usable_id = view.size() > 1 && view[1].size() <= 255;
    if (usable_id) {
      ASSERT_EQ(outcome, za::zap_outcome::reply);
      auto out = reply.frames();
      ASSERT_TRUE(za::is_valid_reply(out, view[1]));
      if (reply.status != zap_status::success) {
        EXPECT_TRUE(reply.user_id.empty());
      }
    } else {
      ASSERT_EQ(outcome, za::zap_outcome::drop);
    }
  }
}

// ---- Observation --------------------------------------------------------------------------------

TEST(policy_observer, sees_every_decision_and_no_secret) {
  const std::string password = "pa55-w0rd-very-secret";
  std::vector<za::decision> seen;
  std::vector<std::string> texts;
  za::policy_config config;
  config.allow("127.0.0.1");
  config.configure_plain("*", {{"admin", password}});
  config.configure_curve("*", za::curve_allow_any);
  config.on_decision([&](const za::decision& d) {
    seen.push_back(d);
    for (std::string_view field : {d.reason, d.request_id, d.domain, d.address, d.mechanism,
                                   d.username, d.client_key, d.user_id, d.first_skipped_name}) {
      texts.emplace_back(field);
    }
    // Views are valid during the call: check the fields now.
    if (d.mechanism == "PLAIN" && !d.malformed) {
      EXPECT_EQ(d.username, "admin");
    }
  });
  auto p = config.build();
  run(*p, plain_request("admin", password, "dom", "127.0.0.1"));
  run(*p, plain_request("admin", password + "x", "dom", "127.0.0.1"));
  run(*p, plain_request("admin", password, "dom", "192.0.2.1"));
  auto key = new_key();
  run(*p, curve_request(key, "dom"));
  run(*p, zmqsec::testing::request("PLAIN", {"admin", password, "extra"}));
  run(*p, zmqsec::testing::request("X-SECRET", {password}));
  frames no_id{"1.0"};
  run(*p, no_id);
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_EQ(seen[0].status, zap_status::success);
  EXPECT_EQ(seen[1].status, zap_status::failure);
  EXPECT_EQ(seen[2].status, zap_status::failure);
  EXPECT_EQ(seen[3].status, zap_status::success);
  EXPECT_TRUE(seen[4].malformed);
  EXPECT_EQ(seen[6].outcome, za::zap_outcome::drop);
  for (const auto& text : texts) {
    EXPECT_EQ(text.find(password), std::string::npos) << text;
  }
  EXPECT_NE(std::find(texts.begin(), texts.end(), key.z85()), texts.end());  // public: fine
}

TEST(policy_observer, a_throwing_observer_is_counted_not_fatal) {
  za::policy_config config;
  config.on_decision([](const za::decision&) { throw std::runtime_error("observer"); });
  auto p = config.build();
  EXPECT_EQ(status(*p, null_request()), zap_status::success);
  EXPECT_EQ(status(*p, null_request()), zap_status::success);
  EXPECT_EQ(p->observer_errors(), 2u);
}

TEST(policy_reply, reused_reply_is_fully_overwritten) {
  auto key = new_key();
  za::policy_config config;
  config.allow("127.0.0.1");
  config.configure_curve("*", memory_store(cert(key, {{"name", "x"}})));
  auto p = config.build();
  za::zap_reply reply;
  frames ok = curve_request(key);
  ASSERT_EQ(za::decide(*p, ok.view(), reply), za::zap_outcome::reply);
  EXPECT_FALSE(reply.metadata.empty());
  frames denied = zmqsec::testing::request("NULL", {}, "d", "10.0.0.1", "2");
  ASSERT_EQ(za::decide(*p, denied.view(), reply), za::zap_outcome::reply);
  EXPECT_EQ(reply.request_id, "2");
  EXPECT_EQ(reply.status, zap_status::failure);
  EXPECT_TRUE(reply.user_id.empty());
  EXPECT_TRUE(reply.metadata.empty());
}
