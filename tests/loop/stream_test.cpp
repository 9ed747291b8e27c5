// stream on every loop: bursts that must all arrive (the ZMQ_FD edge traps), queued sends behind
// a small high-water mark and out of a REQ's turn, stop_on_recv, flush, errors, closing with
// messages queued, destroying a stream inside its own callback, a terminated context.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/loop/stream.hpp>

#include "bind_loopback.hpp"
#include "loop_traits.hpp"

namespace zl = zmqsec::loop;
using namespace zmqsec::testing::loop;

namespace {

constexpr int burst = 100'000;

template <class Loop>
class stream_test : public ::testing::Test {
 protected:
  zl::stream make(zmq::socket_type type) {
    return wrap_socket<zl::stream>(ctx_, this->on_.loop(), type);
  }
  std::string bind(zl::stream& s) { return zmqsec::testing::bind_loopback(s.socket()); }
  // A PULL stream fed by push over inproc (a message sent is in the stream's pipe when send()
  // returns); its on_recv keeps what comes and throws on "fails". One message has gone through
  // the loop, so no look at the socket is left pending from the stream's start: what follows an
  // exception depends only on the look the stream owes after it. Returned with "fails" waiting
  // in its pipe, and "queued" behind it.
  zl::stream throwing_pull(zmq::socket_t& push, std::vector<std::string>& received) {
    zl::stream pull = make(zmq::socket_type::pull);
    pull.socket().bind("inproc://throwing");
    push.set(zmq::sockopt::linger, 0);
    push.connect("inproc://throwing");
    pull.on_recv([&received](zl::message& m) {
      received.push_back(m.at(0).to_string());
      if (received.back() == "fails") throw std::runtime_error("on_recv failed");
    });
    push.send(zmq::str_buffer("first"), zmq::send_flags::none);
    EXPECT_TRUE(on_.run_until([&] { return received.size() == 1; }));
    push.send(zmq::str_buffer("fails"), zmq::send_flags::none);
    push.send(zmq::str_buffer("queued"), zmq::send_flags::none);
    return pull;
  }

  zmq::context_t ctx_;
  on_loop<Loop> on_;
};

TYPED_TEST_SUITE(stream_test, all_loops, loop_names);

TYPED_TEST(stream_test, a_burst_sent_from_another_thread_is_all_received) {
  zl::stream pull = this->make(zmq::socket_type::pull);
  const std::string endpoint = this->bind(pull);
  int received = 0;
  pull.on_recv([&](zl::message& m) {
    ASSERT_EQ(m.size(), 1u);
    ++received;
  });
  std::thread sender([&] {
    zmq::socket_t push(this->ctx_, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, -1);
    push.connect(endpoint);
    for (int i = 0; i < burst; ++i)
      push.send(zmq::buffer(std::to_string(i)), zmq::send_flags::none);
  });
  EXPECT_TRUE(this->on_.run_until([&] { return received == burst; })) << received;
  sender.join();
  EXPECT_EQ(received, burst);
}

TYPED_TEST(stream_test, a_burst_queued_behind_a_small_hwm_is_all_received_in_order) {
  zl::stream pull = this->make(zmq::socket_type::pull);
  pull.socket().set(zmq::sockopt::rcvhwm, 10);
  const std::string endpoint = this->bind(pull);
  zl::stream push = this->make(zmq::socket_type::push);
  push.socket().set(zmq::sockopt::sndhwm, 10);
  push.socket().connect(endpoint);

  int received = 0;
  bool in_order = true;
  pull.on_recv([&](zl::message& m) {
    in_order = in_order && m.at(0).to_string() == std::to_string(received);
    ++received;
  });
  for (int i = 0; i < burst; ++i) push.send(std::to_string(i));
  EXPECT_GT(push.queued(), 0u) << "the high-water mark should have held messages back";
  EXPECT_TRUE(this->on_.run_until([&] { return received == burst; })) << received;
  EXPECT_TRUE(in_order);
  EXPECT_EQ(push.queued(), 0u);
}

TYPED_TEST(stream_test, a_filter_drops_the_messages_it_refuses_before_on_recv) {
  zl::stream pull = this->make(zmq::socket_type::pull);
  const std::string endpoint = this->bind(pull);
  zl::stream push = this->make(zmq::socket_type::push);
  push.socket().connect(endpoint);
  std::vector<std::string> filtered;
  std::vector<std::string> received;
  pull.set_filter([&](const zl::message& m) {
    filtered.push_back(m.at(0).to_string());
    return m.at(0).to_string() != "refused";
  });
  pull.on_recv([&](zl::message& m) { received.push_back(m.at(0).to_string()); });
  for (const char* text : {"first", "refused", "last"}) push.send(text);
  EXPECT_TRUE(this->on_.run_until([&] { return received.size() == 2; }));
  EXPECT_EQ(filtered, (std::vector<std::string>{"first", "refused", "last"}));
  EXPECT_EQ(received, (std::vector<std::string>{"first", "last"}));
  pull.set_filter({});  // none: everything goes to on_recv again
  push.send("refused");
  EXPECT_TRUE(this->on_.run_until([&] { return received.size() == 3; }));
}

TYPED_TEST(stream_test, multipart_messages_arrive_whole) {
  zl::stream router = this->make(zmq::socket_type::router);
  const std::string endpoint = this->bind(router);
  zl::stream dealer = this->make(zmq::socket_type::dealer);
  dealer.socket().connect(endpoint);

  std::vector<std::vector<std::string>> replies;
  router.on_recv([&](zl::message& m) { router.send_multipart(std::move(m)); });  // echo
  dealer.on_recv([&](zl::message& m) {
    std::vector<std::string> frames;
    for (auto& f : m) frames.push_back(f.to_string());
    replies.push_back(std::move(frames));
  });
  dealer.send_multipart(std::vector<std::string>{"a", "", "ccc"});
  dealer.send_multipart(std::vector<std::string>{"d"});
  ASSERT_TRUE(this->on_.run_until([&] { return replies.size() == 2; }));
  EXPECT_EQ(replies[0], (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(replies[1], (std::vector<std::string>{"d"}));
}

// The classic stall: each side sends from inside its receive callback, which consumes the fd's
// signal; only reading ZMQ_EVENTS after the callback keeps the ping-pong going.
TYPED_TEST(stream_test, req_rep_ping_pong_never_stalls) {
  constexpr int rounds = 10'000;
  zl::stream rep = this->make(zmq::socket_type::rep);
  const std::string endpoint = this->bind(rep);
  zl::stream req = this->make(zmq::socket_type::req);
  req.socket().connect(endpoint);

  int answered = 0;
  rep.on_recv([&](zl::message& m) { rep.send_multipart(std::move(m)); });
  req.on_recv([&](zl::message&) {
    if (++answered < rounds) req.send("ping");
  });
  req.send("ping");
  EXPECT_TRUE(this->on_.run_until([&] { return answered == rounds; })) << answered;
}

TYPED_TEST(stream_test, a_req_queues_a_second_request_until_its_reply) {
  zl::stream rep = this->make(zmq::socket_type::rep);
  const std::string endpoint = this->bind(rep);
  zl::stream req = this->make(zmq::socket_type::req);
  req.socket().connect(endpoint);

  std::vector<std::string> replies;
  rep.on_recv([&](zl::message& m) { rep.send("re:" + m.at(0).to_string()); });
  req.on_recv([&](zl::message& m) { replies.push_back(m.at(0).to_string()); });
  req.send("one");
  req.send("two");  // out of turn for a REQ: waits in the stream
  ASSERT_TRUE(this->on_.run_until([&] { return replies.size() == 2; }));
  EXPECT_EQ(replies, (std::vector<std::string>{"re:one", "re:two"}));
}

TYPED_TEST(stream_test, stop_on_recv_holds_messages_until_receiving_again) {
  zl::stream pull = this->make(zmq::socket_type::pull);
  const std::string endpoint = this->bind(pull);
  zl::stream push = this->make(zmq::socket_type::push);
  push.socket().connect(endpoint);

  int received = 0;
  pull.on_recv([&](zl::message&) {
    if (++received == 10) pull.stop_on_recv();
  });
  for (int i = 0; i < 100; ++i) push.send("x");
  ASSERT_TRUE(this->on_.run_until([&] { return received == 10 && push.queued() == 0; }));
  EXPECT_FALSE(pull.receiving());
  // Everything else is in libzmq's queue by now; nothing more may come while stopped.
  bool later = false;
  zl::handle t = this->on_.loop().call_later(20ms, [&] { later = true; });
  ASSERT_TRUE(this->on_.run_until([&] { return later; }));
  EXPECT_EQ(received, 10);
  pull.on_recv([&](zl::message&) { ++received; });
  EXPECT_TRUE(this->on_.run_until([&] { return received == 100; })) << received;
}

TYPED_TEST(stream_test, flush_handles_pending_messages_at_once_up_to_the_limit) {
  // inproc: a message sent is in the receiver's pipe when send() returns.
  zl::stream pull = this->make(zmq::socket_type::pull);
  pull.socket().bind("inproc://flush");
  zmq::socket_t push(this->ctx_, zmq::socket_type::push);
  push.set(zmq::sockopt::linger, 0);
  push.connect("inproc://flush");
  for (int i = 0; i < 20; ++i) push.send(zmq::str_buffer("x"), zmq::send_flags::none);

  int received = 0;
  pull.on_recv([&](zl::message&) { ++received; });
  EXPECT_EQ(pull.flush(zl::io_events::readable, 5), 5u);
  EXPECT_EQ(received, 5);
  EXPECT_EQ(pull.flush(zl::io_events::writable), 0u) << "nothing to send";
  EXPECT_TRUE(this->on_.run_until([&] { return received == 20; })) << received;
}

// A user's on_recv that throws: the exception leaves the loop's run() (or flush()), as any
// callback's does, and the stream must not go deaf. The callback's receive took the ZMQ_FD
// signal, so the look at ZMQ_EVENTS owed after every callback is owed after this one too.
TYPED_TEST(stream_test, an_exception_from_on_recv_leaves_run_and_receiving_goes_on) {
  zmq::socket_t push(this->ctx_, zmq::socket_type::push);
  std::vector<std::string> received;
  zl::stream pull = this->throwing_pull(push, received);
  EXPECT_THROW(this->on_.run_until([] { return false; }, 10s), std::runtime_error);
  ASSERT_EQ(received, (std::vector<std::string>{"first", "fails"}));

  push.send(zmq::str_buffer("next"), zmq::send_flags::none);
  EXPECT_TRUE(this->on_.run_until([&] { return received.size() == 4; }, 10s))
      << received.size() - 2 << " received after the exception";
  EXPECT_EQ(received, (std::vector<std::string>{"first", "fails", "queued", "next"}));
}

TYPED_TEST(stream_test, an_exception_from_on_recv_leaves_flush_and_the_loop_receives_the_rest) {
  zmq::socket_t push(this->ctx_, zmq::socket_type::push);
  std::vector<std::string> received;
  zl::stream pull = this->throwing_pull(push, received);
  EXPECT_THROW(pull.flush(), std::runtime_error);
  EXPECT_TRUE(this->on_.run_until([&] { return received.size() == 3; }, 10s))
      << received.size() - 2 << " received after the exception";
  EXPECT_EQ(received, (std::vector<std::string>{"first", "fails", "queued"}));
}

TYPED_TEST(stream_test, a_send_libzmq_refuses_goes_to_on_error_and_the_stream_goes_on) {
  zl::stream router = this->make(zmq::socket_type::router);
  router.socket().set(zmq::sockopt::router_mandatory, 1);
  const std::string endpoint = this->bind(router);
  zl::stream dealer = this->make(zmq::socket_type::dealer);
  dealer.socket().set(zmq::sockopt::routing_id, "known");
  dealer.socket().connect(endpoint);

  std::vector<std::error_code> errors;
  std::vector<std::string> got;
  router.on_error([&](std::error_code e) { errors.push_back(e); });
  router.on_recv([&](zl::message& m) {
    router.send_multipart(std::vector<std::string>{"nobody", "lost"});
    router.send_multipart(std::move(m));
  });
  dealer.on_recv([&](zl::message& m) { got.push_back(m.at(0).to_string()); });
  dealer.send("hello");
  ASSERT_TRUE(this->on_.run_until([&] { return got.size() == 1; }));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].value(), EHOSTUNREACH);
  EXPECT_EQ(&errors[0].category(), &zl::zmq_category());
  EXPECT_EQ(got[0], "hello");
}

TYPED_TEST(stream_test, closing_with_messages_queued_drops_them_and_says_how_many) {
  zl::stream push = this->make(zmq::socket_type::push);
  push.socket().set(zmq::sockopt::sndhwm, 1);
  zmqsec::testing::bind_loopback(push.socket());  // nobody connects: nothing can go out
  for (int i = 0; i < 1000; ++i) push.send("x");
  EXPECT_EQ(push.queued(), 1000u);
  std::optional<std::size_t> dropped;
  push.close([&](std::size_t n) { dropped = n; });
  EXPECT_TRUE(push.closed());
  push.close([&](std::size_t) { ADD_FAILURE() << "closed twice"; });
  ASSERT_TRUE(this->on_.run_until([&] { return dropped.has_value(); }));
  EXPECT_EQ(*dropped, 1000u);
}

TYPED_TEST(stream_test, a_stream_may_destroy_itself_in_its_own_callbacks) {
  auto pull = std::make_unique<zl::stream>(this->make(zmq::socket_type::pull));
  const std::string endpoint = this->bind(*pull);
  zl::stream push = this->make(zmq::socket_type::push);
  push.socket().connect(endpoint);

  int received = 0;
  pull->on_recv([&](zl::message& m) {
    ++received;
    EXPECT_EQ(m.at(0).to_string(), "first");
    pull.reset();  // with more messages waiting in the same batch
  });
  for (int i = 0; i < 50; ++i) push.send(i == 0 ? "first" : "more");
  ASSERT_TRUE(this->on_.run_until([&] { return pull == nullptr; }));
  // The loop goes on; the other messages went nowhere.
  bool later = false;
  zl::handle t = this->on_.loop().call_later(10ms, [&] { later = true; });
  ASSERT_TRUE(this->on_.run_until([&] { return later; }));
  EXPECT_EQ(received, 1);
}

TYPED_TEST(stream_test, an_error_callback_may_destroy_its_stream) {
  auto router = std::make_unique<zl::stream>(this->make(zmq::socket_type::router));
  router->socket().set(zmq::sockopt::router_mandatory, 1);
  bool called = false;
  router->on_error([&](std::error_code) {
    called = true;
    router.reset();
  });
  router->send_multipart(std::vector<std::string>{"nobody", "x"});
  EXPECT_TRUE(called);
  EXPECT_EQ(router, nullptr);
}

TYPED_TEST(stream_test, terminating_the_context_reports_eterm_and_closes_the_stream) {
  zl::stream pull = this->make(zmq::socket_type::pull);
  this->bind(pull);
  pull.on_recv([](zl::message&) {});
  std::vector<int> errors;
  pull.on_error([&](std::error_code e) { errors.push_back(e.value()); });
  std::thread terminator([&] { this->ctx_.close(); });  // waits for the stream's socket
  EXPECT_TRUE(this->on_.run_until([&] { return pull.closed(); }));
  terminator.join();
  EXPECT_EQ(errors, std::vector<int>{ETERM});
}

TYPED_TEST(stream_test, on_send_reports_each_message_handed_to_libzmq) {
  zl::stream pull = this->make(zmq::socket_type::pull);
  const std::string endpoint = this->bind(pull);
  zl::stream push = this->make(zmq::socket_type::push);
  push.socket().connect(endpoint);
  std::vector<std::size_t> left;
  push.on_send([&](std::size_t queued) { left.push_back(queued); });
  int received = 0;
  pull.on_recv([&](zl::message&) { ++received; });
  push.send("a");
  push.send("b");
  push.send("c");
  EXPECT_TRUE(left.empty()) << "on_send comes from the loop, not from inside send()";
  ASSERT_TRUE(this->on_.run_until([&] { return received == 3; }));
  EXPECT_EQ(left, (std::vector<std::size_t>{2, 1, 0}));
}

}  // namespace
