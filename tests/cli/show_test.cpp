// zmq-cert show FILE [--json]

#include <gtest/gtest.h>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "json.hpp"
#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

namespace zc = zmqsec::certs;
using zmqsec::testing::json_value;
using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

TEST(zmq_cert_show, prints_public_key_secret_presence_and_metadata) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server", {"--meta", "name=demo-server"});
  const auto r = zmq_cert({"show", pair.secret_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "file: " + pair.secret_file.string() + "\npublic key: " + pair.public_key +
                "\nsecret key: present (not shown)\nmetadata:\n    name = \"demo-server\"\n");
  EXPECT_EQ(r.err, "");
}

TEST(zmq_cert_show, says_a_public_certificate_has_no_secret_key) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "client");
  const auto r = zmq_cert({"show", pair.public_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "file: " + pair.public_file.string() + "\npublic key: " + pair.public_key +
                       "\nsecret key: none\nmetadata: none\n");
}

TEST(zmq_cert_show, json_has_public_key_has_secret_and_metadata) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server", {"--meta", "name=demo-server"});
  const auto r = zmq_cert({"show", "--json", pair.secret_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"public_key\":\"" + pair.public_key +
                       "\",\"has_secret\":true,\"metadata\":{\"name\":\"demo-server\"}}\n");
  const auto doc = zmqsec::testing::parse_json(r.out);
  EXPECT_EQ(doc.at("public_key").string, pair.public_key);
  EXPECT_EQ(doc.at("has_secret").type, json_value::kind::boolean);
  EXPECT_TRUE(doc.at("has_secret").boolean);
  EXPECT_EQ(doc.at("metadata").at("name").string, "demo-server");

  const auto pub = zmq_cert({"show", pair.public_file.string(), "--json"});
  ASSERT_EQ(pub.exit_code, 0) << pub;
  EXPECT_FALSE(zmqsec::testing::parse_json(pub.out).at("has_secret").boolean);
}

TEST(zmq_cert_show, never_prints_the_secret_key) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"show", pair.secret_file.string()}, {"show", "--json", pair.secret_file.string()}}) {
    const auto r = zmq_cert(args);
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out.find(pair.secret_key), std::string::npos) << r;
    EXPECT_EQ(r.err.find(pair.secret_key), std::string::npos) << r;
  }
}

TEST(zmq_cert_show, escapes_metadata_for_json_and_for_the_terminal) {
  temp_dir dir;
  const auto key = zc::generate_keypair().public_key.z85();
  // Quotes, a backslash, a tab, an escape sequence, UTF-8 and an invalid UTF-8 byte.
  const std::string esc = "\x1b[31mred";
  const auto file = dir.write(
      "odd.key",
      "metadata\n    quote = 'say \"hi\" \\o/'\n    tab = \"a\tb\"\n    esc = \"" + esc +
          "\"\n    utf8 = \"gr\xc3\xbc\xc3\x9f\"\n    bad = \"x\xff\"\ncurve\n    public-key = \"" +
          key + "\"\n");
  const auto r = zmq_cert({"show", "--json", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto meta = zmqsec::testing::parse_json(r.out).at("metadata");
  EXPECT_EQ(meta.at("quote").string, "say \"hi\" \\o/");
  EXPECT_EQ(meta.at("tab").string, "a\tb");
  EXPECT_EQ(meta.at("esc").string, esc);
  EXPECT_EQ(meta.at("utf8").string, "gr\xc3\xbc\xc3\x9f");
  EXPECT_EQ(meta.at("bad").string, "x\xef\xbf\xbd");  // U+FFFD
  EXPECT_FALSE(zmqsec::testing::has_raw_control_characters(r.out)) << r;

  const auto text = zmq_cert({"show", file.string()});
  ASSERT_EQ(text.exit_code, 0) << text;
  EXPECT_FALSE(zmqsec::testing::has_raw_control_characters(text.out)) << text;
  EXPECT_NE(text.out.find("    esc = \"\\u001b[31mred\""), std::string::npos) << text;
}

TEST(zmq_cert_show, a_missing_file_is_an_io_failure) {
  temp_dir dir;
  const auto missing = dir / "missing.key";
  const auto r = zmq_cert({"show", missing.string()});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(r.err, "zmq-cert: " + missing.string() + ": No such file or directory\n");
  EXPECT_EQ(r.out, "");
}

TEST(zmq_cert_show, a_broken_file_is_bad_input) {
  temp_dir dir;
  const auto file = dir.write("broken.key", "curve\n    public-key = \"tooshort\"\n");
  const auto r = zmq_cert({"show", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(r.err.starts_with("zmq-cert: " + file.string() + ": ")) << r;
  EXPECT_EQ(r.out, "");
}

TEST(zmq_cert_show, a_mismatched_secret_is_reported_without_either_secret) {
  temp_dir dir;
  const auto a = zmqsec::testing::generate(dir, "a");
  const auto b = zmqsec::testing::generate(dir, "b");
  // a's public key with b's secret key.
  const auto file =
      dir.write("mixed.key_secret", "curve\n    public-key = \"" + a.public_key +
                                        "\"\n    secret-key = \"" + b.secret_key + "\"\n");
  const auto r = zmq_cert({"show", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("does not match"), std::string::npos) << r;
  for (const auto& secret : {a.secret_key, b.secret_key}) {
    EXPECT_EQ(r.err.find(secret), std::string::npos) << r;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << r;
  }
}
