#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <ostream>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace zmqsec::testing {

namespace {

[[noreturn]] void fail(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_non_blocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// A pipe whose ends are closed on exec; the child gets its end through dup2, which clears the
// flag on the copy.
std::array<int, 2> make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) fail(errno, "pipe2");
  return {ends[0], ends[1]};
}

class spawn_actions {
 public:
  spawn_actions() { check(::posix_spawn_file_actions_init(&actions_), "init"); }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
  ~spawn_actions() { ::posix_spawn_file_actions_destroy(&actions_); }

  void open_read_only(int fd, const char* path) {
    check(::posix_spawn_file_actions_addopen(&actions_, fd, path, O_RDONLY, 0), "addopen");
  }
  void dup2(int from, int to) {
    check(::posix_spawn_file_actions_adddup2(&actions_, from, to), "adddup2");
  }
  void chdir(const std::filesystem::path& dir) {
    check(::posix_spawn_file_actions_addchdir_np(&actions_, dir.c_str()), "addchdir_np");
  }
  const posix_spawn_file_actions_t* get() const noexcept { return &actions_; }

 private:
  static void check(int rc, const char* what) {
    if (rc != 0) fail(rc, std::string("posix_spawn_file_actions_") + what);
  }
  posix_spawn_file_actions_t actions_;
};

// The child starts with SIGPIPE at its default and no signal blocked, whatever the test process
// (or the thread spawning it) has set up.
class spawn_attributes {
 public:
  spawn_attributes() {
    ::posix_spawnattr_init(&attributes_);
    sigset_t default_signals, no_signals;
    sigemptyset(&default_signals);
    sigaddset(&default_signals, SIGPIPE);
    sigemptyset(&no_signals);
    ::posix_spawnattr_setsigdefault(&attributes_, &default_signals);
    ::posix_spawnattr_setsigmask(&attributes_, &no_signals);
    ::posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  }
  spawn_attributes(const spawn_attributes&) = delete;
  spawn_attributes& operator=(const spawn_attributes&) = delete;
  ~spawn_attributes() { ::posix_spawnattr_destroy(&attributes_); }
  const posix_spawnattr_t* get() const noexcept { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
}

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
  return text + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
}

std::ostream& operator<<(std::ostream& out, const process_result& r) {
  return out << '\n' << r.describe();
}

process_options with_input(std::string_view input) {
  process_options options;
  options.input = input;
  return options;
}

process_options in_folder(std::filesystem::path dir) {
  process_options options;
  options.working_dir = std::move(dir);
  return options;
}

child_process::child_process(const std::vector<std::string>& argv, const process_options& options)
    : input_(options.input) {
  if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
  // Writing to a child that has exited must fail with EPIPE here, not kill the test.
  static const bool sigpipe_ignored = ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
  (void)sigpipe_ignored;

  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  std::array<int, 2> in{-1, -1};
  auto out = make_pipe();
  auto err = make_pipe();
  fds_ = {out[0], err[0]};
  int rc = 0;
  std::exception_ptr error;
  try {
    if (!input_.empty()) in = make_pipe();
    spawn_actions actions;
    if (input_.empty()) {
      actions.open_read_only(STDIN_FILENO, "/dev/null");
    } else {
      actions.dup2(in[0], STDIN_FILENO);
    }
    actions.dup2(out[1], STDOUT_FILENO);
    actions.dup2(err[1], STDERR_FILENO);
    if (!options.working_dir.empty()) actions.chdir(options.working_dir);
    spawn_attributes attributes;
    rc = ::posix_spawn(&pid_, args[0], actions.get(), attributes.get(), args.data(), environ);
  } catch (...) {
    error = std::current_exception();
  }
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  input_fd_ = in[1];
  if (error || rc != 0) {
    pid_ = -1;
    close_fd(input_fd_);
    close_fd(fds_[0]);
    close_fd(fds_[1]);
    if (error) std::rethrow_exception(error);
    fail(rc, "posix_spawn " + argv[0]);
  }
  for (int fd : fds_) set_non_blocking(fd);
  if (input_fd_ >= 0) set_non_blocking(input_fd_);
}

child_process::~child_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close_fd(input_fd_);
  close_fd(fds_[0]);
  close_fd(fds_[1]);
}

bool child_process::read_from(std::size_t stream) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fds_[stream], buffer, sizeof buffer);
    if (n > 0) {
      output_[stream].append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    close_fd(fds_[stream]);  // end of file, or an error that ends the stream just the same
    return true;
  }
}

void child_process::write_input() {
  while (input_fd_ >= 0 && written_ < input_.size()) {
    const ssize_t n = ::write(input_fd_, input_.data() + written_, input_.size() - written_);
    if (n > 0) {
      written_ += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      break;  // the child closed its standard input: the rest is not wanted
    }
  }
  close_fd(input_fd_);  // all written: the child sees end of file
}

bool child_process::read_available() {
  write_input();
  bool closed = true;
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] >= 0 && !read_from(i)) closed = false;
  }
  return closed;
}

bool child_process::poll_until(time_point deadline) {
  const auto left = left_until(deadline);
  if (left.count() <= 0) return false;
  std::array<pollfd, 3> items{};
  nfds_t count = 0;
  for (int fd : fds_) {
    if (fd >= 0) items[count++] = pollfd{fd, POLLIN, 0};
  }
  if (input_fd_ >= 0) items[count++] = pollfd{input_fd_, POLLOUT, 0};
  if (::poll(items.data(), count, static_cast<int>(left.count())) < 0 && errno != EINTR) {
    fail(errno, "poll");
  }
  return true;
}

bool child_process::wait_for(std::size_t stream, std::string_view text,
                             std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    read_available();
    if (output_[stream].find(text) != std::string::npos) return true;
    if (fds_[stream] < 0 || !poll_until(deadline)) return false;
  }
}

bool child_process::wait_for_output(std::string_view text, std::chrono::milliseconds timeout) {
  return wait_for(0, text, timeout);
}

bool child_process::wait_for_error_output(std::string_view text,
                                          std::chrono::milliseconds timeout) {
  return wait_for(1, text, timeout);
}

void child_process::send_signal(int signal) const noexcept {
  if (pid_ > 0) ::kill(pid_, signal);
}

process_result child_process::wait(std::chrono::milliseconds timeout) {
  process_result result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!read_available()) {
    if (!poll_until(deadline)) {
      result.timed_out = true;
      ::kill(pid_, SIGKILL);
      break;
    }
  }
  // The child has closed its output (it is exiting) or has been killed: reaping it is immediate.
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) fail(errno, "waitpid");
  }
  pid_ = -1;
  read_available();
  close_fd(input_fd_);
  close_fd(fds_[0]);
  close_fd(fds_[1]);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = std::move(output_[0]);
  result.err = std::move(output_[1]);
  return result;
}

process_result run_process(const std::vector<std::string>& argv, const process_options& options) {
  child_process child(argv, options);
  return child.wait(options.timeout);
}

process_result run_process(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout) {
  process_options options;
  options.timeout = timeout;
  return run_process(argv, options);
}

process_result run_process(const std::string& program, const std::vector<std::string>& args,
                           const process_options& options) {
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}

}  // namespace zmqsec::testing
