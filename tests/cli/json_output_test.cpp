// Every --json output of zmq-cert read back by a real JSON parser (Python's json module): it
// parses, and UTF-8 text (file names, metadata) comes back unchanged.

#include <gtest/gtest.h>

#include "python_json.hpp"
#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

namespace {

// What python prints for paths of the JSON documents in text (see python_json_argv).
zmqsec::testing::process_result python_json(const std::string& text,
                                            const std::vector<std::string>& paths) {
  const auto argv = zmqsec::testing::python_json_argv(text, paths);
  return zmqsec::testing::run_process(argv[0], {argv.begin() + 1, argv.end()});
}

const std::string utf8_name = "caf\u00e9-\u76e3\u8996";  // "café-監視"

}  // namespace

TEST(zmq_cert_json, keypair_parses_as_json) {
  const auto r = zmq_cert({"keypair", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto parsed = python_json(r.out, {"public", "secret"});
  ASSERT_EQ(parsed.exit_code, 0) << parsed;
  EXPECT_EQ(parsed.out.size(), 2 * 41u) << parsed;  // two Z85 keys of 40 characters
}

TEST(zmq_cert_json, show_gives_back_utf8_metadata_unchanged) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, utf8_name, {"--meta", "owner=" + utf8_name});
  const auto r = zmq_cert({"show", "--json", pair.public_file.string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto parsed = python_json(r.out, {"public_key", "metadata.owner"});
  ASSERT_EQ(parsed.exit_code, 0) << parsed;
  EXPECT_EQ(parsed.out, pair.public_key + "\n" + utf8_name + "\n");
}

TEST(zmq_cert_json, list_gives_back_utf8_file_names_metadata_and_errors_unchanged) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, utf8_name, {"--meta", "owner=" + utf8_name});
  const auto broken = dir.write(utf8_name + "-broken.key", "not a certificate");
  const auto r = zmq_cert({"list", "--json", dir.path().string()});
  ASSERT_EQ(r.exit_code, 1) << r;  // one certificate could not be read
  const auto parsed =
      python_json(r.out, {"certificates.0.file", "certificates.0.metadata.owner", "errors.0.file"});
  ASSERT_EQ(parsed.exit_code, 0) << parsed;
  EXPECT_EQ(parsed.out,
            pair.public_file.string() + "\n" + utf8_name + "\n" + broken.string() + "\n");
}
