// A proxy device's series: the messages and bytes each side carried, as statistics() counts
// them, in an exposition that promtool accepts.
#include <gtest/gtest.h>

#include <string>

#include <zmq.hpp>
#include <zmqsec/metrics.hpp>
#include <zmqsec/proxy/device.hpp>

#include "process.hpp"
#include "wait_until.hpp"

namespace zp = zmqsec::proxy;
using namespace std::chrono_literals;

TEST(proxy_scrape_test, a_device_reports_messages_each_way_and_passes_promtool) {
  zmq::context_t context(1);
  zp::device device(
      {.pattern = zp::pattern::pull_push,
       .front = {.bind = {"tcp://127.0.0.1:*"}, .security = zp::side_security::open()},
       .back = {.bind = {"tcp://127.0.0.1:*"}, .security = zp::side_security::open()},
       .context = &context});
  zmq::socket_t pusher(context, zmq::socket_type::push);
  zmq::socket_t puller(context, zmq::socket_type::pull);
  pusher.set(zmq::sockopt::linger, 0);
  puller.set(zmq::sockopt::linger, 0);
  pusher.connect(device.front_endpoints().at(0));
  puller.connect(device.back_endpoints().at(0));
  zmqsec::metrics::exposer metrics;
  const auto exported = metrics.add(device, "gw");

  for (int i = 0; i < 2; ++i) pusher.send(zmq::str_buffer("12345"), zmq::send_flags::none);
  zmq::message_t got;
  ASSERT_TRUE(puller.recv(got));
  ASSERT_TRUE(puller.recv(got));

  ASSERT_TRUE(
      zmqsec::testing::wait_until([&] { return device.statistics().back.messages_sent == 2; }));
  const std::string text = metrics.scrape();
  EXPECT_NE(text.find(R"(zmqsec_proxy_sent_messages_total{proxy="gw",side="back"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(zmqsec_proxy_received_bytes_total{proxy="gw",side="front"} 10)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(zmqsec_proxy_up{proxy="gw"} 1)"), std::string::npos) << text;
  const auto checked = zmqsec::testing::run_process({"/usr/bin/promtool", "check", "metrics"},
                                                    zmqsec::testing::with_input(text));
  EXPECT_EQ(checked.exit_code, 0) << checked << "\n" << text;
  EXPECT_EQ(checked.out + checked.err, "") << text;
}
