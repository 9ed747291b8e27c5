// async_monitor on the reactor: a coroutine awaits the events of a real tcp connection, a wait
// with no event ends after its timeout, and stop() ends the events with MONITOR_STOPPED.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/loop/reactor.hpp>
#include <zmqsec/loop/task.hpp>
#include <zmqsec/monitor/async_monitor.hpp>

#include "bind_loopback.hpp"

namespace zm = zmqsec::monitor;
namespace zl = zmqsec::loop;
using namespace std::chrono_literals;
using zm::event_type;

namespace {

zmq::socket_t make_socket(zmq::context_t& ctx, zmq::socket_type type) {
  zmq::socket_t s(ctx, type);
  s.set(zmq::sockopt::linger, 0);
  return s;
}

// Runs the loop until the spawned coroutine stops it (bounded: 10 s).
void run(zl::reactor& loop) {
  zl::handle bound = loop.call_later(10s, [&] { loop.stop(); });
  loop.run();
}

TEST(async_monitor_test, a_coroutine_awaits_the_events_of_a_connection_then_the_stop) {
  zmq::context_t ctx;
  zl::reactor loop;
  auto server = make_socket(ctx, zmq::socket_type::rep);
  const std::string endpoint = zmqsec::testing::bind_loopback(server);
  auto client = make_socket(ctx, zmq::socket_type::req);
  zm::async_monitor events(ctx, client, loop, zm::all_events);
  std::vector<event_type> seen;
  std::optional<zm::event> quiet = zm::event{}, after_stop = zm::event{};
  bool done = false;
  zl::spawn(loop, [&]() -> zl::task<> {
    quiet = co_await events.next(20ms);  // nothing connects yet: ends after its timeout
    client.connect(endpoint);
    while (auto e = co_await events.next(5s)) {
      seen.push_back(e->type);
      if (e->type == event_type::handshake_succeeded) break;
    }
    events.stop();
    while (auto e = co_await events.next(5s)) seen.push_back(e->type);
    after_stop = co_await events.next(5s);
    done = true;
    loop.stop();
  });
  run(loop);
  ASSERT_TRUE(done);
  EXPECT_FALSE(quiet);
  ASSERT_GE(seen.size(), 3u);
  EXPECT_NE(std::find(seen.begin(), seen.end(), event_type::connected), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), event_type::handshake_succeeded), seen.end());
  EXPECT_EQ(seen.back(), event_type::monitor_stopped);
  EXPECT_FALSE(after_stop);
  EXPECT_TRUE(events.stopped());
}

}  // namespace
