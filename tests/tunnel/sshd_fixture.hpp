// A throwaway OpenSSH server on 127.0.0.1 (and ::1 when the host has IPv6) for the tunnel tests:
// its own host key, authorized_keys and configuration in a temporary folder, started as a child
// `/usr/sbin/sshd -D -e -f CONFIG` in a process group of its own, ready when it has sent its
// banner, killed with its whole group at the end. Needs root (sshd's privilege separation) and
// the Debian packages openssh-server and openssh-client.
//
//   sshd_server sshd;
//   zt::options opt = sshd.key_options(sshd.user_key("ed25519"));
//   auto [url, t] = zt::open_tunnel(dest, sshd.server(), opt);
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <zmqsec/tunnel/options.hpp>

#include "temp_dir.hpp"
#include "wait_until.hpp"

extern char** environ;

namespace zmqsec::testing {

/// Runs a program to completion; its output goes to log (or /dev/null). Returns the exit status.
inline int run_program(const std::vector<std::string>& argv, const std::string& log = "/dev/null",
                       const std::string& input_file = "/dev/null") {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, input_file.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(err));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

/// A port that was free a moment ago (sshd is retried on another one if it was taken since).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// Whether host:port answers with an SSH banner.
inline bool ssh_banner_from(const char* host, std::uint16_t port) {
  const bool v6 = std::strchr(host, ':') != nullptr;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    ::inet_pton(AF_INET6, host, &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    ::inet_pton(AF_INET, host, &a->sin_addr);
    len = sizeof *a;
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) {
    char banner[8] = {};
    ok =
        ::recv(fd, banner, sizeof banner, MSG_WAITALL) == 8 && std::string(banner, 8) == "SSH-2.0-";
  }
  ::close(fd);
  return ok;
}

class sshd_server {
 public:
  static constexpr const char* password_user = "zmqsec-tunnel-test";

  sshd_server() : ipv6_(ipv6_loopback_available()) {
    if (::geteuid() != 0) throw std::runtime_error("the sshd fixture needs root");
    std::error_code ignored;
    std::filesystem::create_directories("/run/sshd", ignored);
    keygen("host_ed25519", "ed25519", "");
    for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) start(free_port());
    if (pid_ < 0) {
      throw std::runtime_error("sshd did not start; its log:\n" + read_file(dir_ / "sshd.log"));
    }
  }
  sshd_server(const sshd_server&) = delete;
  sshd_server& operator=(const sshd_server&) = delete;
  ~sshd_server() { stop(); }

  std::uint16_t port() const noexcept { return port_; }
  bool ipv6() const noexcept { return ipv6_; }
  const std::filesystem::path& dir() const noexcept { return dir_.path(); }
  std::string log() const { return read_file(dir_ / "sshd.log"); }

  /// "root@127.0.0.1:PORT" (or with another user or host).
  std::string server(const std::string& user = "root",
                     const std::string& host = "127.0.0.1") const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return user + "@" + h + ":" + std::to_string(port_);
  }

  /// A known_hosts file that holds this server's key for 127.0.0.1 and ::1.
  std::filesystem::path known_hosts() const {
    const std::string key = public_key("host_ed25519");
    return dir_.write("known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " + key + "\n" +
                                         "[::1]:" + std::to_string(port_) + " " + key + "\n");
  }

  /// A known_hosts file that holds another key of the same type for this server: a changed key.
  std::filesystem::path wrong_known_hosts() {
    keygen("other_host_ed25519", "ed25519", "");
    return dir_.write("wrong_known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " +
                                               public_key("other_host_ed25519") + "\n");
  }

  /// A user key of the given type ("ed25519", "ecdsa", "rsa"), allowed in authorized_keys
  /// unless authorize is false.
  std::filesystem::path user_key(const std::string& type, const std::string& passphrase = "",
                                 bool authorize = true) {
    const std::string name =
        "user_" + type + (passphrase.empty() ? "" : "_pp") + (authorize ? "" : "_stranger");
    if (!std::filesystem::exists(dir_ / name)) {
      keygen(name, type, passphrase);
      if (authorize) {
        authorized_ += public_key(name) + "\n";
        dir_.write("authorized_keys", authorized_);
      }
    }
    return dir_ / name;
  }

  /// Options for a key of this server, checked strictly against known_hosts().
  zmqsec::tunnel::options key_options(const std::filesystem::path& key,
                                      zmqsec::tunnel::backend b) const {
    zmqsec::tunnel::options opt;
    opt.keyfile = key;
    opt.known_hosts = known_hosts();
    opt.backend = b;
    opt.connect_timeout = std::chrono::seconds(10);
    opt.ssh_arguments = {"-F", "none"};
    return opt;
  }

  /// Kills sshd and every process it started (session processes are in sessions of their own,
  /// so they are found through /proc, by parent, and killed by pid).
  void kill_all() {
    if (pid_ <= 0) return;
    auto tree = descendants(pid_);
    ::kill(pid_, SIGKILL);
    for (pid_t p : tree) ::kill(p, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  /// Kills the processes serving logged-in sessions; sshd itself goes on accepting logins.
  void kill_sessions() {
    if (pid_ <= 0) return;
    for (pid_t p : descendants(pid_)) ::kill(p, SIGKILL);
  }

 private:
  void stop() { kill_all(); }

  static std::vector<pid_t> descendants(pid_t pid) {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
      std::istringstream children(read_file(task.path() / "children"));
      for (pid_t child; children >> child;) {
        found.push_back(child);
        auto below = descendants(child);
        found.insert(found.end(), below.begin(), below.end());
      }
    }
    return found;
  }

  void keygen(const std::string& name, const std::string& type, const std::string& passphrase) {
    std::vector<std::string> argv = {"ssh-keygen", "-q", "-t", type, "-N",
                                     passphrase,   "-C", name, "-f", (dir_ / name).string()};
    if (type == "rsa") argv.insert(argv.end(), {"-b", "2048"});
    if (run_program(argv) != 0) throw std::runtime_error("ssh-keygen failed for " + name);
  }

  std::string public_key(const std::string& name) const {
    std::string text = read_file(dir_ / (name + ".pub"));
    // "type base64 comment": keep type and key.
    auto second = text.find(' ', text.find(' ') + 1);
    return text.substr(0, second);
  }

  void start(std::uint16_t port) {
    port_ = port;
    std::string config = "Port " + std::to_string(port) +
                         "\n"
                         "ListenAddress 127.0.0.1\n" +
                         (ipv6_ ? "ListenAddress ::1\n" : "") + "HostKey " +
                         (dir_ / "host_ed25519").string() + "\nPidFile none\n" +
                         "AuthorizedKeysFile " + (dir_ / "authorized_keys").string() +
                         "\n"
                         "PubkeyAuthentication yes\n"
                         "PasswordAuthentication yes\n"
                         "KbdInteractiveAuthentication no\n"
                         "UsePAM no\n"
                         "StrictModes no\n"
                         "AllowTcpForwarding yes\n"
                         "PermitRootLogin prohibit-password\n"
                         "AllowUsers root " +
                         password_user +
                         "\n"
                         "MaxStartups 200\n"
                         "MaxSessions 200\n"
                         "LogLevel VERBOSE\n";
    dir_.write("authorized_keys", authorized_);
    auto file = dir_.write("sshd_config", config);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    const std::string log = (dir_ / "sshd.log").string();
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    std::vector<std::string> argv = {"/usr/sbin/sshd", "-D", "-e", "-f", file.string()};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = -1;
    int err = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (err != 0) throw std::runtime_error(std::string("cannot run sshd: ") + std::strerror(err));
    bool exited = false;
    const bool ready = wait_until(
        [&] {
          int status = 0;
          if (::waitpid(pid, &status, WNOHANG) == pid) return exited = true;
          return ssh_banner_from("127.0.0.1", port) && (!ipv6_ || ssh_banner_from("::1", port));
        },
        std::chrono::seconds(10));
    if (ready && !exited) {
      pid_ = pid;
      return;
    }
    if (!exited) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  temp_dir dir_;
  bool ipv6_ = false;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::string authorized_;
};

/// The password user for the duration of one test, with a fresh random password; a file lock
/// keeps tests in other processes from changing it meanwhile, and the password is locked again
/// at the end, so the account never has a usable password outside a test.
class password_user {
 public:
  password_user() {
    lock_ = ::open("/tmp/zmqsec-tunnel-password-user.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_ < 0 || ::flock(lock_, LOCK_EX) != 0) throw std::runtime_error("cannot lock");
    const std::string name = sshd_server::password_user;
    if (run_program({"id", name}) != 0 &&
        run_program({"useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                     "--shell", "/bin/sh", name}) != 0) {
      throw std::runtime_error("useradd " + name + " failed");
    }
    std::random_device rd;
    for (int i = 0; i < 24; ++i)
      password_ += "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"[rd() % 57];
    temp_dir_.write("chpasswd", name + ":" + password_ + "\n");
    if (run_program({"chpasswd"}, "/dev/null", (temp_dir_ / "chpasswd").string()) != 0) {
      throw std::runtime_error("chpasswd failed");
    }
  }
  password_user(const password_user&) = delete;
  password_user& operator=(const password_user&) = delete;
  ~password_user() {
    run_program({"usermod", "--lock", sshd_server::password_user});
    ::close(lock_);
  }
  const std::string& password() const noexcept { return password_; }

 private:
  int lock_ = -1;
  temp_dir temp_dir_;
  std::string password_;
};

}  // namespace zmqsec::testing
