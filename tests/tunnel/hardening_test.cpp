// zmq-tunnel under hostile or careless input (issue 20): files that are not files, stop signals
// while the tunnel is still opening, and secrets in core dumps. The real binary against the real
// sshd of sshd_fixture.hpp; cores are taken with gdb's gcore and by the kernel (SIGABRT).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>
#include <zmq.hpp>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel.hpp>

#include "bind_loopback.hpp"
#include "process.hpp"
#include "sshd_fixture.hpp"
#include "temp_dir.hpp"

namespace zt = zmqsec::tunnel;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using zmqsec::testing::child_process;
using zmqsec::testing::sshd_server;

namespace {

constexpr auto open_time = 20s;

std::vector<std::string> tool(std::vector<std::string> args) {
  args.insert(args.begin(), ZMQ_TUNNEL_PATH);
  return args;
}

std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A core of the running process pid taken by gdb's gcore into dir; empty if gcore failed.
[[maybe_unused]] std::string gcore(pid_t pid, const zmqsec::testing::temp_dir& dir) {
  const auto prefix = dir / "gcore";
  const auto r = zmqsec::testing::run_process(
      {"/usr/bin/gcore", "-o", prefix.string(), std::to_string(pid)}, 60s);
  const auto file = prefix.string() + "." + std::to_string(pid);
  EXPECT_TRUE(std::filesystem::exists(file)) << r;
  return read_whole(file);
}

// A TCP listener on loopback that never answers: connections complete (the kernel accepts them
// into the backlog) and then hear nothing, like an SSH server that hangs.
struct silent_server {
  silent_server() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("silent_server: cannot listen");
    }
    port = ntohs(addr.sin_port);
  }
  ~silent_server() { ::close(fd); }
  // Waits until a client's connection is complete (readable listener).
  bool wait_for_client(std::chrono::milliseconds timeout) const {
    pollfd item{fd, POLLIN, 0};
    return ::poll(&item, 1, static_cast<int>(timeout.count())) == 1;
  }
  int fd = -1;
  std::uint16_t port = 0;
};

class tunnel_hardening_test : public ::testing::Test {
 protected:
  zmq::context_t ctx;
  sshd_server sshd;
};

}  // namespace

#ifndef ZMQSEC_TEST_NO_GCORE  // see tests/tunnel/CMakeLists.txt
// The password given on standard input is wiped everywhere once the tunnel is open (the tool's
// copies and libssh2's packet buffers), so that even root's gcore of the running tool (root
// passes the non-dumpable flag) finds no trace of it.
TEST_F(tunnel_hardening_test, a_core_of_the_open_tunnel_holds_no_password) {
  zmqsec::testing::password_user user;
  for (const std::string backend : {"libssh2", "openssh"}) {
    SCOPED_TRACE(backend);
    zmq::socket_t rep(ctx, zmq::socket_type::rep);
    const auto addr = zmqsec::testing::bind_loopback(rep);
    child_process t(tool({addr, sshd.server(sshd_server::password_user), "--password-stdin",
                          "--known-hosts", sshd.known_hosts().string(), "--backend", backend}),
                    zmqsec::testing::with_input(user.password() + "\n"));
    ASSERT_TRUE(t.wait_for_output("\n", open_time)) << t.wait(1s);
    zmqsec::testing::temp_dir dir;
    const std::string core = gcore(t.pid(), dir);
    EXPECT_GT(core.size(), 100'000u);
    EXPECT_EQ(core.find(user.password()), std::string::npos) << "the password is in the core";
    t.send_signal(SIGTERM);
    EXPECT_EQ(t.wait(10s).exit_code, 0);
  }
}
#endif

// The tool is non-dumpable while it runs: a crash (SIGABRT, core dumps allowed, a core pattern
// that writes into the working folder) leaves no core file.
TEST_F(tunnel_hardening_test, a_crash_of_the_running_tool_writes_no_core) {
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &before), 0);
  ASSERT_EQ(::setrlimit(RLIMIT_CORE, &unlimited), 0);
  ASSERT_EQ(read_whole("/proc/sys/kernel/core_pattern"), "core\n")
      << "this test needs the kernel to write cores into the working folder";
  zmqsec::testing::temp_dir dir;
  ::chmod(dir.path().c_str(), 0777);
  zmq::socket_t rep(ctx, zmq::socket_type::rep);
  const auto addr = zmqsec::testing::bind_loopback(rep);
  auto options = zmqsec::testing::in_folder(dir.path());
  child_process t(tool({addr, sshd.server(), "-i", sshd.user_key("ed25519").string(),
                        "--known-hosts", sshd.known_hosts().string(), "--backend", "libssh2"}),
                  options);
  ::setrlimit(RLIMIT_CORE, &before);
  ASSERT_TRUE(t.wait_for_output("\n", open_time)) << t.wait(1s);
  t.send_signal(SIGABRT);
  const auto r = t.wait(10s);
  EXPECT_EQ(r.signal, SIGABRT) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "core")) << "the tool left a core file";
}

// SIGTERM ends the tool within a second while it is still opening the tunnel (an SSH server
// that accepts the connection and never says a word), with either backend.
TEST_F(tunnel_hardening_test, sigterm_stops_it_within_a_second_while_it_opens_the_tunnel) {
  for (const std::string backend : {"libssh2", "openssh"}) {
    SCOPED_TRACE(backend);
    silent_server server;
    zmq::socket_t rep(ctx, zmq::socket_type::rep);
    const auto addr = zmqsec::testing::bind_loopback(rep);
    child_process t(
        tool({addr, "root@127.0.0.1:" + std::to_string(server.port), "-i",
              sshd.user_key("ed25519").string(), "--known-hosts", sshd.known_hosts().string(),
              "--backend", backend, "--connect-timeout", "60"}));
    ASSERT_TRUE(server.wait_for_client(20s)) << t.wait(1s);
    const auto signalled = std::chrono::steady_clock::now();
    t.send_signal(SIGTERM);
    const auto r = t.wait(30s);
    const auto took = std::chrono::steady_clock::now() - signalled;
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, "") << r;
    EXPECT_LT(took, 1s) << r;
  }
}

// Files that are not files, given to the library: refused at once, before any connection.
TEST_F(tunnel_hardening_test, open_tunnel_refuses_a_fifo_or_a_device_as_key_or_known_hosts) {
  zmqsec::testing::temp_dir dir;
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  zmq::socket_t rep(ctx, zmq::socket_type::rep);
  const auto addr = zmqsec::testing::bind_loopback(rep);
  for (const auto& bad : {fifo, std::filesystem::path("/dev/zero"), dir.path()}) {
    SCOPED_TRACE(bad.string());
    for (const bool as_key : {true, false}) {
      zt::options opt = sshd.key_options(sshd.user_key("ed25519"),
                                         as_key ? zt::backend::automatic : zt::backend::libssh2);
      (as_key ? opt.keyfile : opt.known_hosts) = bad;
      try {
        zt::open_tunnel(addr, sshd.server(), opt);
        ADD_FAILURE() << "opened";
      } catch (const zmqsec::error& e) {
        EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument) << e.what();
        EXPECT_THAT(e.what(), HasSubstr(bad.string() + ": not a regular file ("));
      }
    }
  }
}

// A key file larger than any key: refused with its bound, without reading it all.
TEST_F(tunnel_hardening_test, open_tunnel_refuses_a_key_file_larger_than_any_key) {
  zmqsec::testing::temp_dir dir;
  const auto big = dir.write("big_key", std::string(65 * 1024, 'k'));
  zt::options opt = sshd.key_options(big, zt::backend::libssh2);
  try {
    zt::open_tunnel("tcp://127.0.0.1:5555", sshd.server(), opt);
    ADD_FAILURE() << "opened";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(std::string(e.what()), big.string() + ": file too large (at most 65536 bytes)");
  }
}
