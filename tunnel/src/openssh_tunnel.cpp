// The openssh backend: a child `ssh -N -L 127.0.0.1:LPORT:HOST:RPORT SERVER` owned by the tunnel.
// ssh runs in a session of its own (no terminal: prompts go to an SSH_ASKPASS helper, forced
// with SSH_ASKPASS_REQUIRE=force), at log level DEBUG1 so that its stderr says when the forward
// is ready ("Entering interactive session": printed only once every -L listener is bound; with
// ExitOnForwardFailure a bind that fails ends ssh before) and, if it fails, what failed. A monitor
// thread reads that stderr for as long as ssh runs, counts forwarded connections, and reaps the
// child; close() signals it and waits.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <zmqsec/core/worker.hpp>
#include <zmqsec/tunnel/open.hpp>

#include "impl.hpp"
#include "net.hpp"

extern char** environ;

namespace zmqsec::tunnel::detail {
namespace {

using clock = std::chrono::steady_clock;

// A private folder (0700) with the askpass helper and the secrets it hands to ssh (0600),
// removed when ssh no longer needs them.
class askpass_dir {
 public:
  explicit askpass_dir(const options& opt) {
    std::string pattern = (std::filesystem::temp_directory_path() / "zmqsec-askpass-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw zmqsec::error::from_errno(errno, "mkdtemp for the SSH_ASKPASS helper");
    }
    path_ = pattern;
    write("password", opt.password, 0600);
    write("passphrase", opt.passphrase, 0600);
    std::string quoted = "'";
    for (char c : path_.string()) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    // ssh passes its prompt as $1: a key's passphrase, or else a password.
    write("askpass",
          "#!/bin/sh\ncase \"$1\" in\n  *assphrase*) f=passphrase ;;\n  *) f=password ;;\nesac\n"
          "test -s " +
              quoted + "/$f && exec cat " + quoted + "/$f\nexit 1\n",
          0700);
  }
  askpass_dir(const askpass_dir&) = delete;
  askpass_dir& operator=(const askpass_dir&) = delete;
  ~askpass_dir() { remove(); }

  std::filesystem::path helper() const { return path_ / "askpass"; }
  void remove() noexcept {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    path_.clear();
  }

 private:
  void write(const char* name, std::string_view text, mode_t mode) {
    auto file = path_ / name;
    unique_fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      throw zmqsec::error::from_errno(errno, "cannot write " + file.string());
    }
  }
  std::filesystem::path path_;
};

// The ssh command line for a forward (probe false) or for a login test that runs `true` (probe).
std::vector<std::string> ssh_command(const tcp_address& dest, const server_address& server,
                                     const options& opt, std::uint16_t local_port,
                                     bool probe = false) {
  auto seconds = [](std::chrono::milliseconds ms) {
    return std::to_string(std::max<long long>(1, (ms.count() + 999) / 1000));
  };
  std::vector<std::string> argv = {opt.ssh_program.string(), "-v", "-T"};
  auto o = [&](const std::string& option) {
    argv.push_back("-o");
    argv.push_back(option);
  };
  o("ExitOnForwardFailure=yes");
  o(std::string("StrictHostKeyChecking=") +
    (opt.host_keys == host_key_policy::accept_new ? "accept-new" : "yes"));
  if (!opt.known_hosts.empty()) o("UserKnownHostsFile=" + opt.known_hosts.string());
  o("ConnectTimeout=" + seconds(opt.connect_timeout));
  if (opt.keepalive.count() > 0) {
    o("ServerAliveInterval=" + std::to_string(opt.keepalive.count()));
    o("ServerAliveCountMax=3");
  }
  o("NumberOfPasswordPrompts=1");
  if (probe) o("BatchMode=yes");
  if (opt.password.empty()) {
    o("PasswordAuthentication=no");
    o("KbdInteractiveAuthentication=no");
  }
  if (!opt.use_agent) o("IdentityAgent=none");
  if (!opt.keyfile.empty()) {
    argv.push_back("-i");
    argv.push_back(opt.keyfile.string());
    o("IdentitiesOnly=yes");
  }
  if (!server.user.empty()) {
    argv.push_back("-l");
    argv.push_back(server.user);
  }
  if (server.explicit_port) {
    argv.push_back("-p");
    argv.push_back(std::to_string(server.port));
  }
  if (!probe) {
    argv.push_back("-L");
    argv.push_back("127.0.0.1:" + std::to_string(local_port) + ":" + bracket_host(dest.host) + ":" +
                   std::to_string(dest.port));
  }
  argv.insert(argv.end(), opt.ssh_arguments.begin(), opt.ssh_arguments.end());
  argv.push_back(server.host);
  if (probe) {
    argv.push_back("true");
  } else if (opt.timeout.count() > 0) {
    // pyzmq's way: ssh ends when the remote sleep has ended and no forwarded connection is open.
    argv.push_back("sleep " + seconds(opt.timeout));
  } else {
    argv.insert(argv.begin() + 1, "-N");
  }
  return argv;
}

struct child {
  pid_t pid = -1;
  unique_fd pidfd;
  unique_fd stderr_fd;
};

child spawn_ssh(const std::vector<std::string>& argv, const std::filesystem::path& askpass) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw zmqsec::error::from_errno(errno, "pipe2");
  unique_fd read_end(pipe_fds[0]);
  unique_fd write_end(pipe_fds[1]);

  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view v = *e;
    if (v.starts_with("SSH_ASKPASS=") || v.starts_with("SSH_ASKPASS_REQUIRE=")) continue;
    env.emplace_back(v);
  }
  env.push_back("SSH_ASKPASS=" + askpass.string());
  env.push_back("SSH_ASKPASS_REQUIRE=force");
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // A session of its own: no controlling terminal to prompt on, and a process group that
  // close() can signal as a whole (ProxyCommand and askpass children included).
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  child c;
  const int err = ::posix_spawnp(&c.pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) throw zmqsec::error::from_errno(err, "cannot run " + argv[0]);
  // glibc 2.36's <sys/pidfd.h> lacks extern "C": the system call directly.
  c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0)));
  if (!c.pidfd) {
    const int e = errno;
    ::kill(c.pid, SIGKILL);
    ::waitpid(c.pid, nullptr, 0);
    throw zmqsec::error::from_errno(e, "pidfd_open");
  }
  c.stderr_fd = std::move(read_end);
  set_nonblocking(c.stderr_fd.get());
  return c;
}

// Reads what is available; false at end of file.
bool read_some(int fd, std::string& into) {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

bool contains(const std::string& text, const char* what) {
  return text.find(what) != std::string::npos;
}

// ssh's own messages (not its debug output), joined with "; ".
std::string messages(const std::string& text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with("debug") || line.starts_with("OpenSSH_") ||
        line.starts_with("Transferred:") || line.starts_with("@@@")) {
      continue;
    }
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

// The "SHA256:..." after a marker in ssh's output.
std::string fingerprint_after(const std::string& text, const char* marker) {
  auto at = text.find(marker);
  if (at == std::string::npos) return "";
  auto fp = text.find("SHA256:", at);
  if (fp == std::string::npos) return "";
  auto end = text.find_first_of(" \r\n", fp);
  return text.substr(fp, end == std::string::npos ? std::string::npos : end - fp);
}

[[noreturn]] void throw_failure(const std::string& out, const server_address& server,
                                std::uint16_t local_port) {
  const std::string where = server.to_string();
  const std::string said = messages(out);
  const std::string key = fingerprint_after(out, "Server host key:");
  if (contains(out, "REMOTE HOST IDENTIFICATION HAS CHANGED")) {
    std::string fp = fingerprint_after(out, "key sent by the remote host is");
    fail(errc::host_key_changed, "host key for " + where + " has CHANGED (the server offers " +
                                     (fp.empty() ? key : fp) + "); ssh: " + said);
  }
  if (contains(out, "Host key verification failed") || contains(out, "host key is known for")) {
    fail(errc::host_key_unknown, "unknown host key for " + where + " (" + key + "); ssh: " + said);
  }
  if (contains(out, "Could not resolve hostname")) fail(errc::resolve_failed, "ssh: " + said);
  if (contains(out, "Permission denied") || contains(out, "Too many authentication failures")) {
    fail(errc::permission_denied, "permission denied for " + where + "; ssh: " + said);
  }
  if (contains(out, "Address already in use") || contains(out, "cannot listen to port") ||
      contains(out, "Could not request local forwarding")) {
    fail(errc::local_port_in_use,
         "the local end of the tunnel, 127.0.0.1:" + std::to_string(local_port) +
             ", cannot be bound; ssh: " + said);
  }
  if (contains(out, "onnection timed out")) fail(errc::timed_out, "ssh: " + said);
  if (contains(out, "connect to host") || contains(out, "Connection refused") ||
      contains(out, "No route to host") || contains(out, "Network is unreachable") ||
      contains(out, "Connection closed by")) {
    fail(errc::connect_failed, "cannot connect to SSH server " + where + "; ssh: " + said);
  }
  fail(errc::ssh_failed, "ssh to " + where + " failed: " + (said.empty() ? out : said));
}

class openssh_tunnel final : public tunnel::impl {
 public:
  openssh_tunnel(std::uint16_t port, child c, std::string log)
      : impl(backend::openssh, port), child_(std::move(c)), log_(std::move(log)) {
    worker_.start("zmqsec-ssh", [this](const core::stop_view& stop) { monitor(stop); });
  }
  ~openssh_tunnel() override { close(); }

  void close() noexcept override {
    std::call_once(closed_, [this] {
      // Asked first, so that ssh ending on the signal is not reported as a loss.
      worker_.request_stop();
      signal(SIGTERM);
      worker_.stop();
    });
  }

  std::optional<int> ssh_pid() const noexcept override {
    std::lock_guard lock(mutex_);
    if (reaped_) return std::nullopt;
    return child_.pid;
  }

 private:
  // Signals ssh's process group, unless it has been reaped (its pid may then be reused).
  void signal(int sig) noexcept {
    std::lock_guard lock(mutex_);
    if (!reaped_) ::kill(-child_.pid, sig);
  }

  void monitor(const core::stop_view& stop) noexcept;
  void scan(std::size_t from);

  child child_;
  std::string log_;
  std::string recent_;  // ssh's last messages (not debug lines), for the report when it exits
  mutable std::mutex mutex_;
  bool reaped_ = false;
  std::once_flag closed_;
  core::worker worker_;  // last: stopped before the state its thread uses goes
};

// Counts what ssh's log says about forwarded connections, from offset from on.
void openssh_tunnel::scan(std::size_t from) {
  std::size_t pos = from;
  while (true) {
    auto end = log_.find('\n', pos);
    if (end == std::string::npos) break;
    std::string_view line(log_.data() + pos, end - pos);
    if (line.find("forwarding to") != std::string_view::npos &&
        line.find("requested") != std::string_view::npos) {
      accepted_.fetch_add(1, std::memory_order_relaxed);
    }
    if (line.find("open failed") != std::string_view::npos) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      report("forwarded connection refused; ssh: " + std::string(line));
    }
    if (!messages(std::string(line)).empty()) recent_.append(line).push_back('\n');
    pos = end + 1;
  }
  // Keep only the unfinished last line, and the last few KiB of messages, so that neither grows
  // without bound.
  log_.erase(0, pos);
  constexpr std::size_t recent_limit = 4096;
  if (recent_.size() > recent_limit) {
    const auto cut = recent_.find('\n', recent_.size() - recent_limit);
    recent_.erase(0, cut == std::string::npos ? recent_.size() : cut + 1);
  }
}

void openssh_tunnel::monitor(const core::stop_view& stop) noexcept {
  bool terminating = false;
  clock::time_point kill_at{};
  bool stderr_open = true;
  scan(0);
  for (;;) {
    // The stop fd stays readable once stop was asked: not watched while ssh is given its time.
    pollfd fds[3] = {{child_.pidfd.get(), POLLIN, 0},
                     {terminating ? -1 : stop.fd(), POLLIN, 0},
                     {stderr_open ? child_.stderr_fd.get() : -1, POLLIN, 0}};
    int wait_ms = -1;
    if (terminating) {
      wait_ms = static_cast<int>(std::max<long long>(
          0,
          std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - clock::now()).count()));
    }
    ::poll(fds, 3, wait_ms);
    if (fds[2].revents != 0) {
      stderr_open = read_some(child_.stderr_fd.get(), log_);
      scan(0);
    }
    if (fds[1].revents != 0 && !terminating) {
      terminating = true;
      kill_at = clock::now() + std::chrono::seconds(2);
    }
    if (terminating && clock::now() >= kill_at) signal(SIGKILL);
    siginfo_t info{};
    if (::waitid(P_PIDFD, static_cast<id_t>(child_.pidfd.get()), &info,
                 WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid != 0) {
      break;
    }
  }
  if (stderr_open) read_some(child_.stderr_fd.get(), log_);
  {
    std::lock_guard lock(mutex_);
    int status = 0;
    while (::waitpid(child_.pid, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
  if (!stop.requested()) report("ssh exited: " + messages(recent_ + log_));
  alive_.store(false, std::memory_order_release);
}

enum class outcome { ready, exited, timed_out };

// Reads ssh's stderr into log until the forward listens, ssh exits or the deadline passes.
outcome wait_ready(const child& c, std::string& log, clock::time_point deadline, bool probe) {
  bool stderr_open = true;
  for (;;) {
    if (!probe && contains(log, "Entering interactive session")) return outcome::ready;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return outcome::timed_out;
    pollfd fds[2] = {{c.pidfd.get(), POLLIN, 0}, {stderr_open ? c.stderr_fd.get() : -1, POLLIN, 0}};
    ::poll(fds, 2, static_cast<int>(left.count()));
    if (fds[1].revents != 0) stderr_open = read_some(c.stderr_fd.get(), log);
    if (fds[0].revents != 0) {
      if (stderr_open) read_some(c.stderr_fd.get(), log);
      if (!probe && contains(log, "Entering interactive session")) return outcome::ready;
      return outcome::exited;
    }
  }
}

// Kills (if still running) and reaps a child that did not become a tunnel; returns its status.
int end_child(const child& c) {
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(c.pidfd.get()), &info, WEXITED | WNOHANG | WNOWAIT) !=
          0 ||
      info.si_pid == 0) {
    ::kill(-c.pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

std::unique_ptr<tunnel::impl> open_openssh(const tcp_address& dest, const server_address& server,
                                           const options& opt) {
  const bool chosen = opt.local_port == 0;
  const auto deadline = clock::now() + opt.connect_timeout + std::chrono::seconds(1);
  for (int attempt = 1;; ++attempt) {
    const std::uint16_t port = chosen ? select_random_ports(1).front() : opt.local_port;
    askpass_dir secrets(opt);
    child c = spawn_ssh(ssh_command(dest, server, opt, port), secrets.helper());
    std::string log;
    const outcome result = wait_ready(c, log, deadline, false);
    if (result == outcome::ready) {
      secrets.remove();
      return std::make_unique<openssh_tunnel>(port, std::move(c), std::move(log));
    }
    end_child(c);
    if (result == outcome::timed_out) {
      fail(errc::timed_out, "ssh did not set up the forward through " + server.to_string() +
                                " within " + std::to_string(opt.connect_timeout.count()) +
                                " ms; ssh: " + messages(log));
    }
    // A port we picked that someone took in the meantime: pick another.
    if (chosen && attempt < 3 && contains(log, "Address already in use")) continue;
    throw_failure(log, server, port);
  }
}

bool openssh_can_log_in(const server_address& server, const options& opt) {
  askpass_dir secrets(options{});
  child c = spawn_ssh(ssh_command({}, server, opt, 0, true), secrets.helper());
  std::string log;
  const outcome result =
      wait_ready(c, log, clock::now() + opt.connect_timeout + std::chrono::seconds(1), true);
  const int status = end_child(c);
  if (result == outcome::timed_out) {
    fail(errc::timed_out, "ssh to " + server.to_string() + " timed out; ssh: " + messages(log));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  try {
    throw_failure(log, server, 0);
  } catch (const zmqsec::error& e) {
    if (e.code() == errc::permission_denied) return false;
    throw;
  }
}

}  // namespace zmqsec::tunnel::detail
