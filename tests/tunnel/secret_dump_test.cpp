// Secrets held by the library stay out of core dumps (issue 20): a process that uses zmqsec as
// a library (this test, dumpable) holds a secret key, a secret certificate, a password table and
// an open libssh2 tunnel that keeps its password to log in again; root's gcore of it must not
// contain any of them. The control: the same kind of secret held in plain memory is found, so
// the search is real. Every secret is made in secret memory (random bytes written there by
// getrandom) and copied to plain memory only after the core is taken, so the test itself leaves
// no copy behind.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <zmq.hpp>

#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/core/secret_memory.hpp>
#include <zmqsec/tunnel.hpp>

#include "bind_loopback.hpp"
#include "process.hpp"
#include "sshd_fixture.hpp"
#include "temp_dir.hpp"

namespace zt = zmqsec::tunnel;
using namespace std::chrono_literals;
using zmqsec::core::secret_string;
using zmqsec::testing::sshd_server;
using zmqsec::testing::temp_dir;

namespace {

// length random letters and digits, made in secret memory.
secret_string random_secret(std::size_t length) {
  static constexpr std::string_view alphabet =
      "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  secret_string secret(length, '\0');
  if (::getrandom(secret.data(), length, 0) != static_cast<ssize_t>(length)) {
    throw std::runtime_error("getrandom failed");
  }
  for (char& c : secret) c = alphabet[static_cast<unsigned char>(c) % alphabet.size()];
  return secret;
}

// A core of this very process, taken by gdb's gcore (as root).
std::string core_of_this_process(const temp_dir& dir) {
  const auto prefix = dir / "core";
  const auto r = zmqsec::testing::run_process(
      {"/usr/bin/gcore", "-o", prefix.string(), std::to_string(::getpid())}, 120s);
  const auto file = prefix.string() + "." + std::to_string(::getpid());
  EXPECT_TRUE(std::filesystem::exists(file)) << r;
  std::ifstream in(file, std::ios::binary);
  std::string core{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::filesystem::remove(file);
  return core;
}

// Writes text to path (mode 0600) straight from secret memory.
void write_secret_file(const std::filesystem::path& path, const secret_string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

// The sshd fixture's password user with a password the test makes in secret memory (the
// fixture's password_user keeps its password in a std::string: it would be in the core).
class secret_password_user {
 public:
  explicit secret_password_user(const secret_string& password) {
    lock_ = ::open("/tmp/zmqsec-tunnel-password-user.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_ < 0 || ::flock(lock_, LOCK_EX) != 0) throw std::runtime_error("cannot lock");
    const std::string name = sshd_server::password_user;
    if (zmqsec::testing::run_program({"id", name}) != 0 &&
        zmqsec::testing::run_program({"useradd", "--system", "--no-create-home", "--home-dir",
                                      "/nonexistent", "--shell", "/bin/sh", name}) != 0) {
      throw std::runtime_error("useradd " + name + " failed");
    }
    secret_string line(name);
    line += ":";
    line += password;
    line += "\n";
    write_secret_file(dir_ / "chpasswd", line);
    if (zmqsec::testing::run_program({"chpasswd"}, "/dev/null", (dir_ / "chpasswd").string()) !=
        0) {
      throw std::runtime_error("chpasswd failed");
    }
    std::filesystem::remove(dir_ / "chpasswd");
  }
  secret_password_user(const secret_password_user&) = delete;
  secret_password_user& operator=(const secret_password_user&) = delete;
  ~secret_password_user() {
    zmqsec::testing::run_program({"usermod", "--lock", sshd_server::password_user});
    ::close(lock_);
  }

 private:
  int lock_ = -1;
  temp_dir dir_;
};

// Whether text occurs in core; a plain copy of text is made only here, after the core is taken.
bool found_in(const std::string& core, const secret_string& text) {
  return core.find(std::string_view(text)) != std::string::npos;
}

}  // namespace

TEST(secret_dump_test, a_core_of_a_process_using_the_library_holds_none_of_its_secrets) {
  sshd_server sshd;
  zmq::context_t ctx;
  temp_dir dir;

  // A secret key and its Z85 text.
  const auto keys = zmqsec::certs::generate_keypair();
  const secret_string key_z85 = keys.secret_key.z85();
  const secret_string key_bytes(reinterpret_cast<const char*>(keys.secret_key.bytes().data()),
                                zmqsec::certs::key_size);

  // A secret certificate written and loaded again (its file text passed through the library).
  const auto files = zmqsec::certs::create_certificates(dir.path(), "server");
  const auto cert = zmqsec::certs::load_certificate(files.secret_file);
  const secret_string cert_z85 = cert.secret_key->z85();

  // A password file read into a table (plaintext passwords are kept as keyed digests).
  const secret_string file_password = random_secret(12);
  secret_string password_line("alice=");
  password_line += file_password;
  password_line += "\n";
  write_secret_file(dir / "passwords", password_line);
  password_line.wipe_and_clear();
  const auto table = zmqsec::auth::load_password_file(dir / "passwords");
  ASSERT_EQ(table.check("alice", file_password), zmqsec::auth::password_check::ok);

  // An open libssh2 tunnel that logged in with a password and keeps it to log in again; the
  // password is short, so that a std::string would hold it inside the options object.
  const secret_string ssh_password = random_secret(14);
  secret_password_user user(ssh_password);
  zmq::socket_t rep(ctx, zmq::socket_type::rep);
  const auto addr = zmqsec::testing::bind_loopback(rep);
  {
    zt::options opt;
    opt.password = ssh_password;
    opt.known_hosts = sshd.known_hosts();
    opt.backend = zt::backend::libssh2;
    opt.use_agent = false;
    opt.reconnect = true;
    auto [url, tunnel] = zt::open_tunnel(addr, sshd.server(sshd_server::password_user), opt);
    ASSERT_TRUE(tunnel.is_alive());

    const std::string core = core_of_this_process(dir);
    ASSERT_GT(core.size(), 1'000'000u);
    EXPECT_FALSE(found_in(core, key_z85)) << "the Z85 of a secret key";
    EXPECT_FALSE(found_in(core, key_bytes)) << "the bytes of a secret key";
    EXPECT_FALSE(found_in(core, cert_z85)) << "the secret key of a loaded certificate";
    EXPECT_FALSE(found_in(core, file_password)) << "a password of a password file";
    EXPECT_FALSE(found_in(core, ssh_password)) << "the tunnel's password";
    tunnel.close();
  }
}

// The control: the same secrets, copied into plain memory before the core is taken, are found.
TEST(secret_dump_test, the_same_secrets_in_plain_memory_are_found_in_the_core) {
  temp_dir dir;
  const auto keys = zmqsec::certs::generate_keypair();
  const secret_string key_z85 = keys.secret_key.z85();
  const secret_string short_password = random_secret(14);
  const std::string plain_z85(key_z85.begin(), key_z85.end());
  const std::string plain_password(short_password.begin(), short_password.end());  // inline
  const std::string core = core_of_this_process(dir);
  ASSERT_GT(core.size(), 1'000'000u);
  EXPECT_TRUE(found_in(core, key_z85));
  EXPECT_TRUE(found_in(core, short_password));
  EXPECT_EQ(plain_z85.size() + plain_password.size(), 40u + 14u);  // both alive until here
}
