// zmq-cert list DIR [--json]

#include <gtest/gtest.h>

#include "json.hpp"
#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

using zmqsec::testing::json_value;
using zmqsec::testing::parse_json;
using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

TEST(zmq_cert_list, prints_each_public_certificate_sorted_by_file_and_skips_secret_files) {
  temp_dir dir;
  const auto server = zmqsec::testing::generate(dir, "server", {"--meta", "name=demo-server"});
  const auto client = zmqsec::testing::generate(dir, "client");
  const auto r = zmq_cert({"list", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, client.public_key + "  " + client.public_file.string() + "\n" +
                       server.public_key + "  " + server.public_file.string() +
                       "  name=\"demo-server\"\n");
  EXPECT_EQ(r.err, "");
}

TEST(zmq_cert_list, json_lists_certificates_and_an_empty_errors_array) {
  temp_dir dir;
  const auto server = zmqsec::testing::generate(dir, "server", {"--meta", "name=demo-server"});
  const auto r = zmq_cert({"list", "--json", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"certificates\":[{\"file\":\"" + server.public_file.string() +
                       "\",\"public_key\":\"" + server.public_key +
                       "\",\"metadata\":{\"name\":\"demo-server\"}}],\"errors\":[]}\n");
  const auto doc = parse_json(r.out);
  ASSERT_EQ(doc.at("certificates").array.size(), 1u);
  EXPECT_EQ(doc.at("certificates").array[0].at("public_key").string, server.public_key);
  EXPECT_EQ(doc.at("errors").type, json_value::kind::array);
}

TEST(zmq_cert_list, an_empty_folder_lists_nothing) {
  temp_dir dir;
  const auto text = zmq_cert({"list", dir.path().string()});
  EXPECT_EQ(text.exit_code, 0) << text;
  EXPECT_EQ(text.out, "");
  const auto json = zmq_cert({"list", "--json", dir.path().string()});
  EXPECT_EQ(json.exit_code, 0) << json;
  EXPECT_EQ(json.out, "{\"certificates\":[],\"errors\":[]}\n");
}

TEST(zmq_cert_list, reports_bad_files_lists_the_good_ones_and_exits_1) {
  temp_dir dir;
  const auto good = zmqsec::testing::generate(dir, "good");
  const auto broken = dir.write("broken.key", "curve\n    public-key = \"short\"\n");
  const auto empty = dir.write("empty.key", "");

  const auto r = zmq_cert({"list", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out, good.public_key + "  " + good.public_file.string() + "\n");
  EXPECT_NE(r.err.find("zmq-cert: " + broken.string() + ": "), std::string::npos) << r;
  EXPECT_NE(r.err.find("zmq-cert: " + empty.string() + ": "), std::string::npos) << r;

  const auto json = zmq_cert({"list", "--json", dir.path().string()});
  EXPECT_EQ(json.exit_code, 1) << json;
  const auto doc = parse_json(json.out);
  ASSERT_EQ(doc.at("certificates").array.size(), 1u);
  const auto& errors = doc.at("errors").array;
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("file").string, broken.string());
  EXPECT_EQ(errors[1].at("file").string, empty.string());
  for (const auto& error : errors) {
    EXPECT_FALSE(error.at("reason").string.empty());
    // The reason says why; the file is its own member.
    EXPECT_FALSE(error.at("reason").string.starts_with(error.at("file").string));
  }
  EXPECT_NE(json.err.find("zmq-cert: " + broken.string() + ": "), std::string::npos) << json;
}

TEST(zmq_cert_list, a_missing_folder_is_an_io_failure) {
  temp_dir dir;
  const auto missing = dir / "missing";
  const auto r = zmq_cert({"list", missing.string()});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(r.err, "zmq-cert: " + missing.string() + ": No such file or directory\n");
  EXPECT_EQ(r.out, "");
}

TEST(zmq_cert_list, file_names_cannot_reach_the_terminal_raw) {
  temp_dir dir;
  dir.write("evil\x1b]0;pwned\x07.key", "not a certificate");
  const auto r = zmq_cert({"list", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_FALSE(zmqsec::testing::has_raw_control_characters(r.err)) << r;
  const auto json = zmq_cert({"list", "--json", dir.path().string()});
  EXPECT_FALSE(zmqsec::testing::has_raw_control_characters(json.out)) << json;
  EXPECT_NE(parse_json(json.out).at("errors").array.at(0).at("file").string.find("\x1b]0;pwned"),
            std::string::npos);
}

TEST(zmq_cert_list, a_file_instead_of_a_folder_is_an_io_failure) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  const auto r = zmq_cert({"list", pair.public_file.string()});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(r.err, "zmq-cert: " + pair.public_file.string() + ": Not a directory\n");
}
