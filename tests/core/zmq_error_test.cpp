#include <zmq.hpp>

#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <zmqsec/core/zmq_error.hpp>

namespace {

using zmqsec::core::zmq_category;

TEST(zmq_error_test, libzmq_codes_carry_libzmq_text) {
  const zmqsec::error e = zmqsec::core::zmq_error(ETERM, "cannot receive");
  EXPECT_EQ(e.code().category(), zmq_category());
  EXPECT_EQ(std::string(e.what()), std::string("cannot receive: ") + zmq_strerror(ETERM));
  EXPECT_TRUE(zmqsec::core::is_zmq_error(e, ETERM));
}

TEST(zmq_error_test, errno_codes_compare_with_std_errc) {
  const zmqsec::error e = zmqsec::core::zmq_error(EADDRINUSE, "cannot bind");
  EXPECT_EQ(e.code(), std::errc::address_in_use);
  EXPECT_TRUE(zmqsec::is_io_error(e));
}

TEST(zmq_error_test, throw_zmq_error_takes_the_errno_of_the_failed_call) {
  zmq::context_t ctx;
  void* socket = zmq_socket(ctx.handle(), ZMQ_PAIR);
  ASSERT_NE(socket, nullptr);
  ASSERT_NE(zmq_bind(socket, "nonsense://x"), 0);
  try {
    zmqsec::core::throw_zmq_error("cannot bind nonsense://x");
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code().value(), EPROTONOSUPPORT);
    EXPECT_NE(std::string(e.what()).find("cannot bind nonsense://x: "), std::string::npos);
  }
  zmq_close(socket);
}

}  // namespace
