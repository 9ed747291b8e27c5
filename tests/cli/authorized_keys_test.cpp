// zmq-cert authorized-keys DIR [-o FILE] and zmq-cert authorized-keys FILE --to-folder DIR

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <zmqsec/certs/authorized_keys.hpp>
#include <zmqsec/certs/certificate.hpp>

#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

namespace zc = zmqsec::certs;
using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

namespace {

using key_and_meta = std::pair<std::string, zc::metadata>;

std::vector<key_and_meta> folder_contents(const std::filesystem::path& dir) {
  std::vector<key_and_meta> out;
  for (const auto& [path, cert] : zc::load_certificates(dir).certificates) {
    out.emplace_back(cert.public_key.z85(), cert.metadata);
  }
  std::ranges::sort(out);
  return out;
}

}  // namespace

TEST(zmq_cert_authorized_keys, a_folder_to_a_file_and_back_keeps_keys_and_metadata) {
  temp_dir dir;
  temp_dir clients_dir;
  zmqsec::testing::generate(clients_dir, "alice",
                            {"--meta", "name=alice", "--meta", "site=hall 3"});
  zmqsec::testing::generate(clients_dir, "bob");
  const auto file = dir / "clients.keys";

  auto r = zmq_cert({"authorized-keys", clients_dir.path().string(), "-o", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto contents = zc::read_authorized_keys(file);
  EXPECT_EQ(contents.keys.size(), 2u);
  EXPECT_TRUE(contents.problems.empty());

  r = zmq_cert({"authorized-keys", file.string(), "--to-folder", (dir / "back").string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(folder_contents(dir / "back"), folder_contents(clients_dir.path()));

  // Again into the same folder: existing files are refused unless --force.
  r = zmq_cert({"authorized-keys", file.string(), "--to-folder", (dir / "back").string()});
  EXPECT_NE(r.exit_code, 0) << r;
  r = zmq_cert(
      {"authorized-keys", file.string(), "--to-folder", (dir / "back").string(), "--force"});
  EXPECT_EQ(r.exit_code, 0) << r;

  // Without -o the file goes to stdout.
  r = zmq_cert({"authorized-keys", clients_dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, zmqsec::testing::read_file(file));
}

TEST(zmq_cert_authorized_keys, bad_lines_are_reported_by_number_and_the_rest_written) {
  temp_dir dir;
  const auto key = zc::generate_keypair().public_key;
  const auto file =
      dir.write("k", "# fleet\nnot a key\n" + zc::authorized_key_line(key, {{"n", "v"}}) + "\n");
  const auto r =
      zmq_cert({"authorized-keys", file.string(), "--to-folder", (dir / "out").string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find(file.string() + ":2: "), std::string::npos) << r;
  const auto written = folder_contents(dir / "out");
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].first, key.z85());
  EXPECT_EQ(written[0].second, (zc::metadata{{"n", "v"}}));
}

TEST(zmq_cert_authorized_keys, a_missing_source_is_an_io_failure) {
  temp_dir dir;
  EXPECT_EQ(zmq_cert({"authorized-keys", (dir / "none").string()}).exit_code, 2);
  EXPECT_EQ(
      zmq_cert({"authorized-keys", (dir / "none").string(), "--to-folder", dir.path().string()})
          .exit_code,
      2);
}
