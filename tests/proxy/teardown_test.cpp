// Steering and ending a device from its own front filter, which runs on the device's thread:
// terminate() there stops the thread after the message under way, and the thread closes its
// sockets itself; pause() there takes effect without waiting for the thread (it is the caller);
// the device destroyed there goes when the message under way is done. (terminate() once closed
// the sockets and destroyed the filter under the running filter, and pause() waited for the
// thread that called it, for ever.)
//
// Made to happen every time: the filter acts on the one message a test sends for it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <zmq.hpp>
#include <zmqsec/proxy/device.hpp>

#include "device_harness.hpp"

#include "wait_until.hpp"

namespace zp = zmqsec::proxy;
using zmqsec::testing::proxy::open_on_loopback;
using zmqsec::testing::proxy::readable;
using namespace std::chrono_literals;

namespace {

// What the filter did, kept by the test; the filter's own copy of the text below must still be
// there after the call it makes (it is read after).
struct filter_log {
  std::atomic<bool> returned{false};
  std::atomic<bool> destroyed{false};
  std::atomic<int> seen{0};
};

struct destroy_notice {
  explicit destroy_notice(std::shared_ptr<filter_log> l) : log(std::move(l)) {}
  destroy_notice(const destroy_notice&) = delete;
  destroy_notice& operator=(const destroy_notice&) = delete;
  ~destroy_notice() { log->destroyed = true; }
  std::shared_ptr<filter_log> log;
};

// A pull_push device between a PUSH client and a PULL service, on loopback. act is what the
// filter does with the device when the message "act" comes; every message passes.
class filter_steering : public ::testing::Test {
 protected:
  template <class Action>
  void make_device(Action act) {
    auto notice = std::make_shared<destroy_notice>(log_);
    device_ = std::make_unique<zp::device>(zp::device_config{
        .pattern = zp::pattern::pull_push,
        .front = open_on_loopback(),
        .back = open_on_loopback(),
        .front_filter =
            [this, notice, act, word = std::string("act")](zmq::message_t& first) {
              ++log_->seen;
              if (first.to_string_view() != word) return true;
              act(*device_);
              // Read after the call: the closure must still be alive.
              log_->returned = word == "act" && notice->log == log_;
              return true;
            },
        .context = context_.get()});
    for (auto* s : {&client_, &service_}) s->set(zmq::sockopt::linger, 0);
    client_.connect(device_->front_endpoints().at(0));
    service_.connect(device_->back_endpoints().at(0));
  }

  bool forwards(const std::string& text) {
    client_.send(zmq::buffer(text), zmq::send_flags::none);
    if (!readable(service_, 5s)) return false;
    zmq::message_t got;
    return service_.recv(got) && got.to_string() == text;
  }

  bool endpoint_free(const std::string& endpoint) {
    zmq::socket_t again(*context_, zmq::socket_type::pull);
    again.set(zmq::sockopt::linger, 0);
    return zmqsec::testing::wait_until([&] {
      try {
        again.bind(endpoint);
        return true;
      } catch (const zmq::error_t&) {
        return false;
      }
    });
  }

  std::shared_ptr<filter_log> log_ = std::make_shared<filter_log>();
  std::unique_ptr<zmq::context_t> context_ = std::make_unique<zmq::context_t>(1);
  zmq::socket_t client_{*context_, zmq::socket_type::push};
  zmq::socket_t service_{*context_, zmq::socket_type::pull};
  std::unique_ptr<zp::device> device_;
};

}  // namespace

TEST_F(filter_steering, terminate_from_the_filter_ends_the_thread_after_that_message) {
  make_device([](zp::device& d) { d.terminate(); });
  ASSERT_TRUE(forwards("before"));
  const std::string front = device_->front_endpoints().at(0);

  client_.send(zmq::str_buffer("act"), zmq::send_flags::none);

  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return !device_->running(); }));
  EXPECT_TRUE(log_->returned) << "the filter's call came back to a filter still alive";
  EXPECT_EQ(device_->failure(), nullptr) << "the thread ended without a socket failing under it";
  EXPECT_TRUE(readable(service_, 5s)) << "the message the filter passed was forwarded";
  EXPECT_TRUE(endpoint_free(front)) << "the thread closed its sockets as it ended";
  EXPECT_TRUE(log_->destroyed) << "the filter went before the sockets, as terminate() does";
  device_->terminate();  // from this thread now: nothing left to do
}

TEST_F(filter_steering, pause_from_the_filter_holds_what_comes_next_without_waiting) {
  make_device([](zp::device& d) { d.pause(); });
  ASSERT_TRUE(forwards("before"));

  client_.send(zmq::str_buffer("act"), zmq::send_flags::none);

  if (!zmqsec::testing::wait_until([&] { return log_->returned.load(); }, 5s)) {
    ADD_FAILURE() << "pause() called by the filter did not return";
    // Its thread waits for itself for good: neither it nor the context its sockets are in can
    // be destroyed (the test would hang instead of failing).
    (void)device_.release();
    (void)context_.release();
    return;
  }
  EXPECT_TRUE(readable(service_, 5s)) << "the message under way was forwarded";
  zmq::message_t acted;
  (void)service_.recv(acted, zmq::recv_flags::dontwait);
  EXPECT_TRUE(device_->statistics().paused);
  device_->pause();  // from this thread: returns once the thread has paused (in force already)
  client_.send(zmq::str_buffer("held"), zmq::send_flags::none);
  EXPECT_FALSE(readable(service_, 300ms)) << "nothing is forwarded while paused";
  device_->resume();
  EXPECT_TRUE(readable(service_, 5s));
  EXPECT_EQ(device_->failure(), nullptr);
}

TEST_F(filter_steering, the_device_destroyed_by_its_own_filter_goes_after_that_message) {
  make_device([this](zp::device&) { device_.reset(); });
  ASSERT_TRUE(forwards("before"));
  const std::string front = device_->front_endpoints().at(0);

  client_.send(zmq::str_buffer("act"), zmq::send_flags::none);

  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return log_->destroyed.load(); }));
  EXPECT_TRUE(log_->returned) << "the filter's call came back to a filter still alive";
  EXPECT_TRUE(readable(service_, 5s)) << "the message the filter passed was forwarded";
  EXPECT_TRUE(endpoint_free(front)) << "the sockets were closed";
}
