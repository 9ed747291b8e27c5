// zmq-tunnel, the real binary, against a real sshd on loopback (sshd_fixture.hpp): the URL it
// prints, ZeroMQ traffic through it, signals, the idle timeout, a lost session, host keys,
// passwords on standard input and its usage errors with their exit statuses.
//
// Programs that keep running (the tunnel itself) are child_process objects the test can signal;
// programs that run to the end with input on stdin go through run_process (tests/support).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>
#include <zmq.hpp>

#include <zmqsec/tunnel.hpp>

#include "bind_loopback.hpp"
#include "process.hpp"
#include "sshd_fixture.hpp"

namespace zt = zmqsec::tunnel;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using zmqsec::testing::child_process;
using zmqsec::testing::process_result;
using zmqsec::testing::sshd_server;

namespace {

// Time for the tool to open a tunnel (connect, log in, forward) on a loaded machine.
constexpr auto open_time = 20s;

std::vector<std::string> tool(std::vector<std::string> args) {
  args.insert(args.begin(), ZMQ_TUNNEL_PATH);
  return args;
}

process_result run_tool(const std::vector<std::string>& args, std::string_view input = {}) {
  auto options = zmqsec::testing::with_input(input);
  options.timeout = 60s;
  return zmqsec::testing::run_process(ZMQ_TUNNEL_PATH, args, options);
}

// A REP socket on an ephemeral loopback port.
struct destination {
  explicit destination(zmq::context_t& ctx) : socket(ctx, zmq::socket_type::rep) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, 30000);
    socket.set(zmq::sockopt::sndtimeo, 30000);
    addr = zmqsec::testing::bind_loopback(socket);
  }
  zmq::socket_t socket;
  std::string addr;
};

std::string recv_string(zmq::socket_t& s) {
  zmq::message_t m;
  if (!s.recv(m)) return "<timeout>";
  return m.to_string();
}

// One REQ/REP round trip from a REQ connected to url.
void expect_round_trip(zmq::context_t& ctx, const std::string& url, destination& rep,
                       const std::string& text) {
  zmq::socket_t req(ctx, zmq::socket_type::req);
  req.set(zmq::sockopt::linger, 0);
  req.set(zmq::sockopt::rcvtimeo, 30000);
  req.set(zmq::sockopt::sndtimeo, 30000);
  req.connect(url);
  req.send(zmq::buffer(text));
  EXPECT_EQ(recv_string(rep.socket), text);
  rep.socket.send(zmq::buffer("re: " + text));
  EXPECT_EQ(recv_string(req), "re: " + text);
}

// The local URL for a port picked for the test (the tool's own pick, port 0, is checked by the
// tests that read its output at the end).
std::string url_of(std::uint16_t port) {
  return "tcp://127.0.0.1:" + std::to_string(port);
}

const std::regex url_line(R"(tcp://127\.0\.0\.1:[1-9][0-9]*\n)");

// "SHA256:..." of the sshd's host key, as ssh-keygen prints it.
std::string host_key_fingerprint(const sshd_server& sshd) {
  auto r = zmqsec::testing::run_process("/usr/bin/ssh-keygen",
                                        {"-l", "-f", (sshd.dir() / "host_ed25519.pub").string()});
  const auto at = r.out.find("SHA256:");
  if (r.exit_code != 0 || at == std::string::npos) return "<no fingerprint: " + r.err + ">";
  return r.out.substr(at, r.out.find(' ', at) - at);
}

class zmq_tunnel_test : public ::testing::Test {
 protected:
  // ADDRESS SERVER -i KEY --known-hosts FILE --backend B, for root and an ed25519 key.
  std::vector<std::string> key_args(const std::string& addr, const std::string& backend) {
    return {addr,
            sshd.server(),
            "-i",
            sshd.user_key("ed25519").string(),
            "--known-hosts",
            sshd.known_hosts().string(),
            "--backend",
            backend};
  }
  zmq::context_t ctx;
  sshd_server sshd;
};

// Runs a tunnel on a chosen port until its URL is printed, carries a REQ/REP through it and
// stops it with sig.
void url_req_rep_then_signal(zmq::context_t& ctx, destination& rep, std::vector<std::string> args,
                             int sig) {
  const auto port = zt::select_random_ports(1).front();
  args.insert(args.end(), {"--local-port", std::to_string(port)});
  child_process t(tool(args));
  ASSERT_TRUE(t.wait_for_output(url_of(port) + "\n", open_time)) << t.wait(1s);
  expect_round_trip(ctx, url_of(port), rep, "through zmq-tunnel");
  expect_round_trip(ctx, url_of(port), rep, "and again");
  t.send_signal(sig);
  const auto r = t.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, url_of(port) + "\n");  // the URL is the first (and only) line
  EXPECT_EQ(r.err, "") << r;
}

}  // namespace

TEST_F(zmq_tunnel_test, libssh2_prints_the_url_carries_req_rep_and_exits_0_on_sigterm) {
  destination rep(ctx);
  url_req_rep_then_signal(ctx, rep, key_args(rep.addr, "libssh2"), SIGTERM);
}

TEST_F(zmq_tunnel_test, openssh_prints_the_url_carries_req_rep_and_exits_0_on_sigint) {
  destination rep(ctx);
  url_req_rep_then_signal(ctx, rep, key_args(rep.addr, "openssh"), SIGINT);
}

TEST_F(zmq_tunnel_test, picks_a_free_local_port_and_closes_when_idle_after_timeout) {
  destination rep(ctx);
  auto args = key_args(rep.addr, "automatic");
  args.insert(args.end(), {"--timeout", "1"});
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_tool(args);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(std::regex_match(r.out, url_line)) << r;
  EXPECT_EQ(r.err, "");
}

TEST_F(zmq_tunnel_test, timeout_keeps_a_connection_in_use_open_then_exits_0_when_idle) {
  for (const std::string backend : {"libssh2", "openssh"}) {
    SCOPED_TRACE(backend);
    destination rep(ctx);
    const auto port = zt::select_random_ports(1).front();
    auto args = key_args(rep.addr, backend);
    args.insert(args.end(), {"--timeout", "1", "--local-port", std::to_string(port)});
    child_process t(tool(args));
    ASSERT_TRUE(t.wait_for_output(url_of(port) + "\n", open_time)) << t.wait(1s);
    zmq::socket_t req(ctx, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.set(zmq::sockopt::rcvtimeo, 30000);
    req.connect(url_of(port));
    req.send(zmq::str_buffer("first"));
    ASSERT_EQ(recv_string(rep.socket), "first");
    rep.socket.send(zmq::str_buffer("ok"));
    ASSERT_EQ(recv_string(req), "ok");
    // Past the timeout the connection is still in use: the tunnel must not have ended.
    EXPECT_FALSE(t.wait_for_error_output("zmq-tunnel", 1500ms));
    req.send(zmq::str_buffer("second"));
    ASSERT_EQ(recv_string(rep.socket), "second");
    rep.socket.send(zmq::str_buffer("still ok"));
    ASSERT_EQ(recv_string(req), "still ok");
    req.close();
    rep.socket.close();  // the forwarded connection ends at both sides: idle
    const auto r = t.wait(20s);
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.out, url_of(port) + "\n");
  }
}

TEST_F(zmq_tunnel_test, lost_session_is_reported_with_exit_2) {
  destination rep(ctx);
  const auto port = zt::select_random_ports(1).front();
  auto args = key_args(rep.addr, "libssh2");
  args.insert(args.end(), {"--local-port", std::to_string(port)});
  child_process t(tool(args));
  ASSERT_TRUE(t.wait_for_output(url_of(port) + "\n", open_time)) << t.wait(1s);
  expect_round_trip(ctx, url_of(port), rep, "before");
  sshd.kill_all();
  const auto r = t.wait(30s);
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: SSH session to " + sshd.server() + " lost"));
}

TEST_F(zmq_tunnel_test, openssh_exiting_is_reported_with_exit_2) {
  destination rep(ctx);
  const auto port = zt::select_random_ports(1).front();
  auto args = key_args(rep.addr, "openssh");
  args.insert(args.end(), {"--local-port", std::to_string(port)});
  child_process t(tool(args));
  ASSERT_TRUE(t.wait_for_output(url_of(port) + "\n", open_time)) << t.wait(1s);
  expect_round_trip(ctx, url_of(port), rep, "before");
  sshd.kill_all();
  const auto r = t.wait(30s);
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: ssh exited: ")) << r;
}

TEST_F(zmq_tunnel_test, unknown_host_key_exits_2_with_its_fingerprint) {
  for (const std::string backend : {"libssh2", "openssh"}) {
    SCOPED_TRACE(backend);
    destination rep(ctx);
    auto args = key_args(rep.addr, backend);
    const auto empty = sshd.dir() / ("empty_known_hosts_" + backend);
    args[5] = empty.string();  // --known-hosts
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, 2) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: unknown host key for "));
    EXPECT_THAT(r.err, HasSubstr("127.0.0.1" + std::string(backend == "libssh2" ? "]" : "") + ":" +
                                 std::to_string(sshd.port())));
    EXPECT_THAT(r.err, HasSubstr("--accept-new"));
    EXPECT_THAT(r.err, HasSubstr(host_key_fingerprint(sshd)));
    EXPECT_FALSE(std::filesystem::exists(empty) && !zmqsec::testing::read_file(empty).empty());
  }
}

TEST_F(zmq_tunnel_test, accept_new_records_the_key_and_opens) {
  destination rep(ctx);
  auto args = key_args(rep.addr, "libssh2");
  const auto file = sshd.dir() / "new_known_hosts";
  args[5] = file.string();
  args.insert(args.end(), {"--accept-new", "--timeout", "0.5"});
  const auto r = run_tool(args);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(std::regex_match(r.out, url_line)) << r;
  EXPECT_THAT(zmqsec::testing::read_file(file), HasSubstr("ssh-ed25519"));
}

TEST_F(zmq_tunnel_test, changed_host_key_exits_2_even_with_accept_new) {
  destination rep(ctx);
  auto args = key_args(rep.addr, "libssh2");
  args[5] = sshd.wrong_known_hosts().string();
  args.push_back("--accept-new");
  const auto r = run_tool(args);
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: host key"));
  EXPECT_THAT(r.err, HasSubstr("SHA256:"));
}

TEST_F(zmq_tunnel_test, closed_server_port_exits_2) {
  destination rep(ctx);
  auto args = key_args(rep.addr, "libssh2");
  args[1] = "root@127.0.0.1:" + std::to_string(zmqsec::testing::free_port());
  const auto r = run_tool(args);
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("Connection refused"));
  EXPECT_EQ(r.out, "");
}

TEST_F(zmq_tunnel_test, key_not_authorized_exits_2_with_permission_denied) {
  destination rep(ctx);
  auto args = key_args(rep.addr, "libssh2");
  args[3] = sshd.user_key("ed25519", "", false).string();
  const auto r = run_tool(args);
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: permission denied"));
}

TEST_F(zmq_tunnel_test, password_from_stdin_logs_in_and_is_never_echoed) {
  zmqsec::testing::password_user user;
  for (const std::string backend : {"libssh2", "openssh"}) {
    SCOPED_TRACE(backend);
    destination rep(ctx);
    const auto r = run_tool(
        {rep.addr, sshd.server(sshd_server::password_user), "--password-stdin", "--known-hosts",
         sshd.known_hosts().string(), "--backend", backend, "--timeout", "0.5"},
        user.password() + "\n");
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_TRUE(std::regex_match(r.out, url_line)) << r;
    EXPECT_THAT(r.err, Not(HasSubstr(user.password())));
  }
}

TEST_F(zmq_tunnel_test, wrong_password_exits_2_without_echoing_it) {
  zmqsec::testing::password_user user;
  destination rep(ctx);
  const std::string wrong = "not-" + user.password();
  const auto r = run_tool({rep.addr, sshd.server(sshd_server::password_user), "--password-stdin",
                           "--known-hosts", sshd.known_hosts().string()},
                          wrong + "\r\n");
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: permission denied"));
  EXPECT_THAT(r.err + r.out, Not(HasSubstr(wrong)));
  EXPECT_EQ(r.out, "");
}

TEST_F(zmq_tunnel_test, missing_or_empty_password_input_exits_1) {
  destination rep(ctx);
  const std::vector<std::string> args{rep.addr, sshd.server(sshd_server::password_user),
                                      "--password-stdin", "--known-hosts",
                                      sshd.known_hosts().string()};
  for (const std::string input : {"", "\n"}) {
    const auto r = run_tool(args, input);
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(r.err, HasSubstr("zmq-tunnel: password on standard input: "));
  }
}

TEST_F(zmq_tunnel_test, passphrase_from_stdin_unlocks_the_key) {
  destination rep(ctx);
  const auto key = sshd.user_key("ed25519", "secret phrase");
  auto args = key_args(rep.addr, "libssh2");
  args[3] = key.string();
  args.insert(args.end(), {"--passphrase-stdin", "--timeout", "0.5"});
  const auto r = run_tool(args, "secret phrase\n");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(std::regex_match(r.out, url_line)) << r;
}

// No sshd needed: nothing here gets as far as SSH.
TEST(zmq_tunnel_usage_test, bad_arguments_exit_1_with_a_message) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"tcp://127.0.0.1:5555"},
      {"ipc:///tmp/socket", "gateway"},
      {"tcp://127.0.0.1", "gateway"},
      {"tcp://*:5555", "gateway"},
      {"tcp://::1:5555", "gateway"},
      {"tcp://127.0.0.1:70000", "gateway"},
      {"tcp://127.0.0.1:5555", "@gateway"},
      {"tcp://127.0.0.1:5555", "me@gateway:0"},
      {"tcp://127.0.0.1:5555", "me@[::1"},
      {"tcp://127.0.0.1:5555", "gateway", "--backend", "putty"},
      {"tcp://127.0.0.1:5555", "gateway", "--timeout", "-1"},
      {"tcp://127.0.0.1:5555", "gateway", "--timeout", "soon"},
      {"tcp://127.0.0.1:5555", "gateway", "--local-port", "70000"},
      {"tcp://127.0.0.1:5555", "gateway", "-i", "/nonexistent/key"},
      {"tcp://127.0.0.1:5555", "gateway", "--password-stdin", "--passphrase-stdin"},
      {"tcp://127.0.0.1:5555", "gateway", "--passphrase-stdin"},
      {"tcp://127.0.0.1:5555", "gateway", "--password", "hunter2"},
      {"tcp://127.0.0.1:5555", "gateway", "extra"},
  };
  for (const auto& args : cases) {
    std::string line;
    for (const auto& a : args) line += a + " ";
    SCOPED_TRACE(line);
    const auto r = run_tool(args);
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_EQ(r.out, "");
    EXPECT_THAT(r.err, ::testing::StartsWith("zmq-tunnel: "));
    EXPECT_THAT(r.err, Not(HasSubstr("hunter2")));
  }
}

TEST(zmq_tunnel_usage_test, address_errors_say_what_is_wrong) {
  auto r = run_tool({"ipc:///tmp/socket", "gateway"});
  EXPECT_THAT(r.err, HasSubstr("only tcp:// addresses can be tunnelled"));
  r = run_tool({"tcp://[::1]:5555", "me@gateway:99999"});
  EXPECT_THAT(r.err, HasSubstr("port number from 1 to 65535"));
}

TEST(zmq_tunnel_usage_test, help_and_version_exit_0) {
  auto r = run_tool({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("--password-stdin"));
  EXPECT_THAT(r.out, HasSubstr("Exit status"));
  r = run_tool({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "zmq-tunnel " ZMQSEC_VERSION "\n");
}
