// CURVE: any key, a folder of certificates followed live, broken files, a wrong server key, a
// client without keys, callbacks, key lists; User-Id and metadata as the server reads them.
#include <gtest/gtest.h>
#include <zmq.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

namespace {

class thread_authenticator_curve : public ::testing::Test {
 protected:
  thread_authenticator_curve() { std::filesystem::create_directory(clients_); }

  client_options as(const zc::keypair& client) {
    return {.mechanism = mech::curve, .curve = &client, .server_key = &server_keys_.public_key};
  }
  handshake_outcome connect(const zc::keypair& client,
                            const std::optional<std::string>& domain = std::nullopt) {
    test_server server(ctx_,
                       {.mechanism = mech::curve, .zap_domain = domain, .curve = &server_keys_});
    return try_handshake(ctx_, server, as(client));
  }
  std::optional<received_properties> read(const zc::keypair& client,
                                          std::initializer_list<const char*> names = {}) {
    test_server server(ctx_, {.mechanism = mech::curve, .curve = &server_keys_});
    return handshake_and_read(ctx_, server, as(client), names);
  }
  // Waits for the folder's store to publish a snapshot after generation.
  void wait_store(std::uint64_t generation) {
    auto store = auth_.curve_store("*");
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->wait_for_generation(generation + 1, patience));
  }
  std::uint64_t store_generation() { return auth_.curve_store("*")->generation(); }

  zmqsec::testing::temp_dir dir_;
  std::filesystem::path clients_ = dir_ / "clients";
  zc::keypair server_keys_ = zc::generate_keypair();
  zc::keypair alice_ = zc::generate_keypair();
  zc::keypair bob_ = zc::generate_keypair();
  captured_logger log_;
  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_, log_.logger};
};

}  // namespace

TEST_F(thread_authenticator_curve, allow_any_key_with_its_z85_as_user_id) {
  auth_.configure_curve("*", za::curve_allow_any);
  auth_.start();
  auto got = read(alice_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, alice_.public_key.z85());
  EXPECT_ACCEPTED(connect(bob_));
  EXPECT_EQ(auth_.stats().accepted, 2U);
}

TEST_F(thread_authenticator_curve, nothing_configured_refuses) {
  auth_.start();
  EXPECT_REFUSED_WITH(400, connect(alice_));
}

TEST_F(thread_authenticator_curve, a_folder_of_certificates_with_their_metadata) {
  zc::save_public_certificate(clients_ / "alice.key", alice_.public_key,
                              {{"name", "alice"}, {"email", "alice@example.com"}});
  auth_.configure_curve("*", clients_);
  auth_.start();
  auto got = read(alice_, {"name", "email", "missing"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, alice_.public_key.z85());
  EXPECT_EQ(got->properties,
            (std::vector<std::pair<std::string, std::string>>{
                {"name", "alice"}, {"email", "alice@example.com"}, {"missing", "<none>"}}));
  EXPECT_REFUSED_WITH(400, connect(bob_));
  EXPECT_TRUE(log_.sink->any_contains("1 keys from")) << log_.sink->all();
}

TEST_F(thread_authenticator_curve, certificates_added_changed_and_removed_while_it_runs) {
  zc::save_public_certificate(clients_ / "alice.key", alice_.public_key, {{"name", "alice"}});
  auth_.configure_curve("*", clients_);
  auth_.start();
  EXPECT_REFUSED_WITH(400, connect(bob_));

  auto generation = store_generation();
  zc::save_public_certificate(clients_ / "bob.key", bob_.public_key, {{"name", "bob"}});
  wait_store(generation);
  auto got = read(bob_, {"name"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->properties.at(0).second, "bob");

  generation = store_generation();
  zc::save_public_certificate(clients_ / "bob.key", bob_.public_key, {{"name", "robert"}},
                              {.overwrite = true});
  wait_store(generation);
  got = read(bob_, {"name"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->properties.at(0).second, "robert");

  generation = store_generation();
  std::filesystem::remove(clients_ / "bob.key");
  wait_store(generation);  // removals take effect once the folder is quiet (100 ms)
  EXPECT_REFUSED_WITH(400, connect(bob_));
  EXPECT_ACCEPTED(connect(alice_));
}

TEST_F(thread_authenticator_curve, a_broken_file_in_the_folder_is_skipped_and_reported) {
  zc::save_public_certificate(clients_ / "alice.key", alice_.public_key, {{"name", "alice"}});
  dir_.write("clients/broken.key", "curve\n    public-key = \"not z85 at all\"\n");
  auth_.configure_curve("*", clients_);
  auth_.start();
  EXPECT_ACCEPTED(connect(alice_));
  EXPECT_TRUE(log_.sink->wait_for({"broken.key"})) << log_.sink->all();
  ASSERT_EQ(auth_.curve_store("*")->current()->problems().size(), 1U);

  // One appearing while it runs is reported too.
  auto generation = store_generation();
  dir_.write("clients/also-broken.key", "metadata\n  bad indentation\n");
  wait_store(generation);
  EXPECT_TRUE(log_.sink->wait_for({"also-broken.key"})) << log_.sink->all();
  EXPECT_ACCEPTED(connect(alice_));
}

TEST_F(thread_authenticator_curve, a_store_made_by_the_caller) {
  auto store = std::make_shared<zc::cert_store>(
      zc::cert_store::from_certificates(std::span<const zc::certificate>{}));
  store->insert(alice_.public_key, {{"name", "from-memory"}});
  auth_.configure_curve("*", std::shared_ptr<const zc::cert_store>(store));
  auth_.start();
  auto got = read(alice_, {"name"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->properties.at(0).second, "from-memory");
  EXPECT_REFUSED_WITH(400, connect(bob_));
  store->insert(bob_.public_key);
  EXPECT_ACCEPTED(connect(bob_));
  EXPECT_EQ(auth_.curve_store("*"), nullptr);  // only stores it opened itself
}

TEST_F(thread_authenticator_curve, a_key_list) {
  auto alice_z85 = alice_.public_key.z85();
  auth_.configure_curve("*", {std::string_view(alice_z85)});
  auth_.start();
  EXPECT_ACCEPTED(connect(alice_));
  EXPECT_REFUSED_WITH(400, connect(bob_));
  auth_.configure_curve("*", std::vector<zc::public_key>{bob_.public_key});
  EXPECT_ACCEPTED(connect(bob_));
  EXPECT_REFUSED_WITH(400, connect(alice_));
}

TEST_F(thread_authenticator_curve, a_wrong_server_key_fails_before_zap_is_asked) {
  auth_.configure_curve("*", za::curve_allow_any);
  auth_.start();
  auto impostor = zc::generate_keypair();
  test_server server(ctx_, {.mechanism = mech::curve, .curve = &server_keys_});
  test_client client(
      ctx_, server,
      {.mechanism = mech::curve, .curve = &alice_, .server_key = &impostor.public_key});
  auto server_event = server.monitor().handshake();
  ASSERT_TRUE(server_event) << server.monitor().history();
  EXPECT_EQ(server_event->event, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
      << event_name(server_event->event);
  EXPECT_EQ(auth_.stats().requests, 0U);
}

TEST_F(thread_authenticator_curve, a_client_without_keys_fails_before_zap_is_asked) {
  auth_.configure_curve("*", za::curve_allow_any);
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::curve, .curve = &server_keys_});
  test_client client(ctx_, server, {.mechanism = mech::null});
  auto server_event = server.monitor().handshake();
  ASSERT_TRUE(server_event) << server.monitor().history();
  EXPECT_EQ(server_event->event, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
      << event_name(server_event->event);
  EXPECT_EQ(auth_.stats().requests, 0U);
}

TEST_F(thread_authenticator_curve, a_callback_decides_and_sees_domain_and_key) {
  std::string alice_z85 = alice_.public_key.z85();
  std::atomic<int> calls{0};
  std::string seen_domain;
  auth_.configure_curve_callback("*", [&](std::string_view domain, std::string_view key) {
    ++calls;
    seen_domain = domain;
    return key == alice_z85;
  });
  auth_.start();
  EXPECT_ACCEPTED(connect(alice_, "api"));
  EXPECT_EQ(seen_domain, "api");
  EXPECT_REFUSED_WITH(400, connect(bob_));
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(thread_authenticator_curve, a_callback_that_throws_gives_500) {
  auth_.configure_curve_callback("*", [](std::string_view, std::string_view) -> bool {
    throw std::runtime_error("database down");
  });
  auth_.start();
  EXPECT_REFUSED_WITH(500, connect(alice_));
  EXPECT_EQ(auth_.stats().internal_errors, 1U);
  EXPECT_TRUE(log_.sink->any_contains("ZAP 500")) << log_.sink->all();
}

TEST_F(thread_authenticator_curve, a_user_id_hook) {
  auth_.configure_curve("*", za::curve_allow_any);
  auth_.configure_curve_user_id([](const za::curve_client& client) {
    return "user-" + std::string(client.z85_key.substr(0, 8));
  });
  auth_.start();
  auto got = read(alice_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "user-" + alice_.public_key.z85().substr(0, 8));
}

TEST_F(thread_authenticator_curve, domains_have_their_own_configuration) {
  zc::save_public_certificate(clients_ / "alice.key", alice_.public_key);
  auth_.configure_curve("api", clients_);
  auth_.configure_curve("open", za::curve_allow_any);
  auth_.start();
  EXPECT_ACCEPTED(connect(alice_, "api"));
  EXPECT_REFUSED_WITH(400, connect(bob_, "api"));
  EXPECT_ACCEPTED(connect(bob_, "open"));
  EXPECT_REFUSED_WITH(400, connect(bob_, "elsewhere"));  // no "*"
  EXPECT_NE(auth_.curve_store("api"), nullptr);
  EXPECT_EQ(auth_.curve_store("*"), nullptr);
  auth_.configure_curve("api", za::curve_allow_any);
  EXPECT_EQ(auth_.curve_store("api"), nullptr);
  EXPECT_ACCEPTED(connect(bob_, "api"));
}

TEST_F(thread_authenticator_curve, the_certificate_folder_can_be_reloaded_by_hand) {
  zc::save_public_certificate(clients_ / "alice.key", alice_.public_key);
  auth_.configure_curve("*", clients_, {.follow = false});
  auth_.start();
  EXPECT_ACCEPTED(connect(alice_));
  zc::save_public_certificate(clients_ / "bob.key", bob_.public_key);
  EXPECT_REFUSED_WITH(400, connect(bob_));  // not followed
  EXPECT_TRUE(auth_.reload());
  EXPECT_ACCEPTED(connect(bob_));
}
