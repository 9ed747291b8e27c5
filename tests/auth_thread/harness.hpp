// Real sockets for the thread_authenticator tests: a server socket with the mechanism under test,
// clients that connect from a chosen source address in 127.0.0.0/8, socket monitors that say how
// a handshake ended, a DEALER that talks ZAP straight to the handler, and a logger that keeps
// what it was told. Every wait is bounded and waits for a real event; nothing sleeps.
#pragma once

#include <gtest/gtest.h>
#include <zmq.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/auth/zap.hpp>
#include <zmqsec/certs/keys.hpp>

#include "bind_loopback.hpp"

namespace zmqsec::testing::auth {

using namespace std::chrono_literals;

/// How long a test waits for something that should happen at once.
inline constexpr std::chrono::milliseconds patience = 10s;

// --- Monitors ---------------------------------------------------------------------------------

struct monitor_event {
  int event = 0;
  std::uint32_t value = 0;
  std::string endpoint;
};

inline const char* event_name(int event) {
  switch (event) {
    case ZMQ_EVENT_CONNECTED:
      return "CONNECTED";
    case ZMQ_EVENT_CONNECT_DELAYED:
      return "CONNECT_DELAYED";
    case ZMQ_EVENT_CONNECT_RETRIED:
      return "CONNECT_RETRIED";
    case ZMQ_EVENT_LISTENING:
      return "LISTENING";
    case ZMQ_EVENT_ACCEPTED:
      return "ACCEPTED";
    case ZMQ_EVENT_CLOSED:
      return "CLOSED";
    case ZMQ_EVENT_DISCONNECTED:
      return "DISCONNECTED";
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      return "HANDSHAKE_FAILED_NO_DETAIL";
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
      return "HANDSHAKE_SUCCEEDED";
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      return "HANDSHAKE_FAILED_PROTOCOL";
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return "HANDSHAKE_FAILED_AUTH";
    default:
      return "other";
  }
}

/// The events that end a handshake.
inline constexpr int handshake_events =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;

/// A monitor of one socket (attach it before the socket binds or connects; destroy it before
/// the socket: libzmq 4.3 sends monitor events with blocking sends, so a monitored socket whose
/// monitor's reader is gone blocks the I/O thread on its next event).
class socket_monitor {
 public:
  socket_monitor(zmq::context_t& context, zmq::socket_t& socket)
      : monitored_(socket.handle()), pair_(context, zmq::socket_type::pair) {
    static std::atomic<int> counter{0};
    std::string endpoint = "inproc://zmqsec-test-monitor-" + std::to_string(++counter);
    if (zmq_socket_monitor(socket.handle(), endpoint.c_str(), ZMQ_EVENT_ALL) != 0) {
      throw zmq::error_t();
    }
    pair_.set(zmq::sockopt::linger, 0);
    pair_.connect(endpoint);
  }

  socket_monitor(const socket_monitor&) = delete;
  socket_monitor& operator=(const socket_monitor&) = delete;
  /// Stops the monitor first, then closes the reader.
  ~socket_monitor() { zmq_socket_monitor(monitored_, nullptr, 0); }

  /// The next event of the kinds in mask (others are skipped), or nullopt after timeout.
  std::optional<monitor_event> next(int mask, std::chrono::milliseconds timeout = patience) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return std::nullopt;
      zmq::pollitem_t item{pair_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if ((item.revents & ZMQ_POLLIN) == 0) continue;
      zmq::message_t head;
      zmq::message_t address;
      if (!pair_.recv(head) || !pair_.recv(address)) continue;
      if (head.size() < 6) continue;
      std::uint16_t event = 0;
      std::uint32_t value = 0;
      std::memcpy(&event, head.data(), 2);
      std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
      seen_.push_back(event_name(event));
      if ((event & mask) != 0) return monitor_event{event, value, address.to_string()};
    }
  }

  /// How the next handshake ended.
  std::optional<monitor_event> handshake(std::chrono::milliseconds timeout = patience) {
    return next(handshake_events, timeout);
  }

  /// Every event read so far, for failure messages.
  std::string history() const {
    std::string out;
    for (const auto& name : seen_) out += name + std::string(" ");
    return out;
  }

 private:
  void* monitored_;
  zmq::socket_t pair_;
  std::vector<std::string> seen_;
};

// --- Servers and clients ---------------------------------------------------------------------

enum class mech { null, plain, curve };

struct server_options {
  mech mechanism = mech::null;
  std::optional<std::string> zap_domain;  ///< none: the option is not set
  const certs::keypair* curve = nullptr;  ///< the server's keys, for mech::curve
};

/// A ROUTER server bound at tcp://127.0.0.1:<ephemeral port>, monitored.
class test_server {
 public:
  test_server(zmq::context_t& context, const server_options& options = {})
      : socket_(context, zmq::socket_type::router), monitor_(context, socket_) {
    socket_.set(zmq::sockopt::linger, 0);
    if (options.zap_domain) socket_.set(zmq::sockopt::zap_domain, *options.zap_domain);
    switch (options.mechanism) {
      case mech::null:
        break;
      case mech::plain:
        socket_.set(zmq::sockopt::plain_server, 1);
        break;
      case mech::curve:
        socket_.set(zmq::sockopt::curve_server, 1);
        socket_.set(zmq::sockopt::curve_secretkey,
                    zmq::const_buffer(options.curve->secret_key.bytes().data(),
                                      options.curve->secret_key.bytes().size()));
        break;
    }
    endpoint_ = zmqsec::testing::bind_loopback(socket_);
    port_ = endpoint_.substr(endpoint_.rfind(':') + 1);
  }

  const std::string& port() const { return port_; }
  zmq::socket_t& socket() { return socket_; }
  socket_monitor& monitor() { return monitor_; }

  /// The data frame of the next message a client sends (after its routing id), or nullopt.
  std::optional<zmq::message_t> receive(std::chrono::milliseconds timeout = patience) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, timeout);
    if ((item.revents & ZMQ_POLLIN) == 0) return std::nullopt;
    zmq::message_t routing_id;
    zmq::message_t data;
    if (!socket_.recv(routing_id) || !socket_.recv(data)) return std::nullopt;
    return data;
  }

 private:
  zmq::socket_t socket_;
  socket_monitor monitor_;
  std::string endpoint_;
  std::string port_;
};

struct client_options {
  std::string source = "127.0.0.1";  ///< the address the client connects from
  mech mechanism = mech::null;
  std::string username;  ///< PLAIN
  std::string password;
  const certs::keypair* curve = nullptr;          ///< the client's keys, for mech::curve
  const certs::public_key* server_key = nullptr;  ///< the key the client expects of the server
};

/// A DEALER client connected from options.source, monitored.
class test_client {
 public:
  test_client(zmq::context_t& context, const test_server& server,
              const client_options& options = {})
      : socket_(context, zmq::socket_type::dealer), monitor_(context, socket_) {
    socket_.set(zmq::sockopt::linger, 0);
    switch (options.mechanism) {
      case mech::null:
        break;
      case mech::plain:
        socket_.set(zmq::sockopt::plain_username, options.username);
        socket_.set(zmq::sockopt::plain_password, options.password);
        break;
      case mech::curve:
        socket_.set(zmq::sockopt::curve_serverkey,
                    zmq::const_buffer(options.server_key->data(), certs::key_size));
        socket_.set(zmq::sockopt::curve_publickey,
                    zmq::const_buffer(options.curve->public_key.data(), certs::key_size));
        socket_.set(zmq::sockopt::curve_secretkey,
                    zmq::const_buffer(options.curve->secret_key.bytes().data(), certs::key_size));
        break;
    }
    // "tcp://SRC:0;DST:PORT": connect from SRC, any port.
    socket_.connect("tcp://" + options.source + ":0;127.0.0.1:" + server.port());
  }

  zmq::socket_t& socket() { return socket_; }
  socket_monitor& monitor() { return monitor_; }
  void send(std::string_view text) { socket_.send(zmq::buffer(text), zmq::send_flags::none); }

 private:
  zmq::socket_t socket_;
  socket_monitor monitor_;
};

/// How a handshake between one client and a fresh server ended, seen from both sides.
struct handshake_outcome {
  std::optional<monitor_event> client;
  std::optional<monitor_event> server;
  std::string history;  ///< all events seen, for messages

  bool accepted() const {
    return client && server && client->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED &&
           server->event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
  }
  /// Refused by ZAP with status on both sides.
  bool refused_with(std::uint32_t status) const {
    return client && server && client->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH &&
           client->value == status && server->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH &&
           server->value == status;
  }
};

inline std::string describe(const handshake_outcome& o) {
  auto one = [](const std::optional<monitor_event>& e) {
    return e ? std::string(event_name(e->event)) + "(" + std::to_string(e->value) + ")"
             : std::string("nothing");
  };
  return "client: " + one(o.client) + ", server: " + one(o.server) + "; events: " + o.history;
}

inline handshake_outcome wait_handshake(test_client& client, test_server& server) {
  handshake_outcome out;
  out.client = client.monitor().handshake();
  out.server = server.monitor().handshake();
  out.history =
      "client [" + client.monitor().history() + "] server [" + server.monitor().history() + "]";
  return out;
}

/// Connects a client to server and waits for the end of the handshake on both sides.
inline handshake_outcome try_handshake(zmq::context_t& context, test_server& server,
                                       const client_options& options = {}) {
  test_client client(context, server, options);
  return wait_handshake(client, server);
}

/// A client that completed its handshake sends a message; the server reads it and its
/// properties. nullopt if the handshake failed or the message did not come.
struct received_properties {
  std::string user_id;
  std::string peer_address;
  std::vector<std::pair<std::string, std::string>> properties;  ///< asked for by name
};

inline std::optional<received_properties> handshake_and_read(
    zmq::context_t& context, test_server& server, const client_options& options,
    std::initializer_list<const char*> names = {}) {
  test_client client(context, server, options);
  auto outcome = wait_handshake(client, server);
  if (!outcome.accepted()) {
    ADD_FAILURE() << "handshake not accepted: " << describe(outcome);
    return std::nullopt;
  }
  client.send("hello");
  auto message = server.receive();
  if (!message) {
    ADD_FAILURE() << "no message after the handshake";
    return std::nullopt;
  }
  // zmq_msg_gets: null (EINVAL) for a property the connection does not have.
  auto get = [&](const char* name) {
    const char* value = zmq_msg_gets(message->handle(), name);
    return std::string(value == nullptr ? "<none>" : value);
  };
  received_properties out;
  out.user_id = get("User-Id");
  out.peer_address = get("Peer-Address");
  for (const char* name : names) out.properties.emplace_back(name, get(name));
  return out;
}

// --- ZAP straight at the handler --------------------------------------------------------------

/// A DEALER connected to the ZAP endpoint of a context: sends requests (after the empty delimiter
/// a REQ would add) and reads replies.
class zap_dealer {
 public:
  explicit zap_dealer(zmq::context_t& context) : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(std::string(zmqsec::auth::zap_endpoint));
  }

  /// Sends "" and then the frames.
  void send(const std::vector<std::string>& frames, bool delimiter = true) {
    if (delimiter) socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]),
                   i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  /// The frames of the next reply after the delimiter, or nullopt after timeout.
  std::optional<std::vector<std::string>> receive(std::chrono::milliseconds timeout = patience) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, timeout);
    if ((item.revents & ZMQ_POLLIN) == 0) return std::nullopt;
    std::vector<std::string> frames;
    zmq::message_t frame;
    do {
      if (!socket_.recv(frame)) return std::nullopt;
      frames.push_back(frame.to_string());
    } while (frame.more());
    if (frames.empty() || !frames.front().empty()) {
      ADD_FAILURE() << "a reply without the delimiter";
      return std::nullopt;
    }
    frames.erase(frames.begin());
    return frames;
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

/// A well-formed request.
inline std::vector<std::string> zap_request(std::string request_id, std::string mechanism,
                                            std::vector<std::string> credentials = {},
                                            std::string address = "127.0.0.1",
                                            std::string domain = "") {
  std::vector<std::string> frames{
      "1.0",        std::move(request_id), std::move(domain), std::move(address),
      "routing-id", std::move(mechanism)};
  for (auto& c : credentials) frames.push_back(std::move(c));
  return frames;
}

// --- A logger that keeps what it is told -------------------------------------------------------

class capture_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() const {
    std::lock_guard lock(lines_mutex_);
    return lines_;
  }

  /// Waits until a line containing every needle was logged.
  bool wait_for(std::initializer_list<std::string_view> needles,
                std::chrono::milliseconds timeout = patience) {
    std::unique_lock lock(lines_mutex_);
    return logged_.wait_for(lock, timeout, [&] {
      for (const auto& line : lines_) {
        bool all = true;
        for (auto needle : needles) all = all && line.find(needle) != std::string::npos;
        if (all) return true;
      }
      return false;
    });
  }

  bool any_contains(std::string_view needle) const {
    std::lock_guard lock(lines_mutex_);
    for (const auto& line : lines_) {
      if (line.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::string all() const {
    std::string out;
    for (const auto& line : lines()) out += line + "\n";
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line = std::string(spdlog::level::to_string_view(msg.level).data(),
                                   spdlog::level::to_string_view(msg.level).size()) +
                       ": " + std::string(msg.payload.data(), msg.payload.size());
    {
      std::lock_guard lock(lines_mutex_);
      lines_.push_back(std::move(line));
    }
    logged_.notify_all();
  }
  void flush_() override {}

 private:
  mutable std::mutex lines_mutex_;
  std::condition_variable logged_;
  std::vector<std::string> lines_;
};

/// A logger at trace level whose lines the test can read.
struct captured_logger {
  std::shared_ptr<capture_sink> sink = std::make_shared<capture_sink>();
  std::shared_ptr<spdlog::logger> logger = [this] {
    auto l = std::make_shared<spdlog::logger>("zmqsec-test", sink);
    l->set_level(spdlog::level::trace);
    return l;
  }();
};

}  // namespace zmqsec::testing::auth

/// Expects a handshake_outcome to be an accepted handshake on both sides.
#define EXPECT_ACCEPTED(outcome)                                                              \
  do {                                                                                        \
    auto zmqsec_outcome_ = (outcome);                                                         \
    EXPECT_TRUE(zmqsec_outcome_.accepted()) << #outcome << ": " << describe(zmqsec_outcome_); \
  } while (false)

/// Expects a handshake_outcome to be refused by ZAP with status on both sides.
#define EXPECT_REFUSED_WITH(status, outcome)              \
  do {                                                    \
    auto zmqsec_outcome_ = (outcome);                     \
    EXPECT_TRUE(zmqsec_outcome_.refused_with(status))     \
        << #outcome << ": " << describe(zmqsec_outcome_); \
  } while (false)
