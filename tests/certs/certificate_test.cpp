#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <zmqsec/certs/certificate.hpp>
#include "temp_dir.hpp"

namespace zc = zmqsec::certs;
namespace fs = std::filesystem;
using zmqsec::testing::read_file;
using zmqsec::testing::temp_dir;

namespace {

constexpr const char* server_secret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
constexpr const char* server_public = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr const char* client_public = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

std::string certificate_text(std::string_view public_key, std::string_view secret_key = {}) {
  std::string text =
      "metadata\n    name = \"x\"\ncurve\n    public-key = \"" + std::string(public_key) + "\"\n";
  if (!secret_key.empty()) text += "    secret-key = \"" + std::string(secret_key) + "\"\n";
  return text;
}

// The message of the certificate_error that loading file raises.
std::string load_failure(const fs::path& file, zmqsec::errc expected) {
  try {
    zc::load_certificate(file);
  } catch (const zc::certificate_error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    EXPECT_EQ(e.path(), file);
    return e.what();
  }
  ADD_FAILURE() << "no certificate_error for " << file;
  return {};
}

// Sets the process umask for one scope.
class scoped_umask {
 public:
  explicit scoped_umask(mode_t mask) : old_(::umask(mask)) {}
  ~scoped_umask() { ::umask(old_); }

 private:
  mode_t old_;
};

}  // namespace

TEST(certificate, create_writes_public_and_secret_files_in_the_shared_layout) {
  temp_dir dir;
  auto files = zc::create_certificates(dir.path(), "server", {{"name", "api-1"}});
  EXPECT_EQ(files.public_file, dir / "server.key");
  EXPECT_EQ(files.secret_file, dir / "server.key_secret");

  std::string pub = read_file(files.public_file);
  EXPECT_TRUE(pub.starts_with("#   ****  Generated on ")) << pub;
  EXPECT_NE(pub.find("#   ZeroMQ CURVE Public Certificate\n"), std::string::npos);
  EXPECT_NE(pub.find("\n\nmetadata\n    name = \"api-1\"\ncurve\n    public-key = \""),
            std::string::npos)
      << pub;
  EXPECT_EQ(pub.find("secret-key"), std::string::npos);

  std::string sec = read_file(files.secret_file);
  EXPECT_NE(sec.find("#   ZeroMQ CURVE **Secret** Certificate\n"), std::string::npos);
  EXPECT_NE(sec.find("#   DO NOT PROVIDE THIS FILE TO OTHER USERS"), std::string::npos);
  EXPECT_NE(sec.find("\n    secret-key = \""), std::string::npos);

  auto loaded_pub = zc::load_certificate(files.public_file);
  auto loaded_sec = zc::load_certificate(files.secret_file);
  EXPECT_FALSE(loaded_pub.secret_key.has_value());
  ASSERT_TRUE(loaded_sec.secret_key.has_value());
  EXPECT_EQ(loaded_pub.public_key, loaded_sec.public_key);
  EXPECT_EQ(zc::derive_public_key(*loaded_sec.secret_key), loaded_sec.public_key);
  EXPECT_EQ(loaded_pub.metadata, (zc::metadata{{"name", "api-1"}}));
  ASSERT_NE(loaded_sec.meta("name"), nullptr);
  EXPECT_EQ(*loaded_sec.meta("name"), "api-1");
  EXPECT_EQ(loaded_sec.meta("other"), nullptr);
}

TEST(certificate, metadata_values_are_always_quoted) {
  temp_dir dir;
  auto files = zc::create_certificates(dir.path(), "q", {{"empty", ""}, {"quote", "say \"hi\""}});
  std::string pub = read_file(files.public_file);
  EXPECT_NE(pub.find("metadata\n    empty = \"\"\n    quote = 'say \"hi\"'\ncurve\n"),
            std::string::npos)
      << pub;
  EXPECT_EQ(zc::load_certificate(files.public_file).metadata,
            (zc::metadata{{"empty", ""}, {"quote", "say \"hi\""}}));
}

TEST(certificate, secret_file_is_0600_whatever_the_umask) {
  temp_dir dir;
  scoped_umask open_umask(0);
  auto files = zc::create_certificates(dir.path(), "c");
  EXPECT_EQ(mode_of(files.secret_file), 0600u);
  EXPECT_EQ(mode_of(files.public_file), 0644u);
}

TEST(certificate, create_refuses_to_overwrite_unless_asked) {
  temp_dir dir;
  auto first = zc::create_certificates(dir.path(), "c");
  std::string before = read_file(first.secret_file);
  try {
    zc::create_certificates(dir.path(), "c");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::errc::file_exists);
    EXPECT_NE(std::string(e.what()).find("refusing to overwrite"), std::string::npos);
  }
  EXPECT_EQ(read_file(first.secret_file), before);
  zc::create_certificates(dir.path(), "c", {}, {.overwrite = true});
  EXPECT_NE(read_file(first.secret_file), before);
  EXPECT_EQ(mode_of(first.secret_file), 0600u);
  // No temporary files are left behind.
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++count;
  EXPECT_EQ(count, 2u);
}

TEST(certificate, create_refuses_symlinks_at_the_target_names) {
  temp_dir dir;
  auto victim = dir.write("victim", "precious");
  fs::create_symlink(victim, dir / "c.key_secret");
  EXPECT_THROW(zc::create_certificates(dir.path(), "c", {}, {.overwrite = true}), zmqsec::error);
  EXPECT_THROW(zc::create_certificates(dir.path(), "c"), zmqsec::error);
  EXPECT_EQ(read_file(victim), "precious");
  EXPECT_TRUE(fs::is_symlink(dir / "c.key_secret"));
}

TEST(certificate, create_rejects_bad_names_and_metadata) {
  temp_dir dir;
  EXPECT_THROW(zc::create_certificates(dir.path(), "../escape"), zmqsec::error);
  EXPECT_THROW(zc::create_certificates(dir.path(), ""), zmqsec::error);
  EXPECT_THROW(zc::create_certificates(dir.path(), "c", {{"bad name", "x"}}), zmqsec::error);
  EXPECT_THROW(zc::create_certificates(dir.path(), "c", {{"n", "line\nbreak"}}), zmqsec::error);
  // pyzmq's loader would take these metadata lines for the keys.
  EXPECT_THROW(zc::create_certificates(dir.path(), "c", {{"secret-key-hint", "vault"}}),
               zmqsec::error);
  EXPECT_THROW(zc::create_certificates(dir.path(), "c", {{"public-key", "x"}}), zmqsec::error);
  EXPECT_FALSE(fs::exists(dir / "c.key_secret"));
}

TEST(certificate, create_into_missing_folder_is_an_io_error) {
  temp_dir dir;
  try {
    zc::create_certificates(dir / "missing", "c");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_TRUE(zmqsec::is_io_error(e)) << e.what();
  }
}

TEST(certificate, save_writes_a_given_keypair) {
  temp_dir dir;
  zc::keypair pair{zc::public_key::from_z85(server_public),
                   zc::secret_key::from_z85(server_secret)};
  auto files = zc::save_certificates(dir.path(), "s", pair);
  auto cert = zc::load_certificate(files.secret_file);
  EXPECT_EQ(cert.public_key.z85(), server_public);
  EXPECT_EQ(cert.secret_key->z85(), server_secret);

  zc::keypair wrong{zc::public_key::from_z85(client_public),
                    zc::secret_key::from_z85(server_secret)};
  EXPECT_THROW(zc::save_certificates(dir.path(), "w", wrong), zmqsec::error);
}

TEST(certificate, loads_hand_written_files_with_any_quoting) {
  temp_dir dir;
  auto file =
      dir.write("hand.key",
                "# hand written\r\ncurve\r\n    public-key = 'rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/"
                "@{H8]yf7'\r\nmetadata\r\n    owner = ops team\r\n");
  auto cert = zc::load_certificate(file);
  EXPECT_EQ(cert.public_key.z85(), server_public);
  EXPECT_EQ(cert.metadata, (zc::metadata{{"owner", "ops team"}}));
}

TEST(certificate, missing_file_is_an_io_error) {
  temp_dir dir;
  try {
    zc::load_certificate(dir / "nope.key");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_TRUE(zmqsec::is_io_error(e));
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find("nope.key"), std::string::npos);
  }
}

TEST(certificate, broken_files_are_reported_with_name_and_reason) {
  temp_dir dir;
  auto no_key = dir.write("a.key", "metadata\ncurve\n");
  EXPECT_EQ(load_failure(no_key, zmqsec::errc::invalid_certificate),
            no_key.string() + ": no public key (curve/public-key)");

  auto short_key = dir.write("b.key", certificate_text("abcde"));
  EXPECT_EQ(load_failure(short_key, zmqsec::errc::invalid_key),
            short_key.string() + ": a public key must be 40 characters of Z85, got 5");

  std::string bad = server_public;
  bad[3] = '"';
  auto bad_z85 = dir.write("c.key", "curve\n    public-key = '" + bad + "'\n");
  EXPECT_EQ(load_failure(bad_z85, zmqsec::errc::invalid_key),
            bad_z85.string() + ": public key: invalid Z85 character '\"' at position 3");

  auto bad_zpl = dir.write("d.key", "curve\n  public-key = \"x\"\n");
  EXPECT_EQ(load_failure(bad_zpl, zmqsec::errc::invalid_certificate),
            bad_zpl.string() + ": line 2: indentation of 2 spaces is not a multiple of four");

  auto twice = dir.write("e.key", certificate_text(server_public) + "    public-key = \"" +
                                      std::string(client_public) + "\"\n");
  EXPECT_EQ(load_failure(twice, zmqsec::errc::invalid_certificate),
            twice.string() + ": more than one public-key");

  auto binary = dir.write("f.key", std::string("\0\xff\x01curve", 8));
  load_failure(binary, zmqsec::errc::invalid_certificate);
}

TEST(certificate, mismatched_secret_is_refused_without_revealing_it) {
  temp_dir dir;
  auto file = dir.write("m.key_secret", certificate_text(client_public, server_secret));
  std::string what = load_failure(file, zmqsec::errc::key_mismatch);
  EXPECT_EQ(what.find(server_secret), std::string::npos);

  std::string broken = server_secret;
  broken[0] = ' ';
  auto file2 = dir.write("n.key_secret", certificate_text(server_public, broken));
  what = load_failure(file2, zmqsec::errc::invalid_key);
  EXPECT_EQ(what, file2.string() + ": secret key: invalid Z85 character at position 0");
  EXPECT_EQ(what.find(broken.substr(1)), std::string::npos);
}

TEST(certificate, refuses_files_that_are_not_small_regular_files) {
  temp_dir dir;
  fs::create_directory(dir / "folder.key");
  try {
    zc::load_certificate(dir / "folder.key");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    EXPECT_EQ(std::string(e.what()),
              (dir / "folder.key").string() + ": not a regular file (a directory)");
  }
  auto big = dir.write("big.key", std::string(2 << 20, '#'));
  EXPECT_THROW(zc::load_certificate(big), zmqsec::error);
}

TEST(certificate, folder_load_reports_bad_files_and_keeps_the_good_ones) {
  temp_dir dir;
  zc::create_certificates(dir.path(), "alice", {{"name", "alice"}});
  zc::create_certificates(dir.path(), "bob", {{"name", "bob"}});
  dir.write("broken.key", "curve\n    public-key = \"short\"\n");
  dir.write(".hidden.key", "garbage");
  dir.write("notes.txt~", "editor backup");
  fs::create_directory(dir / "sub");

  auto folder = zc::load_certificates(dir.path());
  ASSERT_EQ(folder.certificates.size(), 2u);
  EXPECT_EQ(folder.certificates[0].first, dir / "alice.key");
  EXPECT_EQ(*folder.certificates[0].second.meta("name"), "alice");
  EXPECT_EQ(*folder.certificates[1].second.meta("name"), "bob");
  for (const auto& [path, cert] : folder.certificates) EXPECT_FALSE(cert.secret_key);
  ASSERT_EQ(folder.problems.size(), 1u);
  EXPECT_EQ(folder.problems[0].path, dir / "broken.key");
  EXPECT_NE(folder.problems[0].reason.find("must be 40 characters"), std::string::npos);
}

TEST(certificate, folder_load_of_missing_folder_throws) {
  temp_dir dir;
  EXPECT_THROW(zc::load_certificates(dir / "missing"), zmqsec::error);
}

TEST(certificate, public_certificate_names) {
  EXPECT_TRUE(zc::is_public_certificate_name("a/client.key"));
  EXPECT_TRUE(zc::is_public_certificate_name("client_cert.txt"));  // CZMQ lets users pick names
  EXPECT_FALSE(zc::is_public_certificate_name("client.key_secret"));
  EXPECT_FALSE(zc::is_public_certificate_name("client_cert.txt_secret"));
  EXPECT_FALSE(zc::is_public_certificate_name(".client.key.tmp-abc"));
  EXPECT_FALSE(zc::is_public_certificate_name("client.key~"));
}
