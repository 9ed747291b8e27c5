// zmq-cert generate NAME [--dir DIR] [--meta KEY=VALUE]... [--force]

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <zmqsec/certs/certificate.hpp>

#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

namespace zc = zmqsec::certs;
using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

namespace {

mode_t file_mode(const std::filesystem::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
  return st.st_mode & 07777;
}

}  // namespace

TEST(zmq_cert_generate, writes_both_files_and_prints_their_paths_and_the_public_key) {
  temp_dir dir;
  const auto r = zmq_cert({"generate", "server", "--dir", dir.path().string(), "--meta",
                           "name=demo-server", "--meta", "role=api"});
  ASSERT_EQ(r.exit_code, 0) << r;

  const zc::certificate pub = zc::load_certificate(dir / "server.key");
  const zc::certificate sec = zc::load_certificate(dir / "server.key_secret");
  EXPECT_FALSE(pub.secret_key.has_value());
  ASSERT_TRUE(sec.secret_key.has_value());
  EXPECT_EQ(pub.public_key, sec.public_key);
  const zc::metadata expected_meta{{"name", "demo-server"}, {"role", "api"}};
  EXPECT_EQ(pub.metadata, expected_meta);
  EXPECT_EQ(sec.metadata, expected_meta);

  EXPECT_EQ(r.out, "public certificate: " + (dir / "server.key").string() + "\n" +
                       "secret certificate: " + (dir / "server.key_secret").string() + "\n" +
                       "public key: " + pub.public_key.z85() + "\n");
  EXPECT_EQ(r.err, "");
}

TEST(zmq_cert_generate, never_prints_the_secret_key) {
  temp_dir dir;
  const auto r = zmq_cert({"generate", "server", "--dir", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto secret = zc::load_certificate(dir / "server.key_secret").secret_key->z85();
  const std::string secret_text(secret.begin(), secret.end());
  EXPECT_EQ(r.out.find(secret_text), std::string::npos);
  EXPECT_EQ(r.err.find(secret_text), std::string::npos);
}

TEST(zmq_cert_generate, writes_the_secret_file_with_mode_0600) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "server");
  EXPECT_EQ(file_mode(pair.secret_file), 0600u);
}

TEST(zmq_cert_generate, refuses_to_overwrite_existing_files_without_force) {
  temp_dir dir;
  const auto first = zmqsec::testing::generate(dir, "server");
  const std::string public_before = zmqsec::testing::read_file(first.public_file);
  const std::string secret_before = zmqsec::testing::read_file(first.secret_file);

  const auto r = zmq_cert({"generate", "server", "--dir", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(r.err.starts_with("zmq-cert: ")) << r;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(zmqsec::testing::read_file(first.public_file), public_before);
  EXPECT_EQ(zmqsec::testing::read_file(first.secret_file), secret_before);
}

TEST(zmq_cert_generate, refuses_when_only_the_secret_file_exists) {
  temp_dir dir;
  const auto first = zmqsec::testing::generate(dir, "server");
  std::filesystem::remove(first.public_file);
  const auto r = zmq_cert({"generate", "server", "--dir", dir.path().string()});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_FALSE(std::filesystem::exists(first.public_file));
}

TEST(zmq_cert_generate, force_replaces_both_files_with_a_new_keypair) {
  temp_dir dir;
  const auto first = zmqsec::testing::generate(dir, "server");
  const auto second = zmqsec::testing::generate(dir, "server", {"--force", "--meta", "v=2"});
  EXPECT_NE(first.public_key, second.public_key);
  EXPECT_EQ(zc::load_certificate(second.public_file).public_key.z85(), second.public_key);
  EXPECT_EQ(file_mode(second.secret_file), 0600u);
  const zc::metadata expected{{"v", "2"}};
  EXPECT_EQ(zc::load_certificate(second.public_file).metadata, expected);
}

TEST(zmq_cert_generate, writes_to_the_current_folder_by_default) {
  temp_dir dir;
  const auto r = zmq_cert({"generate", "here"}, zmqsec::testing::in_folder(dir.path()));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out.starts_with("public certificate: ./here.key\n")) << r;
  EXPECT_TRUE(std::filesystem::exists(dir / "here.key"));
  EXPECT_TRUE(std::filesystem::exists(dir / "here.key_secret"));
}

TEST(zmq_cert_generate, rejects_metadata_without_an_equals_sign) {
  temp_dir dir;
  const auto r = zmq_cert({"generate", "server", "--dir", dir.path().string(), "--meta", "name"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("KEY=VALUE"), std::string::npos) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "server.key"));
}

TEST(zmq_cert_generate, rejects_a_metadata_name_given_twice) {
  temp_dir dir;
  const auto r = zmq_cert(
      {"generate", "server", "--dir", dir.path().string(), "--meta", "a=1", "--meta", "a=2"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_FALSE(std::filesystem::exists(dir / "server.key"));
}

TEST(zmq_cert_generate, rejects_metadata_that_zpl_cannot_hold) {
  temp_dir dir;
  for (const std::string& meta :
       std::vector<std::string>{"bad name=x", "=x", "name=line\nbreak", "name=both\"'quotes"}) {
    const auto r = zmq_cert({"generate", "server", "--dir", dir.path().string(), "--meta", meta});
    EXPECT_EQ(r.exit_code, 1) << meta << r;
    EXPECT_FALSE(std::filesystem::exists(dir / "server.key")) << meta;
    EXPECT_FALSE(std::filesystem::exists(dir / "server.key_secret")) << meta;
  }
}

TEST(zmq_cert_generate, keeps_metadata_values_with_spaces_and_quotes) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(
      dir, "server", {"--meta", "name=demo server #1", "--meta", "note=say \"hi\""});
  const zc::metadata expected{{"name", "demo server #1"}, {"note", "say \"hi\""}};
  EXPECT_EQ(zc::load_certificate(pair.public_file).metadata, expected);
}

TEST(zmq_cert_generate, rejects_a_name_that_is_a_path) {
  temp_dir dir;
  std::filesystem::create_directory(dir / "inner");
  for (const std::string& name : std::vector<std::string>{"../escape", "a/b", "", ".", ".."}) {
    const auto r = zmq_cert({"generate", name, "--dir", (dir / "inner").string()});
    EXPECT_EQ(r.exit_code, 1) << name << r;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "escape.key"));
  EXPECT_TRUE(std::filesystem::is_empty(dir / "inner"));
}

TEST(zmq_cert_generate, a_missing_folder_is_an_io_failure) {
  temp_dir dir;
  const auto r = zmq_cert({"generate", "server", "--dir", (dir / "missing").string()});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_TRUE(r.err.starts_with("zmq-cert: ")) << r;
}
