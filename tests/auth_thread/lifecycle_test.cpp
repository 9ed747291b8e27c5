// start(), stop(), restart, a second handler on the same context, stopping under load and while
// the context is being terminated.
#include <gtest/gtest.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

#include "harness.hpp"
#include "wait_until.hpp"

namespace za = zmqsec::auth;
namespace zt = zmqsec::testing;
using namespace zmqsec::testing::auth;

namespace {

// A NULL request answered 200 proves the handler is there and serving.
bool handler_answers(zmq::context_t& ctx, const std::string& id = "ping") {
  zap_dealer dealer(ctx);
  dealer.send(zap_request(id, "NULL"));
  auto reply = dealer.receive();
  return reply && reply->size() == 6 && (*reply)[1] == id && (*reply)[2] == "200";
}

// Whether the ZAP endpoint of ctx is free: a socket can bind it.
bool endpoint_free(zmq::context_t& ctx) {
  zmq::socket_t probe(ctx, zmq::socket_type::router);
  probe.set(zmq::sockopt::linger, 0);
  std::string endpoint(za::zap_endpoint);
  if (zmq_bind(probe.handle(), endpoint.c_str()) != 0) return false;
  zmq_unbind(probe.handle(), endpoint.c_str());  // now, not when the reaper gets to it
  return true;
}

template <class F>
std::chrono::milliseconds time_of(F&& f) {
  auto begin = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               begin);
}

}  // namespace

TEST(thread_authenticator_lifecycle, start_returns_once_bound_and_the_handler_answers) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  EXPECT_FALSE(auth.is_alive());
  EXPECT_TRUE(endpoint_free(ctx));
  auth.start();
  EXPECT_TRUE(auth.is_alive());
  EXPECT_FALSE(endpoint_free(ctx)) << "start() returned before the endpoint was bound";
  EXPECT_TRUE(handler_answers(ctx));
  EXPECT_EQ(auth.stats().requests, 1U);
  EXPECT_EQ(auth.stats().accepted, 1U);
}

TEST(thread_authenticator_lifecycle, stop_unbinds_and_restart_works) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.start();
  auth.start();  // running already: nothing happens
  EXPECT_TRUE(auth.is_alive());
  EXPECT_TRUE(handler_answers(ctx, "first"));

  auth.stop();
  EXPECT_FALSE(auth.is_alive());
  EXPECT_TRUE(endpoint_free(ctx)) << "the ZAP socket is still bound after stop()";
  auth.stop();  // stopped already: nothing happens

  auth.start();
  EXPECT_TRUE(auth.is_alive());
  EXPECT_TRUE(handler_answers(ctx, "second"));
  auth.stop();
  auth.start();
  EXPECT_TRUE(handler_answers(ctx, "third"));
  EXPECT_EQ(auth.stats().accepted, 3U);
}

TEST(thread_authenticator_lifecycle, a_second_authenticator_on_the_same_context_fails_clearly) {
  zmq::context_t ctx;
  za::thread_authenticator first{ctx};
  first.start();
  za::thread_authenticator second{ctx};
  try {
    second.start();
    FAIL() << "a second handler started on the same context";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::error_code(EADDRINUSE, zmqsec::core::zmq_category()));
    std::string what = e.what();
    EXPECT_NE(what.find("inproc://zeromq.zap.01"), std::string::npos) << what;
    EXPECT_NE(what.find("another ZAP handler"), std::string::npos) << what;
  }
  EXPECT_FALSE(second.is_alive());
  EXPECT_TRUE(first.is_alive());
  EXPECT_TRUE(handler_answers(ctx));

  // Once the first one stops, the second one can take over.
  first.stop();
  second.start();
  EXPECT_TRUE(handler_answers(ctx));
  EXPECT_EQ(second.stats().accepted, 1U);
}

TEST(thread_authenticator_lifecycle, an_endpoint_held_by_another_kind_of_handler_is_refused) {
  // What pyzmq's and CZMQ's handlers do: a REP socket bound at the ZAP endpoint.
  zmq::context_t ctx;
  zmq::socket_t other(ctx, zmq::socket_type::rep);
  other.set(zmq::sockopt::linger, 0);
  other.bind(std::string(za::zap_endpoint));
  za::thread_authenticator auth{ctx};
  EXPECT_THROW(auth.start(), zmqsec::error);
  EXPECT_FALSE(auth.is_alive());
}

TEST(thread_authenticator_lifecycle, each_context_has_its_own_handler) {
  zmq::context_t ctx1;
  zmq::context_t ctx2;
  za::thread_authenticator auth1{ctx1};
  za::thread_authenticator auth2{ctx2};
  auth1.start();
  auth2.start();
  EXPECT_TRUE(handler_answers(ctx1));
  EXPECT_TRUE(handler_answers(ctx2));
  EXPECT_EQ(auth1.stats().requests, 1U);
  EXPECT_EQ(auth2.stats().requests, 1U);
}

TEST(thread_authenticator_lifecycle, the_destructor_stops_and_a_never_started_one_is_harmless) {
  zmq::context_t ctx;
  { za::thread_authenticator never{ctx}; }
  {
    za::thread_authenticator running{ctx};
    running.start();
  }
  EXPECT_TRUE(endpoint_free(ctx));
  za::thread_authenticator again{ctx};
  again.start();
  EXPECT_TRUE(handler_answers(ctx));
}

TEST(thread_authenticator_lifecycle, a_moved_authenticator_keeps_serving) {
  zmq::context_t ctx;
  za::thread_authenticator first{ctx};
  first.start();
  za::thread_authenticator moved = std::move(first);
  EXPECT_FALSE(first.is_alive());  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_TRUE(moved.is_alive());
  EXPECT_TRUE(handler_answers(ctx));
  EXPECT_THROW(first.allow("127.0.0.1"), zmqsec::error);  // NOLINT(bugprone-use-after-move)

  za::thread_authenticator other{ctx};
  other = std::move(moved);  // other was not running; moved's handler goes on
  EXPECT_TRUE(other.is_alive());
  EXPECT_TRUE(handler_answers(ctx));
}

TEST(thread_authenticator_lifecycle, moving_onto_a_running_authenticator_stops_its_handler_first) {
  zmq::context_t ctx_a;
  zmq::context_t ctx_b;
  za::thread_authenticator a{ctx_a};
  a.start();
  za::thread_authenticator b{ctx_b};
  b.deny("127.0.0.2");
  b.start();

  a = std::move(b);
  EXPECT_TRUE(endpoint_free(ctx_a));  // a's own handler is gone, its socket unbound
  EXPECT_TRUE(a.is_alive());
  EXPECT_TRUE(handler_answers(ctx_b));  // b's handler goes on under a's name
  EXPECT_EQ(a.stats().accepted, 1U);
  ASSERT_TRUE(a.current_policy());
  EXPECT_EQ(a.current_policy()->addresses().match("127.0.0.2"), za::address_match::denied);
}

TEST(thread_authenticator_lifecycle, stop_returns_promptly_under_full_load) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.allow_all(std::vector<std::string_view>{"127.0.0.0/8", "10.0.0.0/8"});
  auth.start();

  // Four DEALERs, each keeping 64 requests in flight, until told to stop.
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> replies{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      zap_dealer dealer(ctx);
      // Once the handler is gone a DEALER has no peer and a blocking send would wait forever.
      dealer.socket().set(zmq::sockopt::sndtimeo, 20);
      int in_flight = 0;
      std::uint64_t n = 0;
      while (!done.load()) {
        while (in_flight < 64) {
          dealer.send(zap_request(std::to_string(t) + "-" + std::to_string(n++), "NULL"));
          ++in_flight;
        }
        if (dealer.receive(20ms)) {
          --in_flight;
          replies.fetch_add(1);
        }
      }
    });
  }
  ASSERT_TRUE(zt::wait_until([&] { return replies.load() > 5000; })) << "no load got through";

  auto took = time_of([&] { auth.stop(); });
  EXPECT_LT(took, 2s) << "stop() under load took " << took.count() << " ms";
  EXPECT_FALSE(auth.is_alive());
  done.store(true);
  for (auto& thread : load) thread.join();
  EXPECT_GT(auth.stats().accepted, 5000U);

  auth.start();  // and it comes back
  EXPECT_TRUE(handler_answers(ctx));
}

TEST(thread_authenticator_lifecycle, context_shutdown_ends_the_handler_and_stop_does_not_hang) {
  auto ctx = std::make_unique<zmq::context_t>();
  za::thread_authenticator auth{*ctx};
  auth.start();
  ASSERT_TRUE(handler_answers(*ctx));

  std::thread([&] { zmq_ctx_shutdown(ctx->handle()); }).join();
  EXPECT_TRUE(zt::wait_until([&] { return !auth.is_alive(); }))
      << "the handler did not notice the context shutting down";
  auto took = time_of([&] { auth.stop(); });
  EXPECT_LT(took, 1s);

  // The context terminates without waiting for the authenticator, which cannot start again.
  auto closing = time_of([&] { ctx->close(); });
  EXPECT_LT(closing, 2s);
  try {
    auth.start();
    FAIL() << "started on a terminated context";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::error_code(ETERM, zmqsec::core::zmq_category()));
    EXPECT_NE(std::string(e.what()).find("terminated"), std::string::npos) << e.what();
  }
}

TEST(thread_authenticator_lifecycle, closing_the_context_in_another_thread_while_it_runs) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.start();
  ASSERT_TRUE(handler_answers(ctx));

  // ctx.close() waits for every socket of the context to be closed: the handler's must close
  // by itself.
  auto closed = std::async(std::launch::async, [&] { ctx.close(); });
  ASSERT_EQ(closed.wait_for(patience), std::future_status::ready)
      << "the context could not terminate while the authenticator ran";
  EXPECT_FALSE(auth.is_alive());
  auto took = time_of([&] { auth.stop(); });
  EXPECT_LT(took, 1s);
}

TEST(thread_authenticator_lifecycle, a_context_destroyed_before_the_authenticator) {
  // The wrong order of declarations in a user's program: ~context_t runs while the handler is
  // alive. It must neither hang nor crash.
  std::optional<za::thread_authenticator> auth;
  {
    zmq::context_t ctx;
    auth.emplace(ctx);
    auth->start();
    ASSERT_TRUE(handler_answers(ctx));
  }  // ~context_t: terminates, waiting for the handler's socket
  EXPECT_FALSE(auth->is_alive());
  auth.reset();
}

TEST(thread_authenticator_lifecycle, configuring_from_many_threads_while_it_serves) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.start();
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> changes{0};
  std::uint64_t first_generation = auth.generation();
  // Writers keep changing the policy while a reader's requests are decided.
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !done.load(); ++i) {
        auth.deny("192.0.2." + std::to_string(i % 250));
        auth.configure_plain("domain-" + std::to_string(t), {{"user", "password"}});
        auth.configure_curve("*", za::curve_allow_any);
        changes.fetch_add(3);
      }
    });
  }
  zap_dealer dealer(ctx);
  for (int i = 0; i < 500; ++i) {
    dealer.send(zap_request(std::to_string(i), "NULL"));
    auto reply = dealer.receive();
    if (!reply || (*reply)[2] != "200") {
      ADD_FAILURE() << "a NULL request from 127.0.0.1 was not answered 200";
      break;
    }
  }
  done.store(true);
  for (auto& w : writers) w.join();
  EXPECT_EQ(auth.generation(), first_generation + changes.load());
  EXPECT_EQ(auth.stats().accepted, 500U);
}

TEST(thread_authenticator_lifecycle, a_bad_configuration_changes_nothing) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.allow("127.0.0.1");
  auto generation = auth.generation();
  auto policy = auth.current_policy();
  EXPECT_THROW(auth.allow("not-an-address"), zmqsec::error);
  EXPECT_THROW(auth.deny("10.0.0.1/8"), zmqsec::error);
  EXPECT_THROW(auth.configure_plain_file("*", "/nonexistent/zmqsec/passwords"), zmqsec::error);
  EXPECT_THROW(auth.configure_curve("*", std::filesystem::path("/nonexistent/zmqsec/certs")),
               zmqsec::error);
  EXPECT_THROW(auth.configure_curve("*", {"not a z85 key"}), zmqsec::error);
  EXPECT_EQ(auth.generation(), generation);
  EXPECT_EQ(auth.current_policy(), policy);
  EXPECT_EQ(auth.current_policy()->addresses().allow_count(), 1U);
}

TEST(thread_authenticator_lifecycle, stop_from_a_callback_on_the_handler_thread) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.on_decision([&](const za::decision&) { auth.stop(); });
  auth.start();
  zap_dealer dealer(ctx);
  dealer.send(zap_request("last", "NULL"));
  auto reply = dealer.receive();  // the request being decided is still answered
  ASSERT_TRUE(reply);
  EXPECT_EQ((*reply)[2], "200");
  EXPECT_TRUE(zt::wait_until([&] { return !auth.is_alive(); }));
  auth.on_decision({});
  auth.start();
  EXPECT_TRUE(handler_answers(ctx));
}
