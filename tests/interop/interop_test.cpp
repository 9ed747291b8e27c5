// Certificate files between zmqsec, pyzmq and CZMQ, tested both ways with the real libraries, and
// a CURVE handshake between a pyzmq client holding keys we saved and a cppzmq server as proof that
// every side reads the same keys.
#include <gtest/gtest.h>
#include <zmq.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "bind_loopback.hpp"
#include "czmq_bridge.hpp"
#include "process.hpp"
#include "pyzmq_bridge.hpp"
#include "temp_dir.hpp"

namespace {

namespace zc = zmqsec::certs;
namespace czmq = zmqsec::testing::czmq;
namespace pyzmq = zmqsec::testing::pyzmq;
using zmqsec::testing::temp_dir;
using namespace std::chrono_literals;

using meta_map = std::map<std::string, std::string>;

meta_map as_map(const zc::metadata& meta) {
  return {meta.begin(), meta.end()};
}

std::string z85_of(const zc::secret_key& key) {
  zc::secret_string text = key.z85();
  return {text.begin(), text.end()};
}

// What people put in certificates: a name with a space, an address, non-ASCII text.
const zc::metadata everyday_metadata = {
    {"name", "Jane Doe"},
    {"email", "jane.doe@example.org"},
    {"organisation", "Zoë & Søren GmbH"},
};

// Values only a quoting writer can keep: a comment sign, a double quote, surrounding spaces, and
// nothing at all.
const zc::metadata awkward_metadata = {
    {"location", "room #4, east wing"},
    {"motto", "say \"hello\""},
    {"padded", "  both ends  "},
    {"empty", ""},
};

// ---------------------------------------------------------------------------------------------
// pyzmq

TEST(pyzmq_interop, system_python_has_pyzmq_with_curve) {
  auto printed =
      zmqsec::testing::run_process({ZMQSEC_INTEROP_PYTHON, "-I", "-B", "-c",
                                    "import zmq, zmq.auth; print('pyzmq', zmq.pyzmq_version()); "
                                    "print('curve', zmq.has('curve'))"},
                                   30s);
  ASSERT_EQ(printed.exit_code, 0) << "pyzmq is missing (apt-get install python3-zmq)\n"
                                  << printed.describe();
  auto seen = pyzmq::parse(printed.out);
  EXPECT_EQ(seen.get("curve"), "True");
}

TEST(pyzmq_interop, load_certificate_reads_the_keys_of_files_we_save) {
  temp_dir dir;
  zc::keypair keys = zc::generate_keypair();
  auto files = zc::save_certificates(dir.path(), "alice", keys, everyday_metadata);

  auto secret = pyzmq::run({"load_certificate", files.secret_file.string()});
  EXPECT_EQ(secret.get("public"), keys.public_key.z85());
  EXPECT_EQ(secret.get("secret"), z85_of(keys.secret_key));

  auto pub = pyzmq::run({"load_certificate", files.public_file.string()});
  EXPECT_EQ(pub.get("public"), keys.public_key.z85());
  EXPECT_EQ(pub.get("secret"), "None");
}

TEST(pyzmq_interop, load_certificate_reads_files_whose_metadata_needs_quoting) {
  temp_dir dir;
  zc::keypair keys = zc::generate_keypair();
  auto files = zc::save_certificates(dir.path(), "alice", keys, awkward_metadata);

  auto secret = pyzmq::run({"load_certificate", files.secret_file.string()});
  EXPECT_EQ(secret.get("public"), keys.public_key.z85());
  EXPECT_EQ(secret.get("secret"), z85_of(keys.secret_key));
}

TEST(pyzmq_interop, load_certificates_finds_every_public_key_of_a_folder_we_wrote) {
  temp_dir dir;
  std::vector<std::string> expected;
  for (const char* name : {"alpha", "bravo", "charlie"}) {
    auto files = zc::create_certificates(dir.path(), name, {{"name", name}});
    expected.push_back(zc::load_certificate(files.public_file).public_key.z85());
  }
  std::sort(expected.begin(), expected.end());

  auto seen = pyzmq::run({"load_certificates", dir.path().string()});
  EXPECT_EQ(seen.get("count"), "3");
  EXPECT_EQ(seen.all("public"), expected);
}

TEST(pyzmq_interop, certificates_pyzmq_creates_load_with_their_keys_and_metadata) {
  temp_dir dir;
  auto created = pyzmq::run({"create_certificates", dir.path().string(), "bob", "name=Bob Smith",
                             "email=bob@example.org", "role=operations"});
  EXPECT_EQ(created.get("public_file"), (dir / "bob.key").string());
  EXPECT_EQ(created.get("secret_file"), (dir / "bob.key_secret").string());

  zc::certificate secret = zc::load_certificate(dir / "bob.key_secret");
  EXPECT_EQ(secret.public_key.z85(), created.get("public"));
  ASSERT_TRUE(secret.secret_key.has_value());
  EXPECT_EQ(z85_of(*secret.secret_key), created.get("secret"));
  // pyzmq writes the metadata into the secret file only, unquoted, in the order given.
  zc::metadata expected = {
      {"name", "Bob Smith"}, {"email", "bob@example.org"}, {"role", "operations"}};
  EXPECT_EQ(secret.metadata, expected);

  zc::certificate pub = zc::load_certificate(dir / "bob.key");
  EXPECT_EQ(pub.public_key.z85(), created.get("public"));
  EXPECT_FALSE(pub.secret_key.has_value());
  EXPECT_TRUE(pub.metadata.empty());
}

TEST(pyzmq_interop, load_certificates_reads_a_folder_pyzmq_wrote) {
  temp_dir dir;
  std::vector<std::string> expected;
  for (const char* name : {"one", "two"}) {
    auto created = pyzmq::run({"create_certificates", dir.path().string(), name});
    expected.push_back(created.get("public"));
  }
  std::sort(expected.begin(), expected.end());

  zc::certificate_folder folder = zc::load_certificates(dir.path());
  EXPECT_TRUE(folder.problems.empty());
  std::vector<std::string> loaded;
  for (const auto& [path, cert] : folder.certificates) {
    loaded.push_back(cert.public_key.z85());
    EXPECT_FALSE(cert.secret_key.has_value()) << path;
  }
  std::sort(loaded.begin(), loaded.end());
  EXPECT_EQ(loaded, expected);
}

// ---------------------------------------------------------------------------------------------
// CZMQ

TEST(czmq_interop, zcert_load_reads_keys_and_metadata_of_files_we_save) {
  temp_dir dir;
  zc::keypair keys = zc::generate_keypair();
  auto files = zc::save_certificates(dir.path(), "alice", keys, everyday_metadata);

  auto secret = czmq::load(files.secret_file);
  ASSERT_TRUE(secret.has_value()) << "zcert_load refused " << files.secret_file;
  EXPECT_EQ(secret->public_txt, keys.public_key.z85());
  EXPECT_EQ(secret->secret_txt, z85_of(keys.secret_key));
  EXPECT_EQ(secret->metadata, as_map(everyday_metadata));

  // CZMQ's name for the secret file of "PATH" is "PATH_secret", which is exactly NAME.key_secret:
  // given the public file, zcert_load reads its secret sibling.
  auto sibling = czmq::load(files.public_file);
  ASSERT_TRUE(sibling.has_value());
  EXPECT_EQ(sibling->secret_txt, z85_of(keys.secret_key));
}

TEST(czmq_interop, zcert_load_reads_a_public_file_we_save_without_a_secret) {
  temp_dir dir;
  zc::keypair keys = zc::generate_keypair();
  zc::save_public_certificate(dir / "alice.key", keys.public_key, everyday_metadata);

  auto pub = czmq::load(dir / "alice.key");
  ASSERT_TRUE(pub.has_value()) << "zcert_load refused the public file";
  EXPECT_EQ(pub->public_txt, keys.public_key.z85());
  EXPECT_EQ(pub->secret_txt, czmq::no_secret_txt);
  EXPECT_EQ(pub->metadata, as_map(everyday_metadata));
}

TEST(czmq_interop, zcert_load_reads_metadata_that_needs_quoting) {
  temp_dir dir;
  zc::keypair keys = zc::generate_keypair();
  auto files = zc::save_certificates(dir.path(), "alice", keys, awkward_metadata);

  auto secret = czmq::load(files.secret_file);
  ASSERT_TRUE(secret.has_value()) << "zcert_load refused " << files.secret_file << ":\n"
                                  << zmqsec::testing::read_file(files.secret_file);
  EXPECT_EQ(secret->public_txt, keys.public_key.z85());
  EXPECT_EQ(secret->metadata, as_map(awkward_metadata))
      << zmqsec::testing::read_file(files.secret_file);
}

TEST(czmq_interop, certificates_zcert_save_writes_load_with_their_keys_and_metadata) {
  temp_dir dir;
  // No double quote: CZMQ writes it unescaped inside double quotes and cannot read that back.
  const zc::metadata meta = {
      {"name", "Carol Jones"}, {"location", "room #4"}, {"organisation", "Zoë & Søren GmbH"}};
  czmq::cert_view saved = czmq::create_and_save(dir / "carol", meta);

  zc::certificate pub = zc::load_certificate(dir / "carol");
  EXPECT_EQ(pub.public_key.z85(), saved.public_txt);
  EXPECT_FALSE(pub.secret_key.has_value());
  EXPECT_EQ(as_map(pub.metadata), as_map(meta));  // CZMQ keeps metadata in a hash: any order

  zc::certificate secret = zc::load_certificate(dir / "carol_secret");
  EXPECT_EQ(secret.public_key.z85(), saved.public_txt);
  ASSERT_TRUE(secret.secret_key.has_value());
  EXPECT_EQ(z85_of(*secret.secret_key), saved.secret_txt);
  EXPECT_EQ(as_map(secret.metadata), as_map(meta));
}

TEST(czmq_interop, zcertstore_finds_every_certificate_of_a_folder_we_wrote) {
  temp_dir dir;
  std::map<std::string, std::string> names_by_key;
  for (const char* name : {"alpha", "bravo", "charlie"}) {
    auto files = zc::create_certificates(dir.path(), name, {{"name", name}});
    names_by_key[zc::load_certificate(files.public_file).public_key.z85()] = name;
  }

  czmq::cert_store store(dir.path());
  for (const auto& [key, name] : names_by_key) {
    auto found = store.lookup(key);
    ASSERT_TRUE(found.has_value()) << "zcertstore does not know " << name;
    EXPECT_EQ(found->public_txt, key);
    EXPECT_EQ(found->metadata, (meta_map{{"name", name}}));
  }
  EXPECT_FALSE(store.lookup(zc::generate_keypair().public_key.z85()).has_value());
}

TEST(czmq_interop, load_certificates_reads_a_folder_czmq_wrote) {
  temp_dir dir;
  std::map<std::string, meta_map> expected;  // public key -> metadata
  for (const char* name : {"peer1", "peer2", "peer3"}) {
    const zc::metadata meta = {{"name", std::string(name) + " of the mesh"}};
    auto saved = czmq::create_and_save(dir / name, meta);
    expected[saved.public_txt] = as_map(meta);
  }

  zc::certificate_folder folder = zc::load_certificates(dir.path());
  for (const auto& problem : folder.problems) {
    ADD_FAILURE() << problem.path << ": " << problem.reason;
  }
  std::map<std::string, meta_map> loaded;
  for (const auto& [path, cert] : folder.certificates) {
    EXPECT_FALSE(cert.secret_key.has_value()) << path;
    loaded[cert.public_key.z85()] = as_map(cert.metadata);
  }
  EXPECT_EQ(loaded, expected);
}

// ---------------------------------------------------------------------------------------------
// A CURVE handshake: pyzmq client with our files, cppzmq server with our keys.

// A cppzmq CURVE server (REP on tcp://127.0.0.1) with a ZAP handler that lets in one client key.
// It records what it saw so the test can say who talked to whom.
class curve_server {
 public:
  curve_server(const zc::secret_key& server_secret, const zc::public_key& allowed_client)
      : allowed_(allowed_client.z85()) {
    zap_.set(zmq::sockopt::linger, 0);
    zap_.bind("inproc://zeromq.zap.01");
    server_.set(zmq::sockopt::linger, 0);
    server_.set(zmq::sockopt::curve_server, 1);
    server_.set(zmq::sockopt::curve_secretkey,
                zmq::const_buffer(server_secret.bytes().data(), server_secret.bytes().size()));
    endpoint_ = zmqsec::testing::bind_loopback(server_);
  }

  const std::string& endpoint() const { return endpoint_; }

  /// Answers ZAP requests and messages until the client process has exited (its output pipes
  /// close) or the timeout passes. Returns false on timeout.
  bool serve_until_exit(zmqsec::testing::child_process& client, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!client.read_available()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      std::vector<zmq_pollitem_t> items = {{zap_.handle(), 0, ZMQ_POLLIN, 0},
                                           {server_.handle(), 0, ZMQ_POLLIN, 0}};
      for (int fd : client.output_fds()) {
        if (fd >= 0) items.push_back({nullptr, fd, ZMQ_POLLIN, 0});
      }
      if (zmq_poll(items.data(), static_cast<int>(items.size()), left.count()) < 0) {
        if (zmq_errno() == EINTR) continue;
        throw zmq::error_t();
      }
      if (items[0].revents & ZMQ_POLLIN) answer_zap();
      if (items[1].revents & ZMQ_POLLIN) answer_message();
    }
    return true;
  }

  std::vector<std::string> zap_mechanisms;  ///< mechanism of every ZAP request
  std::vector<std::string> zap_keys;        ///< Z85 of every CURVE key presented
  std::vector<std::string> messages;        ///< every request the server received
  std::vector<std::string> user_ids;        ///< the User-Id property of each of them

 private:
  void answer_zap() {
    std::vector<zmq::message_t> request;
    if (!zmq::recv_multipart(zap_, std::back_inserter(request))) return;
    // version, request id, domain, address, routing id, mechanism, credentials...
    ASSERT_GE(request.size(), 6u);
    std::string mechanism = request[5].to_string();
    zap_mechanisms.push_back(mechanism);
    bool allowed = false;
    if (mechanism == "CURVE" && request.size() == 7 && request[6].size() == zc::key_size) {
      std::string key =
          zc::public_key::from_bytes(
              std::span<const unsigned char>(request[6].data<unsigned char>(), request[6].size()))
              .z85();
      zap_keys.push_back(key);
      allowed = key == allowed_;
    }
    std::array<zmq::const_buffer, 6> reply = {
        zmq::str_buffer("1.0"),
        zmq::const_buffer(request[1].data(), request[1].size()),
        allowed ? zmq::str_buffer("200") : zmq::str_buffer("400"),
        allowed ? zmq::str_buffer("OK") : zmq::str_buffer("key not allowed"),
        allowed ? zmq::str_buffer("pyzmq-client") : zmq::str_buffer(""),
        zmq::str_buffer("")};
    zmq::send_multipart(zap_, reply);
  }

  void answer_message() {
    zmq::message_t message;
    if (!server_.recv(message, zmq::recv_flags::dontwait)) return;
    messages.push_back(message.to_string());
    user_ids.push_back(message.gets("User-Id"));
    server_.send(zmq::buffer(message.to_string() + " / heard by cppzmq"), zmq::send_flags::none);
  }

  std::string allowed_;
  zmq::context_t context_;
  zmq::socket_t zap_{context_, zmq::socket_type::rep};
  zmq::socket_t server_{context_, zmq::socket_type::rep};
  std::string endpoint_;
};

TEST(curve_handshake_interop, pyzmq_client_with_certificates_we_saved_talks_to_a_cppzmq_server) {
  temp_dir dir;
  auto server_files = zc::create_certificates(dir.path(), "server", {{"name", "cppzmq server"}});
  auto client_files = zc::create_certificates(dir.path(), "client", {{"name", "pyzmq client"}});
  zc::certificate server_cert = zc::load_certificate(server_files.secret_file);
  zc::certificate client_cert = zc::load_certificate(client_files.public_file);
  ASSERT_TRUE(server_cert.secret_key.has_value());

  curve_server server(*server_cert.secret_key, client_cert.public_key);
  zmqsec::testing::child_process client(pyzmq::helper_command(
      {"curve_client", client_files.secret_file.string(), server_files.public_file.string(),
       server.endpoint(), "10000", "hello from pyzmq"}));
  ASSERT_TRUE(server.serve_until_exit(client, 20s)) << "the pyzmq client did not finish";
  zmqsec::testing::process_result result = client.wait(5s);

  ASSERT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_EQ(pyzmq::parse(result.out).get("reply"), "hello from pyzmq / heard by cppzmq");
  EXPECT_EQ(server.zap_mechanisms, std::vector<std::string>{"CURVE"});
  EXPECT_EQ(server.zap_keys, std::vector<std::string>{client_cert.public_key.z85()});
  EXPECT_EQ(server.messages, std::vector<std::string>{"hello from pyzmq"});
  EXPECT_EQ(server.user_ids, std::vector<std::string>{"pyzmq-client"});
}

TEST(curve_handshake_interop, pyzmq_client_with_the_wrong_server_key_is_never_heard) {
  temp_dir dir;
  auto server_files = zc::create_certificates(dir.path(), "server");
  auto impostor_files = zc::create_certificates(dir.path(), "impostor");
  auto client_files = zc::create_certificates(dir.path(), "client");
  zc::certificate server_cert = zc::load_certificate(server_files.secret_file);
  zc::certificate client_cert = zc::load_certificate(client_files.public_file);
  ASSERT_TRUE(server_cert.secret_key.has_value());

  curve_server server(*server_cert.secret_key, client_cert.public_key);
  // The client trusts the impostor's public key: the server cannot open its HELLO.
  zmqsec::testing::child_process client(pyzmq::helper_command(
      {"curve_client", client_files.secret_file.string(), impostor_files.public_file.string(),
       server.endpoint(), "1500", "hello from pyzmq"}));
  ASSERT_TRUE(server.serve_until_exit(client, 20s)) << "the pyzmq client did not finish";
  zmqsec::testing::process_result result = client.wait(5s);

  EXPECT_EQ(result.exit_code, 3) << result.describe();
  EXPECT_EQ(pyzmq::parse(result.out).all("timeout").size(), 1u) << result.describe();
  EXPECT_TRUE(server.zap_mechanisms.empty());
  EXPECT_TRUE(server.messages.empty());
}

}  // namespace
