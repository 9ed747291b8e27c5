// Attach and detach in every order a program can get into: stopping while events flow, the
// socket closed first, the context terminated first, a second monitor replacing the first,
// stop from the callback, monitors started and stopped over and over under traffic. Each test
// ends by terminating its context, which would hang if a monitor left a socket open.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "recorder.hpp"
#include "wait_until.hpp"

namespace {

using namespace zmqsec::testing::monitor;
using zm::event_type;
using zmqsec::testing::wait_until;

// Connects and disconnects clients to endpoint on a thread of its own until stopped, so that the
// server's monitor always has events coming.
class churn {
 public:
  churn(zmq::context_t& ctx, std::string endpoint)
      : thread_([this, &ctx, endpoint = std::move(endpoint)] {
          while (!stop_.load()) {
            try {
              round(ctx, endpoint);
            } catch (const zmq::error_t&) {
              std::this_thread::yield();  // EMFILE: closed sockets are not reaped yet
            }
          }
        }) {}
  churn(const churn&) = delete;
  churn& operator=(const churn&) = delete;
  ~churn() {
    stop_.store(true);
    thread_.join();
  }
  std::uint64_t rounds() const { return rounds_.load(); }

 private:
  // One client that connects, waits for its handshake (immediate: not writable before), sends
  // and goes; waiting keeps the number of sockets libzmq has not reaped yet small.
  void round(zmq::context_t& ctx, const std::string& endpoint) {
    auto client = make_socket(ctx, zmq::socket_type::dealer);
    client.set(zmq::sockopt::immediate, 1);
    client.connect(endpoint);
    zmq::pollitem_t item{client.handle(), 0, ZMQ_POLLOUT, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(200));
    if ((item.revents & ZMQ_POLLOUT) != 0) {
      (void)client.send(zmq::str_buffer("hello"), zmq::send_flags::dontwait);
    }
    rounds_.fetch_add(1);
  }

  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> rounds_{0};
  std::thread thread_;
};

std::size_t open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// Reads whatever the clients send, so the server socket stays in use on this thread.
void serve_a_little(zmq::socket_t& server) {
  zmq::message_t frame;
  while (server.recv(frame, zmq::recv_flags::dontwait)) {
  }
}

}  // namespace

TEST(monitor_lifecycle_test, monitors_start_and_stop_over_and_over_under_traffic) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  const std::string endpoint = bind_loopback(server);
  churn clients(ctx, endpoint);
  for (int round = 0; round < 200; ++round) {
    recorder events;
    {
      zm::monitor watch(ctx, server, events.callback());
      ASSERT_TRUE(events.wait_count(1)) << "round " << round << ": no event";
      serve_a_little(server);
    }
    const auto all = events.events();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.back().type, event_type::monitor_stopped) << "round " << round;
  }
  EXPECT_GT(clients.rounds(), 0u);

  // The I/O threads still work: a new client completes its handshake.
  recorder after;
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  zm::monitor watch(ctx, client, after.callback(), zm::handshake_events);
  client.connect(endpoint);
  EXPECT_TRUE(EXPECT_EVENT(after, event_type::handshake_succeeded));
}

TEST(monitor_lifecycle_test, monitor_sockets_start_and_stop_over_and_over_under_traffic) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  churn clients(ctx, bind_loopback(server));
  for (int round = 0; round < 200; ++round) {
    zm::monitor_socket events(ctx, server);
    ASSERT_TRUE(events.receive(patience)) << "round " << round;
    serve_a_little(server);
    // The destructor stops, drains the events still queued and closes.
  }
}

TEST(monitor_lifecycle_test, destroying_while_events_flow_returns_and_leaves_nothing_open) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  churn clients(ctx, bind_loopback(server));
  std::atomic<int> seen{0};
  for (int round = 0; round < 20; ++round) {
    // A slow callback: events pile up in the monitor's queue while it is destroyed.
    zm::monitor watch(ctx, server, [&](const zm::event&) {
      seen.fetch_add(1);
      std::this_thread::yield();
    });
    serve_a_little(server);
  }
  EXPECT_GT(seen.load(), 0);
}

TEST(monitor_lifecycle_test, closing_the_socket_first_stops_the_monitor) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  recorder events;
  zm::monitor watch(ctx, server, events.callback());
  bind_loopback(server);
  EXPECT_TRUE(EXPECT_EVENT(events, event_type::listening));
  server.close();
  EXPECT_TRUE(watch.wait_stopped(patience)) << events.history();
  EXPECT_FALSE(watch.running());
  EXPECT_TRUE(EXPECT_EVENT(events, event_type::monitor_stopped));
}

TEST(monitor_lifecycle_test, closing_the_socket_first_while_events_flow_stops_the_monitor) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  churn clients(ctx, bind_loopback(server));
  recorder events;
  zm::monitor watch(ctx, server, events.callback());
  ASSERT_TRUE(events.wait_count(5));
  server.close();
  EXPECT_TRUE(watch.wait_stopped(patience)) << events.history();
}

TEST(monitor_lifecycle_test, terminating_the_context_stops_the_monitor) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  recorder events;
  zm::monitor watch(ctx, server, events.callback());
  bind_loopback(server);
  EXPECT_TRUE(EXPECT_EVENT(events, event_type::listening));
  ctx.shutdown();
  EXPECT_TRUE(watch.wait_stopped(patience));
  server.close();
  ctx.close();  // returns: the monitor's reading end is closed
}

TEST(monitor_lifecycle_test, a_monitor_created_on_a_terminated_context_fails_with_eterm) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  ctx.shutdown();
  try {
    zm::monitor watch(ctx, server, nullptr);
    ADD_FAILURE() << "attached to a socket of a terminated context";
  } catch (const zmqsec::error& e) {
    EXPECT_TRUE(zmqsec::core::is_zmq_error(e, ETERM)) << e.code();
    // The code's own text is libzmq's, not the generic category's "Unknown error 156384765".
    EXPECT_EQ(e.code().message(), "Context was terminated");
    EXPECT_STREQ(e.what(), "cannot monitor socket: Context was terminated");
  }
  server.close();
}

TEST(monitor_lifecycle_test, a_second_monitor_of_the_same_socket_ends_the_first) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  recorder first_events, second_events;
  zm::monitor first(ctx, server, first_events.callback());
  zm::monitor second(ctx, server, second_events.callback());
  EXPECT_TRUE(first.wait_stopped(patience));
  EXPECT_TRUE(EXPECT_EVENT(first_events, event_type::monitor_stopped));
  bind_loopback(server);
  EXPECT_TRUE(EXPECT_EVENT(second_events, event_type::listening));
  EXPECT_TRUE(second.running());
}

TEST(monitor_lifecycle_test, the_callback_may_stop_its_own_monitor) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  std::optional<zm::monitor> watch;
  std::atomic<int> calls{0};
  watch.emplace(ctx, server, [&](const zm::event& e) {
    calls.fetch_add(1);
    if (e.type == event_type::listening) watch->stop();
  });
  bind_loopback(server);
  EXPECT_TRUE(watch->wait_stopped(patience));
  EXPECT_EQ(calls.load(), 2);  // LISTENING, then MONITOR_STOPPED
  watch.reset();
}

TEST(monitor_lifecycle_test, the_callback_may_destroy_its_own_monitor) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  std::atomic<bool> destroyed{false};
  std::unique_ptr<zm::monitor> watch;
  watch = std::make_unique<zm::monitor>(ctx, server, [&](const zm::event& e) {
    if (e.type == event_type::listening) {
      watch.reset();
      destroyed.store(true);
    }
  });
  bind_loopback(server);
  EXPECT_TRUE(wait_until([&] { return destroyed.load(); }));
  server.close();
  ctx.close();  // returns once the detached thread has closed its reading end
}

TEST(monitor_lifecycle_test, exceptions_from_the_callback_are_counted) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  zm::monitor watch(ctx, server, [](const zm::event&) { throw std::runtime_error("callback"); });
  bind_loopback(server);
  EXPECT_TRUE(wait_until([&] { return watch.stats().callback_errors >= 1; }));
  watch.stop();
  EXPECT_EQ(watch.stats().callback_errors, watch.stats().delivered);
}

TEST(monitor_lifecycle_test, a_moved_monitor_keeps_delivering) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  recorder events;
  zm::monitor first(ctx, server, events.callback());
  zm::monitor moved(std::move(first));
  EXPECT_FALSE(first.running());  // NOLINT(bugprone-use-after-move): moved-from is empty
  bind_loopback(server);
  EXPECT_TRUE(EXPECT_EVENT(events, event_type::listening));
  EXPECT_TRUE(moved.running());
}

// pyzmq#1554: monitors that are not detached keep their sockets (and file descriptors) for ever.
TEST(monitor_lifecycle_test, a_thousand_monitored_sockets_leave_no_file_descriptor_behind) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  const std::string endpoint = bind_loopback(server);
  const std::size_t before = open_fds();
  for (int round = 0; round < 1000; ++round) {
    auto client = make_socket(ctx, zmq::socket_type::dealer);
    recorder events;
    zm::monitor watch(ctx, client, events.callback());
    client.connect(endpoint);
    if (round % 100 == 0) {
      ASSERT_TRUE(EXPECT_EVENT(events, event_type::handshake_succeeded));
    }
  }
  // libzmq's reaper frees closed sockets on its own thread: wait for it, bounded.
  EXPECT_TRUE(wait_until([&] { return open_fds() <= before + 2; }))
      << "before: " << before << ", now: " << open_fds();
}
