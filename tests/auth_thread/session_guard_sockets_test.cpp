// session_guard on every kind of server socket it is for (ROUTER, REP, DEALER, PULL, SUB, XPUB),
// and with a real pyzmq client (revoked_client.py, /usr/bin/python3): its connection is cut,
// its reconnection refused with 400, and the server's check() refuses what it sent.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/session_guard.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>

#include "guard_harness.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
using namespace zmqsec::testing::auth;
using namespace std::chrono_literals;

namespace {

struct socket_pair {
  zmq::socket_type server;
  zmq::socket_type client;
  const char* name;
};

class session_guard_sockets : public ::testing::TestWithParam<socket_pair> {
 protected:
  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_};
};

/// What the server reads first from a client of its kind: a subscription for XPUB, the
/// client's words otherwise (a PUB client repeats them until the server's subscription reached
/// it).
std::optional<bool> first_verdict(guarded_server& server, guarded_client& client,
                                  zmq::socket_type type) {
  if (type == zmq::socket_type::xpub) return server.verdict_for(std::string("\x01", 1));
  if (type != zmq::socket_type::sub) {
    client.send("hello");
    return server.verdict_for("hello");
  }
  for (int attempt = 0; attempt < 500; ++attempt) {
    client.send("hello");
    if (auto verdict = server.verdict_for("hello", 20ms)) return verdict;
  }
  return std::nullopt;
}

}  // namespace

TEST_P(session_guard_sockets, a_deny_rule_cuts_the_client_and_its_reconnection_is_refused) {
  const socket_pair kinds = GetParam();
  auth_.start();
  guarded_server server(ctx_, auth_, mech::null, nullptr, kinds.server);
  guarded_client client(ctx_, server.port(), {.source = "127.0.0.2"}, kinds.client);
  ASSERT_TRUE(client.accepted()) << client.monitor().history();
  EXPECT_EQ(first_verdict(server, client, kinds.server), true);

  auth_.deny("127.0.0.2");
  EXPECT_TRUE(client.cut()) << client.monitor().history();
  EXPECT_EQ(client.next_refusal(), 400U) << client.monitor().history();
  EXPECT_EQ(server.guard().revocations(), 1U);
}

INSTANTIATE_TEST_SUITE_P(
    server_kinds, session_guard_sockets,
    ::testing::Values(socket_pair{zmq::socket_type::router, zmq::socket_type::dealer, "router"},
                      socket_pair{zmq::socket_type::rep, zmq::socket_type::req, "rep"},
                      socket_pair{zmq::socket_type::dealer, zmq::socket_type::dealer, "dealer"},
                      socket_pair{zmq::socket_type::pull, zmq::socket_type::push, "pull"},
                      socket_pair{zmq::socket_type::sub, zmq::socket_type::pub, "sub"},
                      socket_pair{zmq::socket_type::xpub, zmq::socket_type::sub, "xpub"}),
    [](const ::testing::TestParamInfo<socket_pair>& info) { return std::string(info.param.name); });

TEST(session_guard_pyzmq, a_pyzmq_client_whose_password_line_is_removed_is_cut_and_refused) {
  zmqsec::testing::temp_dir dir;
  const auto file = dir.write("passwords", "alice=wonderland\nbob=builder\n");
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.configure_plain_file("*", file);
  auth.start();
  guarded_server server(ctx, auth, mech::plain);
  guarded_client bob(ctx, server.port(),
                     {.mechanism = mech::plain, .username = "bob", .password = "builder"});
  ASSERT_TRUE(bob.accepted()) << bob.monitor().history();

  zmqsec::testing::child_process alice({ZMQSEC_TEST_PYTHON, "-I", "-B",
                                        ZMQSEC_TEST_SCRIPT_DIR "/revoked_client.py",
                                        server.endpoint(), "alice", "wonderland", "20000"});
  ASSERT_TRUE(alice.wait_for_output("handshake accepted", patience)) << alice.output_so_far();
  EXPECT_EQ(server.verdict_for("hello from pyzmq"), true);

  const auto before = auth.generation();
  dir.write("passwords", "bob=builder\n");
  ASSERT_TRUE(auth.wait_for_generation(before + 1, patience));
  EXPECT_TRUE(alice.wait_for_output("event disconnected", patience)) << alice.output_so_far();
  EXPECT_TRUE(alice.wait_for_output("reconnect refused 400", patience)) << alice.output_so_far();
  const auto done = alice.wait(patience);
  EXPECT_EQ(done.exit_code, 0) << done;

  bob.send("bob goes on");
  EXPECT_EQ(server.verdict_for("bob goes on"), true);
  EXPECT_EQ(server.guard().revocations(), 1U);
}
