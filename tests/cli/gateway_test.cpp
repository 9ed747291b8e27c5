// The real zmq-gateway before an unmodified pyzmq service: clients the policy file lists get
// through, others are refused and logged, SIGHUP with a broken policy keeps the last good one,
// and its own bad input (missing certificate, unreadable or invalid policy, endpoint in use) is
// one clear line and exit status 1.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "bind_loopback.hpp"
#include "harness.hpp"
#include "process.hpp"
#include "pyzmq_peer.hpp"
#include "temp_dir.hpp"

namespace zc = zmqsec::certs;
using namespace std::chrono_literals;
using zmqsec::testing::child_process;
using zmqsec::testing::pyzmq_peer;
using zmqsec::testing::run_process;

namespace {

std::string policy_listing(const zc::keypair& client) {
  return "[domains.gateway]\ncurve = { keys = [\"" + client.public_key.z85() + "\"] }\n";
}

// The endpoint the gateway said it listens on: "front tcp://127.0.0.1:PORT (CURVE, ...".
std::string front_of(child_process& gateway) {
  if (!gateway.wait_for_error_output(" (CURVE", 10s)) return {};
  const std::string& err = gateway.error_output_so_far();
  const auto start = err.find("front ") + 6;
  return err.substr(start, err.find(' ', start) - start);
}

class gateway_tool : public ::testing::Test {
 protected:
  void SetUp() override {
    zc::save_certificates(dir_.path(), "gateway", server_);
    policy_ = dir_.write("policy.toml", policy_listing(alice_));
  }

  std::vector<std::string> args(const std::string& back) const {
    return {ZMQ_GATEWAY_PATH,
            "--front",
            "tcp://127.0.0.1:*",
            "--back",
            back,
            "--cert",
            (dir_ / "gateway.key_secret").string(),
            "--policy",
            policy_.string()};
  }

  std::vector<std::string> keys_of(const zc::keypair& client) const {
    return {server_.public_key.z85(), client.public_key.z85(),
            std::string(client.secret_key.z85())};
  }

  zmqsec::testing::temp_dir dir_;
  std::filesystem::path policy_;
  zc::keypair server_ = zc::generate_keypair();
  zc::keypair alice_ = zc::generate_keypair();
  zc::keypair bob_ = zc::generate_keypair();
};

}  // namespace

TEST_F(gateway_tool, admits_listed_clients_refuses_and_logs_others_and_exits_0_on_sigterm) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 3);
  child_process gateway(args(service.endpoint()));
  const std::string front = front_of(gateway);
  ASSERT_FALSE(front.empty()) << gateway.error_output_so_far();

  const auto alice = pyzmq_peer::run_client("req", front, 3, 10s, keys_of(alice_));
  const auto bob = pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(bob_));

  EXPECT_EQ(alice.out, "ok 3\n") << alice;
  EXPECT_EQ(bob.out, "timeout\n") << bob;
  EXPECT_TRUE(gateway.wait_for_error_output("key=" + bob_.public_key.z85(), 10s));
  EXPECT_NE(gateway.error_output_so_far().find("ZAP 400"), std::string::npos);
  EXPECT_NE(gateway.error_output_so_far().find("ZAP 200"), std::string::npos);
  gateway.send_signal(SIGTERM);
  const auto done = gateway.wait(10s);
  EXPECT_EQ(done.exit_code, 0) << done;
}

TEST_F(gateway_tool, sighup_with_a_broken_policy_keeps_the_last_good_one) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 2);
  child_process gateway(args(service.endpoint()));
  const std::string front = front_of(gateway);
  ASSERT_FALSE(front.empty()) << gateway.error_output_so_far();
  ASSERT_EQ(pyzmq_peer::run_client("req", front, 1, 10s, keys_of(alice_)).out, "ok 1\n");

  dir_.write("policy.toml", "[domains.gateway\ncurve = \n");
  gateway.send_signal(SIGHUP);

  ASSERT_TRUE(gateway.wait_for_error_output("the last good policy stays in force", 10s))
      << gateway.error_output_so_far();
  const auto alice = pyzmq_peer::run_client("req", front, 1, 10s, keys_of(alice_));
  const auto bob = pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(bob_));
  EXPECT_EQ(alice.out, "ok 1\n") << alice;
  EXPECT_EQ(bob.out, "timeout\n") << bob;
  gateway.send_signal(SIGINT);
  EXPECT_EQ(gateway.wait(10s).exit_code, 0);
}

TEST_F(gateway_tool, sighup_loads_a_rewritten_policy) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 1);
  child_process gateway(args(service.endpoint()));
  const std::string front = front_of(gateway);
  ASSERT_FALSE(front.empty()) << gateway.error_output_so_far();

  dir_.write("policy.toml", policy_listing(bob_));
  gateway.send_signal(SIGHUP);

  ASSERT_TRUE(gateway.wait_for_error_output("SIGHUP: policy reloaded", 10s))
      << gateway.error_output_so_far();
  EXPECT_EQ(pyzmq_peer::run_client("req", front, 1, 10s, keys_of(bob_)).out, "ok 1\n");
  EXPECT_EQ(pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(alice_)).out, "timeout\n");
}

// Live revocation through the gateway: alice talks to the service through it; the policy file is
// rewritten without her key; the gateway cuts her connection (her socket's monitor sees it
// close), her reconnection is refused with 400, and the cut is logged.
TEST_F(gateway_tool, a_client_whose_key_the_policy_drops_is_cut_off_while_connected) {
  zmq::context_t context;
  zmq::socket_t service(context, zmq::socket_type::rep);
  service.set(zmq::sockopt::linger, 0);
  const std::string service_endpoint = zmqsec::testing::bind_loopback(service);
  child_process gateway(args(service_endpoint));
  const std::string front = front_of(gateway);
  ASSERT_FALSE(front.empty()) << gateway.error_output_so_far();

  zmq::socket_t alice(context, zmq::socket_type::req);
  alice.set(zmq::sockopt::linger, 0);
  const auto secret = alice_.secret_key.bytes();
  alice.set(zmq::sockopt::curve_serverkey,
            zmq::const_buffer(server_.public_key.data(), zc::key_size));
  alice.set(zmq::sockopt::curve_publickey,
            zmq::const_buffer(alice_.public_key.data(), zc::key_size));
  alice.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), zc::key_size));
  zmqsec::testing::auth::socket_monitor events(context, alice);
  alice.connect(front);
  ASSERT_EQ(events.handshake()->event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) << events.history();

  alice.send(zmq::str_buffer("hello"), zmq::send_flags::none);
  zmq::message_t message;
  zmq::pollitem_t at_service{service.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&at_service, 1, 10s), 1);
  ASSERT_TRUE(service.recv(message));
  EXPECT_EQ(message.to_string_view(), "hello");
  service.send(zmq::str_buffer("hi"), zmq::send_flags::none);
  zmq::pollitem_t at_alice{alice.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&at_alice, 1, 10s), 1);
  ASSERT_TRUE(alice.recv(message));

  dir_.write("policy.toml", policy_listing(bob_));  // followed live: no SIGHUP needed

  EXPECT_TRUE(events.next(ZMQ_EVENT_DISCONNECTED)) << events.history();
  const auto again = events.handshake();
  ASSERT_TRUE(again) << events.history();
  EXPECT_EQ(again->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) << events.history();
  EXPECT_EQ(again->value, 400u);
  EXPECT_TRUE(gateway.wait_for_error_output("revoked", 10s)) << gateway.error_output_so_far();
  EXPECT_NE(gateway.error_output_so_far().find(alice_.public_key.z85()), std::string::npos);
  gateway.send_signal(SIGTERM);
  EXPECT_EQ(gateway.wait(10s).exit_code, 0);
}

// A service that already requires CURVE: the gateway connects to it as a CURVE client, with the
// service's key from its certificate file or as Z85, and its own or another certificate.
TEST_F(gateway_tool, reaches_a_curve_service_with_back_server_key) {
  const zc::keypair service_keys = zc::generate_keypair();
  zc::save_certificates(dir_.path(), "service", service_keys);
  const zc::keypair other = zc::generate_keypair();
  zc::save_certificates(dir_.path(), "other", other);
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 3, 20s,
                                     std::string(service_keys.secret_key.z85()));
  const std::string back = service.endpoint();

  auto by_file = args(back);
  by_file.insert(by_file.end(), {"--back-server-key", (dir_ / "service.key").string()});
  child_process first(by_file);
  const std::string front = front_of(first);
  ASSERT_FALSE(front.empty()) << first.error_output_so_far();
  EXPECT_NE(first.error_output_so_far().find("(CURVE)"), std::string::npos);
  EXPECT_EQ(pyzmq_peer::run_client("req", front, 2, 10s, keys_of(alice_)).out, "ok 2\n");
  first.send_signal(SIGTERM);
  EXPECT_EQ(first.wait(10s).exit_code, 0);

  auto by_z85 = args(back);
  by_z85.insert(by_z85.end(), {"--back-server-key", service_keys.public_key.z85(), "--back-cert",
                               (dir_ / "other.key_secret").string()});
  child_process second(by_z85);
  const std::string front2 = front_of(second);
  ASSERT_FALSE(front2.empty()) << second.error_output_so_far();
  EXPECT_EQ(pyzmq_peer::run_client("req", front2, 1, 10s, keys_of(alice_)).out, "ok 1\n");
}

// Without the option the back side speaks NULL, which a CURVE service does not answer: the
// option is what makes the previous test pass.
TEST_F(gateway_tool, a_curve_service_is_not_reached_over_null) {
  const zc::keypair service_keys = zc::generate_keypair();
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 1, 20s,
                                     std::string(service_keys.secret_key.z85()));
  child_process gateway(args(service.endpoint()));
  const std::string front = front_of(gateway);
  ASSERT_FALSE(front.empty()) << gateway.error_output_so_far();
  EXPECT_EQ(pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(alice_)).out, "timeout\n");
}

TEST_F(gateway_tool, a_malformed_back_server_key_or_a_lone_back_cert_is_bad_input) {
  auto bad_key = args("tcp://127.0.0.1:5999");
  bad_key.insert(bad_key.end(), {"--back-server-key", std::string(40, '~')});
  const auto r = run_process(bad_key, 10s);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("--back-server-key"), std::string::npos) << r.err;

  auto lone_cert = args("tcp://127.0.0.1:5999");
  lone_cert.insert(lone_cert.end(), {"--back-cert", (dir_ / "gateway.key_secret").string()});
  const auto lone = run_process(lone_cert, 10s);
  EXPECT_EQ(lone.exit_code, 1) << lone;
  EXPECT_NE(lone.err.find("--back-server-key"), std::string::npos) << lone.err;

  auto missing = args("tcp://127.0.0.1:5999");
  missing.insert(missing.end(), {"--back-server-key", (dir_ / "nowhere.key").string()});
  const auto gone = run_process(missing, 10s);
  EXPECT_EQ(gone.exit_code, 1) << gone;
  EXPECT_NE(gone.err.find("nowhere.key"), std::string::npos) << gone.err;
}

TEST_F(gateway_tool, a_missing_certificate_is_bad_input) {
  auto argv = args("tcp://127.0.0.1:5999");
  argv[6] = (dir_ / "missing.key_secret").string();

  const auto r = run_process(argv, 10s);

  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("missing.key_secret"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(gateway_tool, a_public_certificate_is_bad_input) {
  auto argv = args("tcp://127.0.0.1:5999");
  argv[6] = (dir_ / "gateway.key").string();

  const auto r = run_process(argv, 10s);

  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("secret"), std::string::npos) << r.err;
}

TEST_F(gateway_tool, an_unreadable_or_invalid_policy_is_bad_input) {
  auto argv = args("tcp://127.0.0.1:5999");
  argv[8] = dir_.path().string();  // a folder
  const auto folder = run_process(argv, 10s);
  dir_.write("policy.toml", "[domains.gateway]\ncurve = { keys = [\"short\"] }\n");
  const auto invalid = run_process(args("tcp://127.0.0.1:5999"), 10s);

  EXPECT_EQ(folder.exit_code, 1) << folder;
  EXPECT_NE(folder.err.find("not a regular file"), std::string::npos) << folder.err;
  EXPECT_EQ(invalid.exit_code, 1) << invalid;
  EXPECT_NE(invalid.err.find("policy.toml:2:"), std::string::npos) << invalid.err;
}

TEST_F(gateway_tool, an_endpoint_in_use_is_bad_input) {
  zmq::context_t context(1);
  zmq::socket_t holder(context, zmq::socket_type::router);
  holder.set(zmq::sockopt::linger, 0);
  const std::string taken = zmqsec::testing::bind_loopback(holder);
  auto argv = args("tcp://127.0.0.1:5999");
  argv[2] = taken;

  const auto r = run_process(argv, 10s);

  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("Address already in use"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(taken), std::string::npos) << r.err;
}

#if ZMQSEC_GATEWAY_METRICS
TEST_F(gateway_tool, serves_its_decisions_and_messages_as_metrics) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 2);
  auto argv = args(service.endpoint());
  argv.insert(argv.end(), {"--metrics", "127.0.0.1:0"});
  child_process gateway(argv);
  const std::string front = front_of(gateway);
  ASSERT_FALSE(front.empty()) << gateway.error_output_so_far();
  ASSERT_TRUE(gateway.wait_for_error_output("/metrics\n", 10s)) << gateway.error_output_so_far();
  const std::string& err = gateway.error_output_so_far();
  const auto at = err.find("metrics at ") + 11;
  const std::string url = err.substr(at, err.find('\n', at) - at);
  ASSERT_EQ(pyzmq_peer::run_client("req", front, 2, 10s, keys_of(alice_)).out, "ok 2\n");
  ASSERT_EQ(pyzmq_peer::run_client("req", front, 1, 1500ms, keys_of(bob_)).out, "timeout\n");

  const auto scrape = run_process(
      {ZMQSEC_PROXY_PYTHON, "-I", "-c",
       "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], "
       "timeout=5).read().decode())",
       url},
      10s);

  ASSERT_EQ(scrape.exit_code, 0) << scrape;
  EXPECT_NE(
      scrape.out.find(R"(zmqsec_proxy_sent_messages_total{proxy="zmq-gateway",side="back"} 2)"),
      std::string::npos)
      << scrape.out;
  EXPECT_NE(scrape.out.find(R"(domain="gateway",mechanism="CURVE",status="400"} 1)"),
            std::string::npos)
      << scrape.out;
  EXPECT_NE(scrape.out.find(R"(domain="gateway",mechanism="CURVE",status="200"} 1)"),
            std::string::npos)
      << scrape.out;
  gateway.send_signal(SIGTERM);
  EXPECT_EQ(gateway.wait(10s).exit_code, 0);
}
#endif
