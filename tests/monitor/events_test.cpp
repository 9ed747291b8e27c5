// The events of real connections as a monitor delivers them: tcp and ipc connections made,
// accepted and closed, handshakes that succeed and fail, a bind that fails, a connection that is
// refused and retried.
#include <gtest/gtest.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>

#include <zmqsec/error.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "recorder.hpp"
#include "temp_dir.hpp"

namespace {

using namespace zmqsec::testing::monitor;
using zm::event_type;

void connect_accept_disconnect(const std::string& bind_at) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  recorder server_events, client_events;
  zm::monitor server_monitor(ctx, server, server_events.callback());
  zm::monitor client_monitor(ctx, client, client_events.callback());

  server.bind(bind_at);
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
  auto listening = EXPECT_EVENT(server_events, event_type::listening);
  ASSERT_TRUE(listening);
  EXPECT_EQ(listening->endpoint, endpoint);
  EXPECT_GE(listening->fd().value_or(-1), 0);

  client.connect(endpoint);
  auto connected = EXPECT_EVENT(client_events, event_type::connected);
  ASSERT_TRUE(connected);
  EXPECT_EQ(connected->endpoint, endpoint);
  EXPECT_GE(connected->fd().value_or(-1), 0);
  EXPECT_TRUE(EXPECT_EVENT(client_events, event_type::handshake_succeeded));
  auto accepted = EXPECT_EVENT(server_events, event_type::accepted);
  ASSERT_TRUE(accepted);
  EXPECT_GE(accepted->fd().value_or(-1), 0);
  EXPECT_TRUE(EXPECT_EVENT(server_events, event_type::handshake_succeeded));

  client_monitor.stop();
  client.close();
  auto disconnected = EXPECT_EVENT(server_events, event_type::disconnected);
  ASSERT_TRUE(disconnected);
  EXPECT_EQ(disconnected->fd(), accepted->fd());
}

}  // namespace

TEST(monitor_events_test, tcp_connect_accept_and_disconnect) {
  connect_accept_disconnect("tcp://127.0.0.1:*");
}

TEST(monitor_events_test, ipc_connect_accept_and_disconnect) {
  zmqsec::testing::temp_dir dir;
  connect_accept_disconnect("ipc://" + (dir / "server.ipc").string());
}

TEST(monitor_events_test, a_failed_bind_says_why) {
  zmq::context_t ctx;
  auto first = make_socket(ctx, zmq::socket_type::router);
  const std::string endpoint = bind_loopback(first);
  auto second = make_socket(ctx, zmq::socket_type::router);
  recorder events;
  zm::monitor watch(ctx, second, events.callback());
  EXPECT_THROW(second.bind(endpoint), zmq::error_t);
  auto failed = EXPECT_EVENT(events, event_type::bind_failed);
  ASSERT_TRUE(failed);
  // libzmq 4.3 names the address without the transport in this event.
  EXPECT_EQ("tcp://" + failed->endpoint, endpoint);
  EXPECT_EQ(failed->error_number(), EADDRINUSE);
  EXPECT_EQ(failed->error_text(), std::strerror(EADDRINUSE));
}

TEST(monitor_events_test, a_refused_connection_is_retried_at_the_reconnect_interval) {
  zmq::context_t ctx;
  // A port that was just free: bound, read and closed.
  std::string endpoint;
  {
    auto probe = make_socket(ctx, zmq::socket_type::router);
    endpoint = bind_loopback(probe);
    probe.unbind(endpoint);
  }
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  client.set(zmq::sockopt::reconnect_ivl, 50);
  recorder events;
  zm::monitor watch(ctx, client, events.callback());
  client.connect(endpoint);
  auto retried = EXPECT_EVENT(events, event_type::connect_retried);
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->endpoint, endpoint);
  // libzmq adds a random part smaller than the interval to each wait.
  ASSERT_TRUE(retried->interval());
  EXPECT_GE(*retried->interval(), 50ms);
  EXPECT_LT(*retried->interval(), 100ms);
  EXPECT_EQ(retried->detail(), "retry in " + std::to_string(retried->value) + " ms");
}

TEST(monitor_events_test, mechanism_mismatch_is_a_protocol_error_on_both_sides) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  server.set(zmq::sockopt::plain_server, 1);
  auto client = make_socket(ctx, zmq::socket_type::dealer);  // NULL
  recorder server_events, client_events;
  zm::monitor server_monitor(ctx, server, server_events.callback(), zm::handshake_events);
  zm::monitor client_monitor(ctx, client, client_events.callback(), zm::handshake_events);
  client.connect(bind_loopback(server));
  for (auto* rec : {&server_events, &client_events}) {
    auto failed = EXPECT_EVENT(*rec, event_type::handshake_failed_protocol);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->protocol_error(), std::uint32_t{ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH});
    EXPECT_EQ(failed->detail(), "ZMTP_MECHANISM_MISMATCH (0x11000002)");
  }
}

TEST(monitor_events_test, the_mask_filters_events) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  recorder events;
  zm::monitor watch(ctx, client, events.callback(), zm::event_type::handshake_succeeded);
  client.connect(bind_loopback(server));
  EXPECT_TRUE(EXPECT_EVENT(events, event_type::handshake_succeeded));
  watch.stop();
  for (const auto& e : events.events()) {
    EXPECT_EQ(e.type, event_type::handshake_succeeded) << e.describe();
  }
}

TEST(monitor_events_test, stop_delivers_monitor_stopped_last) {
  zmq::context_t ctx;
  auto socket = make_socket(ctx, zmq::socket_type::router);
  recorder events;
  zm::monitor watch(ctx, socket, events.callback());
  bind_loopback(socket);
  EXPECT_TRUE(EXPECT_EVENT(events, event_type::listening));
  EXPECT_TRUE(watch.running());
  watch.stop();
  EXPECT_FALSE(watch.running());
  const auto all = events.events();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back().type, event_type::monitor_stopped);
  EXPECT_EQ(all.back().describe(), "MONITOR_STOPPED");
  EXPECT_EQ(watch.stats().delivered, all.size());
}

TEST(monitor_events_test, monitor_socket_is_read_by_whoever_polls_it) {
  zmq::context_t ctx;
  auto server = make_socket(ctx, zmq::socket_type::router);
  auto client = make_socket(ctx, zmq::socket_type::dealer);
  zm::monitor_socket events(ctx, client, zm::handshake_events);
  EXPECT_FALSE(events.receive(0ms));  // nothing yet, and no waiting
  client.connect(bind_loopback(server));
  auto e = events.receive(patience);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, event_type::handshake_succeeded);
  events.stop();
  EXPECT_FALSE(events.receive(patience));  // MONITOR_STOPPED is not in the mask
  EXPECT_TRUE(events.stopped());
  EXPECT_EQ(events.counters().received, 2u);
}

TEST(monitor_events_test, recv_monitor_message_refuses_a_malformed_message_and_reads_the_next) {
  zmq::context_t ctx;
  auto writer = make_socket(ctx, zmq::socket_type::pair);
  auto reader = make_socket(ctx, zmq::socket_type::pair);
  writer.bind("inproc://malformed-monitor");
  reader.connect("inproc://malformed-monitor");
  writer.send(zmq::str_buffer("short"), zmq::send_flags::sndmore);
  writer.send(zmq::str_buffer("tcp://x"), zmq::send_flags::sndmore);
  writer.send(zmq::str_buffer("extra"), zmq::send_flags::none);
  std::string head(6, '\0');
  const std::uint16_t number = ZMQ_EVENT_ACCEPTED;
  const std::uint32_t value = 9;
  std::memcpy(head.data(), &number, 2);
  std::memcpy(head.data() + 2, &value, 4);
  writer.send(zmq::buffer(head), zmq::send_flags::sndmore);
  writer.send(zmq::str_buffer("tcp://y"), zmq::send_flags::none);

  try {
    zm::recv_monitor_message(reader, patience);
    ADD_FAILURE() << "a malformed message was accepted";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    EXPECT_STREQ(e.what(), "monitor message: 3 frames, expected 2 (event and endpoint)");
  }
  auto next = zm::recv_monitor_message(reader, patience);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->type, event_type::accepted);
  EXPECT_EQ(next->fd(), 9);
  EXPECT_EQ(next->endpoint, "tcp://y");
  EXPECT_FALSE(zm::recv_monitor_message(reader, 0ms));
}
