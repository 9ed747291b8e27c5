// The curve_roundtrip example, with certificates made by zmq-cert.

#include <gtest/gtest.h>

#include <chrono>

#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

using zmqsec::testing::process_result;
using zmqsec::testing::temp_dir;

namespace {

#ifdef CURVE_ROUNDTRIP_PATH
process_result curve_roundtrip(const std::vector<std::string>& args) {
  return zmqsec::testing::run_process(CURVE_ROUNDTRIP_PATH, args);
}
#endif

class curve_roundtrip_example : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef CURVE_ROUNDTRIP_PATH
    GTEST_SKIP() << "the examples are not built (ZMQSEC_BUILD_EXAMPLES=OFF)";
#endif
    server_ = zmqsec::testing::generate(dir_, "server", {"--meta", "name=test-server"});
    client_ = zmqsec::testing::generate(dir_, "client", {"--meta", "name=test-client"});
  }

  temp_dir dir_;
  zmqsec::testing::generated_pair server_, client_;
};

}  // namespace

#ifdef CURVE_ROUNDTRIP_PATH

TEST_F(curve_roundtrip_example, completes_a_round_trip_with_certificates_from_zmq_cert) {
  const auto r = curve_roundtrip({server_.secret_file.string(), client_.secret_file.string()});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("server: received \"hello\""), std::string::npos) << r;
  EXPECT_NE(r.out.find("client: received \"world\""), std::string::npos) << r;
  EXPECT_NE(r.out.find("round trip complete"), std::string::npos) << r;
  EXPECT_NE(r.out.find("tcp://127.0.0.1:"), std::string::npos) << r;
  EXPECT_EQ(r.out.find(server_.secret_key), std::string::npos) << r;
  EXPECT_EQ(r.out.find(client_.secret_key), std::string::npos) << r;
}

TEST_F(curve_roundtrip_example, completes_a_round_trip_with_the_servers_public_certificate) {
  const auto r = curve_roundtrip(
      {server_.secret_file.string(), client_.secret_file.string(), server_.public_file.string()});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(curve_roundtrip_example, a_client_trusting_the_wrong_server_key_fails_within_the_timeout) {
  const auto start = std::chrono::steady_clock::now();
  const auto r = curve_roundtrip(
      {server_.secret_file.string(), client_.secret_file.string(), client_.public_file.string()});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r.exited()) << r;
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.out.find("handshake did not complete"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("round trip complete"), std::string::npos) << r;
  EXPECT_LT(elapsed, std::chrono::seconds(15));
}

TEST_F(curve_roundtrip_example, refuses_a_public_certificate_where_a_secret_one_is_needed) {
  const auto r = curve_roundtrip({server_.public_file.string(), client_.secret_file.string()});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("no secret key"), std::string::npos) << r;
}

TEST_F(curve_roundtrip_example, explains_its_usage) {
  const auto r = curve_roundtrip({});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("usage: curve_roundtrip"), std::string::npos) << r;
}

#endif
