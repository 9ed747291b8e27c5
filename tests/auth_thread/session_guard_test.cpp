// session_guard: every way a credential stops being allowed (a certificate removed from a
// followed folder, a password line removed or changed, a deny rule added, replace(), a policy
// file rewritten) cuts the established connections that were authenticated with it, within a
// bounded time; libzmq's reconnection is refused with 400; check() refuses what they sent; the
// other clients are untouched. Real sockets on 127.0.0.0/8.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/session_guard.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "guard_harness.hpp"
#include "temp_dir.hpp"
#include "wait_until.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;
using namespace std::chrono_literals;

namespace {

/// How long a cut may take here: the guard's bound is 100 ms after the change takes effect; a
/// loaded test machine gets ten times that.
constexpr auto cut_within = 1000ms;

class session_guard : public ::testing::Test {
 protected:
  session_guard() { auth_.on_decision(revocations_.observer()); }

  /// Alice and Bob connect and each sends "hello": both accepted, both let through.
  void both_connect_and_speak(guarded_server& server, guarded_client& alice, guarded_client& bob) {
    ASSERT_TRUE(alice.accepted()) << alice.monitor().history();
    ASSERT_TRUE(bob.accepted()) << bob.monitor().history();
    alice.send("hello from alice");
    bob.send("hello from bob");
    EXPECT_EQ(server.verdict_for("hello from alice"), true);
    EXPECT_EQ(server.verdict_for("hello from bob"), true);
  }

  /// After change: Alice's connection is cut within cut_within, her reconnection refused with
  /// 400, what she sent before the cut refused by check(); Bob's goes on.
  template <class Change>
  void expect_alice_revoked(guarded_server& server, guarded_client& alice, guarded_client& bob,
                            Change&& change) {
    alice.send("sent before the change");
    ASSERT_TRUE(server.readable());  // in the server's queue: it came before the change
    change();
    const auto changed = std::chrono::steady_clock::now();
    ASSERT_TRUE(alice.cut()) << alice.monitor().history() << "\nLOG:\n" << log_.sink->all();
    const auto took = std::chrono::steady_clock::now() - changed;
    EXPECT_LT(took, cut_within);
    // In the XML report (--gtest_output=xml): how long the cut took here.
    RecordProperty(
        "cut_after_us",
        static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
    EXPECT_EQ(alice.next_refusal(), 400U) << alice.monitor().history();
    EXPECT_EQ(server.verdict_for("sent before the change"), false);
    bob.send("bob goes on");
    EXPECT_EQ(server.verdict_for("bob goes on"), true);
    EXPECT_FALSE(bob.cut(50ms)) << bob.monitor().history();
    EXPECT_EQ(server.guard().revocations(), 1U);
    EXPECT_EQ(auth_.stats().revocations, 1U);
  }

  zmqsec::testing::temp_dir dir_;
  revocation_log revocations_;
  captured_logger log_;
  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_, log_.logger};
};

}  // namespace

TEST_F(session_guard, a_certificate_removed_from_the_followed_folder_cuts_its_connections) {
  const zc::keypair server_keys = zc::generate_keypair();
  const zc::keypair alice_keys = zc::generate_keypair();
  const zc::keypair bob_keys = zc::generate_keypair();
  const auto clients = dir_ / "clients";
  std::filesystem::create_directory(clients);
  zc::save_public_certificate(clients / "alice.key", alice_keys.public_key);
  zc::save_public_certificate(clients / "bob.key", bob_keys.public_key);
  auth_.configure_curve("*", clients);
  auth_.start();
  guarded_server server(ctx_, auth_, mech::curve, &server_keys);
  auto as = [&](const zc::keypair& keys) {
    return client_options{
        .mechanism = mech::curve, .curve = &keys, .server_key = &server_keys.public_key};
  };
  guarded_client alice(ctx_, server.port(), as(alice_keys));
  guarded_client bob(ctx_, server.port(), as(bob_keys));
  both_connect_and_speak(server, alice, bob);

  auto store = auth_.curve_store("*");
  const auto generation = store->generation();
  std::filesystem::remove(clients / "alice.key");
  // The removal takes effect when the store publishes it (the folder quiet for 100 ms).
  expect_alice_revoked(server, alice, bob,
                       [&] { ASSERT_TRUE(store->wait_for_generation(generation + 1, patience)); });
  const auto reported = revocations_.entries();
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_EQ(reported[0].reason, "unknown CURVE key");
  EXPECT_EQ(reported[0].client_key, alice_keys.public_key.z85());
  EXPECT_EQ(reported[0].address, "127.0.0.1");
  EXPECT_GE(reported[0].fd, 0);
  EXPECT_TRUE(log_.sink->wait_for({"ZAP session revoked (unknown CURVE key)", "fd="}))
      << log_.sink->all();
}

TEST_F(session_guard, a_password_line_removed_cuts_its_sessions) {
  const auto file = dir_.write("passwords", "alice=wonderland\nbob=builder\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  guarded_server server(ctx_, auth_, mech::plain);
  guarded_client alice(ctx_, server.port(),
                       {.mechanism = mech::plain, .username = "alice", .password = "wonderland"});
  guarded_client bob(ctx_, server.port(),
                     {.mechanism = mech::plain, .username = "bob", .password = "builder"});
  both_connect_and_speak(server, alice, bob);

  expect_alice_revoked(server, alice, bob, [&] {
    const auto before = auth_.generation();
    dir_.write("passwords", "bob=builder\n");
    ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience));
  });
  const auto reported = revocations_.entries();
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_EQ(reported[0].reason, "user removed");
  EXPECT_EQ(reported[0].username, "alice");
}

TEST_F(session_guard, a_password_changed_cuts_its_sessions_and_the_new_one_is_accepted) {
  const auto file = dir_.write("passwords", "alice=wonderland\nbob=builder\n");
  auth_.configure_plain_file("*", file);
  auth_.start();
  guarded_server server(ctx_, auth_, mech::plain);
  guarded_client alice(ctx_, server.port(),
                       {.mechanism = mech::plain, .username = "alice", .password = "wonderland"});
  guarded_client bob(ctx_, server.port(),
                     {.mechanism = mech::plain, .username = "bob", .password = "builder"});
  both_connect_and_speak(server, alice, bob);

  expect_alice_revoked(server, alice, bob, [&] {
    const auto before = auth_.generation();
    dir_.write("passwords", "alice=looking-glass\nbob=builder\n");
    ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience));
  });
  EXPECT_EQ(revocations_.entries().at(0).reason, "password changed");
  guarded_client again(
      ctx_, server.port(),
      {.mechanism = mech::plain, .username = "alice", .password = "looking-glass"});
  ASSERT_TRUE(again.accepted()) << again.monitor().history();
  again.send("with the new password");
  EXPECT_EQ(server.verdict_for("with the new password"), true);
}

TEST_F(session_guard, a_deny_rule_cuts_the_connections_from_that_address) {
  auth_.start();
  guarded_server server(ctx_, auth_, mech::null);
  guarded_client alice(ctx_, server.port(), {.source = "127.0.0.2"});
  guarded_client bob(ctx_, server.port(), {.source = "127.0.0.3"});
  both_connect_and_speak(server, alice, bob);

  expect_alice_revoked(server, alice, bob, [&] { auth_.deny("127.0.0.2"); });
  const auto reported = revocations_.entries();
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_EQ(reported[0].reason, "address denied");
  EXPECT_EQ(reported[0].address, "127.0.0.2");
}

TEST_F(session_guard, replace_cuts_the_sessions_the_new_policy_refuses) {
  auth_.configure_plain("*", {{"alice", "wonderland"}, {"bob", "builder"}});
  auth_.start();
  guarded_server server(ctx_, auth_, mech::plain);
  guarded_client alice(ctx_, server.port(),
                       {.mechanism = mech::plain, .username = "alice", .password = "wonderland"});
  guarded_client bob(ctx_, server.port(),
                     {.mechanism = mech::plain, .username = "bob", .password = "builder"});
  both_connect_and_speak(server, alice, bob);

  expect_alice_revoked(server, alice, bob, [&] {
    za::policy_config next;
    next.configure_plain("*", {{"bob", "builder"}});
    auth_.replace(std::move(next));
  });
}

TEST_F(session_guard, a_rewritten_policy_file_cuts_the_sessions_it_refuses) {
  const auto file =
      dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.2\", \"127.0.0.3\"]\n");
  auth_.load_policy_file(file);
  auth_.start();
  guarded_server server(ctx_, auth_, mech::null);
  guarded_client alice(ctx_, server.port(), {.source = "127.0.0.2"});
  guarded_client bob(ctx_, server.port(), {.source = "127.0.0.3"});
  both_connect_and_speak(server, alice, bob);

  expect_alice_revoked(server, alice, bob, [&] {
    const auto before = auth_.generation();
    dir_.write("policy.toml", "[addresses]\nallow = [\"127.0.0.3\"]\n");
    ASSERT_TRUE(auth_.wait_for_generation(before + 1, patience));
  });
  EXPECT_EQ(revocations_.entries().at(0).reason, "address not in the allow list");
}

TEST_F(session_guard, a_connection_that_sent_nothing_is_cut_by_its_address) {
  auth_.start();
  guarded_server server(ctx_, auth_, mech::null);
  guarded_client alice(ctx_, server.port(), {.source = "127.0.0.2"});
  guarded_client bob(ctx_, server.port(), {.source = "127.0.0.3"});
  ASSERT_TRUE(alice.accepted()) << alice.monitor().history();
  ASSERT_TRUE(bob.accepted()) << bob.monitor().history();

  auth_.deny("127.0.0.2");
  EXPECT_TRUE(alice.cut()) << alice.monitor().history();
  EXPECT_EQ(alice.next_refusal(), 400U) << alice.monitor().history();
  bob.send("bob was never tied to his session");
  EXPECT_EQ(server.verdict_for("bob was never tied to his session"), true);
  EXPECT_EQ(server.guard().revocations(), 1U);
}

TEST_F(session_guard, a_connection_that_cannot_be_found_has_its_messages_refused) {
  // Alice and Bob share an address and Alice has sent nothing: the guard cannot tell her
  // connection from Bob's, so it waits for her first message, refuses it and cuts her then.
  auth_.configure_plain("*", {{"alice", "wonderland"}, {"bob", "builder"}});
  auth_.start();
  guarded_server server(ctx_, auth_, mech::plain);
  guarded_client alice(ctx_, server.port(),
                       {.mechanism = mech::plain, .username = "alice", .password = "wonderland"});
  guarded_client bob(ctx_, server.port(),
                     {.mechanism = mech::plain, .username = "bob", .password = "builder"});
  ASSERT_TRUE(alice.accepted()) << alice.monitor().history();
  ASSERT_TRUE(bob.accepted()) << bob.monitor().history();
  bob.send("hello from bob");
  EXPECT_EQ(server.verdict_for("hello from bob"), true);

  const auto before = auth_.stats().revocations;
  auth_.configure_plain("*", {{"bob", "builder"}});
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return auth_.stats().revocations > before; }));
  alice.send("first words after the change");
  EXPECT_EQ(server.verdict_for("first words after the change"), false);
  EXPECT_TRUE(alice.cut()) << alice.monitor().history();
  EXPECT_EQ(alice.next_refusal(), 400U) << alice.monitor().history();
  bob.send("bob goes on");
  EXPECT_EQ(server.verdict_for("bob goes on"), true);
  EXPECT_EQ(server.guard().revocations(), 1U);
  EXPECT_EQ(revocations_.entries().at(0).username, "alice");
}

TEST_F(session_guard, sessions_of_a_decider_are_kept_while_the_address_rules_allow_them) {
  auth_.configure_decider("*", [](const za::decider_request&) {
    return std::optional<za::deferred_verdict>(za::deferred_verdict::accept());
  });
  auth_.start();
  guarded_server server(ctx_, auth_, mech::null);
  guarded_client alice(ctx_, server.port(), {.source = "127.0.0.2"});
  guarded_client bob(ctx_, server.port(), {.source = "127.0.0.3"});
  both_connect_and_speak(server, alice, bob);

  expect_alice_revoked(server, alice, bob, [&] {
    auth_.refuse_null("*");  // the decider decides the domain still: Bob is kept
    auth_.deny("127.0.0.2");
  });
}

TEST_F(session_guard, certificate_metadata_is_kept_beside_the_session_property) {
  const zc::keypair server_keys = zc::generate_keypair();
  const zc::keypair alice_keys = zc::generate_keypair();
  const auto clients = dir_ / "clients";
  std::filesystem::create_directory(clients);
  zc::save_public_certificate(clients / "alice.key", alice_keys.public_key, {{"name", "alice"}});
  auth_.configure_curve("*", clients);
  auth_.start();
  guarded_server server(ctx_, auth_, mech::curve, &server_keys);
  guarded_client alice(
      ctx_, server.port(),
      {.mechanism = mech::curve, .curve = &alice_keys, .server_key = &server_keys.public_key});
  ASSERT_TRUE(alice.accepted()) << alice.monitor().history();
  alice.send("hello");
  zmq::pollitem_t item{server.socket().handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, patience);
  zmq::message_t routing_id;
  zmq::message_t data;
  ASSERT_TRUE(server.socket().recv(routing_id, zmq::recv_flags::dontwait));
  ASSERT_TRUE(server.socket().recv(data));
  const char* name = zmq_msg_gets(data.handle(), "name");
  ASSERT_NE(name, nullptr);
  EXPECT_STREQ(name, "alice");
  const char* session = zmq_msg_gets(data.handle(), "X-Zmqsec-Session");
  ASSERT_NE(session, nullptr);
  EXPECT_STRNE(session, "");
  EXPECT_TRUE(server.guard().check(data));
}

TEST_F(session_guard, without_a_guard_no_session_is_tracked_nor_tagged) {
  auth_.configure_plain("*", {{"alice", "wonderland"}});
  auth_.start();
  auto got = [&] {
    test_server plain_server(ctx_, {.mechanism = mech::plain});
    return handshake_and_read(
        ctx_, plain_server,
        {.mechanism = mech::plain, .username = "alice", .password = "wonderland"},
        {"X-Zmqsec-Session"});
  }();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->properties.at(0).second, "<none>");
}
