#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace zmqsec::testing {

namespace {

std::system_error errno_error(int err, const std::string& what) {
  return std::system_error(err, std::generic_category(), what);
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// A pipe whose ends are closed on exec; the child gets its write end through dup2, which clears
// the flag on the copy.
std::array<int, 2> make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw errno_error(errno, "pipe2");
  return {ends[0], ends[1]};
}

class spawn_actions {
 public:
  spawn_actions() {
    if (int rc = ::posix_spawn_file_actions_init(&actions_); rc != 0) {
      throw errno_error(rc, "posix_spawn_file_actions_init");
    }
  }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
  ~spawn_actions() { ::posix_spawn_file_actions_destroy(&actions_); }

  void open_read_only(int fd, const char* path) {
    check(::posix_spawn_file_actions_addopen(&actions_, fd, path, O_RDONLY, 0), "addopen");
  }
  void dup2(int from, int to) {
    check(::posix_spawn_file_actions_adddup2(&actions_, from, to), "adddup2");
  }
  const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

 private:
  static void check(int rc, const char* what) {
    if (rc != 0) throw errno_error(rc, std::string("posix_spawn_file_actions_") + what);
  }
  posix_spawn_file_actions_t actions_;
};

}  // namespace

std::string process_result::describe() const {
  std::string text;
  if (timed_out) {
    text = "timed out and was killed";
  } else if (signal != 0) {
    text = "killed by signal " + std::to_string(signal);
  } else {
    text = "exit code " + std::to_string(exit_code);
  }
  return text + "\n--- stdout\n" + out + "--- stderr\n" + err;
}

child_process::child_process(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
  auto out = make_pipe();
  auto err = make_pipe();
  fds_ = {out[0], err[0]};

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  int rc = 0;
  try {
    spawn_actions actions;
    actions.open_read_only(STDIN_FILENO, "/dev/null");
    actions.dup2(out[1], STDOUT_FILENO);
    actions.dup2(err[1], STDERR_FILENO);
    rc = ::posix_spawn(&pid_, argv[0].c_str(), actions.get(), nullptr, args.data(), environ);
  } catch (...) {
    close_fd(out[1]);
    close_fd(err[1]);
    close_fd(fds_[0]);
    close_fd(fds_[1]);
    throw;
  }
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    pid_ = -1;
    close_fd(fds_[0]);
    close_fd(fds_[1]);
    throw errno_error(rc, "posix_spawn " + argv[0]);
  }
  for (int fd : fds_) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

child_process::~child_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close_fd(fds_[0]);
  close_fd(fds_[1]);
}

bool child_process::read_from(std::size_t index) {
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fds_[index], buffer, sizeof buffer);
    if (n > 0) {
      output_[index].append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    close_fd(fds_[index]);  // end of file, or an error that ends the stream just the same
    return true;
  }
}

bool child_process::read_available() {
  bool closed = true;
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] >= 0 && !read_from(i)) closed = false;
  }
  return closed;
}

bool child_process::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const bool closed = read_available();
    if (output_[0].find(text) != std::string::npos) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (closed || left.count() <= 0 || fds_[0] < 0) return false;
    pollfd item{fds_[0], POLLIN, 0};
    ::poll(&item, 1, static_cast<int>(left.count()));
  }
}

void child_process::send_signal(int signal) const noexcept {
  if (pid_ > 0) ::kill(pid_, signal);
}

process_result child_process::wait(std::chrono::milliseconds timeout) {
  process_result result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!read_available()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid_, SIGKILL);
      break;
    }
    std::array<pollfd, 2> items{};
    nfds_t count = 0;
    for (int fd : fds_) {
      if (fd >= 0) items[count++] = pollfd{fd, POLLIN, 0};
    }
    if (::poll(items.data(), count, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      throw errno_error(errno, "poll");
    }
  }
  // The child has closed its output (it is exiting) or has been killed: reaping it is immediate.
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw errno_error(errno, "waitpid");
  }
  pid_ = -1;
  read_available();
  close_fd(fds_[0]);
  close_fd(fds_[1]);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = std::move(output_[0]);
  result.err = std::move(output_[1]);
  return result;
}

process_result run_process(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
  child_process child(argv);
  return child.wait(timeout);
}

}  // namespace zmqsec::testing
