// parse_monitor_message over bytes: every libzmq 4.3 event is named, each value is read as what
// it is for its event, and anything that is not a version 1 event is refused with an error.
#include <gtest/gtest.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/error.hpp>
#include <zmqsec/monitor/event.hpp>

namespace zm = zmqsec::monitor;

namespace {

std::string head(std::uint16_t event, std::uint32_t value) {
  std::string bytes(6, '\0');
  std::memcpy(bytes.data(), &event, 2);
  std::memcpy(bytes.data() + 2, &value, 4);
  return bytes;
}

zm::event parse(std::uint16_t event, std::uint32_t value, std::string_view endpoint = "tcp://x") {
  const std::string first = head(event, value);
  const std::vector<std::string_view> frames{first, endpoint};
  return zm::parse_monitor_message(frames);
}

std::string refusal(const std::vector<std::string_view>& frames) {
  try {
    zm::parse_monitor_message(frames);
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    return e.what();
  }
  return "accepted";
}

}  // namespace

TEST(monitor_parse_test, every_libzmq_4_3_event_has_its_name) {
  const std::vector<std::pair<int, std::string_view>> expected{
      {ZMQ_EVENT_CONNECTED, "CONNECTED"},
      {ZMQ_EVENT_CONNECT_DELAYED, "CONNECT_DELAYED"},
      {ZMQ_EVENT_CONNECT_RETRIED, "CONNECT_RETRIED"},
      {ZMQ_EVENT_LISTENING, "LISTENING"},
      {ZMQ_EVENT_BIND_FAILED, "BIND_FAILED"},
      {ZMQ_EVENT_ACCEPTED, "ACCEPTED"},
      {ZMQ_EVENT_ACCEPT_FAILED, "ACCEPT_FAILED"},
      {ZMQ_EVENT_CLOSED, "CLOSED"},
      {ZMQ_EVENT_CLOSE_FAILED, "CLOSE_FAILED"},
      {ZMQ_EVENT_DISCONNECTED, "DISCONNECTED"},
      {ZMQ_EVENT_MONITOR_STOPPED, "MONITOR_STOPPED"},
      {ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, "HANDSHAKE_FAILED_NO_DETAIL"},
      {ZMQ_EVENT_HANDSHAKE_SUCCEEDED, "HANDSHAKE_SUCCEEDED"},
      {ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, "HANDSHAKE_FAILED_PROTOCOL"},
      {ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, "HANDSHAKE_FAILED_AUTH"},
  };
  int all = 0;
  for (auto [bit, name] : expected) {
    all |= bit;
    const auto e = parse(static_cast<std::uint16_t>(bit), 0);
    EXPECT_EQ(e.name(), name);
    EXPECT_EQ(zm::event_from_name(name), e.type);
    EXPECT_EQ(zm::event_from_name("zmq_event_" + std::string(name)), e.type);
  }
  EXPECT_EQ(all, 0x7FFF) << "a 4.3 event is missing from the list";
  EXPECT_FALSE(zm::event_name(0x8000));
  EXPECT_FALSE(zm::event_from_name("PIPES_STATS"));
}

TEST(monitor_parse_test, reads_each_value_as_what_it_is_for_its_event) {
  const auto connected = parse(ZMQ_EVENT_CONNECTED, 12, "tcp://127.0.0.1:5555");
  EXPECT_EQ(connected.fd(), 12);
  EXPECT_FALSE(connected.error_number());
  EXPECT_EQ(connected.endpoint, "tcp://127.0.0.1:5555");
  EXPECT_EQ(connected.describe(), "CONNECTED tcp://127.0.0.1:5555: fd 12");

  EXPECT_EQ(parse(ZMQ_EVENT_ACCEPTED, 7).fd(), 7);
  EXPECT_EQ(parse(ZMQ_EVENT_LISTENING, 8).fd(), 8);

  const auto refused = parse(ZMQ_EVENT_BIND_FAILED, EADDRINUSE);
  EXPECT_EQ(refused.error_number(), EADDRINUSE);
  EXPECT_EQ(refused.error_text(), std::generic_category().message(EADDRINUSE));
  EXPECT_NE(refused.detail().find("Address already in use"), std::string::npos) << refused.detail();
  EXPECT_EQ(parse(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, ECONNRESET).error_number(), ECONNRESET);

  const auto retried = parse(ZMQ_EVENT_CONNECT_RETRIED, 200);
  EXPECT_EQ(retried.interval(), std::chrono::milliseconds(200));
  EXPECT_EQ(retried.detail(), "retry in 200 ms");

  const auto auth = parse(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400);
  EXPECT_EQ(auth.zap_status(), 400u);
  EXPECT_EQ(auth.detail(), "ZAP status 400 (authentication refused)");
  EXPECT_EQ(parse(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 42).detail(),
            "ZAP status 42 (not a ZAP status)");

  const auto protocol =
      parse(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
  EXPECT_EQ(protocol.protocol_error(), std::uint32_t{ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH});
  EXPECT_EQ(protocol.detail(), "ZMTP_MECHANISM_MISMATCH (0x11000002)");

  const auto stopped = parse(ZMQ_EVENT_MONITOR_STOPPED, 0, "");
  EXPECT_EQ(stopped.detail(), "");
  EXPECT_EQ(stopped.describe(), "MONITOR_STOPPED");
}

TEST(monitor_parse_test, names_every_zmtp_and_zap_protocol_error) {
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED), "ZMTP_UNSPECIFIED");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC), "ZMTP_CRYPTOGRAPHIC");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME),
            "ZMTP_MALFORMED_COMMAND_WELCOME");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED), "ZAP_UNSPECIFIED");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY), "ZAP_MALFORMED_REPLY");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID), "ZAP_BAD_REQUEST_ID");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION), "ZAP_BAD_VERSION");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE),
            "ZAP_INVALID_STATUS_CODE");
  EXPECT_EQ(zm::protocol_error_name(ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA),
            "ZAP_INVALID_METADATA");
  EXPECT_FALSE(zm::protocol_error_name(0x10000004));
  EXPECT_EQ(parse(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, 0x10000004).detail(),
            "unknown protocol error (0x10000004)");
}

TEST(monitor_parse_test, refuses_a_wrong_number_of_frames) {
  const std::string first = head(ZMQ_EVENT_CONNECTED, 1);
  EXPECT_EQ(refusal({}), "monitor message: 0 frames, expected 2 (event and endpoint)");
  EXPECT_EQ(refusal({first}), "monitor message: 1 frames, expected 2 (event and endpoint)");
  EXPECT_EQ(refusal({first, "a", "b"}),
            "monitor message: 3 frames, expected 2 (event and endpoint)");
}

TEST(monitor_parse_test, refuses_a_first_frame_of_another_size) {
  const std::string first = head(ZMQ_EVENT_CONNECTED, 1);
  EXPECT_EQ(refusal({"", "tcp://x"}), "monitor message: first frame of 0 bytes, expected 6");
  EXPECT_EQ(refusal({std::string_view(first).substr(0, 5), "tcp://x"}),
            "monitor message: first frame of 5 bytes, expected 6");
  // The version 2 format's first frame is an 8-byte event number.
  EXPECT_EQ(refusal({std::string(8, '\1'), "tcp://x"}),
            "monitor message: first frame of 8 bytes, expected 6");
}

TEST(monitor_parse_test, refuses_an_event_number_libzmq_4_3_does_not_send) {
  for (std::uint16_t number : {0, 0x8000, 0x0003, 0xFFFF}) {
    const std::string first = head(number, 0);
    EXPECT_EQ(refusal({first, "tcp://x"}),
              "monitor message: unknown event " + std::to_string(number));
  }
}

TEST(monitor_parse_test, describe_escapes_an_endpoint_that_is_not_printable) {
  const auto e = parse(ZMQ_EVENT_CONNECTED, 3, std::string_view("tcp://a\n\x1b[31m\0b", 15));
  EXPECT_EQ(e.describe(), "CONNECTED tcp://a\\x0a\\x1b[31m\\x00b: fd 3");
}

TEST(monitor_parse_test, event_masks_combine_like_libzmqs) {
  constexpr zm::event_mask mask = zm::event_type::connected | zm::event_type::disconnected;
  static_assert(mask.bits() == (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED));
  EXPECT_TRUE(mask.contains(zm::event_type::connected));
  EXPECT_FALSE(mask.contains(zm::event_type::accepted));
  EXPECT_EQ(zm::all_events.bits(), ZMQ_EVENT_ALL);
}
