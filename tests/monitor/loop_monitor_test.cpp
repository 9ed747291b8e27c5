// loop_monitor on the reactor: events of real tcp connections delivered on the loop's thread, a
// refusal by the authenticator (HANDSHAKE_FAILED_AUTH 400), stop() delivering MONITOR_STOPPED
// last, the monitored socket closed first, and a monitor destroyed in its own callback.
#include <gtest/gtest.h>
#include <zmq.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/loop/reactor.hpp>
#include <zmqsec/monitor/loop_monitor.hpp>

#include "bind_loopback.hpp"

namespace zm = zmqsec::monitor;
namespace zl = zmqsec::loop;
using namespace std::chrono_literals;
using zm::event_type;

namespace {

// Runs loop until done() or 10 s have passed (a bound, not a pause: run_for returns as soon as
// a callback stops the loop).
template <class Done>
bool run_until(zl::reactor& loop, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    loop.run_for(50ms);
  }
  return true;
}

zmq::socket_t make_socket(zmq::context_t& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  return s;
}

bool contains(const std::vector<zm::event>& seen, event_type type) {
  for (const auto& e : seen) {
    if (e.type == type) return true;
  }
  return false;
}

TEST(loop_monitor_test, delivers_the_events_of_a_connection_on_the_loop_thread) {
  zmq::context_t ctx;
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::router);
  zmqsec::testing::bind_loopback(server);
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  std::vector<zm::event> seen;
  std::vector<std::thread::id> threads;
  zm::loop_monitor watch(ctx, client, loop, [&](const zm::event& e) {
    seen.push_back(e);
    threads.push_back(std::this_thread::get_id());
  });
  client.connect(server.get(zmq::sockopt::last_endpoint));
  ASSERT_TRUE(run_until(loop, [&] { return contains(seen, event_type::handshake_succeeded); }));
  EXPECT_TRUE(contains(seen, event_type::connected));
  for (const auto& id : threads) EXPECT_EQ(id, std::this_thread::get_id());  // run() is here
  EXPECT_TRUE(watch.running());
  EXPECT_EQ(watch.stats().delivered, seen.size());
}

TEST(loop_monitor_test, shows_a_refusal_by_the_authenticator_as_400) {
  zmq::context_t ctx;
  zmqsec::auth::thread_authenticator auth{ctx};
  auth.deny("127.0.0.1");
  auth.start();
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::router);
  server.set(zmq::sockopt::zap_domain, "test");
  zmqsec::testing::bind_loopback(server);
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  std::optional<zm::event> outcome;
  zm::loop_monitor watch(
      ctx, client, loop, [&](const zm::event& e) { outcome = e; }, zm::handshake_events);
  client.connect(server.get(zmq::sockopt::last_endpoint));
  ASSERT_TRUE(run_until(loop, [&] { return outcome.has_value(); }));
  EXPECT_EQ(outcome->type, event_type::handshake_failed_auth) << outcome->describe();
  EXPECT_EQ(outcome->zap_status(), 400) << outcome->describe();
}

TEST(loop_monitor_test, stop_delivers_what_was_queued_then_monitor_stopped_last) {
  zmq::context_t ctx;
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::router);
  std::vector<zm::event> seen;
  zm::loop_monitor watch(ctx, server, loop, [&](const zm::event& e) { seen.push_back(e); });
  zmqsec::testing::bind_loopback(server);  // LISTENING is queued before stop() asks libzmq to stop
  watch.stop();
  watch.stop();  // twice is harmless
  ASSERT_TRUE(run_until(loop, [&] { return !watch.running(); }));
  ASSERT_GE(seen.size(), 2U);
  EXPECT_EQ(seen.front().type, event_type::listening);
  EXPECT_EQ(seen.back().type, event_type::monitor_stopped);
}

TEST(loop_monitor_test, ends_by_itself_when_the_monitored_socket_is_closed) {
  zmq::context_t ctx;
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::router);
  bool stopped_seen = false;
  zm::loop_monitor watch(ctx, server, loop, [&](const zm::event& e) {
    if (e.type == event_type::monitor_stopped) stopped_seen = true;
  });
  zmqsec::testing::bind_loopback(server);
  server.close();
  ASSERT_TRUE(run_until(loop, [&] { return !watch.running(); }));
  EXPECT_TRUE(stopped_seen);
}  // destroyed after running() turned false, as the header asks

TEST(loop_monitor_test, may_be_destroyed_in_its_own_callback) {
  zmq::context_t ctx;
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::router);
  const std::string endpoint = zmqsec::testing::bind_loopback(server);
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  int calls = 0;
  std::optional<zm::loop_monitor> watch;
  watch.emplace(ctx, client, loop, [&](const zm::event&) {
    ++calls;
    watch.reset();  // the monitor goes away while its callback runs
  });
  client.connect(endpoint);
  ASSERT_TRUE(run_until(loop, [&] { return calls > 0; }));
  // Nothing more is delivered, however many events the connection makes from now on.
  for (int i = 0; i < 5; ++i) loop.run_for(10ms);
  EXPECT_EQ(calls, 1);
}

TEST(loop_monitor_test, starting_and_stopping_many_monitors_leaves_the_loop_usable) {
  zmq::context_t ctx;
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::router);
  const std::string endpoint = zmqsec::testing::bind_loopback(server);
  for (int round = 0; round < 50; ++round) {
    auto client = make_socket(ctx, zmq::socket_type::dealer);
    bool connected = false;
    zm::loop_monitor watch(ctx, client, loop, [&](const zm::event& e) {
      if (e.type == event_type::handshake_succeeded) connected = true;
    });
    client.connect(endpoint);
    ASSERT_TRUE(run_until(loop, [&] { return connected; })) << "round " << round;
  }  // each monitor is destroyed while its socket is open, then the socket is closed
}

}  // namespace
