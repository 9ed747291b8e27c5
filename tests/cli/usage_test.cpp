// zmq-cert's command line itself: help, version and usage errors.

#include <gtest/gtest.h>

#include "zmq_cert_runner.hpp"

using zmqsec::testing::zmq_cert;

TEST(zmq_cert_usage, help_lists_every_command_and_the_exit_codes) {
  const auto r = zmq_cert({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r;
  for (const char* word : {"generate", "keypair", "public", "show", "list", "verify", "z85",
                           "Exit status", "I/O failure"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << r;
  }
}

TEST(zmq_cert_usage, each_command_has_help) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"generate", "--help"},
                                                                {"keypair", "--help"},
                                                                {"public", "--help"},
                                                                {"show", "--help"},
                                                                {"list", "--help"},
                                                                {"verify", "--help"},
                                                                {"z85", "--help"},
                                                                {"z85", "encode", "--help"},
                                                                {"z85", "decode", "--help"}}) {
    const auto r = zmq_cert(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << r;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << args[0] << r;
  }
}

TEST(zmq_cert_usage, version_prints_the_project_version) {
  const auto r = zmq_cert({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "zmq-cert " ZMQSEC_VERSION "\n");
}

TEST(zmq_cert_usage, usage_errors_exit_1_with_a_message) {
  for (const auto& args : std::vector<std::vector<std::string>>{{},
                                                                {"frobnicate"},
                                                                {"--frobnicate"},
                                                                {"generate"},
                                                                {"generate", "a", "b"},
                                                                {"generate", "a", "--meta"},
                                                                {"keypair", "extra"},
                                                                {"public"},
                                                                {"show"},
                                                                {"show", "a", "b"},
                                                                {"list"},
                                                                {"verify"},
                                                                {"z85"},
                                                                {"z85", "encode"},
                                                                {"z85", "rot13", "x"}}) {
    const auto r = zmq_cert(args);
    EXPECT_EQ(r.exit_code, 1) << testing::PrintToString(args) << r;
    EXPECT_TRUE(r.err.starts_with("zmq-cert: ")) << r;
    EXPECT_EQ(r.out, "") << r;
  }
}
