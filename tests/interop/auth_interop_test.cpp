// Real pyzmq clients (auth_helper.py, /usr/bin/python3) against servers whose context is guarded
// by our thread_authenticator: PLAIN and CURVE, accepted and refused.
#include <gtest/gtest.h>
#include <zmq.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "bind_loopback.hpp"
#include "process.hpp"
#include "pyzmq_bridge.hpp"
#include "temp_dir.hpp"

namespace {

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
namespace pyzmq = zmqsec::testing::pyzmq;
using namespace std::chrono_literals;

std::vector<std::string> auth_helper(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      ZMQSEC_INTEROP_PYTHON, "-I", "-B", "-X", "utf8", ZMQSEC_INTEROP_SCRIPT_DIR "/auth_helper.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// A ROUTER server in the authenticator's context that answers each message with the User-Id
// (and certificate name) it came with.
class echo_server {
 public:
  echo_server(zmq::context_t& context, bool curve, const zc::secret_key* secret = nullptr)
      : socket_(context, zmq::socket_type::router) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::zap_domain, "interop");
    if (curve) {
      socket_.set(zmq::sockopt::curve_server, 1);
      socket_.set(zmq::sockopt::curve_secretkey,
                  zmq::const_buffer(secret->bytes().data(), secret->bytes().size()));
    } else {
      socket_.set(zmq::sockopt::plain_server, 1);
    }
    endpoint_ = zmqsec::testing::bind_loopback(socket_);
  }

  const std::string& endpoint() const { return endpoint_; }

  /// Serves until the client process has exited (its output closes) or timeout passes.
  bool serve_until_exit(zmqsec::testing::child_process& client, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!client.read_available()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      std::vector<zmq_pollitem_t> items = {{socket_.handle(), 0, ZMQ_POLLIN, 0}};
      for (int fd : client.output_fds()) {
        if (fd >= 0) items.push_back({nullptr, fd, ZMQ_POLLIN, 0});
      }
      if (zmq_poll(items.data(), static_cast<int>(items.size()), left.count()) < 0) {
        if (zmq_errno() == EINTR) continue;
        throw zmq::error_t();
      }
      if ((items[0].revents & ZMQ_POLLIN) != 0) answer();
    }
    return true;
  }

 private:
  void answer() {
    zmq::message_t routing_id;
    zmq::message_t data;
    if (!socket_.recv(routing_id, zmq::recv_flags::dontwait)) return;
    if (!socket_.recv(data)) return;
    const char* name = zmq_msg_gets(data.handle(), "name");
    std::string text = "user_id=" + std::string(data.gets("User-Id")) +
                       (name != nullptr ? " name=" + std::string(name) : "");
    socket_.send(routing_id, zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(text), zmq::send_flags::none);
  }

  zmq::socket_t socket_;
  std::string endpoint_;
};

struct client_result {
  std::string result;
  std::string reply;
};

client_result run_client(echo_server& server, const std::vector<std::string>& args) {
  zmqsec::testing::child_process client(auth_helper(args));
  EXPECT_TRUE(server.serve_until_exit(client, 30s)) << "the pyzmq client did not finish";
  zmqsec::testing::process_result done = client.wait(5s);
  EXPECT_EQ(done.exit_code, 0) << done.describe();
  auto printed = pyzmq::parse(done.out);
  client_result out;
  auto results = printed.all("result");
  out.result = results.empty() ? "<none> " + done.describe() : results.front();
  auto replies = printed.all("reply");
  if (!replies.empty()) out.reply = replies.front();
  return out;
}

}  // namespace

TEST(auth_interop, pyzmq_plain_clients_accepted_and_refused) {
  zmq::context_t context;
  za::thread_authenticator auth{context};
  auth.configure_plain("interop", {{"alice", "wonderland"}});
  auth.start();

  {
    echo_server server(context, false);
    auto got =
        run_client(server, {"plain_client", server.endpoint(), "alice", "wonderland", "10000"});
    EXPECT_EQ(got.result, "accepted");
    EXPECT_EQ(got.reply, "user_id=alice");
  }
  {
    echo_server server(context, false);
    auto got =
        run_client(server, {"plain_client", server.endpoint(), "alice", "looking-glass", "10000"});
    EXPECT_EQ(got.result, "refused 400");
  }
  {
    echo_server server(context, false);
    auto got =
        run_client(server, {"plain_client", server.endpoint(), "mallory", "wonderland", "10000"});
    EXPECT_EQ(got.result, "refused 400");
  }
  EXPECT_EQ(auth.stats().accepted, 1U);
  EXPECT_EQ(auth.stats().refused, 2U);
}

TEST(auth_interop, pyzmq_curve_clients_accepted_and_refused_by_a_certificate_folder) {
  zmqsec::testing::temp_dir dir;
  std::filesystem::create_directories(dir / "clients");
  std::filesystem::create_directories(dir / "keys");
  auto server_files = zc::create_certificates(dir / "keys", "server");
  auto known = zc::create_certificates(dir / "keys", "known", {{"name", "Known Client"}});
  auto stranger = zc::create_certificates(dir / "keys", "stranger");
  std::filesystem::copy_file(known.public_file, dir / "clients" / "known.key");
  zc::certificate server_cert = zc::load_certificate(server_files.secret_file);
  zc::certificate known_cert = zc::load_certificate(known.public_file);

  zmq::context_t context;
  za::thread_authenticator auth{context};
  auth.configure_curve("interop", dir / "clients");
  auth.start();

  {
    echo_server server(context, true, &*server_cert.secret_key);
    auto got = run_client(server, {"curve_client", server.endpoint(), known.secret_file.string(),
                                   server_files.public_file.string(), "10000"});
    EXPECT_EQ(got.result, "accepted");
    EXPECT_EQ(got.reply, "user_id=" + known_cert.public_key.z85() + " name=Known Client");
  }
  {
    echo_server server(context, true, &*server_cert.secret_key);
    auto got = run_client(server, {"curve_client", server.endpoint(), stranger.secret_file.string(),
                                   server_files.public_file.string(), "10000"});
    EXPECT_EQ(got.result, "refused 400");
  }
  EXPECT_EQ(auth.stats().accepted, 1U);
  EXPECT_EQ(auth.stats().refused, 1U);
}

// A policy file decides pyzmq's PLAIN clients, and a rewrite of it decides the next one.
TEST(auth_interop, pyzmq_plain_clients_decided_by_a_policy_file) {
  zmqsec::testing::temp_dir dir;
  dir.write("alice", "alice=wonderland\n");
  dir.write("bob", "bob=builder\n");
  dir.write("policy.toml", "[domains.interop]\nplain = { password_file = \"alice\" }\n");
  zmq::context_t context;
  za::thread_authenticator auth{context};
  auth.load_policy_file(dir / "policy.toml");
  auth.start();
  {
    echo_server server(context, false);
    auto got =
        run_client(server, {"plain_client", server.endpoint(), "alice", "wonderland", "10000"});
    EXPECT_EQ(got.result, "accepted");
    EXPECT_EQ(got.reply, "user_id=alice");
  }
  const auto before = auth.generation();
  dir.write("policy.toml", "[domains.interop]\nplain = { password_file = \"bob\" }\n");
  ASSERT_TRUE(auth.wait_for_generation(before + 1, 10s));
  {
    echo_server server(context, false);
    auto got =
        run_client(server, {"plain_client", server.endpoint(), "alice", "wonderland", "10000"});
    EXPECT_EQ(got.result, "refused 400");
  }
  {
    echo_server server(context, false);
    auto got = run_client(server, {"plain_client", server.endpoint(), "bob", "builder", "10000"});
    EXPECT_EQ(got.result, "accepted");
    EXPECT_EQ(got.reply, "user_id=bob");
  }
  EXPECT_EQ(auth.stats().policy_loads, 2U);
}
