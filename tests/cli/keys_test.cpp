// zmq-cert keypair [--json] and zmq-cert public SECRET

#include <gtest/gtest.h>

#include <zmqsec/certs/keys.hpp>

#include "json.hpp"
#include "zmq_cert_runner.hpp"

namespace zc = zmqsec::certs;
using zmqsec::testing::line_value;
using zmqsec::testing::zmq_cert;

namespace {

struct printed_keypair {
  std::string public_key, secret_key;
};

printed_keypair keypair_from_text() {
  const auto r = zmq_cert({"keypair"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "");
  return {line_value(r.out, "public: "), line_value(r.out, "secret: ")};
}

// A keypair whose secret key can be passed as an argument as it is: one in 85 Z85 keys starts
// with '-', which CLI11 takes for an option (such keys need "--", tested below).
printed_keypair keypair_for_an_argument() {
  for (;;) {
    auto keys = keypair_from_text();
    if (keys.secret_key.empty() || keys.secret_key.front() != '-') return keys;
  }
}

}  // namespace

TEST(zmq_cert_keypair, prints_a_public_and_a_secret_key_that_belong_together) {
  const auto keys = keypair_from_text();
  ASSERT_EQ(keys.public_key.size(), 40u);
  ASSERT_EQ(keys.secret_key.size(), 40u);
  const auto secret = zc::secret_key::from_z85(keys.secret_key);
  EXPECT_EQ(zc::derive_public_key(secret).z85(), keys.public_key);
}

TEST(zmq_cert_keypair, prints_exactly_two_lines) {
  const auto r = zmq_cert({"keypair"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.size(), std::string("public: \nsecret: \n").size() + 80) << r;
}

TEST(zmq_cert_keypair, prints_a_new_keypair_every_time) {
  EXPECT_NE(keypair_from_text().secret_key, keypair_from_text().secret_key);
}

TEST(zmq_cert_keypair, json_is_an_object_with_public_and_secret) {
  const auto r = zmq_cert({"keypair", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto doc = zmqsec::testing::parse_json(r.out);
  ASSERT_EQ(doc.type, zmqsec::testing::json_value::kind::object);
  ASSERT_EQ(doc.object.size(), 2u);
  EXPECT_EQ(doc.object[0].first, "public");
  EXPECT_EQ(doc.object[1].first, "secret");
  const std::string& public_z85 = doc.at("public").string;
  const std::string& secret_z85 = doc.at("secret").string;
  EXPECT_EQ(r.out, "{\"public\":\"" + public_z85 + "\",\"secret\":\"" + secret_z85 + "\"}\n");
  EXPECT_EQ(zc::derive_public_key(zc::secret_key::from_z85(secret_z85)).z85(), public_z85);
}

TEST(zmq_cert_public, prints_the_public_key_of_a_secret_key) {
  const auto keys = keypair_for_an_argument();
  const auto r = zmq_cert({"public", keys.secret_key});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, keys.public_key + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(zmq_cert_public, reads_the_secret_key_from_stdin_with_a_dash) {
  const auto keys = keypair_from_text();
  const std::string input = keys.secret_key + "\n";
  const auto r = zmq_cert({"public", "-"}, zmqsec::testing::with_input(input));
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, keys.public_key + "\n");
}

TEST(zmq_cert_public, says_how_to_pass_a_key_that_starts_with_a_dash) {
  const std::string key = "-bcdefghij0123456789abcdefghij0123456789";
  const auto r = zmq_cert({"public", key});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("goes after \"--\""), std::string::npos) << r;
  EXPECT_EQ(r.err.find(key), std::string::npos) << r;  // never repeated: it may be a secret
}

TEST(zmq_cert_public, takes_a_key_that_starts_with_a_dash_after_double_dash) {
  // Find a secret key whose Z85 starts with '-', which CLI11 would otherwise take for an option.
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const auto pair = zc::generate_keypair();
    const auto secret = pair.secret_key.z85();
    if (secret.front() != '-') continue;
    const auto r = zmq_cert({"public", "--", std::string(secret.begin(), secret.end())});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, pair.public_key.z85() + "\n");
    return;
  }
  GTEST_SKIP() << "no Z85 secret key starting with '-' in 2000 tries";
}

TEST(zmq_cert_public, rejects_a_bad_secret_key_without_repeating_it) {
  // 40 characters with one outside the Z85 alphabet, 39 and 41 characters, and an empty key.
  const std::string almost(39, 'a');
  for (const std::string& bad : {almost + "~", almost, almost + "bb", std::string()}) {
    const auto r = zmq_cert({"public", bad});
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_TRUE(r.err.starts_with("zmq-cert: SECRET: ")) << r;
    if (!bad.empty()) {
      EXPECT_EQ(r.err.find(bad), std::string::npos) << r;
    }
    EXPECT_EQ(r.out, "");
  }
}

TEST(zmq_cert_public, rejects_a_bad_secret_key_on_stdin_without_repeating_it) {
  const std::string bad = std::string(39, 'x') + "~";
  const auto r = zmq_cert({"public", "-"}, zmqsec::testing::with_input(bad));
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(r.err.starts_with("zmq-cert: <stdin>: ")) << r;
  EXPECT_EQ(r.err.find(bad), std::string::npos) << r;
}

TEST(zmq_cert_public, usage_errors_do_not_repeat_keys_given_as_arguments) {
  const auto first = keypair_from_text();
  const auto second = keypair_from_text();
  const auto r = zmq_cert({"public", first.secret_key, second.secret_key});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.find(first.secret_key), std::string::npos) << r;
  EXPECT_EQ(r.err.find(second.secret_key), std::string::npos) << r;
  EXPECT_EQ(r.out.find(second.secret_key), std::string::npos) << r;
}
