#include <string>

#include <gtest/gtest.h>
#include <zmqsec/core/endpoint.hpp>
#include <zmqsec/error.hpp>

namespace {

using zmqsec::core::check_endpoint;

// What check_endpoint says about endpoint; empty when it accepts it.
std::string problem(const std::string& endpoint) {
  try {
    check_endpoint(endpoint);
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    return e.what();
  }
  return {};
}

TEST(endpoint_test, accepts_what_libzmq_takes_as_written) {
  for (const char* endpoint :
       {"tcp://127.0.0.1:5556", "tcp://*:5556", "tcp://*:*", "tcp://*:0", "tcp://*:65535",
        "tcp://[::1]:5556", "tcp://[fd00::7]:*", "tcp://::1:5556", "tcp://logs.example:5556",
        "tcp://eth0:5556", "tcp://127.0.0.1:7000;10.0.0.5:5556", "tcp://10.0.0.1;10.0.0.5:5556",
        "ipc:///tmp/x.sock", "ipc://@abstract", "ipc://*", "inproc://log"}) {
    EXPECT_EQ(problem(endpoint), "") << endpoint;
  }
}

TEST(endpoint_test, refuses_ports_libzmq_would_wrap) {
  EXPECT_EQ(problem("tcp://*:99999"),
            "endpoint tcp://*:99999: port 99999 is out of range (0 to 65535)");
  EXPECT_EQ(problem("tcp://*:65536"),
            "endpoint tcp://*:65536: port 65536 is out of range (0 to 65535)");
  EXPECT_EQ(problem("tcp://127.0.0.1:-1"),
            "endpoint tcp://127.0.0.1:-1: port -1 is not a number from 0 to 65535");
  EXPECT_EQ(problem("tcp://127.0.0.1:99999999999999999999999"),
            "endpoint tcp://127.0.0.1:99999999999999999999999: port 99999999999999999999999 is "
            "out of range (0 to 65535)");
  EXPECT_EQ(problem("tcp://127.0.0.1:+5"),
            "endpoint tcp://127.0.0.1:+5: port +5 is not a number from 0 to 65535");
  EXPECT_EQ(problem("tcp://127.0.0.1:7000;10.0.0.5:70000"),
            "endpoint tcp://127.0.0.1:7000;10.0.0.5:70000: port 70000 is out of range (0 to "
            "65535)");
}

TEST(endpoint_test, refuses_malformed_endpoints) {
  EXPECT_EQ(problem(""),
            "endpoint : empty (expected tcp://HOST:PORT, ipc://PATH or inproc://NAME)");
  EXPECT_EQ(problem("127.0.0.1:5556"),
            "endpoint 127.0.0.1:5556: expected TRANSPORT://ADDRESS "
            "(tcp://HOST:PORT, ipc://PATH, inproc://NAME)");
  EXPECT_EQ(problem("tcp://127.0.0.1"),
            "endpoint tcp://127.0.0.1: the port is missing (HOST:PORT)");
  EXPECT_EQ(problem("tcp://127.0.0.1:"),
            "endpoint tcp://127.0.0.1:: the port is missing (HOST:PORT)");
  EXPECT_EQ(problem("tcp://:5556"),
            "endpoint tcp://:5556: the host is empty (use * for every interface)");
  EXPECT_EQ(problem("tcp://[::1:5556"), "endpoint tcp://[::1:5556: an IPv6 address misses its ']'");
  EXPECT_EQ(problem("tcp://[::1]5556"),
            "endpoint tcp://[::1]5556: expected ':' and a port after ']'");
  EXPECT_EQ(problem("tcp://a:1;b:2;c:3"), "endpoint tcp://a:1;b:2;c:3: more than one ';'");
  EXPECT_EQ(problem("tcp://host :5556"),
            "endpoint tcp://host :5556: holds a space or a control character");
  EXPECT_EQ(problem("tcp://ho\x1bst:5556"),
            "endpoint tcp://ho\\x1bst:5556: holds a space or a control character");
  EXPECT_EQ(problem("ipc://"), "endpoint ipc://: the path is empty");
  EXPECT_EQ(problem("ipc://" + std::string(108, 'p')),
            "endpoint ipc://" + std::string(108, 'p') + ": the path is longer than 107 bytes");
  EXPECT_EQ(problem("inproc://"), "endpoint inproc://: the name is empty");
  EXPECT_EQ(problem("udp://127.0.0.1:5556"),
            "endpoint udp://127.0.0.1:5556: unsupported transport udp (tcp, ipc or inproc)");
}

}  // namespace
