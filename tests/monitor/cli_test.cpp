// zmq-monitor run as a user runs it, against servers in this process: what it prints for a client
// refused by the authenticator (text and JSON), a PLAIN server's refusals with the
// authenticator's reason, a bind that fails, and its usage errors.
#include <gtest/gtest.h>
#include <zmq.h>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "../cli/python_json.hpp"
#include "process.hpp"
#include "recorder.hpp"
#include "temp_dir.hpp"

namespace {

using namespace zmqsec::testing::monitor;
using zm::event_type;
namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;

zmqsec::testing::process_result zmq_monitor(std::vector<std::string> args) {
  args.insert(args.begin(), ZMQ_MONITOR_PATH);
  zmqsec::testing::child_process child(args);
  return child.wait(std::chrono::seconds(30));
}

// A ROUTER of ctx bound on loopback with an authenticator in front (PLAIN user admin:secret,
// CURVE clients refused unless listed).
struct guarded_server {
  explicit guarded_server(zmq::context_t& ctx, bool curve)
      : auth(ctx), socket(make_socket(ctx, zmq::socket_type::router)) {
    auth.configure_plain("*", {{"admin", "secret"}});
    auth.configure_curve("*", std::vector<zc::public_key>{});
    auth.start();
    if (curve) {
      socket.set(zmq::sockopt::curve_server, 1);
      const auto secret = keys.secret_key.bytes();
      socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
    } else {
      socket.set(zmq::sockopt::plain_server, 1);
    }
    endpoint = bind_loopback(socket);
  }
  zc::keypair keys = zc::generate_keypair();
  za::thread_authenticator auth;
  zmq::socket_t socket;
  std::string endpoint;
};

}  // namespace

TEST(zmq_monitor_test, prints_a_curve_refusal_as_json) {
  zmq::context_t ctx;
  guarded_server server(ctx, true);
  auto result = zmq_monitor({"--connect", server.endpoint, "--type", "dealer", "--curve-server-key",
                             server.keys.public_key.z85(), "--json", "--event",
                             "HANDSHAKE_FAILED_AUTH", "--count", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  const std::regex line(
      R"re(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z","event":"HANDSHAKE_FAILED_AUTH",)re"
      R"re("value":400,"endpoint":")re" +
      server.endpoint +
      R"re(","detail":"ZAP status 400 \(authentication refused\)","zap_status":400\}\n)re");
  EXPECT_TRUE(std::regex_match(result.out, line)) << result.out;
}

TEST(zmq_monitor_test, prints_a_plain_refusal_as_a_timestamped_line) {
  zmq::context_t ctx;
  guarded_server server(ctx, false);
  auto result = zmq_monitor({"--connect", server.endpoint, "--plain", "admin:wrong", "--event",
                             "handshake_failed_auth", "-n", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  const std::regex line(R"re(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z HANDSHAKE_FAILED_AUTH )re" +
                        server.endpoint + R"re(: ZAP status 400 \(authentication refused\)\n)re");
  EXPECT_TRUE(std::regex_match(result.out, line)) << result.out;
}

TEST(zmq_monitor_test, prints_every_event_until_the_count) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::pub);
  const std::string endpoint = bind_loopback(server);
  auto result = zmq_monitor({"--connect", endpoint, "--type", "sub", "--count", "2", "--event",
                             "CONNECTED", "--event", "HANDSHAKE_SUCCEEDED"});
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  const std::regex lines(R"re(\S+ CONNECTED )re" + endpoint + R"re(: fd \d+\n)re" +
                         R"re(\S+ HANDSHAKE_SUCCEEDED )re" + endpoint + R"re(\n)re");
  EXPECT_TRUE(std::regex_match(result.out, lines)) << result.out;
}

TEST(zmq_monitor_test, a_bound_plain_server_shows_the_authenticators_reason) {
  zmqsec::testing::temp_dir dir;
  const std::string endpoint = "ipc://" + (dir / "monitor.ipc").string();
  // The client connects first and retries until zmq-monitor has bound.
  zmq::context_t ctx;
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::plain_username, "admin");
  client.set(zmq::sockopt::plain_password, "guess");
  client.set(zmq::sockopt::reconnect_ivl, 20);
  client.connect(endpoint);
  auto result = zmq_monitor({"--bind", endpoint, "--type", "router", "--plain", "admin:secret",
                             "--event", "HANDSHAKE_FAILED_AUTH", "--count", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_NE(result.err.find("listening on " + endpoint), std::string::npos) << result.err;
  EXPECT_NE(result.out.find("HANDSHAKE_FAILED_AUTH " + endpoint +
                            ": ZAP status 400 (authentication refused) -- 400 wrong password "
                            "(PLAIN user \"admin\" from "),
            std::string::npos)
      << result.out;
}

// Endpoints and user names are UTF-8 text: a JSON consumer gets them back as they were, not
// byte by byte as Latin-1 code points.
TEST(zmq_monitor_test, json_gives_back_utf8_endpoints_and_user_names_unchanged) {
  zmqsec::testing::temp_dir dir;
  const std::string endpoint = "ipc://" + (dir / "caf\u00e9-\u76e3\u8996.ipc").string();
  const std::string user = "j\u00fcrgen";
  zmq::context_t ctx;
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::plain_username, user);
  client.set(zmq::sockopt::plain_password, "guess");
  client.set(zmq::sockopt::reconnect_ivl, 20);
  client.connect(endpoint);
  auto result = zmq_monitor({"--bind", endpoint, "--type", "router", "--plain", "admin:secret",
                             "--event", "HANDSHAKE_FAILED_AUTH", "--count", "1", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  const auto parsed = zmqsec::testing::run_process(
      zmqsec::testing::python_json_argv(result.out, {"endpoint", "auth.username"}));
  ASSERT_EQ(parsed.exit_code, 0) << parsed.describe();
  EXPECT_EQ(parsed.out, endpoint + "\n" + user + "\n") << result.out;
}

TEST(zmq_monitor_test, a_failed_bind_prints_the_event_and_exits_1) {
  zmq::context_t ctx;
  auto taken = make_socket(ctx, zmq::socket_type::router);
  const std::string endpoint = bind_loopback(taken);
  auto result = zmq_monitor({"--bind", endpoint});
  EXPECT_EQ(result.exit_code, 1) << result.describe();
  EXPECT_NE(result.out.find("BIND_FAILED " + endpoint.substr(6) + ": errno " +
                            std::to_string(EADDRINUSE) + " (Address already in use)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.err.find("zmq-monitor: " + endpoint + ": Address already in use"),
            std::string::npos)
      << result.err;
}

TEST(zmq_monitor_test, usage_errors_exit_1_with_a_message) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{}, "give --connect ENDPOINT or --bind ENDPOINT"},
      {{"--connect", "tcp://127.0.0.1:1", "--bind", "tcp://127.0.0.1:1"}, "excludes"},
      {{"--connect", "tcp://127.0.0.1:1", "--plain", "nocolon"}, "--plain takes USER:PASS"},
      {{"--connect", "tcp://127.0.0.1:1", "--event", "NOT_AN_EVENT"}, "unknown event"},
      {{"--connect", "tcp://127.0.0.1:1", "--type", "teapot"}, "teapot"},
      {{"--connect", "tcp://127.0.0.1:1", "--cert", "x.key_secret"}, "--cert needs"},
      {{"--connect", "tcp://127.0.0.1:1", "--curve-server-key", "short"}, "zmq-monitor: "},
  };
  for (const auto& [args, message] : cases) {
    auto result = zmq_monitor(args);
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  }
}

// libzmq would listen on port 34463 for 99999 and on 65535 for -1; counts like -1 or "" would
// run unbounded: all usage errors.
TEST(zmq_monitor_test, out_of_range_ports_and_counts_are_usage_errors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"--bind", "tcp://*:99999"}, "port 99999 is out of range (0 to 65535)"},
      {{"--connect", "tcp://127.0.0.1:-1"}, "port -1 is not a number from 0 to 65535"},
      {{"--connect", "tcp://127.0.0.1"}, "the port is missing"},
      {{"--connect", "ipc://"}, "the path is empty"},
      {{"--connect", "tcp://127.0.0.1:1", "--count", "-1"}, "expected a whole number"},
      {{"--connect", "tcp://127.0.0.1:1", "--count", ""}, "expected a whole number"},
      {{"--connect", "tcp://127.0.0.1:1", "--count", "99999999999999999999999"},
       "expected a whole number"},
  };
  for (const auto& [args, message] : cases) {
    auto result = zmq_monitor(args);
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "") << result.describe();
  }
}

TEST(zmq_monitor_test, help_describes_the_output) {
  auto result = zmq_monitor({"--help"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--curve-server-key"), std::string::npos);
  EXPECT_NE(result.out.find("\"zap_status\""), std::string::npos);
}

TEST(zmq_monitor_test, sigterm_stops_it_cleanly_with_status_0) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::pub);
  const std::string endpoint = bind_loopback(server);
  zmqsec::testing::child_process child({ZMQ_MONITOR_PATH, "--connect", endpoint, "--type", "sub"});
  // Running and connected (its first event printed): now the real SIGTERM.
  ASSERT_TRUE(child.wait_for_output("CONNECTED", std::chrono::seconds(10)))
      << child.output_so_far();
  child.send_signal(SIGTERM);
  auto result = child.wait(std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_EQ(result.err, "");
}

TEST(zmq_monitor_test, a_bound_curve_server_shows_a_client_with_the_wrong_server_key) {
  zmqsec::testing::temp_dir dir;
  const auto files = zc::create_certificates(dir.path(), "server");
  const std::string endpoint = "ipc://" + (dir / "curve.ipc").string();
  zmq::context_t ctx;
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  const auto wrong = zc::generate_keypair();  // not the server's key
  const auto own = zc::generate_keypair();
  client.set(zmq::sockopt::curve_serverkey,
             zmq::const_buffer(wrong.public_key.data(), zc::key_size));
  client.set(zmq::sockopt::curve_publickey, zmq::const_buffer(own.public_key.data(), zc::key_size));
  const auto secret = own.secret_key.bytes();
  client.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  client.set(zmq::sockopt::reconnect_ivl, 20);
  client.connect(endpoint);
  auto result =
      zmq_monitor({"--bind", endpoint, "--type", "router", "--cert", files.secret_file.string(),
                   "--event", "HANDSHAKE_FAILED_PROTOCOL", "--count", "1", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_NE(result.out.find("\"protocol_error\":\"ZMTP_CRYPTOGRAPHIC\""), std::string::npos)
      << result.out;
}

// While it holds a PLAIN password (libzmq keeps a copy in the socket's options, out of zmqsec's
// reach) the tool is non-dumpable: its own user cannot take a core of it with gcore (ptrace is
// refused), so the password cannot be read back that way. Runs the tool and gcore as nobody.
TEST(zmq_monitor_test, its_own_user_cannot_take_a_core_while_it_holds_a_password) {
  const std::string password = "pw-" + std::to_string(::getpid()) + "-never-in-a-core";
  zmqsec::testing::temp_dir dir;
  ::chmod(dir.path().c_str(), 0777);
  const std::vector<std::string> as_nobody{"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup",
                                           "--clear-groups", "--"};
  auto argv = as_nobody;
  argv.insert(argv.end(),
              {ZMQ_MONITOR_PATH, "--connect", "tcp://127.0.0.1:1", "--plain", "admin:" + password});
  zmqsec::testing::child_process tool(argv);
  ASSERT_TRUE(tool.wait_for_output("CONNECT", std::chrono::seconds(10))) << tool.wait({});
  auto gcore = as_nobody;
  gcore.insert(gcore.end(),
               {"/usr/bin/gcore", "-o", (dir / "core").string(), std::to_string(tool.pid())});
  const auto r = zmqsec::testing::run_process(gcore, std::chrono::seconds(60));
  const auto core = dir / ("core." + std::to_string(tool.pid()));
  EXPECT_FALSE(std::filesystem::exists(core)) << r;
  EXPECT_NE(r.exit_code, 0) << r;
  tool.send_signal(SIGTERM);
  EXPECT_EQ(tool.wait(std::chrono::seconds(10)).exit_code, 0);
}
