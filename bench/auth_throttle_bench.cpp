// zmqsec_bench_throttle: throttling of failed authentication against a password guesser (issue
// 15). A thread_authenticator whose one PLAIN user has an argon2id entry (libsodium's interactive
// costs: every check costs the server real CPU); an attacker connects from 127.0.0.2 with wrong
// passwords as fast as it can (a DEALER that connects, waits for the end of its handshake and
// connects again; --attackers N runs N of them at once), while one legitimate client logs in
// from 127.0.0.3, one handshake after the other. Three phases: the legitimate client alone
// (idle), attacked without throttling, attacked with throttling (the library's default
// settings unless told otherwise), measured from the attacker's first block on: after it, one
// guess per block, each block twice as long as the last.
//
// Goals: the attacker's guesses checked per second fall at least 100x once throttled, and the
// legitimate client's handshake p99 attacked (throttled) stays within 2x of the idle server's.
// A guess counts when the server checked it (the decision says "wrong password"); a throttled
// attempt is answered at once without a check, so the attacker's attempts per second answered
// are printed too (they rise: refusing is cheap).
//
//   zmqsec_bench_throttle [--quick] [--seconds S] [--throttled-seconds S] [--attackers N]
//                         [--max-failures N] [--initial-backoff-ms MS] [--max-backoff-ms MS]
#include <sodium.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>

namespace za = zmqsec::auth;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct options {
  double seconds = 20;             // idle and unthrottled phases
  double throttled_seconds = 120;  // from the first block on
  int attackers = 1;               // one client from one address, one attempt after the other
  za::throttle_config throttle;    // the library's defaults
};

// One client that logs in again and again from one source address: a DEALER and its monitor,
// connected and disconnected for each attempt.
class handshaker {
 public:
  handshaker(zmq::context_t& ctx, const std::string& source, const std::string& port,
             const std::string& password)
      : ctx_(ctx), endpoint_("tcp://" + source + ":0;127.0.0.1:" + port), password_(password) {
    open();
  }
  handshaker(const handshaker&) = delete;
  handshaker& operator=(const handshaker&) = delete;
  ~handshaker() { close(); }

  struct attempt {
    bool ended = false;     // a handshake event came in time
    bool accepted = false;  // HANDSHAKE_SUCCEEDED
    std::chrono::nanoseconds took{};
  };

  attempt once() {
    attempt out;
    const auto start = clock_type::now();
    socket_->connect(endpoint_);
    const int event = wait_handshake(start + 10s);
    out.took = clock_type::now() - start;
    out.ended = event != 0;
    out.accepted = event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    try {
      socket_->disconnect(endpoint_);
    } catch (const zmq::error_t&) {  // not there any more: start afresh
      close();
      open();
    }
    if (!out.ended) {  // a late event would be taken for the next attempt's
      close();
      open();
    }
    return out;
  }

 private:
  void open() {
    static std::atomic<int> counter{0};
    socket_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::plain_username, "admin");
    socket_->set(zmq::sockopt::plain_password, password_);
    const std::string monitor = "inproc://throttle-bench-" + std::to_string(++counter);
    const int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                       ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (zmq_socket_monitor(socket_->handle(), monitor.c_str(), events) != 0) {
      throw zmq::error_t();
    }
    monitor_ = std::make_unique<zmq::socket_t>(ctx_, zmq::socket_type::pair);
    monitor_->set(zmq::sockopt::linger, 0);
    monitor_->connect(monitor);
  }
  void close() {
    if (socket_) zmq_socket_monitor(socket_->handle(), nullptr, 0);
    monitor_.reset();
    socket_.reset();
  }
  // The next handshake event's number, or 0 at the deadline.
  int wait_handshake(clock_type::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
      if (left.count() <= 0) return 0;
      zmq::pollitem_t item{monitor_->handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if ((item.revents & ZMQ_POLLIN) == 0) continue;
      zmq::message_t head;
      zmq::message_t address;
      if (!monitor_->recv(head) || !monitor_->recv(address) || head.size() < 6) continue;
      std::uint16_t event = 0;
      std::memcpy(&event, head.data(), sizeof event);
      return event;
    }
  }

  zmq::context_t& ctx_;
  std::string endpoint_;
  std::string password_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<zmq::socket_t> monitor_;
};

// What the clients did, with the time each attempt ended (phases pick their interval).
struct record {
  std::mutex mutex;
  std::vector<std::pair<clock_type::time_point, double>> legit_ms;  // accepted handshakes
  std::atomic<std::uint64_t> legit_failures{0};
  std::atomic<std::uint64_t> attacker_attempts{0};  // handshakes that ended (refused)
  std::atomic<std::uint64_t> attacker_accepted{0};  // must stay 0
};

struct phase_figures {
  double attempts_per_s = 0;
  double guesses_per_s = 0;
  double throttled_per_s = 0;
  std::size_t legit_count = 0;
  double legit_p50 = 0;
  double legit_p99 = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

class bench {
 public:
  explicit bench(options o) : options_(std::move(o)) {}

  int run() {
    const std::string hash = argon2id_entry("the right password");
    zmq::socket_t server(server_ctx_, zmq::socket_type::router);
    server.set(zmq::sockopt::linger, 0);
    server.set(zmq::sockopt::plain_server, 1);
    server.bind("tcp://127.0.0.1:*");
    const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
    port_ = endpoint.substr(endpoint.rfind(':') + 1);
    auth_.configure_plain("*", {{"admin", hash}});
    auth_.on_decision([this](const za::decision& d) {
      if (d.address == "127.0.0.2" && d.reason == "wrong password") guesses_.fetch_add(1);
    });
    auth_.start();
    print_header();

    std::atomic<bool> stop_legit{false};
    std::thread legit([&] { legit_loop(stop_legit); });
    const phase_figures idle = measure(options_.seconds);
    start_attackers();
    std::this_thread::sleep_for(1s);  // the attackers' first requests queue up
    const phase_figures open = measure(options_.seconds);
    stop_attackers();
    auth_.configure_throttle(options_.throttle);
    start_attackers();
    const bool blocked = wait_for_first_block();
    const phase_figures throttled = measure(options_.throttled_seconds);
    stop_attackers();
    stop_legit = true;
    legit.join();
    auth_.stop();
    print_row("idle (legitimate client alone)", idle, false);
    print_row("attacked, no throttling", open, true);
    print_row("attacked, throttled", throttled, true);
    return verdicts(idle, open, throttled, blocked);
  }

 private:
  std::string argon2id_entry(const std::string& password) {
    if (sodium_init() < 0) throw std::runtime_error("sodium_init failed");
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13)) {
      throw std::runtime_error("crypto_pwhash_str_alg: out of memory");
    }
    const auto start = clock_type::now();
    if (crypto_pwhash_str_verify(out, "wrong", 5) == 0) throw std::runtime_error("verify?");
    verify_ms_ = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
    return out;
  }

  void legit_loop(const std::atomic<bool>& stop) {
    handshaker client(client_ctx_, "127.0.0.3", port_, "the right password");
    while (!stop) {
      const auto got = client.once();
      if (!got.accepted) {
        record_.legit_failures.fetch_add(1);
        continue;
      }
      std::lock_guard lock(record_.mutex);
      record_.legit_ms.emplace_back(clock_type::now(),
                                    std::chrono::duration<double, std::milli>(got.took).count());
    }
  }

  void start_attackers() {
    stop_attack_ = false;
    for (int i = 0; i < options_.attackers; ++i) {
      attackers_.emplace_back([this, i] {
        handshaker guesser(client_ctx_, "127.0.0.2", port_, "guess-" + std::to_string(i));
        while (!stop_attack_) {
          const auto got = guesser.once();
          if (got.accepted) record_.attacker_accepted.fetch_add(1);
          if (got.ended) record_.attacker_attempts.fetch_add(1);
        }
      });
    }
  }
  void stop_attackers() {
    stop_attack_ = true;
    for (auto& t : attackers_) t.join();
    attackers_.clear();
  }

  bool wait_for_first_block() {
    const auto deadline = clock_type::now() + 60s;
    while (auth_.stats().throttled == 0) {
      if (clock_type::now() > deadline) return false;
      std::this_thread::sleep_for(1ms);  // polling a counter, not synchronising
    }
    return true;
  }

  phase_figures measure(double seconds) {
    const auto start = clock_type::now();
    const std::uint64_t attempts = record_.attacker_attempts.load();
    const std::uint64_t guesses = guesses_.load();
    const std::uint64_t throttled = auth_.stats().throttled;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const auto end = clock_type::now();
    const double s = std::chrono::duration<double>(end - start).count();
    phase_figures f;
    f.attempts_per_s = static_cast<double>(record_.attacker_attempts.load() - attempts) / s;
    f.guesses_per_s = static_cast<double>(guesses_.load() - guesses) / s;
    f.throttled_per_s = static_cast<double>(auth_.stats().throttled - throttled) / s;
    std::vector<double> legit;
    {
      std::lock_guard lock(record_.mutex);
      for (const auto& [when, ms] : record_.legit_ms) {
        if (when >= start && when < end) legit.push_back(ms);
      }
    }
    f.legit_count = legit.size();
    f.legit_p50 = percentile(legit, 0.50);
    f.legit_p99 = percentile(legit, 0.99);
    return f;
  }

  void print_header() const {
    const za::throttle_config& t = options_.throttle;
    std::printf(
        "throttling of failed PLAIN logins: one argon2id entry (m=%zu KiB, t=%llu; one wrong "
        "guess checked in %.1f ms here)\n",
        static_cast<std::size_t>(crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024),
        static_cast<unsigned long long>(crypto_pwhash_OPSLIMIT_INTERACTIVE), verify_ms_);
    std::printf(
        "attacker clients from 127.0.0.2: %d (wrong passwords, each as fast as it can); one "
        "legitimate client from 127.0.0.3 (one handshake after the other)\n",
        options_.attackers);
    std::printf(
        "throttle: max_failures=%u window=%lld ms back-off %lld ms doubling to %lld ms; "
        "phases %.0f s, throttled %.0f s from the first block\n\n",
        t.max_failures, static_cast<long long>(t.window.count()),
        static_cast<long long>(t.initial_backoff.count()),
        static_cast<long long>(t.max_backoff.count()), options_.seconds,
        options_.throttled_seconds);
    std::printf("%-32s %14s %14s %14s %8s %10s %10s\n", "phase", "attempts/s", "guesses/s",
                "throttled/s", "logins", "p50 ms", "p99 ms");
  }
  static void print_row(const char* name, const phase_figures& f, bool attacked) {
    if (attacked) {
      std::printf("%-32s %14.1f %14.2f %14.1f %8zu %10.2f %10.2f\n", name, f.attempts_per_s,
                  f.guesses_per_s, f.throttled_per_s, f.legit_count, f.legit_p50, f.legit_p99);
    } else {
      std::printf("%-32s %14s %14s %14s %8zu %10.2f %10.2f\n", name, "-", "-", "-", f.legit_count,
                  f.legit_p50, f.legit_p99);
    }
  }

  int verdicts(const phase_figures& idle, const phase_figures& open, const phase_figures& throttled,
               bool blocked) const {
    const za::throttle_config& t = options_.throttle;
    std::printf(
        "\nsteady state (one guess per block, every block at max_backoff): %.4f guesses/s\n",
        1.0 / std::chrono::duration<double>(t.max_backoff).count());
    bool ok = blocked && record_.attacker_accepted == 0;
    if (!blocked) std::printf("the attacker was never blocked within 60 s\n");
    if (record_.attacker_accepted != 0) std::printf("an attacker's wrong password was accepted\n");
    const double fall =
        throttled.guesses_per_s > 0 ? open.guesses_per_s / throttled.guesses_per_s : INFINITY;
    const bool fall_ok = fall >= 100;
    std::printf("goal: guesses checked/s fall >= 100x once throttled: %.2f -> %.3f/s (%.0fx) %s\n",
                open.guesses_per_s, throttled.guesses_per_s, fall, fall_ok ? "PASS" : "FAIL");
    const double slower = throttled.legit_p99 / idle.legit_p99;
    const bool p99_ok = slower <= 2.0;
    std::printf(
        "goal: legitimate p99 attacked (throttled) <= 2x idle: %.2f ms vs %.2f ms (%.2fx) "
        "%s; without throttling %.2f ms (%.2fx)\n",
        throttled.legit_p99, idle.legit_p99, slower, p99_ok ? "PASS" : "FAIL", open.legit_p99,
        open.legit_p99 / idle.legit_p99);
    std::printf("legitimate logins that failed: %llu\n",
                static_cast<unsigned long long>(record_.legit_failures.load()));
    return ok ? 0 : 1;  // the goals are verdicts to read; the exit code says the run was sound
  }

  options options_;
  zmq::context_t server_ctx_;
  zmq::context_t client_ctx_;
  za::thread_authenticator auth_{server_ctx_};
  std::string port_;
  double verify_ms_ = 0;
  record record_;
  std::atomic<std::uint64_t> guesses_{0};
  std::atomic<bool> stop_attack_{false};
  std::vector<std::thread> attackers_;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> double {
      if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
      return std::stod(argv[++i]);
    };
    using ms = std::chrono::milliseconds;
    if (arg == "--quick") {
      o.seconds = 2;
      o.throttled_seconds = 3;
    } else if (arg == "--seconds") {
      o.seconds = value();
    } else if (arg == "--throttled-seconds") {
      o.throttled_seconds = value();
    } else if (arg == "--attackers") {
      o.attackers = static_cast<int>(value());
    } else if (arg == "--max-failures") {
      o.throttle.max_failures = static_cast<unsigned>(value());
    } else if (arg == "--initial-backoff-ms") {
      o.throttle.initial_backoff = ms(static_cast<long long>(value()));
    } else if (arg == "--max-backoff-ms") {
      o.throttle.max_backoff = ms(static_cast<long long>(value()));
    } else if (arg == "--no-header") {  // as the other benchmarks take it from scripts/bench
    } else {
      throw std::invalid_argument("unknown argument " + std::string(arg));
    }
  }
  if (o.attackers < 1 || o.seconds <= 0 || o.throttled_seconds <= 0 || !o.throttle.enabled()) {
    throw std::invalid_argument("attackers, seconds and max-failures must be positive");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return bench(parse(argc, argv)).run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zmqsec_bench_throttle: %s\n", e.what());
    return 2;
  }
}
