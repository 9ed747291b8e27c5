// zmqsec_bench_loop: streams on each loop (the reactor, Asio, libuv) against a zmq_poll loop
// written by hand, the floor, in the same run; and loop_authenticator's raw ZAP rate against
// thread_authenticator's.
//
//   zmqsec_bench_loop [--quick | --smoke] [--seconds S] [--repeat N] [--no-header]
//                     [--only reactor|asio|libuv|zap]
//
// Echo: a DEALER on the main thread keeps one request in flight to a ROUTER that echoes it
// (tcp on 127.0.0.1), the server's loop on a thread of its own: round trips per second. One-way:
// a PUSH on the main thread sends 16-byte messages as fast as libzmq takes them to a PULL that
// counts them: messages per second until the last one arrived. Each pair (ours, floor) runs
// back to back, --repeat times alternating which goes first; the figures are medians, and the
// ratio (the verdict) is the median of the pairs' own ratios. ZAP: the
// benchmark's own driver (auth_drivers.cpp) keeps 64 CURVE requests in flight at the handler,
// every thread of the process on one CPU, medians of interleaved runs.
#include <malloc.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <zmq.hpp>

#include <zmqsec/auth/loop_authenticator.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/loop/asio.hpp>
#include <zmqsec/loop/awaitable.hpp>
#include <zmqsec/loop/reactor.hpp>
#include <zmqsec/loop/stream.hpp>
#include <zmqsec/loop/uv.hpp>

#include "auth_bench.hpp"
#include "bench_table.hpp"

namespace zb = zmqsec::bench;
namespace zl = zmqsec::loop;
namespace za = zmqsec::auth;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  double seconds = 2.0;  // per echo or ZAP run
  long one_way_messages = 1'000'000;
  int repeat = 3;
  bool header = true;
  bool zap = true;
  bool streams = true;              // --coroutines-only: false
  std::vector<int> loops{0, 1, 2};  // reactor, Asio, libuv
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// --- The loops, each run on a thread of its own ----------------------------------------------

/// A loop and how to run and stop it from another thread.
class loop_host {
 public:
  virtual ~loop_host() = default;
  virtual zl::event_loop& loop() = 0;
  virtual std::string name() const = 0;
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    loop().post([this] { halt(); });
    thread_.join();
  }

 protected:
  virtual void run() = 0;
  virtual void halt() = 0;  // on the loop thread

 private:
  std::thread thread_;
};

class reactor_host final : public loop_host {
 public:
  zl::event_loop& loop() override { return reactor_; }
  std::string name() const override { return "reactor"; }

 private:
  void run() override { reactor_.run(); }
  void halt() override { reactor_.stop(); }
  zl::reactor reactor_;
};

class asio_host final : public loop_host {
 public:
  zl::event_loop& loop() override { return adapter_; }
  std::string name() const override { return "Asio"; }

 private:
  void run() override {
    auto work = asio::make_work_guard(io_);
    io_.restart();
    io_.run();
  }
  void halt() override { io_.stop(); }
  asio::io_context io_;
  zl::asio_loop adapter_{io_};
};

class uv_host final : public loop_host {
 public:
  uv_host() {
    uv_loop_init(&uv_);
    adapter_.emplace(&uv_);
  }
  ~uv_host() override {
    adapter_.reset();
    uv_run(&uv_, UV_RUN_DEFAULT);
    uv_loop_close(&uv_);
  }
  zl::event_loop& loop() override { return *adapter_; }
  std::string name() const override { return "libuv"; }

 private:
  void run() override { uv_run(&uv_, UV_RUN_DEFAULT); }
  void halt() override { uv_stop(&uv_); }
  uv_loop_t uv_{};
  std::optional<zl::uv_loop> adapter_;
};

std::unique_ptr<loop_host> make_host(int which) {
  if (which == 0) return std::make_unique<reactor_host>();
  if (which == 1) return std::make_unique<asio_host>();
  return std::make_unique<uv_host>();
}

// --- Servers: a stream on a loop, or the floor ------------------------------------------------

/// A server socket on its own thread until destroyed. handler gets each message and the socket.
class server {
 public:
  virtual ~server() = default;
  virtual std::string endpoint() const = 0;
};

std::string bind_loopback(zmq::socket_t& socket) {
  socket.set(zmq::sockopt::linger, 0);
  socket.bind("tcp://127.0.0.1:*");
  return socket.get(zmq::sockopt::last_endpoint);
}

/// A stream on a loop: echo (ROUTER) or count (PULL).
class stream_server final : public server {
 public:
  stream_server(zmq::context_t& ctx, int loop_kind, bool echo, std::atomic<long>& count)
      : host_(make_host(loop_kind)) {
    zmq::socket_t socket(ctx, echo ? zmq::socket_type::router : zmq::socket_type::pull);
    endpoint_ = bind_loopback(socket);
    stream_.emplace(host_->loop(), std::move(socket));
    if (echo) {
      stream_->on_recv([this](zl::message& m) { stream_->send_multipart(std::move(m)); });
    } else {
      stream_->on_recv([&count](zl::message&) { count.fetch_add(1, std::memory_order_relaxed); });
    }
    host_->start();
  }
  ~stream_server() override {
    host_->stop();
    stream_.reset();
  }
  std::string endpoint() const override { return endpoint_; }

 private:
  std::unique_ptr<loop_host> host_;
  std::optional<zl::stream> stream_;
  std::string endpoint_;
};

/// Coroutines on a loop: echo (ROUTER) or count (PULL), written as blocking code.
class coroutine_server final : public server {
 public:
  coroutine_server(zmq::context_t& ctx, int loop_kind, bool echo, std::atomic<long>& count)
      : host_(make_host(loop_kind)) {
    zmq::socket_t socket(ctx, echo ? zmq::socket_type::router : zmq::socket_type::pull);
    endpoint_ = bind_loopback(socket);
    socket_.emplace(host_->loop(), std::move(socket));
    if (echo) {
      zl::spawn(host_->loop(), [this]() -> zl::task<> {
        for (;;) co_await socket_->send_multipart(co_await socket_->recv_multipart());
      });
    } else {
      zl::spawn(host_->loop(), [this, &count]() -> zl::task<> {
        for (;;) {
          co_await socket_->recv();
          count.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    host_->start();
  }
  ~coroutine_server() override {
    host_->stop();
    socket_.reset();  // the waiting coroutine ends, cancelled
  }
  std::string endpoint() const override { return endpoint_; }

 private:
  std::unique_ptr<loop_host> host_;
  std::optional<zl::async_socket> socket_;
  std::string endpoint_;
};

/// The floor: zmq_poll on the socket, then receive (and echo) until EAGAIN.
class poll_server final : public server {
 public:
  poll_server(zmq::context_t& ctx, bool echo, std::atomic<long>& count)
      : socket_(ctx, echo ? zmq::socket_type::router : zmq::socket_type::pull) {
    endpoint_ = bind_loopback(socket_);
    thread_ = std::thread([this, echo, &count] { serve(echo, count); });
  }
  ~poll_server() override {
    stop_.store(true);
    thread_.join();
  }
  std::string endpoint() const override { return endpoint_; }

 private:
  void serve(bool echo, std::atomic<long>& count) {
    void* s = socket_.handle();
    zmq_msg_t frames[8];
    for (auto& f : frames) zmq_msg_init(&f);
    while (!stop_.load(std::memory_order_relaxed)) {
      zmq_pollitem_t item{s, 0, ZMQ_POLLIN, 0};
      if (zmq_poll(&item, 1, 50) <= 0) continue;
      for (;;) {
        int n = 0;
        bool more = true;
        while (more && n < 8) {
          if (zmq_msg_recv(&frames[n], s, ZMQ_DONTWAIT) < 0) break;
          more = zmq_msg_more(&frames[n]) != 0;
          ++n;
        }
        if (n == 0) break;
        if (!echo) {
          count.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        for (int i = 0; i < n; ++i) zmq_msg_send(&frames[i], s, i + 1 < n ? ZMQ_SNDMORE : 0);
      }
    }
    for (auto& f : frames) zmq_msg_close(&f);
  }
  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Server kinds: -1 the floor, 0-2 a stream on a loop, coroutine_kinds + 0-2 coroutines on it.
constexpr int coroutine_kinds = 10;

std::unique_ptr<server> make_server(zmq::context_t& ctx, int kind, bool echo,
                                    std::atomic<long>& count) {
  if (kind < 0) return std::make_unique<poll_server>(ctx, echo, count);
  if (kind >= coroutine_kinds) {
    return std::make_unique<coroutine_server>(ctx, kind - coroutine_kinds, echo, count);
  }
  return std::make_unique<stream_server>(ctx, kind, echo, count);
}

// --- Loads ------------------------------------------------------------------------------------

double echo_rate(int kind, double seconds) {
  zmq::context_t ctx;
  std::atomic<long> unused{0};
  auto srv = make_server(ctx, kind, true, unused);
  zmq::socket_t client(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::linger, 0);
  client.connect(srv->endpoint());
  zmq::message_t reply;
  auto round_trip = [&] {
    client.send(zmq::str_buffer("ping"), zmq::send_flags::none);
    if (!client.recv(reply)) throw std::runtime_error("echo: no reply");
  };
  for (int i = 0; i < 1000; ++i) round_trip();  // connected and warm
  long done = 0;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  while (clock_type::now() < end) {
    for (int i = 0; i < 100; ++i) round_trip();
    done += 100;
  }
  return done / std::chrono::duration<double>(clock_type::now() - start).count();
}

double one_way_rate(int kind, long messages) {
  zmq::context_t ctx;
  std::atomic<long> count{0};
  auto srv = make_server(ctx, kind, false, count);
  zmq::socket_t push(ctx, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect(srv->endpoint());
  push.send(zmq::str_buffer("warm-up message"), zmq::send_flags::none);
  while (count.load() < 1) std::this_thread::yield();
  const auto start = clock_type::now();
  for (long i = 0; i < messages; ++i) {
    push.send(zmq::str_buffer("0123456789abcdef"), zmq::send_flags::none);
  }
  const auto deadline = clock_type::now() + std::chrono::seconds(60);
  while (count.load(std::memory_order_relaxed) < messages + 1) {
    if (clock_type::now() > deadline) throw std::runtime_error("one-way: messages lost");
    std::this_thread::yield();
  }
  return messages / std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Medians of repeat pairs (ours, floor), alternating which runs first, and the median of each
/// pair's ratio: the verdict. The two runs of a pair are next to each other in time, so a pair's
/// ratio is taken under one load; on this shared 2-core machine the load swings between pairs
/// more than the difference measured (the floor's own echo rate moved 1.9-3.1 k/s in one run).
struct paired_result {
  double ours = 0;
  double floor = 0;
  double ratio = 0;  // median of ours/floor per pair
};

paired_result paired(int repeat, const std::function<double(bool)>& run) {
  std::vector<double> ours, floor, ratios;
  for (int i = 0; i < repeat; ++i) {
    if (i % 2 == 0) {
      ours.push_back(run(true));
      floor.push_back(run(false));
    } else {
      floor.push_back(run(false));
      ours.push_back(run(true));
    }
    ratios.push_back(ours.back() / floor.back());
  }
  return {median(ours), median(floor), median(ratios)};
}

// --- ZAP --------------------------------------------------------------------------------------

struct zap_files {
  std::filesystem::path dir;
  std::vector<zmqsec::certs::public_key> keys;
  zap_files() {
    dir = std::filesystem::temp_directory_path() /
          ("zmqsec-loop-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream k(dir / "keys"), a(dir / "addresses");
    for (int i = 0; i < 100; ++i) {
      keys.push_back(zmqsec::certs::generate_keypair().public_key);
      k << keys.back().z85() << '\n';
    }
    a << "127.0.0.1\n";
  }
  ~zap_files() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

double zap_once(zmq::context_t& ctx, const zap_files& files, double seconds) {
  zmqsec_bench_result r{};
  const std::string keys = (files.dir / "keys").string();
  const std::string addresses = (files.dir / "addresses").string();
  if (zmqsec_bench_zap_drive(ctx.handle(), keys.c_str(), addresses.c_str(), 0, 1, seconds / 4,
                             seconds, 64, &r) != 0 ||
      r.failures != 0) {
    throw std::runtime_error(std::string("ZAP driver: ") + r.first_failure);
  }
  return r.completed / r.seconds;
}

double zap_rate(bool on_loop, const zap_files& files, double seconds) {
  zmq::context_t ctx;
  if (on_loop) {
    reactor_host host;
    za::loop_authenticator auth(ctx, host.loop());
    auth.allow("127.0.0.1").configure_curve("*", files.keys);
    auth.start();
    host.start();
    const double rate = zap_once(ctx, files, seconds);
    host.stop();
    return rate;
  }
  za::thread_authenticator auth(ctx);
  auth.allow("127.0.0.1").configure_curve("*", files.keys);
  auth.start();
  return zap_once(ctx, files, seconds);
}

// Bytes in use per coroutine suspended in recv() on a reactor: many of them, so that glibc's
// count of bytes in use moves (its per-thread caches hide a single allocation).
std::size_t suspended_receive_bytes() {
  constexpr int coroutines = 10'000;
  zmq::context_t ctx;
  zl::reactor loop;
  zl::async_socket pull(loop, zmq::socket_t(ctx, zmq::socket_type::pull));
  pull.socket().set(zmq::sockopt::linger, 0);
  int suspended = 0;
  auto idle = loop.call_later(std::chrono::milliseconds(20), [&] { loop.stop(); });
  loop.run();  // the socket's own first check is done: only the coroutines allocate below
  const std::size_t before = ::mallinfo2().uordblks;
  for (int i = 0; i < coroutines; ++i) {
    zl::spawn(loop, [&]() -> zl::task<> {
      ++suspended;
      co_await pull.recv();
    });
  }
  auto stop = loop.call_later(std::chrono::milliseconds(50), [&] { loop.stop(); });
  loop.run();
  const std::size_t after = ::mallinfo2().uordblks;
  if (suspended != coroutines) throw std::runtime_error("suspended receive: not all ran");
  return (after - before) / coroutines;
}

/// A row against the zmq_poll floor: the medians of each side, the median of the pairs' ratios
/// and its verdict against goal.
void print_pair(const std::string& measure, const paired_result& r, double goal) {
  char stated[32];
  std::snprintf(stated, sizeof stated, ">= %gx", goal);
  zb::print_row(std::cout, {measure, zb::rate(r.ours), "zmq_poll loop by hand", zb::rate(r.floor),
                            r.ratio, zb::goal(r.ratio >= goal, stated)});
}

int run(const options& opt) {
  if (opt.header) zb::print_header(std::cout);
  for (int kind : opt.streams ? opt.loops : std::vector<int>{}) {
    const std::string name = make_host(kind)->name();
    const auto echo =
        paired(opt.repeat, [&](bool ours) { return echo_rate(ours ? kind : -1, opt.seconds); });
    print_pair("stream echo round trips (" + name + ")", echo, 0.85);
    const auto one_way = paired(opt.repeat, [&](bool ours) {
      return one_way_rate(ours ? kind : -1, opt.one_way_messages);
    });
    print_pair("stream one-way msgs 16B (" + name + ")", one_way, 0.85);
  }
  for (int kind : opt.loops) {
    const std::string name = make_host(kind)->name();
    const int coro = coroutine_kinds + kind;
    const auto echo =
        paired(opt.repeat, [&](bool ours) { return echo_rate(ours ? coro : -1, opt.seconds); });
    print_pair("coroutine echo round trips (" + name + ")", echo, 0.9);
    const auto one_way = paired(opt.repeat, [&](bool ours) {
      return one_way_rate(ours ? coro : -1, opt.one_way_messages);
    });
    print_pair("coroutine one-way msgs 16B (" + name + ")", one_way, 0.9);
  }
  if (!opt.loops.empty()) {
    std::cout << "memory of one suspended receive (spawned coroutine frames, queue entry): "
              << suspended_receive_bytes() << " bytes\n";
  }
  if (!opt.zap) return 0;
  zap_files files;
  const auto zap =
      paired(opt.repeat, [&](bool ours) { return zap_rate(ours, files, opt.seconds); });
  zb::print_row(std::cout, {"ZAP requests, one CPU (reactor)", zb::rate(zap.ours),
                            "thread_authenticator", zb::rate(zap.floor), zap.ratio});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") {
      opt.seconds = 0.5;
      opt.one_way_messages = 200'000;
    } else if (a == "--smoke") {
      opt.seconds = 0.1;
      opt.one_way_messages = 20'000;
      opt.repeat = 1;
    } else if (a == "--seconds") {
      opt.seconds = std::stod(value());
    } else if (a == "--repeat") {
      opt.repeat = std::max(1, std::stoi(value()));
    } else if (a == "--only") {  // reactor, asio, libuv or zap
      const std::string which = value();
      opt.zap = which == "zap";
      opt.loops.clear();
      if (which == "reactor") opt.loops = {0};
      if (which == "asio") opt.loops = {1};
      if (which == "libuv") opt.loops = {2};
    } else if (a == "--coroutines-only") {
      opt.streams = false;
      opt.zap = false;
    } else if (a == "--no-header") {
      opt.header = false;
    } else {
      std::cerr << "zmqsec_bench_loop: unknown argument " << a << '\n';
      return 2;
    }
  }
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_loop: " << e.what() << '\n';
    return 1;
  }
}
