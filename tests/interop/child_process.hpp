// A child process started with posix_spawn from an argv (no shell), its standard output and
// error captured through pipes, with a bounded wait.
//
//   zmqsec::testing::child_process child({"/usr/bin/python3", "-c", "print('hi')"});
//   auto result = child.wait(std::chrono::seconds(10));
//   EXPECT_EQ(result.exit_code, 0);
//   EXPECT_EQ(result.out, "hi\n");
//
// The output pipes can be polled together with ZeroMQ sockets (output_fds()), so a test can serve
// a client process and notice it finishing without sleeping.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace zmqsec::testing {

struct process_result {
  int exit_code = -1;      ///< the exit status, or -1 if the process was killed by a signal
  int signal = 0;          ///< the signal that ended it, or 0
  bool timed_out = false;  ///< true if wait() had to kill it
  std::string out;         ///< everything it wrote to standard output
  std::string err;         ///< everything it wrote to standard error

  /// A one-line summary plus the captured output, for assertion messages.
  std::string describe() const;
};

class child_process {
 public:
  /// Starts argv[0] (an absolute path) with argv; standard input is /dev/null. Throws
  /// std::system_error if the process cannot be started.
  explicit child_process(const std::vector<std::string>& argv);
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  /// Kills and reaps the process if wait() was not called.
  ~child_process();

  /// The read ends of the standard output and error pipes; -1 once closed by the child.
  std::array<int, 2> output_fds() const noexcept { return fds_; }

  /// Reads what is available now without blocking; returns true when the child has closed both
  /// of its output pipes (normally: it has exited).
  bool read_available();

  /// What the child has written to its standard output so far (see read_available()).
  const std::string& output_so_far() const noexcept { return output_[0]; }

  /// Waits up to timeout until the child's standard output contains text; true if it does.
  bool wait_for_output(std::string_view text, std::chrono::milliseconds timeout);

  /// Sends signal to the child (while it has not been reaped).
  void send_signal(int signal) const noexcept;

  /// Collects the output until the child closes it, then reaps it. If that takes longer than
  /// timeout the child is killed and the result says timed_out.
  process_result wait(std::chrono::milliseconds timeout);

 private:
  bool read_from(std::size_t index);

  pid_t pid_ = -1;
  std::array<int, 2> fds_{-1, -1};
  std::array<std::string, 2> output_;
};

/// Runs argv to completion (at most timeout) and returns its result.
process_result run_process(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace zmqsec::testing
