// A CURVE-secured log stream: the sink's XPUB is a CURVE server in the same context as a
// thread_authenticator that follows a folder of subscribers' certificates. Only subscribers whose
// certificate is in the folder read the logs; a refused one sees HANDSHAKE_FAILED_AUTH 400, the
// authenticator says why, and it reads the stream as soon as its certificate is added.
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <zmq.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/logging.hpp>

#include "bind_loopback.hpp"
#include "harness.hpp"  // tests/auth_thread: socket_monitor
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
namespace zl = zmqsec::logging;
using zmqsec::testing::auth::patience;
using zmqsec::testing::auth::socket_monitor;

namespace {

constexpr const char* log_domain = "logs";

void set_curve_client(zmq::socket_t& socket, const zc::keypair& client,
                      const zc::public_key& server) {
  const auto& secret = client.secret_key.bytes();
  socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.bytes().data(), 32));
  socket.set(zmq::sockopt::curve_publickey,
             zmq::const_buffer(client.public_key.bytes().data(), 32));
  socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
}

// The decisions the authenticator made, as copies.
class decisions {
 public:
  void add(const za::decision& d) {
    std::lock_guard lock(mutex_);
    seen_.push_back({std::string(d.client_key), static_cast<int>(d.status), std::string(d.reason)});
  }
  struct seen {
    std::string client_key;
    int status;
    std::string reason;
  };
  std::vector<seen> all() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<seen> seen_;
};

class curve_log_stream : public ::testing::Test {
 protected:
  curve_log_stream() {
    std::filesystem::create_directory(clients_);
    zc::save_public_certificate(clients_ / "alice.key", alice_.public_key, {{"name", "alice"}});
    auth_.on_decision([this](const za::decision& d) { decisions_.add(d); });
    auth_.configure_curve(log_domain, clients_);
    auth_.start();

    zmq::socket_t socket(ctx_, zmq::socket_type::xpub);
    socket.set(zmq::sockopt::curve_server, 1);
    const auto& secret = server_.secret_key.bytes();
    socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
    socket.set(zmq::sockopt::zap_domain, log_domain);
    zmqsec::testing::bind_loopback(socket);
    sink_ = std::make_shared<zl::pub_sink_mt>(std::move(socket),
                                              zl::pub_sink_config{.root_topic = "svc"});
    endpoint_ = sink_->last_endpoint();
    log_ = std::make_shared<spdlog::logger>("svc", sink_);
  }

  zl::subscriber subscriber_as(const zc::keypair& client) {
    return zl::subscriber({.connect = {endpoint_},
                           .configure =
                               [this, &client](zmq::socket_t& socket) {
                                 set_curve_client(socket, client, server_.public_key);
                               },
                           .context = &ctx_});
  }

  zmqsec::testing::temp_dir dir_;
  std::filesystem::path clients_ = dir_ / "clients";
  zc::keypair server_ = zc::generate_keypair();
  zc::keypair alice_ = zc::generate_keypair();
  zc::keypair bob_ = zc::generate_keypair();
  decisions decisions_;
  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_};
  std::shared_ptr<zl::pub_sink_mt> sink_;
  std::string endpoint_;
  std::shared_ptr<spdlog::logger> log_;
};

TEST_F(curve_log_stream, only_subscribers_with_a_certificate_in_the_folder_read_the_logs) {
  auto alice = subscriber_as(alice_);
  ASSERT_TRUE(sink_->wait_for_subscriptions(1, patience));

  // Bob is refused during the handshake: his subscription never reaches the sink.
  zmq::socket_t bob(ctx_, zmq::socket_type::sub);
  bob.set(zmq::sockopt::linger, 0);
  socket_monitor bob_monitor(ctx_, bob);
  set_curve_client(bob, bob_, server_.public_key);
  bob.set(zmq::sockopt::subscribe, "");
  bob.connect(endpoint_);
  auto outcome = bob_monitor.handshake();
  ASSERT_TRUE(outcome) << bob_monitor.history();
  EXPECT_EQ(outcome->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) << bob_monitor.history();
  EXPECT_EQ(outcome->value, 400U);

  log_->warn("disk::for alice only");
  auto record = alice.receive(patience);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->topic, "svc.WARNING.disk");
  EXPECT_NE(record->message().find("for alice only"), std::string::npos) << record->payload;

  // The record was queued for every subscriber the sink had; Bob was not one of them.
  zmq::pollitem_t item{bob.handle(), 0, ZMQ_POLLIN, 0};
  EXPECT_EQ(zmq::poll(&item, 1, std::chrono::milliseconds(0)), 0);
  EXPECT_EQ(sink_->subscriptions(), 1U);

  bool bob_refused_by_the_folder = false;
  bool alice_accepted = false;
  for (const auto& d : decisions_.all()) {
    if (d.client_key == bob_.public_key.z85()) {
      EXPECT_EQ(d.status, 400);
      bob_refused_by_the_folder = !d.reason.empty();
    }
    if (d.client_key == alice_.public_key.z85()) alice_accepted = d.status == 200;
  }
  EXPECT_TRUE(bob_refused_by_the_folder);
  EXPECT_TRUE(alice_accepted);
}

TEST_F(curve_log_stream, a_subscriber_reads_once_its_certificate_is_added_without_a_restart) {
  zmq::socket_t bob(ctx_, zmq::socket_type::sub);
  bob.set(zmq::sockopt::linger, 0);
  socket_monitor bob_monitor(ctx_, bob);
  set_curve_client(bob, bob_, server_.public_key);
  bob.set(zmq::sockopt::subscribe, "svc.");
  bob.connect(endpoint_);
  auto first = bob_monitor.handshake();
  ASSERT_TRUE(first) << bob_monitor.history();
  ASSERT_EQ(first->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) << bob_monitor.history();

  // libzmq 4.3 treats a refusal as a protocol error and does not retry that connection: the
  // subscriber connects again once its certificate is in the folder. The sink needs no restart.
  auto store = auth_.curve_store(log_domain);
  ASSERT_TRUE(store);
  const auto generation = store->generation();
  zc::save_public_certificate(clients_ / "bob.key", bob_.public_key, {{"name", "bob"}});
  ASSERT_TRUE(store->wait_for_generation(generation + 1, patience));
  try {
    bob.disconnect(endpoint_);
  } catch (const zmq::error_t&) {
    // ENOENT: libzmq already dropped the refused connection.
  }
  bob.connect(endpoint_);

  auto outcome = bob_monitor.handshake();
  ASSERT_TRUE(outcome) << bob_monitor.history();
  ASSERT_EQ(outcome->event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) << bob_monitor.history();
  ASSERT_TRUE(sink_->wait_for_subscriptions(1, patience));

  log_->info("now bob too");
  zmq::pollitem_t item{bob.handle(), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&item, 1, patience), 1);
  std::vector<zmq::message_t> parts;
  ASSERT_TRUE(zmq::recv_multipart(bob, std::back_inserter(parts)));
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].to_string(), "svc.INFO");
  EXPECT_NE(parts[1].to_string().find("now bob too"), std::string::npos);
}

}  // namespace
