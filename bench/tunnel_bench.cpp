// zmqsec_bench_tunnel: the libssh2 tunnel against `ssh -L` (the openssh backend: the same ssh
// program a user would run) with the same cipher and MAC (aes128-ctr, hmac-sha2-256: the sshd of
// this benchmark offers nothing else), and against direct loopback, in one run:
//   - throughput: one TCP connection through the forward to a sink on 127.0.0.1 that counts the
//     bytes and acknowledges the total; timed from the first byte sent to the acknowledgement;
//   - time to set up a new forwarded connection over an open tunnel: connect, one byte there and
//     back (the byte proves the channel is open at the far end), median of many.
// The sshd is started by this program (as the tunnel tests do): it needs root and openssh-server.
//
//   zmqsec_bench_tunnel [--quick | --smoke] [--mib N] [--connections N] [--repeat R]
//                       [--no-header]
//
// Each measurement runs --repeat times, interleaved; the table shows the best throughput and the
// median connection time. Progress goes to stderr. Exits 1 if a measurement failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/tunnel.hpp>

#include "bench_process.hpp"
#include "bench_table.hpp"

namespace zb = zmqsec::bench;
namespace zt = zmqsec::tunnel;
using clock_type = std::chrono::steady_clock;

namespace {

struct config {
  std::size_t mib = 256;
  int connections = 200;
  int repeat = 3;
  bool header = true;
};

std::uint16_t port_of(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool read_exact(int fd, void* data, std::size_t n) {
  auto* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// The destination: per connection, echoes one byte, then counts bytes to end of file and
// answers with the count (8 bytes).
class sink {
 public:
  sink() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 512) != 0) {
      throw std::runtime_error("sink: bind failed");
    }
    port_ = port_of(fd_);
    thread_ = std::thread([this] { serve(); });
  }
  ~sink() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    for (;;) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::thread([c] {
        std::vector<char> buffer(1 << 18);
        char byte;
        if (read_exact(c, &byte, 1) && ::send(c, &byte, 1, MSG_NOSIGNAL) == 1) {
          std::uint64_t total = 0;
          for (ssize_t n; (n = ::recv(c, buffer.data(), buffer.size(), 0)) > 0;) {
            total += static_cast<std::uint64_t>(n);
          }
          ::send(c, &total, sizeof total, MSG_NOSIGNAL);
        }
        ::close(c);
      }).detach();
    }
  }
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Bytes per second of one connection to port carrying mib MiB.
double throughput(std::uint16_t port, std::size_t mib) {
  int fd = connect_to(port);
  const std::vector<char> block(1 << 20, 'x');
  char byte = 'p';
  if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1 || !read_exact(fd, &byte, 1)) {
    ::close(fd);
    throw std::runtime_error("throughput: no echo");
  }
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < mib; ++i) {
    std::size_t off = 0;
    while (off < block.size()) {
      ssize_t n = ::send(fd, block.data() + off, block.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("throughput: send failed");
      off += static_cast<std::size_t>(n);
    }
  }
  ::shutdown(fd, SHUT_WR);
  std::uint64_t total = 0;
  const bool ok = read_exact(fd, &total, sizeof total);
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  ::close(fd);
  if (!ok || total != mib << 20) throw std::runtime_error("throughput: bytes lost");
  return static_cast<double>(total) / seconds;
}

// Seconds to connect through port and get one byte back, per connection (sorted).
std::vector<double> connection_times(std::uint16_t port, int n) {
  std::vector<double> times;
  for (int i = 0; i < n; ++i) {
    const auto start = clock_type::now();
    int fd = connect_to(port);
    char byte = 'c';
    const bool ok = ::send(fd, &byte, 1, MSG_NOSIGNAL) == 1 && read_exact(fd, &byte, 1);
    times.push_back(std::chrono::duration<double>(clock_type::now() - start).count());
    ::close(fd);
    if (!ok) throw std::runtime_error("connection: no echo");
  }
  std::sort(times.begin(), times.end());
  return times;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// sshd on 127.0.0.1 with one cipher and one MAC; killed (with its session processes, found by
// parent in /proc) when it goes out of scope.
class bench_sshd {
 public:
  bench_sshd() {
    std::string pattern = (std::filesystem::temp_directory_path() / "zmqsec-bench-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    std::filesystem::create_directories("/run/sshd");
    keygen("host");
    keygen("user");
    copy("user.pub", "authorized_keys");
    for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start();
    if (pid_ < 0) throw std::runtime_error("sshd did not start (needs root and openssh-server)");
    std::ifstream host(dir_ / "host.pub");
    std::string type, key;
    host >> type >> key;
    std::ofstream(dir_ / "known_hosts")
        << "[127.0.0.1]:" << port_ << ' ' << type << ' ' << key << '\n';
  }
  ~bench_sshd() {
    if (pid_ > 0) {
      auto tree = children(pid_);
      ::kill(pid_, SIGKILL);
      for (pid_t p : tree) ::kill(p, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string server() const { return "root@127.0.0.1:" + std::to_string(port_); }
  zt::options options(zt::backend b) const {
    zt::options opt;
    opt.keyfile = dir_ / "user";
    opt.known_hosts = dir_ / "known_hosts";
    opt.backend = b;
    opt.ssh_arguments = {"-F", "none", "-c", "aes128-ctr", "-m", "hmac-sha2-256"};
    return opt;
  }

 private:
  static std::vector<pid_t> children(pid_t pid) {
    std::vector<pid_t> found;
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    for (pid_t c; in >> c;) {
      found.push_back(c);
      auto below = children(c);
      found.insert(found.end(), below.begin(), below.end());
    }
    return found;
  }
  void keygen(const std::string& name) {
    zb::run({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (dir_ / name).string()});
  }
  void copy(const char* from, const char* to) {
    std::filesystem::copy_file(dir_ / from, dir_ / to,
                               std::filesystem::copy_options::overwrite_existing);
  }
  void start() {
    int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a);
    port_ = port_of(probe);
    ::close(probe);
    std::ofstream(dir_ / "sshd_config")
        << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey " << (dir_ / "host").string()
        << "\nPidFile none\nAuthorizedKeysFile " << (dir_ / "authorized_keys").string()
        << "\nUsePAM no\nStrictModes no\nPasswordAuthentication no\nAllowTcpForwarding yes\n"
           "PermitRootLogin prohibit-password\nCiphers aes128-ctr\nMACs hmac-sha2-256\n"
           "MaxStartups 1000\nLogLevel ERROR\n";
    const std::string config = (dir_ / "sshd_config").string();
    const std::string log = (dir_ / "sshd.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT, 0600);
    const char* argv[] = {"/usr/sbin/sshd", "-D", "-e", "-f", config.c_str(), nullptr};
    pid_t pid = -1;
    if (::posix_spawn(&pid, argv[0], &actions, nullptr, const_cast<char**>(argv), environ) != 0) {
      throw std::runtime_error("cannot run /usr/sbin/sshd");
    }
    posix_spawn_file_actions_destroy(&actions);
    // Ready when it sends its banner; gone if the port was taken in the meantime.
    const auto deadline = clock_type::now() + std::chrono::seconds(10);
    while (clock_type::now() < deadline) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      a.sin_port = htons(port_);
      timeval tv{1, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char banner[4] = {};
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                      read_exact(fd, banner, 4) && std::memcmp(banner, "SSH-", 4) == 0;
      ::close(fd);
      if (up) {
        pid_ = pid;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling sshd's startup
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

struct figures {
  double best_rate = 0;
  std::vector<double> connect_medians;
};

int run(const config& cfg) {
  ::signal(SIGPIPE, SIG_IGN);
  bench_sshd sshd;
  sink destination;
  const std::string addr = "tcp://127.0.0.1:" + std::to_string(destination.port());
  auto [url1, ours] = zt::open_tunnel(addr, sshd.server(), sshd.options(zt::backend::libssh2));
  auto [url2, ssh_l] = zt::open_tunnel(addr, sshd.server(), sshd.options(zt::backend::openssh));
  figures f_ours, f_ssh, f_direct;
  for (int r = 0; r < cfg.repeat; ++r) {
    struct side {
      figures& f;
      std::uint16_t port;
      const char* name;
    };
    for (side s :
         {side{f_direct, destination.port(), "direct"}, side{f_ours, ours.local_port(), "libssh2"},
          side{f_ssh, ssh_l.local_port(), "ssh -L"}}) {
      const double rate = throughput(s.port, cfg.mib);
      s.f.best_rate = std::max(s.f.best_rate, rate);
      const double connect = median(connection_times(s.port, cfg.connections));
      s.f.connect_medians.push_back(connect);
      std::cerr << "run " << r + 1 << ' ' << s.name << ": " << zb::byte_rate(rate) << ", connect "
                << zb::seconds(connect) << '\n';
    }
  }
  if (!ours.is_alive() || !ssh_l.is_alive()) throw std::runtime_error("a tunnel died");
  const double c_ours = median(f_ours.connect_medians);
  const double c_ssh = median(f_ssh.connect_medians);
  const double c_direct = median(f_direct.connect_medians);
  const std::string size = std::to_string(cfg.mib) + " MiB";
  if (cfg.header) zb::print_header(std::cout);
  zb::print_row(std::cout, {"tunnel throughput, 1 conn, " + size, zb::byte_rate(f_ours.best_rate),
                            "ssh -L, aes128-ctr + hmac-sha2-256", zb::byte_rate(f_ssh.best_rate),
                            f_ours.best_rate / f_ssh.best_rate,
                            zb::goal(f_ours.best_rate >= f_ssh.best_rate, ">= 1.0x")});
  zb::print_row(std::cout,
                {"  the same", zb::byte_rate(f_ours.best_rate), "direct loopback (no tunnel)",
                 zb::byte_rate(f_direct.best_rate), f_ours.best_rate / f_direct.best_rate});
  zb::print_row(std::cout, {"new forwarded connection, median", zb::seconds(c_ours),
                            "ssh -L over an open tunnel", zb::seconds(c_ssh), c_ssh / c_ours,
                            zb::goal(c_ours < 5e-3, "< 5 ms")});
  zb::print_row(std::cout, {"  the same", zb::seconds(c_ours), "direct loopback connection",
                            zb::seconds(c_direct), c_direct / c_ours});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--quick") {
        cfg.mib = 64;
        cfg.connections = 50;
        cfg.repeat = 1;
      } else if (a == "--smoke") {
        cfg.mib = 8;
        cfg.connections = 10;
        cfg.repeat = 1;
      } else if (a == "--mib") {
        cfg.mib = std::stoul(value());
      } else if (a == "--connections") {
        cfg.connections = std::stoi(value());
      } else if (a == "--repeat") {
        cfg.repeat = std::stoi(value());
      } else if (a == "--no-header") {
        cfg.header = false;
      } else {
        std::cerr << "zmqsec_bench_tunnel: unknown argument " << a << '\n';
        return 2;
      }
    } catch (const std::exception& e) {
      std::cerr << "zmqsec_bench_tunnel: " << e.what() << '\n';
      return 2;
    }
  }
  try {
    return run(cfg);
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_tunnel: " << e.what() << '\n';
    return 1;
  }
}
