// Runs a program with arguments (no shell), feeds it stdin and captures its stdout, stderr and
// exit status, with a deadline after which it is killed.
//
//   auto r = zmqsec::testing::run_process("/usr/bin/printf", {"%s", "hi"});
//   EXPECT_EQ(r.exit_code, 0);
//   EXPECT_EQ(r.out, "hi");
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace zmqsec::testing {

struct process_result {
  int exit_code = -1;      ///< the status passed to exit(), or -1 if the process did not exit
  int term_signal = 0;     ///< the signal that ended the process, or 0
  bool timed_out = false;  ///< killed at the deadline
  std::string out;
  std::string err;

  /// True if the process ended by itself through exit() (no signal, no timeout).
  bool exited() const noexcept { return !timed_out && term_signal == 0 && exit_code >= 0; }
};

namespace detail {

[[noreturn]] inline void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// One end of a pipe; closed when it goes away.
class fd_guard {
 public:
  explicit fd_guard(int fd = -1) noexcept : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() { reset(); }
  int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

struct pipe_pair {
  fd_guard read, write;
};

inline void make_pipe(pipe_pair& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
}

// Reads what is available; returns false at end of file.
inline bool drain(int fd, std::string& into) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return true;
    fail("read");
  }
}

}  // namespace detail

struct process_options {
  std::string_view input;             ///< written to the child's stdin, which is then closed
  std::filesystem::path working_dir;  ///< empty: the caller's
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  ///< then the child is killed
};

/// Options that feed input to stdin.
inline process_options with_input(std::string_view input) {
  process_options options;
  options.input = input;
  return options;
}

/// Options that run the process in a folder.
inline process_options in_folder(std::filesystem::path dir) {
  process_options options;
  options.working_dir = std::move(dir);
  return options;
}

inline process_result run_process(const std::string& program, const std::vector<std::string>& args,
                                  const process_options& options = {}) {
  const std::string_view input = options.input;
  // Writing to a child that has exited must fail with EPIPE here, not kill the test.
  static const bool sigpipe_ignored = ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;

  detail::pipe_pair in, out, err;
  detail::make_pipe(in);
  detail::make_pipe(out);
  detail::make_pipe(err);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), STDERR_FILENO);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t default_signals, no_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigemptyset(&no_signals);
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> storage{program};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    errno = spawn_error;
    detail::fail("posix_spawn");
  }
  in.read.reset();
  out.write.reset();
  err.write.reset();
  for (int fd : {in.write.get(), out.read.get(), err.read.get()}) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  process_result result;
  std::size_t written = 0;
  if (input.empty()) in.write.reset();
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  while (out.read.get() >= 0 || err.read.get() >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    pollfd fds[3] = {
        {out.read.get(), POLLIN, 0}, {err.read.get(), POLLIN, 0}, {in.write.get(), POLLOUT, 0}};
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0) {
      if (errno == EINTR) continue;
      detail::fail("poll");
    }
    if (fds[0].revents != 0 && !detail::drain(out.read.get(), result.out)) out.read.reset();
    if (fds[1].revents != 0 && !detail::drain(err.read.get(), result.err)) err.read.reset();
    if (fds[2].revents != 0) {
      const ssize_t n = ::write(in.write.get(), input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        in.write.reset();  // all written, or the child closed its stdin
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) detail::fail("waitpid");
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

}  // namespace zmqsec::testing
