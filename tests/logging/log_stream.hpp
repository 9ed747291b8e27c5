// Helpers for the logging tests: a plain SUB socket that reads records as any subscriber would
// (pyzmq's, a log collector's), and an spdlog sink that keeps what a local logger was handed.
//
//   zmqsec::testing::sub_reader reader(context);
//   reader.connect(sink->last_endpoint());
//   ASSERT_TRUE(sink->wait_for_subscriptions(1, 5s));  // the subscription has arrived
//   log->info("hello");
//   auto frames = reader.receive();                   // {"INFO", "...hello\n"}
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace zmqsec::testing {

using namespace std::chrono_literals;

inline constexpr const char* any_loopback_port = "tcp://127.0.0.1:*";

struct frames {
  std::string topic;
  std::string payload;
  friend bool operator==(const frames&, const frames&) = default;
  friend std::ostream& operator<<(std::ostream& out, const frames& f) {
    return out << "[" << f.topic << "] [" << f.payload << "]";
  }
};

class sub_reader {
 public:
  explicit sub_reader(zmq::context_t& context, const std::vector<std::string>& topics = {""},
                      int receive_hwm = 1000)
      : socket_(context, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, receive_hwm);
    for (const auto& topic : topics) socket_.set(zmq::sockopt::subscribe, topic);
  }

  void connect(const std::string& endpoint) { socket_.connect(endpoint); }
  std::string bind(const std::string& endpoint = any_loopback_port) {
    socket_.bind(endpoint);
    return socket_.get(zmq::sockopt::last_endpoint);
  }

  /// The next message as frames (a two-frame record; other shapes fail the test), or nullopt
  /// after timeout.
  std::optional<frames> receive(std::chrono::milliseconds timeout = 5s) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return std::nullopt;
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(socket_, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
      return std::nullopt;
    }
    if (parts.size() != 2) {
      ADD_FAILURE() << "a message of " << parts.size() << " frames";
      return std::nullopt;
    }
    return frames{parts[0].to_string(), parts[1].to_string()};
  }

  /// n messages, fewer if the timeout passes first.
  std::vector<frames> receive(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<frames> out;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      auto f = receive(left);
      if (!f) break;
      out.push_back(std::move(*f));
    }
    return out;
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::socket_t socket_;
};

/// Lets a socket handle its pending commands, as any call into it does.
inline void handle_commands(zmq::socket_t& socket) {
  (void)socket.get(zmq::sockopt::events);
}

/// Waits until sink has seen count subscribe requests from a SUB socket that binds. Such a socket
/// attaches a connecting publisher, and sends it its subscriptions, only while its owner calls
/// into it (a collector always does, in its receive loop); the wait keeps it doing so.
template <class Sink>
bool wait_for_bound_subscriber(Sink& sink, zmq::socket_t& bound, std::uint64_t count = 1,
                               std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    handle_commands(bound);
    if (sink.wait_for_subscriptions(count, 2ms)) return true;
  }
  return false;
}

/// What a local logger handed its sinks.
struct captured {
  spdlog::level::level_enum level;
  std::string logger;
  std::string text;
};

class capture_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<captured> records() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_.size();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    records_.push_back({msg.level, std::string(msg.logger_name.data(), msg.logger_name.size()),
                        std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}

 private:
  std::vector<captured> records_;
};

}  // namespace zmqsec::testing
