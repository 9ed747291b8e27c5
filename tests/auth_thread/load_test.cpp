// A thousand CURVE clients handshaking at once against a folder of 100,000 certificates: every
// one is let in with its own User-Id and metadata, nothing fails, nothing leaks (ASan/LSan in the
// sanitizer build).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

namespace {

constexpr int client_count = 1000;
constexpr int certificate_count = 100'000;

// A public certificate as save_public_certificate writes it, without its fsync and rename: the
// test needs many files fast, not durably.
void write_certificate(const std::filesystem::path& file, const std::string& name,
                       const std::string& z85) {
  std::string text =
      "#   ZeroMQ CURVE Public Certificate\n\n"
      "metadata\n"
      "    name = \"" +
      name +
      "\"\n"
      "curve\n"
      "    public-key = \"" +
      z85 + "\"\n";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << file;
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(fd);
}

// Two file descriptors per client (its connection and its socket's mailbox), one per accepted
// connection on the server side, and some to spare.
void ensure_file_descriptors(rlim_t wanted) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur >= wanted) return;
  ASSERT_GE(limit.rlim_max, wanted) << "the hard limit of open files is too low for this test";
  limit.rlim_cur = wanted;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
}

// A folder for the certificates in memory (/dev/shm) when there is one: 100,000 files are
// written and read in a fraction of the time a disk takes, and inotify works there all the same.
class memory_temp_dir {
 public:
  memory_temp_dir() {
    std::error_code ignored;
    std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ignored)
                                     ? std::filesystem::path("/dev/shm")
                                     : std::filesystem::temp_directory_path();
    std::string pattern = (base / "zmqsec-load-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      pattern = (std::filesystem::temp_directory_path() / "zmqsec-load-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  memory_temp_dir(const memory_temp_dir&) = delete;
  memory_temp_dir& operator=(const memory_temp_dir&) = delete;
  ~memory_temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

double seconds_since(std::chrono::steady_clock::time_point begin) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

}  // namespace

TEST(thread_authenticator_load, a_thousand_curve_clients_against_100k_certificates) {
  ensure_file_descriptors(4 * client_count + 256);

  memory_temp_dir dir;
  auto folder = dir / "clients";
  std::filesystem::create_directory(folder);

  // The real clients' keys, and random 32-byte keys for the rest: any 32 bytes are a public key
  // as far as a store is concerned. The real ones are spread among the others.
  auto begin = std::chrono::steady_clock::now();
  std::vector<zc::keypair> clients;
  clients.reserve(client_count);
  for (int i = 0; i < client_count; ++i) clients.push_back(zc::generate_keypair());
  std::mt19937_64 random(42);
  std::unordered_map<std::string, std::string> name_of;  // z85 -> metadata name
  for (int i = 0; i < certificate_count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "c%06d", i);
    std::string z85;
    if (i % (certificate_count / client_count) == 0) {
      z85 = clients[static_cast<std::size_t>(i / (certificate_count / client_count))]
                .public_key.z85();
      name_of[z85] = name;
    } else {
      std::array<unsigned char, zc::key_size> bytes{};
      for (auto& b : bytes) b = static_cast<unsigned char>(random());
      z85 = zc::public_key::from_bytes(bytes).z85();
    }
    write_certificate(folder / (std::string(name) + ".key"), name, z85);
    if (HasFatalFailure()) return;
  }
  ASSERT_EQ(name_of.size(), static_cast<std::size_t>(client_count));
  double write_time = seconds_since(begin);

  zmq::context_t server_ctx;
  za::thread_authenticator auth{server_ctx};
  begin = std::chrono::steady_clock::now();
  auth.configure_curve("*", folder);
  double load_time = seconds_since(begin);
  ASSERT_EQ(auth.curve_store("*")->current()->size(), static_cast<std::size_t>(certificate_count));
  auth.start();

  auto server_keys = zc::generate_keypair();
  zmq::socket_t server(server_ctx, zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  server.set(zmq::sockopt::curve_server, 1);
  server.set(zmq::sockopt::curve_secretkey,
             zmq::const_buffer(server_keys.secret_key.bytes().data(), zc::key_size));
  std::string endpoint = zmqsec::testing::bind_loopback(server);

  // All the clients at once, in a context of their own with room for them.
  zmq::context_t client_ctx;
  client_ctx.set(zmq::ctxopt::max_sockets, client_count + 64);
  std::vector<zmq::socket_t> sockets;
  sockets.reserve(client_count);
  begin = std::chrono::steady_clock::now();
  for (int i = 0; i < client_count; ++i) {
    auto& socket = sockets.emplace_back(client_ctx, zmq::socket_type::dealer);
    const auto& keys = clients[static_cast<std::size_t>(i)];
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::curve_serverkey,
               zmq::const_buffer(server_keys.public_key.data(), zc::key_size));
    socket.set(zmq::sockopt::curve_publickey,
               zmq::const_buffer(keys.public_key.data(), zc::key_size));
    socket.set(zmq::sockopt::curve_secretkey,
               zmq::const_buffer(keys.secret_key.bytes().data(), zc::key_size));
    socket.connect(endpoint);
    socket.send(zmq::buffer(std::to_string(i)), zmq::send_flags::dontwait);
  }

  // Each client's message arrives once its handshake is through, with its User-Id and name.
  std::set<std::string> seen;
  int wrong = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (seen.size() < static_cast<std::size_t>(client_count) &&
         std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(1000));
    zmq::message_t routing_id;
    zmq::message_t data;
    while (server.recv(routing_id, zmq::recv_flags::dontwait)) {
      ASSERT_TRUE(server.recv(data));
      std::string user_id = data.gets("User-Id");
      auto index = static_cast<std::size_t>(std::stoi(data.to_string()));
      auto name = name_of.find(user_id);
      if (index >= clients.size() || user_id != clients[index].public_key.z85() ||
          name == name_of.end() || name->second != data.gets("name")) {
        ++wrong;
        continue;
      }
      seen.insert(user_id);
    }
  }
  double handshake_time = seconds_since(begin);

  EXPECT_EQ(seen.size(), static_cast<std::size_t>(client_count))
      << "clients through after 90 s: " << seen.size();
  EXPECT_EQ(wrong, 0);
  auto stats = auth.stats();
  EXPECT_EQ(stats.accepted, static_cast<std::uint64_t>(client_count));
  EXPECT_EQ(stats.refused, 0U);
  EXPECT_EQ(stats.internal_errors, 0U);
  EXPECT_EQ(stats.dropped, 0U);
  EXPECT_EQ(stats.send_failures, 0U);
  std::cout << "[ timing   ] wrote " << certificate_count << " certificates in " << write_time
            << " s, loaded them in " << load_time << " s; " << client_count
            << " CURVE handshakes in " << handshake_time << " s\n";
  RecordProperty("handshake_seconds", std::to_string(handshake_time));
}
