// zmq-cert z85 encode HEX and zmq-cert z85 decode Z85

#include <gtest/gtest.h>

#include "zmq_cert_runner.hpp"

using zmqsec::testing::zmq_cert;

// The test vector of ZeroMQ RFC 32.
TEST(zmq_cert_z85, encodes_the_rfc_32_test_vector) {
  const auto r = zmq_cert({"z85", "encode", "864FD26FB559F75B"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "HelloWorld\n");
  EXPECT_EQ(r.err, "");
}

TEST(zmq_cert_z85, decodes_the_rfc_32_test_vector_to_lower_case_hex) {
  const auto r = zmq_cert({"z85", "decode", "HelloWorld"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "864fd26fb559f75b\n");
}

TEST(zmq_cert_z85, round_trips_a_public_key) {
  const std::string key = zmqsec::testing::line_value(zmq_cert({"keypair"}).out, "public: ");
  ASSERT_EQ(key.size(), 40u);
  // A key may start with '-', which only '--' keeps from being read as an option.
  const auto hex = zmq_cert({"z85", "decode", "--", key});
  ASSERT_EQ(hex.exit_code, 0) << hex;
  ASSERT_EQ(hex.out.size(), 65u);
  const auto back = zmq_cert({"z85", "encode", hex.out.substr(0, 64)});
  EXPECT_EQ(back.out, key + "\n") << back;
}

TEST(zmq_cert_z85, empty_input_is_empty_output) {
  EXPECT_EQ(zmq_cert({"z85", "encode", ""}).out, "\n");
  EXPECT_EQ(zmq_cert({"z85", "decode", ""}).out, "\n");
}

TEST(zmq_cert_z85, rejects_bad_hex_clearly) {
  struct bad_case {
    std::string hex, message;
  };
  for (const auto& c : std::vector<bad_case>{
           {"zz", "zmq-cert: HEX: invalid hex digit 'z' at position 0\n"},
           {"0123456g", "zmq-cert: HEX: invalid hex digit 'g' at position 7\n"},
           {"01 2", "zmq-cert: HEX: invalid hex digit byte 0x20 at position 2\n"},
           {"abc", "zmq-cert: HEX: odd number of hex digits (3)\n"},
           {"abcd",
            "zmq-cert: HEX: Z85 encodes whole groups of 4 bytes (8 hex digits); got 2 "
            "bytes\n"}}) {
    const auto r = zmq_cert({"z85", "encode", c.hex});
    EXPECT_EQ(r.exit_code, 1) << c.hex << r;
    EXPECT_EQ(r.err, c.message);
    EXPECT_EQ(r.out, "");
  }
}

TEST(zmq_cert_z85, rejects_bad_z85_clearly) {
  for (const std::string& bad :
       std::vector<std::string>{"Hello~orld", "Hell", "HelloWorl", "%%%%%", "Hello World"}) {
    const auto r = zmq_cert({"z85", "decode", bad});
    EXPECT_EQ(r.exit_code, 1) << bad << r;
    EXPECT_TRUE(r.err.starts_with("zmq-cert: Z85: ")) << r;
    EXPECT_EQ(r.out, "");
  }
  const auto r = zmq_cert({"z85", "decode", "Hello~orld"});
  EXPECT_NE(r.err.find("position 5"), std::string::npos) << r;
}
