// The one way a test starts a program: posix_spawn from an argv (no shell), standard input fed
// from a string (or /dev/null), standard output and error captured through pipes, every wait
// bounded by a deadline after which the program is killed.
//
//   auto r = zmqsec::testing::run_process({"/usr/bin/printf", "%s", "hi"});
//   EXPECT_EQ(r.exit_code, 0) << r;
//   EXPECT_EQ(r.out, "hi");
//
//   zmqsec::testing::child_process tail({ZMQ_LOGTAIL_PATH, endpoint});  // keeps running
//   ASSERT_TRUE(tail.wait_for_error_output("listening", 10s));
//   tail.send_signal(SIGTERM);
//   auto done = tail.wait(10s);
//
// The output pipes can be polled beside ZeroMQ sockets (output_fds(), then read_available()), so
// a test can serve a client process and notice it finishing without sleeping.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace zmqsec::testing {

struct process_result {
  int exit_code = -1;      ///< the status passed to exit(), or -1 if the process did not exit
  int signal = 0;          ///< the signal that ended the process, or 0
  bool timed_out = false;  ///< killed at the deadline
  std::string out;         ///< everything it wrote to standard output
  std::string err;         ///< everything it wrote to standard error

  /// True if the process ended by itself through exit() (no signal, no timeout).
  bool exited() const noexcept { return !timed_out && signal == 0 && exit_code >= 0; }

  /// A one-line summary plus the captured output, for assertion messages.
  std::string describe() const;

  /// Prints describe(), so that `EXPECT_EQ(r.exit_code, 0) << r;` explains a failure.
  friend std::ostream& operator<<(std::ostream& out, const process_result& r);
};

struct process_options {
  std::string input;                  ///< written to standard input, which is then closed
  std::filesystem::path working_dir;  ///< empty: the caller's
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  ///< run_process only
};

/// Options that feed input to standard input.
process_options with_input(std::string_view input);

/// Options that run the process in a folder.
process_options in_folder(std::filesystem::path dir);

class child_process {
 public:
  /// Starts argv[0] (a path; PATH is not searched) with argv. Throws std::system_error if it
  /// cannot be started.
  explicit child_process(const std::vector<std::string>& argv, const process_options& options = {});
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  /// Kills and reaps the process if wait() was not called.
  ~child_process();

  /// The read ends of the standard output and error pipes; -1 once closed by the child.
  std::array<int, 2> output_fds() const noexcept { return fds_; }

  /// Reads what is available now without blocking (and writes what input it can); true once the
  /// child has closed both of its output pipes (normally: it has exited).
  bool read_available();

  /// What the child has written to its standard output so far (see read_available()).
  const std::string& output_so_far() const noexcept { return output_[0]; }
  /// The same for standard error.
  const std::string& error_output_so_far() const noexcept { return output_[1]; }

  /// Waits up to timeout until standard output contains text; false if it does not by then or
  /// the child closed it first.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout);
  /// The same for standard error.
  bool wait_for_error_output(std::string_view text, std::chrono::milliseconds timeout);

  /// Sends signal to the child (while it has not been reaped).
  void send_signal(int signal) const noexcept;

  /// The child's process id (for tools that look at it from outside: gcore, /proc).
  pid_t pid() const noexcept { return pid_; }

  /// Collects the output until the child closes it, then reaps it. If that takes longer than
  /// timeout the child is killed and the result says timed_out.
  process_result wait(std::chrono::milliseconds timeout);

 private:
  using time_point = std::chrono::steady_clock::time_point;
  bool wait_for(std::size_t stream, std::string_view text, std::chrono::milliseconds timeout);
  bool read_from(std::size_t stream);
  void write_input();
  bool poll_until(time_point deadline);

  pid_t pid_ = -1;
  std::array<int, 2> fds_{-1, -1};
  std::array<std::string, 2> output_;
  int input_fd_ = -1;
  std::string input_;
  std::size_t written_ = 0;
};

/// Runs argv to completion (at most options.timeout) and returns its result.
process_result run_process(const std::vector<std::string>& argv,
                           const process_options& options = {});
/// The same with a deadline and nothing on standard input.
process_result run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
/// The same with the program apart from its arguments.
process_result run_process(const std::string& program, const std::vector<std::string>& args,
                           const process_options& options = {});

}  // namespace zmqsec::testing
