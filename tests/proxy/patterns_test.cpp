// Every pattern through a device, with real pyzmq peers on both sides: an unmodified plain
// service behind the device and clients in front of it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <zmq.hpp>
#include <zmqsec/proxy/device.hpp>

#include "device_harness.hpp"

#include "pyzmq_peer.hpp"
#include "wait_until.hpp"

namespace zp = zmqsec::proxy;
using zmqsec::testing::proxy::open_on_loopback;
using zmqsec::testing::proxy::readable;
using namespace std::chrono_literals;
using zmqsec::testing::pyzmq_peer;

namespace {

zp::side_config connected_to(const std::string& endpoint) {
  return {.connect = {endpoint}, .security = zp::side_security::null_client()};
}

}  // namespace

TEST(proxy_patterns, router_dealer_carries_a_req_client_to_a_rep_service) {
  auto service = pyzmq_peer::service("rep", "@tcp://127.0.0.1:*", 20);
  zp::device gateway({.pattern = zp::pattern::router_dealer,
                      .front = open_on_loopback(),
                      .back = connected_to(service.endpoint())});

  const auto client = pyzmq_peer::run_client("req", gateway.front_endpoints().at(0), 20, 10s);

  EXPECT_EQ(client.exit_code, 0) << client;
  EXPECT_EQ(client.out, "ok 20\n");
  EXPECT_EQ(service.process().wait(10s).exit_code, 0);
  ASSERT_TRUE(
      zmqsec::testing::wait_until([&] { return gateway.statistics().front.messages_sent == 20; }));
  const zp::device_stats stats = gateway.statistics();
  EXPECT_EQ(stats.front.messages_received, 20u);
  EXPECT_EQ(stats.back.messages_sent, 20u);
  EXPECT_EQ(stats.back.messages_received, 20u);
}

TEST(proxy_patterns, router_dealer_carries_a_dealer_client_to_a_router_service) {
  auto service = pyzmq_peer::service("router", "@tcp://127.0.0.1:*", 15);
  zp::device gateway({.pattern = zp::pattern::router_dealer,
                      .front = open_on_loopback(),
                      .back = connected_to(service.endpoint())});

  const auto client = pyzmq_peer::run_client("dealer", gateway.front_endpoints().at(0), 15, 10s);

  EXPECT_EQ(client.exit_code, 0) << client;
  EXPECT_EQ(client.out, "ok 15\n");
  EXPECT_EQ(service.process().wait(10s).exit_code, 0);
}

TEST(proxy_patterns, xpub_xsub_carries_a_pub_service_to_sub_clients) {
  auto service = pyzmq_peer::service("pub", "@tcp://127.0.0.1:*", 0, 15s);
  zp::device gateway({.pattern = zp::pattern::xpub_xsub,
                      .front = open_on_loopback(),
                      .back = connected_to(service.endpoint())});

  const auto client = pyzmq_peer::run_client("sub", gateway.front_endpoints().at(0), 10, 10s);

  EXPECT_EQ(client.exit_code, 0) << client;
  EXPECT_EQ(client.out, "ok 10\n");
  EXPECT_GE(gateway.statistics().front.messages_received, 1u) << "the subscription went upstream";
}

TEST(proxy_patterns, pull_push_carries_push_clients_to_a_pull_service) {
  auto service = pyzmq_peer::service("pull", "@tcp://127.0.0.1:*", 12);
  zp::device gateway({.pattern = zp::pattern::pull_push,
                      .front = open_on_loopback(),
                      .back = connected_to(service.endpoint())});

  const auto client = pyzmq_peer::run_client("push", gateway.front_endpoints().at(0), 12, 10s);

  EXPECT_EQ(client.exit_code, 0) << client;
  const auto served = service.process().wait(10s);
  EXPECT_EQ(served.exit_code, 0) << served;
  EXPECT_NE(served.out.find("got hello 0\n"), std::string::npos) << served.out;
  EXPECT_NE(served.out.find("got hello 11\n"), std::string::npos) << served.out;
}

TEST(proxy_patterns, xsub_xpub_fans_publishers_in_and_subscribers_out) {
  zmq::context_t context(1);
  zp::device hub({.pattern = zp::pattern::xsub_xpub,
                  .front = open_on_loopback(),
                  .back = open_on_loopback(),
                  .context = &context});
  zmq::socket_t publisher(context, zmq::socket_type::pub);
  zmq::socket_t subscriber(context, zmq::socket_type::sub);
  publisher.set(zmq::sockopt::linger, 0);
  subscriber.set(zmq::sockopt::linger, 0);
  subscriber.set(zmq::sockopt::subscribe, "news");
  publisher.connect(hub.front_endpoints().at(0));
  subscriber.connect(hub.back_endpoints().at(0));

  // A PUB sends only once the subscription has come up through the hub: publish until it does.
  zmq::message_t received;
  const bool arrived = zmqsec::testing::wait_until([&] {
    publisher.send(zmq::str_buffer("news 1"), zmq::send_flags::none);
    zmq::pollitem_t item{subscriber.handle(), 0, ZMQ_POLLIN, 0};
    return zmq::poll(&item, 1, 20ms) > 0 &&
           subscriber.recv(received, zmq::recv_flags::dontwait).has_value();
  });

  ASSERT_TRUE(arrived);
  EXPECT_EQ(received.to_string(), "news 1");
}

TEST(proxy_patterns, a_side_without_endpoints_is_refused) {
  EXPECT_THROW(zp::device({.pattern = zp::pattern::pull_push,
                           .front = open_on_loopback(),
                           .back = {.security = zp::side_security::null_client()}}),
               zmqsec::error);
}
