// Server sockets prepared by make_curve_server, make_plain_server and make_null_server refuse
// every handshake while no authenticator answers: before start(), after stop(), and after the
// authenticator's context was shut down. The controls show the hole the calls close: the same
// CURVE and NULL servers set up by hand admit clients while no handler is bound.
#include <gtest/gtest.h>
#include <zmq.h>

#include <memory>
#include <string>
#include <tuple>

#include <zmq.hpp>

#include <zmqsec/auth/server_socket.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

#include "harness.hpp"
#include "wait_until.hpp"

namespace {

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

enum class moment { before_start, after_stop, after_context_shutdown };
enum class setup { fail_closed, by_hand };

const char* name_of(mech m) {
  return m == mech::null ? "NULL" : m == mech::plain ? "PLAIN" : "CURVE";
}
const char* name_of(moment m) {
  return m == moment::before_start ? "before_start"
         : m == moment::after_stop ? "after_stop"
                                   : "after_context_shutdown";
}

// A ROUTER server on 127.0.0.1 in the authenticator's context, and a client in a context of its
// own (so that it outlives a shutdown of the server's context).
class fail_closed : public ::testing::Test {
 protected:
  void make_server(mech m, setup how) {
    server_ = std::make_unique<zmq::socket_t>(*server_context_, zmq::socket_type::router);
    server_->set(zmq::sockopt::linger, 0);
    // libzmq 4.3.4 leaves a refused NULL handshake hanging (the client hears nothing) until the
    // handshake interval ends it; a short one makes the refusal visible to the client at once.
    server_->set(zmq::sockopt::handshake_ivl, 200);
    if (how == setup::fail_closed) {
      if (m == mech::curve) za::make_curve_server(*server_, server_keys_.secret_key, "api");
      if (m == mech::plain) za::make_plain_server(*server_, "api");
      if (m == mech::null) za::make_null_server(*server_, "api");
    } else {
      server_->set(zmq::sockopt::zap_domain, "api");
      if (m == mech::curve) {
        server_->set(zmq::sockopt::curve_server, 1);
        server_->set(zmq::sockopt::curve_secretkey,
                     zmq::const_buffer(server_keys_.secret_key.bytes().data(), zc::key_size));
      }
      if (m == mech::plain) server_->set(zmq::sockopt::plain_server, 1);
    }
    server_->bind("tcp://127.0.0.1:*");
    endpoint_ = server_->get(zmq::sockopt::last_endpoint);
  }

  void configure_everyone_in() {
    auth_.configure_plain("api", {{"admin", "secret"}});
    auth_.configure_curve("api", za::curve_allow_any);
  }

  // Connects a client of mechanism m and watches its handshakes: true if one succeeded, false
  // once two attempts in a row ended without success (each refused connection is retried).
  bool client_gets_in(mech m) {
    zmq::socket_t client(client_context_, zmq::socket_type::dealer);
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::reconnect_ivl, 20);
    if (m == mech::plain) {
      client.set(zmq::sockopt::plain_username, "admin");
      client.set(zmq::sockopt::plain_password, "secret");
    }
    if (m == mech::curve) {
      client.set(zmq::sockopt::curve_serverkey,
                 zmq::const_buffer(server_keys_.public_key.data(), zc::key_size));
      client.set(zmq::sockopt::curve_publickey,
                 zmq::const_buffer(client_keys_.public_key.data(), zc::key_size));
      client.set(zmq::sockopt::curve_secretkey,
                 zmq::const_buffer(client_keys_.secret_key.bytes().data(), zc::key_size));
    }
    socket_monitor monitor(client_context_, client);
    client.connect(endpoint_);
    constexpr int attempt_ended = ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECT_RETRIED |
                                  ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                                  ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                  ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    for (int ended = 0; ended < 2;) {
      auto e = monitor.next(attempt_ended | ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
      if (!e) {
        ADD_FAILURE() << "no handshake outcome within " << patience.count()
                      << " ms; events: " << monitor.history();
        return false;
      }
      if (e->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) return true;
      ++ended;
    }
    return false;
  }

  void bring_to(moment when) {
    if (when == moment::after_stop) {
      auth_.start();
      ASSERT_TRUE(auth_.is_alive());
      auth_.stop();
    }
    if (when == moment::after_context_shutdown) {
      auth_.start();
      zmq_ctx_shutdown(server_context_->handle());
      ASSERT_TRUE(zmqsec::testing::wait_until([&] { return !auth_.is_alive(); }, patience));
    }
  }

  void TearDown() override { server_.reset(); }  // before the context it belongs to

  zc::keypair server_keys_ = zc::generate_keypair();
  zc::keypair client_keys_ = zc::generate_keypair();
  std::unique_ptr<zmq::context_t> server_context_ = std::make_unique<zmq::context_t>();
  zmq::context_t client_context_;
  za::thread_authenticator auth_{*server_context_};
  std::unique_ptr<zmq::socket_t> server_;
  std::string endpoint_;
};

class fail_closed_matrix : public fail_closed,
                           public ::testing::WithParamInterface<std::tuple<mech, moment>> {};

TEST_P(fail_closed_matrix, no_handshake_gets_through_while_no_authenticator_answers) {
  const auto [m, when] = GetParam();
  configure_everyone_in();
  make_server(m, setup::fail_closed);
  bring_to(when);
  EXPECT_FALSE(client_gets_in(m));
}

INSTANTIATE_TEST_SUITE_P(every_mechanism_and_moment, fail_closed_matrix,
                         ::testing::Combine(::testing::Values(mech::curve, mech::plain, mech::null),
                                            ::testing::Values(moment::before_start,
                                                              moment::after_stop,
                                                              moment::after_context_shutdown)),
                         [](const auto& info) {
                           return std::string(name_of(std::get<0>(info.param))) + "_" +
                                  name_of(std::get<1>(info.param));
                         });

TEST_F(fail_closed, the_same_servers_admit_everyone_the_authenticator_admits_once_it_runs) {
  configure_everyone_in();
  auth_.start();
  for (mech m : {mech::curve, mech::plain, mech::null}) {
    SCOPED_TRACE(name_of(m));
    make_server(m, setup::fail_closed);
    EXPECT_TRUE(client_gets_in(m));
  }
}

TEST_F(fail_closed, control_curve_and_null_set_up_by_hand_admit_anyone_without_a_handler) {
  // The hole: no handler bound, and libzmq lets these clients in.
  for (mech m : {mech::curve, mech::null}) {
    SCOPED_TRACE(name_of(m));
    make_server(m, setup::by_hand);
    EXPECT_TRUE(client_gets_in(m));
  }
}

TEST(fail_closed_setup, refuses_what_cannot_be_made_safe) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::router);
  EXPECT_THROW(za::make_null_server(socket, ""), zmqsec::error);
  zc::certificate public_only{zc::generate_keypair().public_key, std::nullopt, {}};
  EXPECT_THROW(za::make_curve_server(socket, public_only, "api"), zmqsec::error);
  socket.close();
  EXPECT_THROW(za::make_plain_server(socket, "api"), zmqsec::error);
}

}  // namespace
