// Tunnels against a real sshd on loopback (sshd_fixture.hpp), through both backends: ZeroMQ
// traffic end to end, host key policy, authentication, and what happens when something fails.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel.hpp>

#include "sshd_fixture.hpp"
#include "wait_until.hpp"

namespace zt = zmqsec::tunnel;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using zmqsec::testing::sshd_server;
using zmqsec::testing::wait_until;

namespace {

// A REP (or other) socket bound to an ephemeral loopback port; address() is "tcp://h:port".
struct destination {
  destination(zmq::context_t& ctx, zmq::socket_type type, const std::string& host = "127.0.0.1")
      : socket(ctx, type) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvtimeo, 30000);
    socket.set(zmq::sockopt::sndtimeo, 30000);
    if (host.find(':') != std::string::npos) socket.set(zmq::sockopt::ipv6, 1);
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    socket.bind("tcp://" + h + ":*");
    auto endpoint = socket.get(zmq::sockopt::last_endpoint);
    port = endpoint.substr(endpoint.rfind(':') + 1);
    addr = "tcp://" + h + ":" + port;
  }
  zmq::socket_t socket;
  std::string port;
  std::string addr;
};

zmq::socket_t client(zmq::context_t& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::rcvtimeo, 30000);
  s.set(zmq::sockopt::sndtimeo, 30000);
  return s;
}

std::string recv_string(zmq::socket_t& s) {
  zmq::message_t m;
  if (!s.recv(m)) return "<timeout>";
  return m.to_string();
}

// One REQ/REP round trip through a connected REQ.
void expect_round_trip(zmq::socket_t& req, destination& rep, const std::string& text) {
  req.send(zmq::buffer(text));
  EXPECT_EQ(recv_string(rep.socket), text);
  rep.socket.send(zmq::buffer("re: " + text));
  EXPECT_EQ(recv_string(req), "re: " + text);
}

// The zmqsec::error an expression throws (fails the test if it throws none).
template <class F>
zmqsec::error error_of(F&& f) {
  try {
    f();
  } catch (const zmqsec::error& e) {
    return e;
  }
  ADD_FAILURE() << "no zmqsec::error thrown";
  return zmqsec::error(zmqsec::errc::invalid_argument, "none");
}

std::size_t open_descriptors() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

std::size_t threads() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (::readdir(d) != nullptr) ++n;
    ::closedir(d);
  }
  return n;
}

std::string name_of(const ::testing::TestParamInfo<zt::backend>& info) {
  return info.param == zt::backend::libssh2 ? "libssh2" : "openssh";
}

// Behaviour both backends share.
class tunnel_test : public ::testing::TestWithParam<zt::backend> {
 protected:
  zt::options key_options(const std::string& type = "ed25519", const std::string& pp = "") {
    return sshd.key_options(sshd.user_key(type, pp), GetParam());
  }
  zmq::context_t ctx;
  sshd_server sshd;
};

INSTANTIATE_TEST_SUITE_P(backends, tunnel_test,
                         ::testing::Values(zt::backend::libssh2, zt::backend::openssh), name_of);

TEST_P(tunnel_test, req_rep_through_tunnel_connection_as_the_issue_writes_it) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  zt::tunnel t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
  EXPECT_TRUE(t.is_alive());
  EXPECT_EQ(t.backend(), GetParam());
  EXPECT_EQ(t.local_endpoint(), "tcp://127.0.0.1:" + std::to_string(t.local_port()));
  expect_round_trip(req, rep, "hello");
  expect_round_trip(req, rep, "again");
  EXPECT_GE(t.stats().connections_accepted, 1u);
  t.close();
  EXPECT_FALSE(t.is_alive());
}

TEST_P(tunnel_test, dealer_router_through_open_tunnel) {
  destination router(ctx, zmq::socket_type::router);
  auto [url, t] = zt::open_tunnel(router.addr, sshd.server(), key_options());
  zmq::socket_t dealer = client(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::routing_id, "d1");
  dealer.connect(url);
  dealer.send(zmq::str_buffer("ping"));
  EXPECT_EQ(recv_string(router.socket), "d1");
  EXPECT_EQ(recv_string(router.socket), "ping");
  router.socket.send(zmq::str_buffer("d1"), zmq::send_flags::sndmore);
  router.socket.send(zmq::str_buffer("pong"));
  EXPECT_EQ(recv_string(dealer), "pong");
}

TEST_P(tunnel_test, ecdsa_key) {
  destination rep(ctx, zmq::socket_type::rep);
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), key_options("ecdsa"));
  expect_round_trip(req, rep, "ecdsa");
}

TEST_P(tunnel_test, key_with_passphrase) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options("ed25519", "correct horse");
  opt.passphrase = "correct horse";
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
  expect_round_trip(req, rep, "passphrase");
}

TEST_P(tunnel_test, key_with_wrong_passphrase_is_refused) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options("ed25519", "correct horse");
  opt.passphrase = "wrong";
  auto e = error_of([&] { zt::open_tunnel(rep.addr, sshd.server(), opt); });
  EXPECT_EQ(e.code(), zt::errc::permission_denied) << e.what();
}

TEST_P(tunnel_test, password) {
  zmqsec::testing::password_user user;
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt;
  opt.known_hosts = sshd.known_hosts();
  opt.password = user.password();
  opt.backend = GetParam();
  opt.use_agent = false;
  opt.ssh_arguments = {"-F", "none"};
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(sshd_server::password_user), opt);
  expect_round_trip(req, rep, "password");
}

TEST_P(tunnel_test, wrong_password_is_refused) {
  zmqsec::testing::password_user user;
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt;
  opt.known_hosts = sshd.known_hosts();
  opt.password = user.password() + "x";
  opt.backend = GetParam();
  opt.use_agent = false;
  opt.ssh_arguments = {"-F", "none"};
  auto e =
      error_of([&] { zt::open_tunnel(rep.addr, sshd.server(sshd_server::password_user), opt); });
  EXPECT_EQ(e.code(), zt::errc::permission_denied) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("ermission denied"));
}

TEST_P(tunnel_test, unknown_host_key_is_refused_with_its_fingerprint) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  opt.known_hosts = sshd.dir() / "empty_known_hosts";
  auto e = error_of([&] { zt::open_tunnel(rep.addr, sshd.server(), opt); });
  EXPECT_EQ(e.code(), zt::errc::host_key_unknown) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("SHA256:"));
  EXPECT_THAT(e.what(), HasSubstr("[127.0.0.1]:" + std::to_string(sshd.port())));
  EXPECT_FALSE(std::filesystem::exists(opt.known_hosts) &&
               !zmqsec::testing::read_file(opt.known_hosts).empty());
}

TEST_P(tunnel_test, changed_host_key_is_refused) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  opt.known_hosts = sshd.wrong_known_hosts();
  opt.host_keys = zt::host_key_policy::accept_new;  // never accepts a changed key
  auto e = error_of([&] { zt::open_tunnel(rep.addr, sshd.server(), opt); });
  EXPECT_EQ(e.code(), zt::errc::host_key_changed) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("SHA256:"));
}

TEST_P(tunnel_test, accept_new_adds_the_key_to_known_hosts_and_then_it_is_known) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  opt.known_hosts = sshd.dir() / "new" / "known_hosts";
  std::filesystem::create_directories(opt.known_hosts.parent_path());
  opt.host_keys = zt::host_key_policy::accept_new;
  {
    zmq::socket_t req = client(ctx, zmq::socket_type::req);
    auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
    expect_round_trip(req, rep, "first");
  }
  auto text = zmqsec::testing::read_file(opt.known_hosts);
  EXPECT_THAT(text, HasSubstr("ssh-ed25519"));
  // Strict again: the key written is the server's.
  opt.host_keys = zt::host_key_policy::strict;
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
  expect_round_trip(req, rep, "second");
}

TEST_P(tunnel_test, key_not_in_authorized_keys_is_refused) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = sshd.key_options(sshd.user_key("ed25519", "", false), GetParam());
  auto e = error_of([&] { zt::open_tunnel(rep.addr, sshd.server(), opt); });
  EXPECT_EQ(e.code(), zt::errc::permission_denied) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("ermission denied"));
}

TEST_P(tunnel_test, closed_server_port_fails_fast_with_a_clear_error) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  const auto closed = zmqsec::testing::free_port();
  const auto start = std::chrono::steady_clock::now();
  auto e =
      error_of([&] { zt::open_tunnel(rep.addr, "root@127.0.0.1:" + std::to_string(closed), opt); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(e.code(), zt::errc::connect_failed) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("Connection refused"));
}

TEST_P(tunnel_test, unresolvable_server_is_reported) {
  zt::options opt = key_options();
  auto e =
      error_of([&] { zt::open_tunnel("tcp://127.0.0.1:5555", "root@no-such-host.invalid", opt); });
  EXPECT_EQ(e.code(), zt::errc::resolve_failed) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("no-such-host.invalid"));
}

TEST_P(tunnel_test, refused_destination_closes_that_connection_only_and_is_reported) {
  zt::options opt = key_options();
  const auto closed = zmqsec::testing::free_port();
  auto [url, t] = zt::open_tunnel("tcp://127.0.0.1:" + std::to_string(closed), sshd.server(), opt);
  const auto port = t.local_port();
  // A plain TCP client: the forwarded connection must be closed (EOF), not left hanging.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char byte;
  EXPECT_LE(::recv(fd, &byte, 1, 0), 0);  // EOF or reset, within the timeout
  ::close(fd);
  // The openssh backend counts the refusal and records ssh's message as it reads ssh's log, not
  // in one step: wait for both.
  EXPECT_TRUE(wait_until([&] {
    return t.stats().connections_refused >= 1 &&
           t.last_error().find("refused") != std::string::npos;
  }));
  EXPECT_THAT(t.last_error(), HasSubstr("refused"));
  EXPECT_TRUE(t.is_alive());
}

TEST_P(tunnel_test, fifty_concurrent_connections_through_one_tunnel) {
  destination router(ctx, zmq::socket_type::router);
  auto [url, t] = zt::open_tunnel(router.addr, sshd.server(), key_options());
  std::vector<zmq::socket_t> dealers;
  for (int i = 0; i < 50; ++i) {
    dealers.push_back(client(ctx, zmq::socket_type::dealer));
    dealers.back().set(zmq::sockopt::routing_id, "d" + std::to_string(i));
    dealers.back().connect(url);
    dealers.back().send(zmq::buffer("m" + std::to_string(i)));
  }
  for (int i = 0; i < 50; ++i) {
    std::string id = recv_string(router.socket);
    std::string body = recv_string(router.socket);
    ASSERT_EQ(body, "m" + id.substr(1));
    router.socket.send(zmq::buffer(id), zmq::send_flags::sndmore);
    router.socket.send(zmq::buffer("r" + id.substr(1)));
  }
  for (int i = 0; i < 50; ++i) EXPECT_EQ(recv_string(dealers[i]), "r" + std::to_string(i));
  EXPECT_GE(t.stats().connections_accepted, 50u);
}

TEST_P(tunnel_test, a_64_mib_message_arrives_intact_both_ways) {
  destination rep(ctx, zmq::socket_type::rep);
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), key_options());
  constexpr std::size_t size = 64u << 20;
  zmq::message_t out(size);
  auto* p = out.data<unsigned char>();
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < size; ++i)
    p[i] = static_cast<unsigned char>((x = x * 1103515245 + 12345) >> 16);
  const std::vector<unsigned char> expected(p, p + size);
  req.send(out, zmq::send_flags::none);
  zmq::message_t in;
  ASSERT_TRUE(rep.socket.recv(in));
  ASSERT_EQ(in.size(), size);
  EXPECT_EQ(std::memcmp(in.data(), expected.data(), size), 0);
  rep.socket.send(in, zmq::send_flags::none);
  zmq::message_t back;
  ASSERT_TRUE(req.recv(back));
  ASSERT_EQ(back.size(), size);
  EXPECT_EQ(std::memcmp(back.data(), expected.data(), size), 0);
  if (GetParam() == zt::backend::libssh2) {
    EXPECT_GE(t.stats().bytes_sent, size);
    EXPECT_GE(t.stats().bytes_received, size);
  }
}

TEST_P(tunnel_test, ipv6_server_and_destination) {
  if (!sshd.ipv6()) GTEST_SKIP() << "no IPv6 loopback on this host";
  destination rep(ctx, zmq::socket_type::rep, "::1");
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server("root", "::1"), key_options());
  expect_round_trip(req, rep, "v6");
  if (HasFailure()) {
    auto st = t.stats();
    ADD_FAILURE() << "accepted " << st.connections_accepted << " active " << st.connections_active
                  << " refused " << st.connections_refused << " sent " << st.bytes_sent
                  << " received " << st.bytes_received << " last error: " << t.last_error()
                  << "\nsshd log:\n"
                  << sshd.log();
  }
}

TEST_P(tunnel_test, local_port_already_taken_is_an_error) {
  destination rep(ctx, zmq::socket_type::rep);
  destination squatter(ctx, zmq::socket_type::rep);  // holds a port on 127.0.0.1
  zt::options opt = key_options();
  opt.local_port = static_cast<std::uint16_t>(std::stoi(squatter.port));
  auto e = error_of([&] { zt::open_tunnel(rep.addr, sshd.server(), opt); });
  EXPECT_EQ(e.code(), zt::errc::local_port_in_use) << e.what();
  EXPECT_THAT(e.what(), HasSubstr(squatter.port));
}

TEST_P(tunnel_test, chosen_local_port_is_used) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  opt.local_port = zt::select_random_ports(1).front();
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
  EXPECT_EQ(t.local_port(), opt.local_port);
  expect_round_trip(req, rep, "fixed port");
}

TEST_P(tunnel_test, idle_timeout_waits_for_a_first_connection_then_closes_when_unused) {
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = key_options();
  opt.timeout = 1s;
  {
    zmq::socket_t req = client(ctx, zmq::socket_type::req);
    auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
    expect_round_trip(req, rep, "within");
    // Past the timeout, a connection in use keeps the tunnel open.
    ASSERT_FALSE(wait_until([&] { return !t.is_alive(); }, 1500ms));
    expect_round_trip(req, rep, "still open");
    req.close();
    rep.socket.close();  // the connection ends at both sides
    EXPECT_TRUE(wait_until([&] { return !t.is_alive(); }, 10s));
  }
  // Never used: closes after the timeout.
  auto [url, t] = zt::open_tunnel("tcp://127.0.0.1:1", sshd.server(), opt);
  EXPECT_TRUE(t.is_alive());
  EXPECT_TRUE(wait_until([&] { return !t.is_alive(); }, 10s));
}

TEST_P(tunnel_test, sshd_killed_mid_transfer_is_reported) {
  destination rep(ctx, zmq::socket_type::rep);
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), key_options());
  expect_round_trip(req, rep, "before");
  req.send(zmq::message_t(std::size_t{32} << 20), zmq::send_flags::none);
  sshd.kill_all();
  EXPECT_TRUE(wait_until([&] { return !t.is_alive(); }, 20s));
  EXPECT_FALSE(t.last_error().empty());
}

TEST_P(tunnel_test, closing_leaves_no_descriptor_thread_or_process_behind) {
  // No ZeroMQ socket here: libzmq closes descriptors asynchronously, which would blur the count.
  const std::string nowhere = "tcp://127.0.0.1:" + std::to_string(zmqsec::testing::free_port());
  const zt::options opt = key_options();
  {  // warm up: libssh2 and the resolver allocate what they keep for the process
    auto [url, t] = zt::open_tunnel(nowhere, sshd.server(), opt);
  }
  const auto fds = open_descriptors();
  const auto thread_count = threads();
  std::optional<int> pid;
  {
    auto [url, t] = zt::open_tunnel(nowhere, sshd.server(), opt);
    pid = t.ssh_pid();
    EXPECT_EQ(pid.has_value(), GetParam() == zt::backend::openssh);
    // One forwarded connection, refused at the destination and closed by the tunnel.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(t.local_port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte;
    EXPECT_LE(::recv(fd, &byte, 1, 0), 0);
    ::close(fd);
    t.close();
    EXPECT_FALSE(t.ssh_pid());
  }
  if (pid) {
    EXPECT_EQ(::kill(*pid, 0), -1) << "ssh " << *pid << " still exists";
  }
  EXPECT_EQ(open_descriptors(), fds);
  EXPECT_EQ(threads(), thread_count);
}

TEST_P(tunnel_test, try_passwordless_ssh) {
  EXPECT_TRUE(zt::try_passwordless_ssh(sshd.server(), key_options()));
  zt::options stranger = sshd.key_options(sshd.user_key("ecdsa", "", false), GetParam());
  EXPECT_FALSE(zt::try_passwordless_ssh(sshd.server(), stranger));
}

// libssh2 only.

TEST(tunnel_libssh2_test, rsa_key_gets_an_error_that_explains_why) {
  sshd_server sshd;
  zt::options opt = sshd.key_options(sshd.user_key("rsa"), zt::backend::libssh2);
  auto e = error_of([&] { zt::open_tunnel("tcp://127.0.0.1:5555", sshd.server(), opt); });
  EXPECT_EQ(e.code(), zt::errc::unsupported_key) << e.what();
  EXPECT_THAT(e.what(), HasSubstr("rsa-sha2"));
  EXPECT_THAT(e.what(), HasSubstr("ed25519"));
  EXPECT_THAT(e.what(), HasSubstr("openssh"));
}

TEST(tunnel_libssh2_test, rsa_key_works_through_openssh_and_automatic_picks_it) {
  sshd_server sshd;
  zmq::context_t ctx;
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = sshd.key_options(sshd.user_key("rsa"), zt::backend::automatic);
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
  EXPECT_EQ(t.backend(), zt::backend::openssh);
  expect_round_trip(req, rep, "rsa");
}

TEST(tunnel_libssh2_test, reconnect_after_the_session_drops) {
  // sshd's per-connection processes are killed, the listener stays: a new login succeeds.
  sshd_server sshd;
  zmq::context_t ctx;
  destination rep(ctx, zmq::socket_type::rep);
  zt::options opt = sshd.key_options(sshd.user_key("ed25519"), zt::backend::libssh2);
  opt.reconnect = true;
  zmq::socket_t req = client(ctx, zmq::socket_type::req);
  auto t = zt::tunnel_connection(req, rep.addr, sshd.server(), opt);
  expect_round_trip(req, rep, "before");
  const auto port = t.local_port();
  sshd.kill_sessions();
  EXPECT_TRUE(wait_until([&] { return t.stats().reconnects >= 1; }, 20s)) << t.last_error();
  EXPECT_TRUE(t.is_alive());
  EXPECT_EQ(t.local_port(), port);
  // libzmq reconnects its REQ; the request in flight is lost with the old connection.
  zmq::socket_t req2 = client(ctx, zmq::socket_type::req);
  req2.connect(t.local_endpoint());
  expect_round_trip(req2, rep, "after");
}

TEST(tunnel_select_random_ports_test, distinct_free_ports) {
  auto ports = zt::select_random_ports(5);
  ASSERT_EQ(ports.size(), 5u);
  std::sort(ports.begin(), ports.end());
  EXPECT_EQ(std::unique(ports.begin(), ports.end()), ports.end());
  EXPECT_NE(ports.front(), 0);
}

}  // namespace

namespace {

// The issue's example, verbatim: it must compile. It is a function, not a test, because there is
// no gateway to run it against (the tests above run the same calls against the test sshd).
[[maybe_unused]] void issue_snippet_compiles() {
  zmq::context_t ctx;
  namespace zt = zmqsec::tunnel;
  zt::options opt;
  opt.keyfile = "/home/me/.ssh/id_ed25519";
  opt.known_hosts = "/home/me/.ssh/known_hosts";
  zmq::socket_t req{ctx, zmq::socket_type::req};
  zt::tunnel t = zt::tunnel_connection(req, "tcp://10.0.1.2:5555", "me@gateway:22", opt);
  // req is now connected through the tunnel; t closes it when destroyed
  auto [url, t2] = zt::open_tunnel("tcp://127.0.0.1:6000", "me@gateway", opt);
}

}  // namespace
