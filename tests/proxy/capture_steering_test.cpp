// The capture stream (pyzmq's MonitoredQueue: "in" and "out" copies), the front filter, and
// steering (zmq_proxy_steerable's PAUSE, RESUME, TERMINATE and STATISTICS as calls).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>
#include <zmqsec/proxy/device.hpp>

#include "device_harness.hpp"

#include "wait_until.hpp"

namespace zp = zmqsec::proxy;
using zmqsec::testing::proxy::open_on_loopback;
using zmqsec::testing::proxy::readable;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> receive_all(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  (void)zmq::recv_multipart(socket, std::back_inserter(frames));
  std::vector<std::string> texts;
  for (const auto& f : frames) texts.push_back(f.to_string());
  return texts;
}

// A DEALER client in front of a router_dealer device and a ROUTER service behind it.
class request_path : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* s : {&client_, &service_, &capture_}) s->set(zmq::sockopt::linger, 0);
    client_.connect(device_.front_endpoints().at(0));
    service_.connect(device_.back_endpoints().at(0));
    capture_.set(zmq::sockopt::subscribe, "");
    capture_.connect(device_.capture_endpoints().at(0));
  }

  // Sends payload from the client; the service answers "re:" + payload. True when the answer
  // came back.
  bool exchange(const std::string& payload, std::chrono::milliseconds timeout = 5s) {
    client_.send(zmq::buffer(payload), zmq::send_flags::none);
    if (!readable(service_, timeout)) return false;
    std::vector<zmq::message_t> request;
    (void)zmq::recv_multipart(service_, std::back_inserter(request));
    const std::string answer = "re:" + payload;
    request.back().rebuild(answer.data(), answer.size());
    zmq::send_multipart(service_, request);
    if (!readable(client_, timeout)) return false;
    return receive_all(client_) == std::vector<std::string>{"re:" + payload};
  }

  zmq::context_t context_{1};
  zp::device device_{{.pattern = zp::pattern::router_dealer,
                      .front = open_on_loopback(),
                      .back = open_on_loopback(),
                      .capture = open_on_loopback(),
                      .context = &context_}};
  zmq::socket_t client_{context_, zmq::socket_type::dealer};
  zmq::socket_t service_{context_, zmq::socket_type::router};
  zmq::socket_t capture_{context_, zmq::socket_type::sub};
};

}  // namespace

TEST_F(request_path, capture_sees_each_message_in_both_directions_with_in_and_out_prefixes) {
  // The capture subscription reaches the PUB some time after connecting: exchange until a copy
  // arrives, then look at one exchange alone.
  ASSERT_TRUE(
      zmqsec::testing::wait_until([&] { return exchange("warm") && readable(capture_, 0ms); }));
  while (readable(capture_, 100ms)) (void)receive_all(capture_);

  ASSERT_TRUE(exchange("ping"));

  ASSERT_TRUE(readable(capture_, 5s));
  const auto in = receive_all(capture_);
  ASSERT_TRUE(readable(capture_, 5s));
  const auto out = receive_all(capture_);
  ASSERT_EQ(in.size(), 3u) << "in, the client's routing id, the request";
  EXPECT_EQ(in.front(), "in");
  EXPECT_EQ(in.back(), "ping");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out.front(), "out");
  EXPECT_EQ(out[1], in[1]) << "the reply goes back to the same client";
  EXPECT_EQ(out.back(), "re:ping");
  EXPECT_GE(device_.statistics().captured, 2u);
}

TEST_F(request_path, statistics_count_messages_and_bytes_on_each_side) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(exchange("12345"));

  ASSERT_TRUE(
      zmqsec::testing::wait_until([&] { return device_.statistics().front.messages_sent == 5; }));
  const zp::device_stats s = device_.statistics();
  EXPECT_EQ(s.front.messages_received, 5u);
  EXPECT_EQ(s.back.messages_sent, 5u);
  EXPECT_EQ(s.back.messages_received, 5u);
  // Each request is the client's routing id (5 bytes, libzmq's) and 5 bytes of payload.
  EXPECT_EQ(s.front.bytes_received, s.back.bytes_sent);
  EXPECT_EQ(s.back.bytes_received, s.front.bytes_sent);
  EXPECT_GE(s.front.bytes_received, 5u * 5u);
  EXPECT_TRUE(s.running);
  EXPECT_FALSE(s.paused);
}

TEST_F(request_path, pause_holds_messages_until_resume) {
  ASSERT_TRUE(exchange("before"));

  device_.pause();
  client_.send(zmq::str_buffer("held"), zmq::send_flags::none);

  EXPECT_TRUE(device_.statistics().paused);
  EXPECT_FALSE(readable(service_, 300ms)) << "nothing is forwarded while paused";
  device_.resume();
  ASSERT_TRUE(readable(service_, 5s));
  EXPECT_EQ(receive_all(service_).back(), "held");
  EXPECT_FALSE(device_.statistics().paused);
}

TEST_F(request_path, terminate_stops_forwarding_and_frees_the_endpoints) {
  ASSERT_TRUE(exchange("before"));
  const std::string front = device_.front_endpoints().at(0);

  device_.terminate();

  EXPECT_FALSE(device_.running());
  EXPECT_FALSE(device_.statistics().running);
  EXPECT_EQ(device_.failure(), nullptr);
  zmq::socket_t again(context_, zmq::socket_type::router);
  again.set(zmq::sockopt::linger, 0);
  // libzmq closes a listener on its I/O thread, a moment after the socket closes.
  EXPECT_TRUE(zmqsec::testing::wait_until([&] {
    try {
      again.bind(front);
      return true;
    } catch (const zmq::error_t&) {
      return false;
    }
  }));
  device_.pause();      // returns at once once ended
  device_.terminate();  // idempotent
}

TEST(proxy_filter, messages_the_front_filter_refuses_are_dropped_and_counted) {
  zmq::context_t context(1);
  zp::device gateway(
      {.pattern = zp::pattern::pull_push,
       .front = open_on_loopback(),
       .back = open_on_loopback(),
       .front_filter = [](zmq::message_t& first) { return first.to_string_view() != "secret"; },
       .context = &context});
  zmq::socket_t pusher(context, zmq::socket_type::push);
  zmq::socket_t puller(context, zmq::socket_type::pull);
  pusher.set(zmq::sockopt::linger, 0);
  puller.set(zmq::sockopt::linger, 0);
  pusher.connect(gateway.front_endpoints().at(0));
  puller.connect(gateway.back_endpoints().at(0));

  for (const char* text : {"one", "secret", "two"}) {
    pusher.send(zmq::buffer(std::string(text)), zmq::send_flags::none);
  }

  std::vector<std::string> got;
  while (got.size() < 2 && readable(puller, 5s)) got.push_back(receive_all(puller).at(0));
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return gateway.statistics().filtered == 1; }));
  EXPECT_EQ(gateway.statistics().back.messages_sent, 2u);
}

// A filter made for the front socket (what a session guard needs): made once, before the front
// binds, with the front socket itself; used together with front_filter; destroyed when the
// device terminates, before the sockets close.
TEST(proxy_filter, a_filter_made_for_the_front_socket_lives_as_long_as_it) {
  zmq::context_t context(1);
  struct lifetime {
    int made = 0;
    int front_type = -1;
    std::string endpoint_when_made = "unset";
    bool destroyed = false;
  };
  auto seen = std::make_shared<lifetime>();
  struct owned {
    std::shared_ptr<lifetime> seen;
    ~owned() { seen->destroyed = true; }
  };
  zp::device gateway(
      {.pattern = zp::pattern::pull_push,
       .front = open_on_loopback(),
       .back = open_on_loopback(),
       .front_filter = [](zmq::message_t& first) { return first.to_string_view() != "secret"; },
       .make_front_filter =
           [seen](zmq::socket_t& front) {
             ++seen->made;
             seen->front_type = front.get(zmq::sockopt::type);
             seen->endpoint_when_made = front.get(zmq::sockopt::last_endpoint);
             auto state = std::shared_ptr<owned>(new owned{seen});
             return zp::message_filter(
                 [state](zmq::message_t& first) { return first.to_string_view() != "private"; });
           },
       .context = &context});
  EXPECT_EQ(seen->made, 1);
  EXPECT_EQ(seen->front_type, ZMQ_PULL);
  EXPECT_EQ(seen->endpoint_when_made, "");  // not yet bound
  zmq::socket_t pusher(context, zmq::socket_type::push);
  zmq::socket_t puller(context, zmq::socket_type::pull);
  pusher.set(zmq::sockopt::linger, 0);
  puller.set(zmq::sockopt::linger, 0);
  pusher.connect(gateway.front_endpoints().at(0));
  puller.connect(gateway.back_endpoints().at(0));
  for (const char* text : {"one", "secret", "private", "two"}) {
    pusher.send(zmq::buffer(std::string(text)), zmq::send_flags::none);
  }
  std::vector<std::string> got;
  while (got.size() < 2 && readable(puller, 5s)) got.push_back(receive_all(puller).at(0));
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return gateway.statistics().filtered == 2; }));

  EXPECT_FALSE(seen->destroyed);
  gateway.terminate();
  EXPECT_TRUE(seen->destroyed);
}

TEST(proxy_hold, a_message_waits_for_a_back_side_without_peers_instead_of_being_lost) {
  zmq::context_t context(1);
  zp::device gateway({.pattern = zp::pattern::pull_push,
                      .front = open_on_loopback(),
                      .back = open_on_loopback(),
                      .context = &context});
  zmq::socket_t pusher(context, zmq::socket_type::push);
  pusher.set(zmq::sockopt::linger, 0);
  pusher.connect(gateway.front_endpoints().at(0));
  pusher.send(zmq::str_buffer("early"), zmq::send_flags::none);
  ASSERT_TRUE(zmqsec::testing::wait_until(
      [&] { return gateway.statistics().front.messages_received == 1; }));

  zmq::socket_t puller(context, zmq::socket_type::pull);
  puller.set(zmq::sockopt::linger, 0);
  puller.connect(gateway.back_endpoints().at(0));

  ASSERT_TRUE(readable(puller, 5s));
  EXPECT_EQ(receive_all(puller).at(0), "early");
  // A device that holds is still steerable.
  gateway.pause();
  gateway.resume();
}

TEST(proxy_failure, a_context_shut_down_under_the_device_ends_it_with_a_failure) {
  zmq::context_t context(1);
  zp::device gateway({.pattern = zp::pattern::pull_push,
                      .front = open_on_loopback(),
                      .back = open_on_loopback(),
                      .context = &context});

  context.shutdown();

  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return !gateway.running(); }));
  EXPECT_NE(gateway.failure(), nullptr);
  EXPECT_FALSE(gateway.statistics().running);
  gateway.pause();  // returns at once: the thread has ended
}
