// zmqsec_bench_logging's receiving side: how fast zmqsec::logging::subscriber hands records to a
// logger with a null_sink, and how fast zmq-logtail prints them into a file. The pub_sink waits
// for room (overflow_policy::block_for) so that nothing is lost and the receiver sets the pace.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/sinks/null_sink.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "logging_bench.hpp"

extern char** environ;

namespace zmqsec::bench::logs {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<zl::pub_sink_mt> waiting_sink() {
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{
      .bind = {loopback}, .root_topic = "bench", .overflow = zl::overflow_policy::block_for(10s)});
  sink->set_pattern(pattern);
  return sink;
}

// A child whose standard output goes to a file; killed (if still running) and reaped on scope
// exit.
class child {
 public:
  child(const std::vector<std::string>& argv, const fs::path& output) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int err = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(err));
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }

  /// Waits up to timeout for the child to exit; true if it exited with status 0.
  bool exited_cleanly(std::chrono::milliseconds timeout) {
    const auto deadline = clock_type::now() + timeout;
    while (clock_type::now() < deadline) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      if (done < 0 && errno != EINTR) return false;
      std::this_thread::sleep_for(1ms);  // polling a child's exit, not synchronising threads
    }
    return false;
  }

 private:
  void wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  pid_t pid_ = -1;
};

std::uint64_t count_lines(const fs::path& file) {
  std::ifstream in(file);
  std::uint64_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

}  // namespace

namespace {

// Whoever sends the records of a receiver's run, with the spdlog logger when the sink does.
class sender {
 public:
  explicit sender(feeder from) {
    if (from == feeder::wire) {
      wire_ = std::make_unique<wire_feed>();
    } else {
      sink_ = waiting_sink();
      log_ = std::make_unique<spdlog::logger>("bench", sink_);
    }
  }
  std::string endpoint() const { return wire_ ? wire_->endpoint() : sink_->last_endpoint(); }
  void wait_for_subscriber() {
    if (wire_) {
      wire_->wait_for_subscriber();
    } else if (!sink_->wait_for_subscriptions(1, 10s)) {
      throw std::runtime_error("the receiver never subscribed");
    }
  }
  void send(std::uint64_t n) {
    if (wire_) {
      wire_->send(n);
    } else {
      log_records(*log_, n);
    }
  }

 private:
  std::unique_ptr<wire_feed> wire_;
  std::shared_ptr<zl::pub_sink_mt> sink_;
  std::unique_ptr<spdlog::logger> log_;
};

}  // namespace

double subscriber_rate(std::uint64_t n, feeder from) {
  sender records(from);
  auto target = std::make_shared<spdlog::logger>("collected",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  zl::subscriber sub({.connect = {records.endpoint()}}, target);
  records.wait_for_subscriber();
  std::uint64_t handed = 0;
  clock_type::time_point last;
  std::thread collector([&] {
    while (handed < n) {
      const std::size_t got = sub.dispatch(2s);
      if (got == 0) break;
      handed += got;
    }
    last = clock_type::now();
  });
  const auto start = clock_type::now();
  records.send(n);
  collector.join();
  if (handed != n) throw std::runtime_error("subscriber: " + std::to_string(handed) + " records");
  return static_cast<double>(n) / seconds_since(start, last);
}

double logtail_rate(std::uint64_t n, const fs::path& logtail, const fs::path& file, feeder from) {
  sender records(from);
  double rate = NAN;
  {
    child tail(
        {logtail.string(), "--count", std::to_string(n), "--color", "never", records.endpoint()},
        file);
    records.wait_for_subscriber();
    const auto start = clock_type::now();
    records.send(n);
    if (!tail.exited_cleanly(60s)) throw std::runtime_error("zmq-logtail did not finish");
    rate = static_cast<double>(n) / seconds_since(start, clock_type::now());
  }
  const std::uint64_t lines = count_lines(file);
  fs::remove(file);
  if (lines != n) throw std::runtime_error("zmq-logtail printed " + std::to_string(lines));
  return rate;
}

}  // namespace zmqsec::bench::logs
