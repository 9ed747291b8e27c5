// zmq-cert verify FILE

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

TEST(zmq_cert_verify, accepts_a_generated_secret_file) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  const auto r = zmq_cert({"verify", pair.secret_file.string()});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, pair.secret_file.string() + ": OK (secret certificate, mode 0600)\n");
  EXPECT_EQ(r.err, "");
}

TEST(zmq_cert_verify, accepts_a_generated_public_file) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  const auto r = zmq_cert({"verify", pair.public_file.string()});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, pair.public_file.string() + ": OK (public certificate)\n");
}

TEST(zmq_cert_verify, accepts_a_secret_file_readable_only_by_its_owner) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  ASSERT_EQ(::chmod(pair.secret_file.c_str(), 0400), 0);
  const auto r = zmq_cert({"verify", pair.secret_file.string()});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST(zmq_cert_verify, rejects_a_secret_file_readable_by_group_or_others) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    ASSERT_EQ(::chmod(pair.secret_file.c_str(), mode), 0);
    const auto r = zmq_cert({"verify", pair.secret_file.string()});
    EXPECT_EQ(r.exit_code, 1) << std::oct << mode << r;
    EXPECT_TRUE(r.err.starts_with("zmq-cert: " + pair.secret_file.string() + ": ")) << r;
    EXPECT_NE(r.err.find("group or others"), std::string::npos) << r;
    EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r;
    EXPECT_EQ(r.err.find(pair.secret_key), std::string::npos) << r;
    EXPECT_EQ(r.out, "");
  }
  const auto r = zmq_cert({"verify", pair.secret_file.string()});
  EXPECT_NE(r.err.find("(mode 0602)"), std::string::npos) << r;
}

TEST(zmq_cert_verify, rejects_a_secret_key_that_does_not_match_the_public_key) {
  temp_dir dir;
  const auto a = zmqsec::testing::generate(dir, "a");
  const auto b = zmqsec::testing::generate(dir, "b");
  const auto file =
      dir.write("mixed.key_secret", "curve\n    public-key = \"" + a.public_key +
                                        "\"\n    secret-key = \"" + b.secret_key + "\"\n");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  const auto r = zmq_cert({"verify", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("does not match"), std::string::npos) << r;
  EXPECT_EQ(r.err.find(a.secret_key), std::string::npos) << r;
  EXPECT_EQ(r.err.find(b.secret_key), std::string::npos) << r;
}

TEST(zmq_cert_verify, rejects_a_low_order_public_key) {
  temp_dir dir;
  // 32 zero bytes: a valid encoding of a key no handshake can use.
  const auto file =
      dir.write("zero.key", "curve\n    public-key = \"" + std::string(40, '0') + "\"\n");
  const auto r = zmq_cert({"verify", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("low-order"), std::string::npos) << r;
}

TEST(zmq_cert_verify, rejects_a_file_without_a_public_key) {
  temp_dir dir;
  const auto file = dir.write("none.key", "metadata\n    name = \"x\"\n");
  const auto r = zmq_cert({"verify", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(r.err.starts_with("zmq-cert: " + file.string() + ": ")) << r;
}

TEST(zmq_cert_verify, a_missing_file_is_an_io_failure) {
  temp_dir dir;
  const auto missing = dir / "missing.key_secret";
  const auto r = zmq_cert({"verify", missing.string()});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(r.err, "zmq-cert: " + missing.string() + ": No such file or directory\n");
}
