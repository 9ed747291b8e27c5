// Each side's security: a CURVE front decided by the authenticator's policy file (rewritten while
// traffic flows), fail closed without an authenticator, CURVE and PLAIN towards a secured
// service behind, and sides whose security was never chosen refused.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/auth/server_socket.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/proxy/device.hpp>

#include "device_harness.hpp"

#include "bind_loopback.hpp"
#include "process.hpp"
#include "pyzmq_peer.hpp"
#include "temp_dir.hpp"
#include "wait_until.hpp"

namespace zp = zmqsec::proxy;
using zmqsec::testing::proxy::open_on_loopback;
using zmqsec::testing::proxy::readable;
namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace std::chrono_literals;
using zmqsec::testing::pyzmq_peer;

namespace {

zc::certificate certificate_of(const zc::keypair& pair) {
  return {pair.public_key, pair.secret_key.clone(), {}};
}

std::string policy_listing(const zc::keypair& client) {
  return "[domains.gateway]\ncurve = { keys = [\"" + client.public_key.z85() + "\"] }\n";
}

// A CURVE gateway (domain "gateway") before a pyzmq REP service, its policy from a file.
class curve_front : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = dir_.write("policy.toml", policy_listing(alice_));
    auth_.load_policy_file(policy_);
    auth_.start();
  }

  zp::device start_gateway(const std::string& service, zp::message_filter filter = {}) {
    return zp::device(
        {.pattern = zp::pattern::router_dealer,
         .front = {.bind = {"tcp://127.0.0.1:*"},
                   .security = zp::side_security::curve_server(certificate_of(server_), "gateway")},
         .back = {.connect = {service}, .security = zp::side_security::null_client()},
         .front_filter = std::move(filter),
         .context = &context_});
  }

  std::vector<std::string> keys_of(const zc::keypair& client) const {
    return {server_.public_key.z85(), client.public_key.z85(),
            std::string(client.secret_key.z85())};
  }

  zmqsec::testing::temp_dir dir_;
  std::filesystem::path policy_;
  zmq::context_t context_{1};
  za::thread_authenticator auth_{context_};
  zc::keypair server_ = zc::generate_keypair();
  zc::keypair alice_ = zc::generate_keypair();
  zc::keypair bob_ = zc::generate_keypair();
};

}  // namespace

TEST_F(curve_front, admits_the_clients_the_policy_file_lists_and_refuses_the_others) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 5);
  zp::device gateway = start_gateway(service.endpoint());
  const std::string front = gateway.front_endpoints().at(0);

  const auto alice = pyzmq_peer::run_client("req", front, 5, 10s, keys_of(alice_));
  const auto bob = pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(bob_));

  EXPECT_EQ(alice.out, "ok 5\n") << alice;
  EXPECT_EQ(bob.exit_code, 3) << bob;
  EXPECT_EQ(bob.out, "timeout\n");
  EXPECT_GE(auth_.stats().refused, 1u);
}

TEST_F(curve_front, a_policy_file_rewritten_while_traffic_flows_decides_the_next_handshakes) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 300 + 3);
  zp::device gateway = start_gateway(service.endpoint());
  const std::string front = gateway.front_endpoints().at(0);
  zmqsec::testing::child_process alice(zmqsec::testing::peer_command([&] {
    std::vector<std::string> args = {"client", "req", front, "300", "10000"};
    for (auto& k : keys_of(alice_)) args.push_back(k);
    return args;
  }()));
  ASSERT_TRUE(zmqsec::testing::wait_until(
      [&] { return gateway.statistics().front.messages_received >= 10; }));

  const std::uint64_t before = auth_.generation();
  dir_.write("policy.toml", policy_listing(bob_));
  ASSERT_TRUE(auth_.wait_for_generation(before + 1, 10s));

  const auto bob = pyzmq_peer::run_client("req", front, 3, 10s, keys_of(bob_));
  const auto alice_again = pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(alice_));
  const auto alice_done = alice.wait(30s);
  EXPECT_EQ(bob.out, "ok 3\n") << bob;
  EXPECT_EQ(alice_again.out, "timeout\n") << "a new connection of alice is refused";
  EXPECT_EQ(alice_done.out, "ok 300\n") << "without revocation, alice's session goes on";
}

TEST_F(curve_front, the_front_filter_sees_who_sent_each_message_and_can_cut_a_client_off) {
  const std::uint64_t before = auth_.generation();
  dir_.write("policy.toml", "[domains.gateway]\ncurve = { keys = [\"" + alice_.public_key.z85() +
                                "\", \"" + bob_.public_key.z85() + "\"] }\n");
  ASSERT_TRUE(auth_.wait_for_generation(before + 1, 10s));
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 2);
  // What a revocation guard does: the User-Id the authenticator gave the connection (CURVE: the
  // client's key) is on every frame, the ROUTER's routing id frame included.
  const std::string revoked = bob_.public_key.z85();
  zp::device gateway = start_gateway(service.endpoint(), [revoked](zmq::message_t& first) {
    const char* user = zmq_msg_gets(first.handle(), "User-Id");
    return user != nullptr && revoked != user;
  });
  const std::string front = gateway.front_endpoints().at(0);

  const auto alice = pyzmq_peer::run_client("req", front, 2, 10s, keys_of(alice_));
  const auto bob = pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(bob_));

  EXPECT_EQ(alice.out, "ok 2\n") << alice;
  EXPECT_EQ(bob.out, "timeout\n") << "bob's handshake succeeds, his request is dropped";
  EXPECT_EQ(auth_.stats().refused, 0u);
  EXPECT_TRUE(zmqsec::testing::wait_until([&] { return gateway.statistics().filtered >= 1; }));
}

TEST(proxy_security, a_server_side_without_an_authenticator_refuses_every_client) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 1, 5s);
  const zc::keypair server = zc::generate_keypair();
  const zc::keypair client = zc::generate_keypair();
  zp::device gateway(
      {.pattern = zp::pattern::router_dealer,
       .front = {.bind = {"tcp://127.0.0.1:*"},
                 .security = zp::side_security::curve_server(certificate_of(server), "gateway")},
       .back = {.connect = {service.endpoint()}, .security = zp::side_security::null_client()}});

  const auto r = pyzmq_peer::run_client(
      "req", gateway.front_endpoints().at(0), 1, 1500ms,
      {server.public_key.z85(), client.public_key.z85(), std::string(client.secret_key.z85())});

  EXPECT_EQ(r.out, "timeout\n") << r;
  EXPECT_EQ(gateway.statistics().front.messages_received, 0u);
}

TEST(proxy_security, a_curve_client_back_side_reaches_a_curve_service) {
  zmq::context_t service_context(1);  // no authenticator there: the service takes any key
  const zc::keypair service_keys = zc::generate_keypair();
  zmq::socket_t service(service_context, zmq::socket_type::rep);
  service.set(zmq::sockopt::linger, 0);
  service.set(zmq::sockopt::curve_server, true);
  service.set(zmq::sockopt::curve_secretkey, std::string(service_keys.secret_key.z85()));
  const std::string service_endpoint = zmqsec::testing::bind_loopback(service);
  const zc::keypair gateway_keys = zc::generate_keypair();
  zmq::context_t context(1);
  zp::device gateway(
      {.pattern = zp::pattern::router_dealer,
       .front = {.bind = {"tcp://127.0.0.1:*"}, .security = zp::side_security::open()},
       .back = {.connect = {service_endpoint},
                .security = zp::side_security::curve_client(service_keys.public_key,
                                                            certificate_of(gateway_keys))},
       .context = &context});
  zmq::socket_t client(context, zmq::socket_type::req);
  client.set(zmq::sockopt::linger, 0);
  client.connect(gateway.front_endpoints().at(0));

  client.send(zmq::str_buffer("hello"), zmq::send_flags::none);
  ASSERT_TRUE(readable(service, 5s));
  zmq::message_t request;
  ASSERT_TRUE(service.recv(request));
  EXPECT_EQ(request.to_string(), "hello");
  service.send(zmq::str_buffer("re:hello"), zmq::send_flags::none);
  ASSERT_TRUE(readable(client, 5s));
  zmq::message_t reply;
  ASSERT_TRUE(client.recv(reply));
  EXPECT_EQ(reply.to_string(), "re:hello");
}

TEST(proxy_security, a_plain_client_back_side_gives_its_user_and_password) {
  zmq::context_t service_context(1);
  za::thread_authenticator service_auth(service_context);
  service_auth.configure_plain("service", {{"gateway", "s3cret"}});
  service_auth.start();
  zmq::socket_t service(service_context, zmq::socket_type::pull);
  service.set(zmq::sockopt::linger, 0);
  za::make_plain_server(service, "service");
  const std::string service_endpoint = zmqsec::testing::bind_loopback(service);
  zmq::context_t context(1);
  zp::device gateway(
      {.pattern = zp::pattern::pull_push,
       .front = {.bind = {"tcp://127.0.0.1:*"}, .security = zp::side_security::open()},
       .back = {.connect = {service_endpoint},
                .security = zp::side_security::plain_client("gateway", "s3cret")},
       .context = &context});
  zmq::socket_t client(context, zmq::socket_type::push);
  client.set(zmq::sockopt::linger, 0);
  client.connect(gateway.front_endpoints().at(0));

  client.send(zmq::str_buffer("hello"), zmq::send_flags::none);

  ASSERT_TRUE(readable(service, 5s));
  zmq::message_t got;
  ASSERT_TRUE(service.recv(got));
  EXPECT_EQ(got.to_string(), "hello");
  EXPECT_EQ(std::string(got.gets("User-Id")), "gateway");
}

TEST(proxy_security, a_side_whose_security_was_never_chosen_is_refused) {
  EXPECT_THROW(
      zp::device({.pattern = zp::pattern::pull_push,
                  .front = {.bind = {"tcp://127.0.0.1:*"}},
                  .back = {.bind = {"tcp://127.0.0.1:*"}, .security = zp::side_security::open()}}),
      zmqsec::error);
}

TEST(proxy_security, servers_need_a_secret_key_and_null_servers_a_domain) {
  const zc::keypair pair = zc::generate_keypair();
  const zc::certificate public_only{pair.public_key, std::nullopt, {}};
  EXPECT_THROW(zp::side_security::curve_server(public_only, "gateway"), zmqsec::error);
  EXPECT_THROW(zp::side_security::curve_client(pair.public_key, public_only), zmqsec::error);
  EXPECT_THROW(zp::side_security::null_server(""), zmqsec::error);
}
