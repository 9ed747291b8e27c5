// The core against real libzmq: requests as libzmq 4.3 sends them (tcp, IPv6 with v4-mapped
// peers, ipc) parse and decide as documented, and libzmq accepts the replies, metadata included
// (zmq_msg_gets on the server). This test moves frames by hand on the test thread; the
// authenticator's own thread is tested with its variant.
#include <gtest/gtest.h>
#include <zmq.h>

#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>

#include "bind_loopback.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;

namespace {

struct captured {
  std::vector<std::string> body;  // the request after the envelope
  za::zap_reply reply;
  za::zap_outcome outcome = za::zap_outcome::drop;
};

// Receives one ZAP request on handler, decides it with p and sends the reply back.
std::optional<captured> serve_one(zmq::socket_t& handler, const za::policy& p) {
  std::vector<zmq::message_t> message;
  handler.set(zmq::sockopt::rcvtimeo, 5000);
  if (!zmq::recv_multipart(handler, std::back_inserter(message))) return std::nullopt;
  std::vector<std::string_view> views;
  for (auto& m : message) views.emplace_back(m.data<char>(), m.size());
  auto split = za::split_envelope(views);
  if (!split) return std::nullopt;
  captured c;
  c.body.assign(split->body.begin(), split->body.end());
  c.outcome = za::decide(p, split->body, c.reply);
  if (c.outcome == za::zap_outcome::reply) {
    std::vector<zmq::const_buffer> out;
    for (auto frame : split->envelope) out.emplace_back(frame.data(), frame.size());
    auto frames = c.reply.frames();
    for (auto frame : frames) out.emplace_back(frame.data(), frame.size());
    zmq::send_multipart(handler, out);
  }
  return c;
}

std::string to_string(const zc::secret_string& s) {
  return {s.data(), s.size()};
}

// Receives one message on server (within a timeout) and returns it.
std::optional<zmq::message_t> receive(zmq::socket_t& socket, int timeout_ms = 5000) {
  socket.set(zmq::sockopt::rcvtimeo, timeout_ms);
  zmq::message_t message;
  if (!socket.recv(message)) return std::nullopt;
  return message;
}

class libzmq_core : public ::testing::Test {
 protected:
  libzmq_core() {
    ctx.set(zmq::ctxopt::blocky, 0);  // every socket: linger 0, so that teardown never waits
    handler = zmq::socket_t(ctx, zmq::socket_type::router);
    handler.bind(std::string(za::zap_endpoint));
  }
  zmq::context_t ctx;
  zmq::socket_t handler;
};

}  // namespace

TEST_F(libzmq_core, curve_user_id_and_metadata_reach_the_server) {
  auto server_keys = zc::generate_keypair();
  auto client_keys = zc::generate_keypair();
  std::string big(70000, 'b');  // needs the 4-byte length
  zc::certificate cert;
  cert.public_key = client_keys.public_key;
  cert.metadata = {{"name", "Alice"},
                   {"Socket-Type", "PUB"},  // would fail the handshake
                   {"Identity", "hijack"},  // would replace the routing id
                   {"big", big}};
  zc::cert_store_options options;
  options.follow = false;
  auto store = std::make_shared<const zc::cert_store>(
      zc::cert_store::from_certificates(std::span(&cert, 1), options));
  za::policy_config config;
  config.configure_curve("*", store);
  auto policy = config.build();

  zmq::socket_t server(ctx, zmq::socket_type::router);
  server.set(zmq::sockopt::curve_server, 1);
  server.set(zmq::sockopt::curve_secretkey, to_string(server_keys.secret_key.z85()));
  server.set(zmq::sockopt::zap_domain, "global");
  zmqsec::testing::bind_loopback(server);
  zmq::socket_t client(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::routing_id, "client-1");
  client.set(zmq::sockopt::curve_serverkey, server_keys.public_key.z85());
  client.set(zmq::sockopt::curve_publickey, client_keys.public_key.z85());
  client.set(zmq::sockopt::curve_secretkey, to_string(client_keys.secret_key.z85()));
  client.connect(server.get(zmq::sockopt::last_endpoint));

  auto served = serve_one(handler, *policy);
  ASSERT_TRUE(served);
  ASSERT_EQ(served->body.size(), 7u);
  EXPECT_EQ(served->body[0], "1.0");
  EXPECT_EQ(served->body[1], "1");
  EXPECT_EQ(served->body[2], "global");
  EXPECT_EQ(served->body[3], "127.0.0.1");
  EXPECT_EQ(served->body[5], "CURVE");
  ASSERT_EQ(served->reply.status, za::zap_status::success);

  client.send(zmq::str_buffer("hello"));
  auto id = receive(server);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->to_string(), "client-1");  // not "hijack"
  auto body = receive(server);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->to_string(), "hello");
  EXPECT_STREQ(body->gets("User-Id"), client_keys.public_key.z85().c_str());
  EXPECT_STREQ(body->gets("name"), "Alice");
  EXPECT_EQ(std::string(body->gets("big")), big);
  EXPECT_STREQ(body->gets("Peer-Address"), "127.0.0.1");
}

TEST_F(libzmq_core, plain_accepted_and_refused) {
  za::policy_config config;
  config.configure_plain("*", {{"admin", "secret"}});
  auto policy = config.build();
  zmq::socket_t server(ctx, zmq::socket_type::pull);
  server.set(zmq::sockopt::plain_server, 1);
  const std::string endpoint = zmqsec::testing::bind_loopback(server);

  zmq::socket_t good(ctx, zmq::socket_type::push);
  good.set(zmq::sockopt::plain_username, "admin");
  good.set(zmq::sockopt::plain_password, "secret");
  good.connect(endpoint);
  auto served = serve_one(handler, *policy);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->body[2], "");  // no ZAP domain set
  EXPECT_EQ(served->reply.status, za::zap_status::success);
  good.send(zmq::str_buffer("in"));
  auto message = receive(server);
  ASSERT_TRUE(message);
  EXPECT_STREQ(message->gets("User-Id"), "admin");

  zmq::socket_t bad(ctx, zmq::socket_type::push);
  bad.set(zmq::sockopt::plain_username, "admin");
  bad.set(zmq::sockopt::plain_password, "guess");
  bad.connect(endpoint);
  served = serve_one(handler, *policy);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->reply.status, za::zap_status::failure);
  bad.send(zmq::str_buffer("sneaky"), zmq::send_flags::dontwait);
  auto nothing = receive(server, 300);
  EXPECT_FALSE(nothing);
}

TEST_F(libzmq_core, ipv6_socket_reports_v4_peers_mapped) {
  za::policy_config config;
  config.allow("127.0.0.2");
  auto policy = config.build();
  zmq::socket_t server(ctx, zmq::socket_type::pull);
  server.set(zmq::sockopt::ipv6, 1);
  server.set(zmq::sockopt::zap_domain, "v6");
  server.bind("tcp://*:*");
  std::string endpoint = server.get(zmq::sockopt::last_endpoint);
  const std::string port = endpoint.substr(endpoint.rfind(':') + 1);
  zmq::socket_t client(ctx, zmq::socket_type::push);
  client.connect("tcp://127.0.0.2:0;127.0.0.1:" + port);
  auto served = serve_one(handler, *policy);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->body[3], "::ffff:127.0.0.2");
  EXPECT_EQ(served->reply.status, za::zap_status::success);  // matched the IPv4 rule
}

TEST_F(libzmq_core, ipc_peers_are_not_ip_addresses) {
  zmqsec::testing::temp_dir dir;
  za::policy_config open_config;
  open_config.deny("0.0.0.0/0");
  auto open = open_config.build();
  za::policy_config closed_config;
  closed_config.allow("127.0.0.1");
  auto closed = closed_config.build();

  zmq::socket_t server(ctx, zmq::socket_type::pull);
  server.set(zmq::sockopt::zap_domain, "ipc");
  server.bind("ipc://" + (dir / "s").string());
  zmq::socket_t first(ctx, zmq::socket_type::push);
  first.connect("ipc://" + (dir / "s").string());
  auto served = serve_one(handler, *open);
  ASSERT_TRUE(served);
  // libzmq 4.3 on Linux: "<host>:<uid>:<gid>:<pid>" from SO_PEERCRED (or empty).
  EXPECT_FALSE(za::ip_address::parse(served->body[3])) << served->body[3];
  EXPECT_EQ(served->reply.status, za::zap_status::success);

  zmq::socket_t second(ctx, zmq::socket_type::push);
  second.connect("ipc://" + (dir / "s").string());
  served = serve_one(handler, *closed);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->reply.status, za::zap_status::failure);
  EXPECT_EQ(served->reply.status_text, "address not in the allow list");
}

TEST_F(libzmq_core, refusal_shows_as_handshake_failed_auth_400) {
  za::policy_config config;
  config.deny("127.0.0.1");
  auto policy = config.build();
  zmq::socket_t server(ctx, zmq::socket_type::pull);
  server.set(zmq::sockopt::zap_domain, "d");
  zmqsec::testing::bind_loopback(server);
  zmq_socket_monitor(server.handle(), "inproc://monitor", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  zmq::socket_t monitor(ctx, zmq::socket_type::pair);
  monitor.connect("inproc://monitor");
  zmq::socket_t client(ctx, zmq::socket_type::push);
  client.connect(server.get(zmq::sockopt::last_endpoint));
  auto served = serve_one(handler, *policy);
  ASSERT_TRUE(served);
  EXPECT_EQ(served->reply.status, za::zap_status::failure);
  auto event = receive(monitor);
  ASSERT_TRUE(event);
  ASSERT_EQ(event->size(), 6u);
  std::uint16_t number;
  std::uint32_t value;
  std::memcpy(&number, event->data(), 2);
  std::memcpy(&value, event->data<char>() + 2, 4);
  EXPECT_EQ(number, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  EXPECT_EQ(value, 400u);
  receive(monitor);  // the endpoint frame
}
