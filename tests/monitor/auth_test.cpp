// Authentication made visible: a client refused by ZAP sees HANDSHAKE_FAILED_AUTH with the status
// 400, whether the server's handler is ours or pyzmq's ThreadAuthenticator; with ours in the same
// process, the correlator puts the authenticator's reason next to the event.
#include <gtest/gtest.h>
#include <zmq.h>

#include <string>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/monitor/auth_correlation.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "process.hpp"
#include "recorder.hpp"
#include "temp_dir.hpp"

namespace {

using namespace zmqsec::testing::monitor;
using zm::event_type;
namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;

void set_key(zmq::socket_t& socket, int option, std::span<const unsigned char> key) {
  ASSERT_EQ(zmq_setsockopt(socket.handle(), option, key.data(), key.size()), 0);
}

// A CURVE server of ctx with its keys, bound on loopback; returns the endpoint.
std::string curve_server(zmq::socket_t& server, const zc::keypair& keys) {
  server.set(zmq::sockopt::curve_server, 1);
  set_key(server, ZMQ_CURVE_SECRETKEY, keys.secret_key.bytes());
  return bind_loopback(server);
}

void make_curve_client(zmq::socket_t& client, const zc::keypair& keys,
                       const zc::public_key& server_key) {
  set_key(client, ZMQ_CURVE_SERVERKEY, server_key.bytes());
  set_key(client, ZMQ_CURVE_PUBLICKEY, keys.public_key.bytes());
  set_key(client, ZMQ_CURVE_SECRETKEY, keys.secret_key.bytes());
}

}  // namespace

TEST(monitor_auth_test, a_refused_curve_client_is_shown_with_the_authenticators_reason) {
  zmq::context_t ctx;
  const auto server_keys = zc::generate_keypair();
  const auto known = zc::generate_keypair();
  const auto stranger = zc::generate_keypair();

  zm::auth_correlator why;
  za::thread_authenticator auth(ctx);
  auth.configure_curve("*", std::vector<zc::public_key>{known.public_key});
  auth.on_decision(why.observer());
  auth.start();

  auto server = make_socket(ctx, zmq::socket_type::router);
  recorder server_events;
  std::mutex reasons_mutex;
  std::vector<std::string> reasons;
  const auto scope = [&] {
    server.set(zmq::sockopt::curve_server, 1);
    return zm::scope_of(server);
  }();
  EXPECT_EQ(scope.side, zm::auth_side::server);
  EXPECT_EQ(scope.mechanism, "CURVE");
  zm::monitor server_monitor(ctx, server, [&](const zm::event& e) {
    if (auto reason = why.explain(e, scope)) {
      std::lock_guard lock(reasons_mutex);
      reasons.push_back(e.describe() + ": " + reason->describe());
    }
    server_events.add(e);
  });
  const std::string endpoint = curve_server(server, server_keys);

  auto client = make_socket(ctx, zmq::socket_type::dealer);
  make_curve_client(client, stranger, server_keys.public_key);
  recorder client_events;
  zm::monitor client_monitor(ctx, client, client_events.callback(), zm::handshake_events);
  client.connect(endpoint);

  auto refused = EXPECT_EVENT(client_events, event_type::handshake_failed_auth);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->zap_status(), 400u);
  EXPECT_EQ(refused->detail(), "ZAP status 400 (authentication refused)");
  auto seen_by_server = EXPECT_EVENT(server_events, event_type::handshake_failed_auth);
  ASSERT_TRUE(seen_by_server);
  EXPECT_EQ(seen_by_server->zap_status(), 400u);

  server_monitor.stop();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], "HANDSHAKE_FAILED_AUTH " + endpoint +
                            ": ZAP status 400 (authentication refused): 400 unknown CURVE key "
                            "(CURVE key " +
                            stranger.public_key.z85() + " from 127.0.0.1, domain \"\")");

  // The client's side of the same refusal: matched once per side.
  const auto client_scope = zm::scope_of(client);
  EXPECT_EQ(client_scope.side, zm::auth_side::client);
  auto client_reason = why.explain(*refused, client_scope);
  ASSERT_TRUE(client_reason);
  EXPECT_EQ(client_reason->reason, "unknown CURVE key");
  EXPECT_EQ(client_reason->client_key, stranger.public_key.z85());
  EXPECT_FALSE(why.explain(*refused, client_scope));
}

TEST(monitor_auth_test, refusals_are_matched_in_order_and_only_by_their_status) {
  zmq::context_t ctx;
  zm::auth_correlator why;
  za::thread_authenticator auth(ctx);
  auth.configure_plain("*", {{"admin", "secret"}});
  auth.on_decision(why.observer());
  auth.start();

  auto server = make_socket(ctx, zmq::socket_type::router);
  server.set(zmq::sockopt::plain_server, 1);
  const auto scope = zm::scope_of(server);
  recorder server_events;
  zm::monitor server_monitor(ctx, server, server_events.callback(), zm::handshake_events);
  const std::string endpoint = bind_loopback(server);

  // One after the other, so the order of the refusals is known.
  std::vector<std::string> users{"nobody", "admin"};
  for (const auto& user : users) {
    auto client = make_socket(ctx, zmq::socket_type::dealer);
    client.set(zmq::sockopt::plain_username, user);
    client.set(zmq::sockopt::plain_password, "wrong");
    recorder client_events;
    zm::monitor watch(ctx, client, client_events.callback(), zm::handshake_events);
    client.connect(endpoint);
    ASSERT_TRUE(EXPECT_EVENT(client_events, event_type::handshake_failed_auth));
    ASSERT_TRUE(EXPECT_EVENT(server_events, event_type::handshake_failed_auth));
  }
  const auto events = server_events.events();
  ASSERT_EQ(events.size(), 2u);
  auto first = why.explain(events[0], scope);
  auto second = why.explain(events[1], scope);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->reason, "unknown user");
  EXPECT_EQ(first->username, "nobody");
  EXPECT_EQ(second->reason, "wrong password");
  EXPECT_EQ(second->username, "admin");
  EXPECT_EQ(second->describe(),
            "400 wrong password (PLAIN user \"admin\" from 127.0.0.1, domain \"\")");
  EXPECT_FALSE(why.explain(events[1], scope));  // each refusal explains one event per side

  // Another status, domain or mechanism does not match.
  zm::event other = events[0];
  other.value = 500;
  EXPECT_FALSE(why.explain(other, {}));
  EXPECT_FALSE(why.explain(events[0], {.mechanism = "CURVE", .side = zm::auth_side::client}));
  EXPECT_FALSE(why.explain(events[0], {.domain = "other", .side = zm::auth_side::client}));
  EXPECT_TRUE(
      why.explain(events[0], {.domain = "", .mechanism = "PLAIN", .side = zm::auth_side::client}));
}

TEST(monitor_auth_test, a_refusal_by_pyzmqs_thread_authenticator_is_a_400_too) {
  zmqsec::testing::temp_dir dir;
  const std::string endpoint = "ipc://" + (dir / "pyzmq.ipc").string();
  zmqsec::testing::child_process server({ZMQSEC_MONITOR_PYTHON, "-I", "-B", ZMQSEC_MONITOR_HELPER,
                                         endpoint, "admin", "secret", "20000"});
  zmq::context_t ctx;
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::plain_username, "admin");
  client.set(zmq::sockopt::plain_password, "not-the-password");
  recorder events;
  zm::monitor watch(ctx, client, events.callback());
  // Until pyzmq has bound, the connection is retried (ipc: the path does not exist yet).
  client.connect(endpoint);
  auto refused = EXPECT_EVENT(events, event_type::handshake_failed_auth);
  ASSERT_TRUE(refused) << events.history();
  EXPECT_EQ(refused->zap_status(), 400u);
  EXPECT_EQ(refused->endpoint, endpoint);
  auto result = server.wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_NE(
      result.out.find("server_event " + std::to_string(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) + " 400"),
      std::string::npos)
      << result.describe();
}
