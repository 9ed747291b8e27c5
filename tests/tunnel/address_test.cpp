// Server strings and tcp addresses: the forms a user writes parse to what they mean, and
// anything else fails at once with a message that quotes the input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/address.hpp>

namespace zt = zmqsec::tunnel;
using ::testing::HasSubstr;

namespace {

std::string parse_error(auto parse, const char* text) {
  try {
    parse(text);
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    return e.what();
  }
  ADD_FAILURE() << "no error for " << text;
  return "";
}

std::string server_error(const char* text) {
  return parse_error([](const char* t) { return zt::parse_server(t); }, text);
}
std::string address_error(const char* text) {
  return parse_error([](const char* t) { return zt::parse_tcp_address(t); }, text);
}

TEST(address_test, server_with_user_and_port) {
  auto s = zt::parse_server("me@gateway:2222");
  EXPECT_EQ(s.user, "me");
  EXPECT_EQ(s.host, "gateway");
  EXPECT_EQ(s.port, 2222);
  EXPECT_TRUE(s.explicit_port);
  EXPECT_EQ(s.to_string(), "me@gateway:2222");
}

TEST(address_test, bare_host_means_current_user_and_port_22) {
  auto s = zt::parse_server("gateway.example.org");
  EXPECT_EQ(s.user, "");
  EXPECT_EQ(s.host, "gateway.example.org");
  EXPECT_EQ(s.port, 22);
  EXPECT_FALSE(s.explicit_port);
}

TEST(address_test, ipv6_server_in_brackets_with_port) {
  auto s = zt::parse_server("me@[::1]:2222");
  EXPECT_EQ(s.user, "me");
  EXPECT_EQ(s.host, "::1");
  EXPECT_EQ(s.port, 2222);
  EXPECT_EQ(s.to_string(), "me@[::1]:2222");
}

TEST(address_test, bare_ipv6_server_has_no_port) {
  auto s = zt::parse_server("fd00::7");
  EXPECT_EQ(s.host, "fd00::7");
  EXPECT_EQ(s.port, 22);
  EXPECT_EQ(zt::parse_server("[fd00::7]").host, "fd00::7");
}

TEST(address_test, user_may_contain_at_sign) {
  auto s = zt::parse_server("me@corp@gateway");
  EXPECT_EQ(s.user, "me@corp");
  EXPECT_EQ(s.host, "gateway");
}

TEST(address_test, malformed_servers_are_refused_with_the_input_quoted) {
  EXPECT_THAT(server_error(""), HasSubstr("empty"));
  EXPECT_THAT(server_error("@gateway"), HasSubstr("empty user"));
  EXPECT_THAT(server_error("me@gateway:"), HasSubstr("port number"));
  EXPECT_THAT(server_error("me@gateway:0"), HasSubstr("port number"));
  EXPECT_THAT(server_error("me@gateway:65536"), HasSubstr("\"me@gateway:65536\""));
  EXPECT_THAT(server_error("me@gateway:22x"), HasSubstr("port number"));
  EXPECT_THAT(server_error("me@[::1"), HasSubstr("unclosed"));
  EXPECT_THAT(server_error("me@[::1]2222"), HasSubstr("after ']'"));
  EXPECT_THAT(server_error("me@"), HasSubstr("[user@]host[:port]"));
  EXPECT_THAT(server_error("me@gate way"), HasSubstr("[user@]host[:port]"));
}

TEST(address_test, tcp_address_with_name_ipv4_and_ipv6) {
  auto a = zt::parse_tcp_address("tcp://10.0.1.2:5555");
  EXPECT_EQ(a.host, "10.0.1.2");
  EXPECT_EQ(a.port, 5555);
  auto b = zt::parse_tcp_address("tcp://[::1]:6000");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 6000);
  EXPECT_EQ(b.to_string(), "tcp://[::1]:6000");
  EXPECT_EQ(zt::parse_tcp_address("tcp://db.internal:1").host, "db.internal");
}

TEST(address_test, addresses_that_cannot_be_tunnelled_are_refused) {
  EXPECT_THAT(address_error("ipc:///tmp/x"), HasSubstr("only tcp://"));
  EXPECT_THAT(address_error("10.0.1.2:5555"), HasSubstr("only tcp://"));
  EXPECT_THAT(address_error("tcp://10.0.1.2"), HasSubstr("lacks a port"));
  EXPECT_THAT(address_error("tcp://10.0.1.2:*"), HasSubstr("port number"));
  EXPECT_THAT(address_error("tcp://*:5555"), HasSubstr("wildcard"));
  EXPECT_THAT(address_error("tcp://eth0;10.0.1.2:5555"), HasSubstr("source address"));
  EXPECT_THAT(address_error("tcp://::1:5555"), HasSubstr("needs brackets"));
  EXPECT_THAT(address_error("tcp://[::1]"), HasSubstr("lacks a port"));
  EXPECT_THAT(address_error("tcp://[10.0.0.1]:5"), HasSubstr("IPv6"));
  EXPECT_THAT(address_error("tcp://:5555"), HasSubstr("tcp://host:port"));
}

}  // namespace
