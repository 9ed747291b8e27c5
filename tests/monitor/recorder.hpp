// What the monitor tests share: a callback that keeps every event it is given and lets the test
// wait for one (bounded, on the real event), and sockets bound on loopback.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/monitor/event.hpp>

#include "bind_loopback.hpp"

namespace zmqsec::testing::monitor {

namespace zm = zmqsec::monitor;
using namespace std::chrono_literals;

/// How long a test waits for something that should happen at once.
inline constexpr std::chrono::milliseconds patience = 10s;

/// Keeps the events a monitor delivers; the test waits for them.
class recorder {
 public:
  /// The callback to give to a monitor (the recorder must outlive the monitor).
  zm::event_callback callback() {
    return [this](const zm::event& e) { add(e); };
  }

  void add(const zm::event& e) {
    {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
    }
    changed_.notify_all();
  }

  /// The first event of type after those already taken by wait_for, or nullopt after timeout.
  std::optional<zm::event> wait_for(zm::event_type type,
                                    std::chrono::milliseconds timeout = patience) {
    std::unique_lock lock(mutex_);
    std::optional<zm::event> found;
    changed_.wait_for(lock, timeout, [&] {
      for (std::size_t i = next_; i < events_.size(); ++i) {
        if (events_[i].type == type) {
          found = events_[i];
          next_ = i + 1;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  /// Waits until at least count events were delivered.
  bool wait_count(std::size_t count, std::chrono::milliseconds timeout = patience) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
  }

  std::vector<zm::event> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

  /// The names of every event so far, for failure messages.
  std::string history() const {
    std::string out;
    for (const auto& e : events()) out += e.describe() + "; ";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<zm::event> events_;
  std::size_t next_ = 0;
};

using zmqsec::testing::bind_loopback;  // for the tests that `using namespace` this one

/// A socket with linger 0, so that closing it never waits for a peer.
inline zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  return socket;
}

}  // namespace zmqsec::testing::monitor

/// Expects the recorder to deliver an event of type; evaluates to the event (or nullopt).
#define EXPECT_EVENT(rec, type)                                                              \
  [&] {                                                                                      \
    auto zmqsec_e_ = (rec).wait_for(type);                                                   \
    EXPECT_TRUE(zmqsec_e_) << "no " << zm::event_name(type) << "; saw: " << (rec).history(); \
    return zmqsec_e_;                                                                        \
  }()
