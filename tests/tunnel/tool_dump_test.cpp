// zmq-tunnel's password in root's gcore of the tool at the moments it holds it (issue 20): after
// reading it from standard input, while it connects to a server that never answers (before
// this test, the password then sat in a plain std::string of the tool's options, and this core
// held it). The tool is non-dumpable; root passes that flag, so what is tested is where zmqsec
// keeps the password: in secret memory (core/secret_memory.hpp), which no core contains.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "process.hpp"
#include "sshd_fixture.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using zmqsec::testing::child_process;
using zmqsec::testing::temp_dir;

namespace {

// A core of the running process pid, taken by gdb's gcore.
std::string gcore_of(pid_t pid, const temp_dir& dir) {
  const auto prefix = dir / "core";
  const auto r = zmqsec::testing::run_process(
      {"/usr/bin/gcore", "-o", prefix.string(), std::to_string(pid)}, 120s);
  const auto file = prefix.string() + "." + std::to_string(pid);
  EXPECT_TRUE(std::filesystem::exists(file)) << r;
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A TCP listener on loopback whose connections complete and then hear nothing.
class silent_listener {
 public:
  silent_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("silent_listener: cannot listen");
    }
    port_ = ntohs(addr.sin_port);
  }
  silent_listener(const silent_listener&) = delete;
  silent_listener& operator=(const silent_listener&) = delete;
  ~silent_listener() { ::close(fd_); }
  bool wait_for_client(std::chrono::milliseconds timeout) const {
    pollfd item{fd_, POLLIN, 0};
    return ::poll(&item, 1, static_cast<int>(timeout.count())) == 1;
  }
  std::uint16_t port() const noexcept { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

std::string random_password() {
  std::random_device rd;
  std::string password;
  for (int i = 0; i < 14; ++i) password += "abcdefghijkmnopqrstuvwxyz23456789"[rd() % 33];
  return password;
}

}  // namespace

TEST(tunnel_tool_dump_test, a_core_of_the_tool_opening_its_tunnel_holds_no_password) {
  for (const std::string backend : {"libssh2", "openssh"}) {
    SCOPED_TRACE(backend);
    silent_listener server;
    temp_dir dir;
    const std::string password = random_password();
    child_process tool(
        {ZMQ_TUNNEL_PATH, "tcp://127.0.0.1:5555", "root@127.0.0.1:" + std::to_string(server.port()),
         "--password-stdin", "--backend", backend, "--connect-timeout", "60", "--known-hosts",
         (dir / "known_hosts").string()},
        zmqsec::testing::with_input(password + "\n"));
    tool.read_available();  // writes the password line to its standard input
    // Connected: the password has been read and is held for the login to come.
    ASSERT_TRUE(server.wait_for_client(20s)) << tool.wait(1s);
    const std::string core = gcore_of(tool.pid(), dir);
    EXPECT_GT(core.size(), 100'000u);
    EXPECT_EQ(core.find(password), std::string::npos) << "the password is in the core";
    tool.send_signal(SIGTERM);
    EXPECT_EQ(tool.wait(10s).exit_code, 0);
  }
}

// The control: the tool's core does hold what it keeps in plain memory, here its command line
// (the known_hosts path, made unique), so a missing password above is not a blind search.
TEST(tunnel_tool_dump_test, a_core_of_the_tool_holds_its_plain_memory) {
  silent_listener server;
  temp_dir dir;
  const std::string marker = "known-hosts-" + random_password();
  child_process tool(
      {ZMQ_TUNNEL_PATH, "tcp://127.0.0.1:5555", "root@127.0.0.1:" + std::to_string(server.port()),
       "--password-stdin", "--backend", "libssh2", "--connect-timeout", "60", "--known-hosts",
       (dir / marker).string()},
      zmqsec::testing::with_input(random_password() + "\n"));
  tool.read_available();
  ASSERT_TRUE(server.wait_for_client(20s)) << tool.wait(1s);
  const std::string core = gcore_of(tool.pid(), dir);
  std::size_t copies = 0;
  for (auto at = core.find(marker); at != std::string::npos; at = core.find(marker, at + 1)) {
    ++copies;
  }
  EXPECT_GE(copies, 2u) << "argv and the tool's options";
  tool.send_signal(SIGTERM);
  EXPECT_EQ(tool.wait(10s).exit_code, 0);
}
