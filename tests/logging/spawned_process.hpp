// A program started in the background for a test (no shell), its standard output and error
// collected, which the test can signal and then wait for with a deadline.
//
//   zmqsec::testing::spawned_process tail({ZMQ_LOGTAIL_PATH, endpoint});
//   ...                                  // the test publishes records meanwhile
//   tail.signal(SIGINT);
//   auto r = tail.wait(5s);              // r.exit_code, r.out, r.err
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ostream>
#include <string>
#include <system_error>
#include <vector>

extern char** environ;

namespace zmqsec::testing {

struct spawned_result {
  int exit_code = -1;  ///< the exit status, or -1 if a signal ended the process
  int signal = 0;      ///< that signal, or 0
  bool timed_out = false;
  std::string out;
  std::string err;

  friend std::ostream& operator<<(std::ostream& o, const spawned_result& r) {
    return o << "\nexit " << r.exit_code << " signal " << r.signal
             << (r.timed_out ? " (timed out)" : "") << "\nstdout: " << r.out
             << "\nstderr: " << r.err;
  }
};

class spawned_process {
 public:
  explicit spawned_process(const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) fail("pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    fds_[0] = out[0];
    fds_[1] = err[0];
    if (rc != 0) {
      errno = rc;
      fail("posix_spawn");
    }
  }
  spawned_process(const spawned_process&) = delete;
  spawned_process& operator=(const spawned_process&) = delete;
  ~spawned_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
  }

  void signal(int sig) const { ::kill(pid_, sig); }

  /// Waits until standard output holds text (or the process closes it, or timeout passes);
  /// true if it does.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_for(result_.out, text, timeout);
  }
  /// The same for standard error.
  bool wait_for_error_output(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_for(result_.err, text, timeout);
  }

  /// Collects the output until the process closes it, then reaps it; kills it at the deadline.
  spawned_result wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fds_[0] >= 0 || fds_[1] >= 0) {
      if (!read_some(deadline)) {
        if (std::chrono::steady_clock::now() >= deadline) {
          ::kill(pid_, SIGKILL);
          result_.timed_out = true;
          break;
        }
      }
    }
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
    return result_;
  }

 private:
  [[noreturn]] static void fail(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }

  bool wait_for(const std::string& output, const std::string& text,
                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (output.find(text) == std::string::npos) {
      if (!read_some(deadline)) return false;
    }
    return true;
  }

  // Reads whatever arrives before the deadline; false if nothing could be read (timeout or both
  // pipes closed).
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    if (fds_[0] < 0 && fds_[1] < 0) return false;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd items[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
    const int n = ::poll(items, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) fail("poll");
    if (n <= 0) return n < 0;
    std::string* into[2] = {&result_.out, &result_.err};
    for (int i = 0; i < 2; ++i) {
      if (items[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t got = ::read(fds_[i], buffer, sizeof buffer);
      if (got > 0) {
        into[i]->append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds_[i]);
        fds_[i] = -1;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int fds_[2] = {-1, -1};
  spawned_result result_;
};

}  // namespace zmqsec::testing
