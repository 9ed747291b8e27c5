// Awaitable sockets on the reactor, Asio and libuv: real sockets on 127.0.0.1 and inproc.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/error.hpp>
#include <zmqsec/loop/awaitable.hpp>

#include "bind_loopback.hpp"
#include "loop_traits.hpp"

namespace {

namespace zl = zmqsec::loop;
using namespace zmqsec::testing::loop;
using namespace std::chrono_literals;

template <class Loop>
class awaitable_test : public ::testing::Test {
 protected:
  zl::async_socket make(zmq::socket_type type) {
    return wrap_socket<zl::async_socket>(ctx_, this->on_.loop(), type);
  }
  std::string bind(zl::async_socket& s) { return zmqsec::testing::bind_loopback(s.socket()); }
  // Runs the loop until the spawned work set done (bounded).
  void run(const bool& done) {
    EXPECT_TRUE(this->on_.run_until([&] { return done; })) << "the coroutines did not finish";
  }

  zmq::context_t ctx_;
  on_loop<Loop> on_;
};

TYPED_TEST_SUITE(awaitable_test, all_loops, loop_names);

TYPED_TEST(awaitable_test, req_rep_ping_pong_as_coroutines) {
  constexpr int rounds = 10'000;
  zl::async_socket rep = this->make(zmq::socket_type::rep);
  zl::async_socket req = this->make(zmq::socket_type::req);
  req.socket().connect(this->bind(rep));
  bool done = false;
  int answered = 0;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    for (;;) {
      zl::message m = co_await rep.recv_multipart();
      co_await rep.send_multipart(std::move(m));
    }
  });
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    for (int i = 0; i < rounds; ++i) {
      co_await req.send(std::to_string(i));
      zmq::message_t reply = co_await req.recv();
      if (reply.to_string() != std::to_string(i)) throw std::runtime_error("wrong reply");
      ++answered;
    }
    done = true;
  });
  this->run(done);
  EXPECT_EQ(answered, rounds);
}

TYPED_TEST(awaitable_test, a_burst_from_another_thread_is_all_received_in_order) {
  constexpr int burst = 100'000;
  zl::async_socket pull = this->make(zmq::socket_type::pull);
  const std::string endpoint = this->bind(pull);
  bool done = false;
  int received = 0;
  bool in_order = true;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    while (received < burst) {
      zmq::message_t m = co_await pull.recv();
      in_order = in_order && m.to_string() == std::to_string(received);
      ++received;
    }
    done = true;
  });
  std::thread sender([&] {
    zmq::socket_t push(this->ctx_, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, -1);
    push.connect(endpoint);
    for (int i = 0; i < burst; ++i)
      push.send(zmq::buffer(std::to_string(i)), zmq::send_flags::none);
  });
  this->run(done);
  sender.join();
  EXPECT_EQ(received, burst);
  EXPECT_TRUE(in_order);
}

TYPED_TEST(awaitable_test, lazy_pirate_as_in_the_documentation) {
  // A server that answers only the second request it gets: the first try times out, reset()
  // opens a fresh socket with the same options and endpoint, and the second try gets through.
  zl::async_socket server = this->make(zmq::socket_type::router);
  const std::string endpoint = this->bind(server);
  zl::async_socket req = this->make(zmq::socket_type::req);
  req.socket().set(zmq::sockopt::sndhwm, 7);
  req.socket().connect(endpoint);
  std::vector<std::string> replies;
  int attempts = 0;
  bool done = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    for (int request = 0;; ++request) {
      zl::message m = co_await server.recv_multipart();
      if (request == 0) continue;  // dropped: the client must time out
      m.back() = zmq::message_t(std::string("pong"));
      co_await server.send_multipart(std::move(m));
    }
  });
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    for (int attempt = 0; attempt < 3; ++attempt) {
      ++attempts;
      co_await req.send("ping");
      if (auto reply = co_await req.recv_multipart(std::chrono::milliseconds(300))) {
        replies.push_back(reply->front().to_string());
        break;
      }
      req.reset();
    }
    done = true;
  });
  this->run(done);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(replies, std::vector<std::string>{"pong"});
  EXPECT_EQ(req.socket().get(zmq::sockopt::sndhwm), 7);
}

TYPED_TEST(awaitable_test, receives_are_served_first_come_first_served) {
  zl::async_socket pull = this->make(zmq::socket_type::pull);
  zl::async_socket push = this->make(zmq::socket_type::push);
  push.socket().connect(this->bind(pull));
  std::vector<std::string> order;
  int finished = 0;
  bool done = false;
  for (int who = 0; who < 3; ++who) {
    zl::spawn(this->on_.loop(), [&, who]() -> zl::task<> {
      zmq::message_t m = co_await pull.recv();
      order.push_back(std::to_string(who) + ":" + m.to_string());
      done = ++finished == 3;
    });
  }
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    co_await zl::sleep_for(this->on_.loop(), 20ms);  // the three receivers wait first
    for (const char* text : {"a", "b", "c"}) co_await push.send(text);
  });
  this->run(done);
  EXPECT_EQ(order, (std::vector<std::string>{"0:a", "1:b", "2:c"}));
}

TYPED_TEST(awaitable_test, a_timed_out_receive_loses_no_message) {
  zl::async_socket pull = this->make(zmq::socket_type::pull);
  zl::async_socket push = this->make(zmq::socket_type::push);
  push.socket().connect(this->bind(pull));
  std::optional<std::string> later;
  bool done = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    auto nothing = co_await pull.recv(10ms);
    if (nothing) throw std::runtime_error("a message out of nowhere");
    co_await push.send("kept");
    auto got = co_await pull.recv(5s);
    if (got) later = got->to_string();
    done = true;
  });
  this->run(done);
  EXPECT_EQ(later, "kept");
}

TYPED_TEST(awaitable_test, a_receive_cancelled_while_it_waits_leaves_the_message_to_the_next) {
  zl::async_socket pull = this->make(zmq::socket_type::pull);
  zl::async_socket push = this->make(zmq::socket_type::push);
  push.socket().connect(this->bind(pull));
  // The first in line, as a coroutine frame would hold it: queued, then destroyed unresumed.
  std::unique_ptr<zl::async_socket::awaiter<zmq::message_t>> first(new auto(pull.recv()));
  ASSERT_FALSE(first->await_ready());  // nothing to read: it waits
  std::optional<std::string> second;
  bool done = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    zmq::message_t m = co_await pull.recv();  // queued behind `first`
    second = m.to_string();
    done = true;
  });
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    first.reset();  // cancelled: leaves the queue
    co_await push.send("for the second");
  });
  this->run(done);
  EXPECT_EQ(second, "for the second");
}

TYPED_TEST(awaitable_test, an_exception_reaches_the_awaiter_and_a_spawned_one_the_handler) {
  zl::async_socket req = this->make(zmq::socket_type::req);
  std::string caught;
  std::string handled;
  bool done = false;
  auto thrower = []() -> zl::task<int> {
    throw std::runtime_error("inner");
    co_return 1;
  };
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    try {
      co_await thrower();
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
    try {
      co_await req.recv();  // REQ must send first: libzmq says EFSM
    } catch (const zmqsec::error& e) {
      caught += std::string("|") + (e.code().value() == EFSM ? "EFSM" : e.what());
    }
  });
  zl::spawn(
      this->on_.loop(),
      [&]() -> zl::task<> {
        throw std::runtime_error("outer");
        co_return;
      },
      [&](std::exception_ptr e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          handled = ex.what();
        }
        done = true;
      });
  this->run(done);
  EXPECT_EQ(caught, "inner|EFSM");
  EXPECT_EQ(handled, "outer");
}

TYPED_TEST(awaitable_test, poll_returns_the_first_readable_socket_or_nothing_after_the_timeout) {
  zl::async_socket a = this->make(zmq::socket_type::pull);
  zl::async_socket b = this->make(zmq::socket_type::pull);
  zl::async_socket to_b = this->make(zmq::socket_type::push);
  this->bind(a);
  to_b.socket().connect(this->bind(b));
  std::optional<std::size_t> first;
  std::optional<std::size_t> second;
  bool done = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    second = co_await zl::poll({a, b}, 10ms);  // nothing yet
    co_await to_b.send("x");
    first = co_await zl::poll({a, b}, 5s);
    zmq::message_t m = co_await b.recv();  // poll did not read it
    done = m.to_string() == "x";
  });
  this->run(done);
  EXPECT_EQ(first, 1u);
  EXPECT_EQ(second, std::nullopt);
}

TYPED_TEST(awaitable_test, destroying_the_socket_cancels_its_awaiters) {
  auto pull = std::make_unique<zl::async_socket>(this->make(zmq::socket_type::pull));
  this->bind(*pull);
  std::string outcome;
  bool done = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    try {
      co_await pull->recv();
      outcome = "received";
    } catch (const zmqsec::error& e) {
      outcome = e.code() == std::errc::operation_canceled ? "cancelled" : e.what();
    }
    done = true;
  });
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    co_await zl::sleep_for(this->on_.loop(), 5ms);
    pull.reset();
  });
  this->run(done);
  EXPECT_EQ(outcome, "cancelled");
}

TYPED_TEST(awaitable_test, a_flooded_socket_does_not_keep_the_loop_from_another) {
  constexpr int flood = 20'000;
  auto make_inproc = [&](zmq::socket_type type) {
    zl::async_socket s = this->make(type);
    s.socket().set(zmq::sockopt::sndhwm, 0);
    s.socket().set(zmq::sockopt::rcvhwm, 0);
    return s;
  };
  zl::async_socket a = make_inproc(zmq::socket_type::pull);
  zl::async_socket b = make_inproc(zmq::socket_type::pull);
  zl::async_socket to_a = make_inproc(zmq::socket_type::push);
  zl::async_socket to_b = make_inproc(zmq::socket_type::push);
  a.socket().bind("inproc://flooded");
  b.socket().bind("inproc://quiet");
  to_a.socket().connect("inproc://flooded");
  to_b.socket().connect("inproc://quiet");
  for (int i = 0; i < flood; ++i) to_a.socket().send(zmq::str_buffer("x"), zmq::send_flags::none);
  int from_a = 0;
  int from_a_when_b_got_in = -1;
  bool done = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    co_await b.recv();
    from_a_when_b_got_in = from_a;
  });
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    for (; from_a < flood; ++from_a) {
      co_await a.recv();
      if (from_a == 0) co_await to_b.send("now");  // b becomes readable amid the flood
    }
    done = true;
  });
  this->run(done);
  EXPECT_GE(from_a_when_b_got_in, 0);
  EXPECT_LT(from_a_when_b_got_in, flood / 2) << "b waited for most of a's flood";
}

TYPED_TEST(awaitable_test, a_waiting_coroutine_costs_no_cpu_while_idle) {
  zl::async_socket pull = this->make(zmq::socket_type::pull);
  this->bind(pull);
  bool woke = false;
  zl::spawn(this->on_.loop(), [&]() -> zl::task<> {
    co_await pull.recv();
    woke = true;
  });
  // One second of the loop with a receive waiting and nothing coming: under 1% of a core. The
  // loop runs on this thread, so this thread's time is what it costs (the process's would add
  // libzmq's own threads and, under the sanitizers, theirs: 11.5 ms once in a loaded CI-like run).
  auto stop = this->on_.loop().call_later(1s, [&] { this->on_.raw().stop(); });
  rusage before{};
  ::getrusage(RUSAGE_THREAD, &before);
  this->on_.raw().run();
  rusage after{};
  ::getrusage(RUSAGE_THREAD, &after);
  const auto cpu = [](const rusage& r) {
    return std::chrono::seconds(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           std::chrono::microseconds(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
  };
  EXPECT_LT(cpu(after) - cpu(before), 10ms);
  EXPECT_FALSE(woke);
}

}  // namespace

#ifdef ZMQSEC_TEST_ASIO
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/deferred.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

namespace {

// An echo on an asio_loop written the Asio way, with each completion token Asio 1.22 has.
class awaitable_asio_test : public ::testing::Test {
 protected:
  awaitable_asio_test() {
    sock.socket().set(zmq::sockopt::linger, 0);
    sock.socket().bind("tcp://127.0.0.1:*");
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::rcvtimeo, 10'000);
    client.connect(sock.socket().get(zmq::sockopt::last_endpoint));
  }
  // A REQ on another thread sends text and returns the reply (empty if none came in time).
  std::future<std::string> ask(std::string text) {
    return std::async(std::launch::async, [this, text] {
      client.send(zmq::buffer(text), zmq::send_flags::none);
      zmq::message_t reply;
      return client.recv(reply) ? reply.to_string() : std::string();
    });
  }
  void run_until_ready(std::future<std::string>& answer) {
    auto work = asio::make_work_guard(io);
    while (answer.wait_for(0s) != std::future_status::ready) io.run_for(10ms);
  }

  asio::io_context io;
  zl::asio_loop loop{io};
  zmq::context_t ctx;
  zl::async_socket sock{loop, zmq::socket_t{ctx, zmq::socket_type::rep}};
  zmq::socket_t client{ctx, zmq::socket_type::req};
};

TEST_F(awaitable_asio_test, use_awaitable_as_in_the_documentation) {
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        zl::message m = co_await sock.async_receive(asio::use_awaitable);
        co_await sock.async_send(std::move(m), asio::use_awaitable);
      },
      asio::detached);
  auto answer = ask("use_awaitable");
  run_until_ready(answer);
  EXPECT_EQ(answer.get(), "use_awaitable");
}

TEST_F(awaitable_asio_test, a_plain_callback) {
  std::error_code received_error = make_error_code(std::errc::io_error);
  sock.async_receive([&](std::error_code ec, zl::message m) {
    received_error = ec;
    sock.async_send(std::move(m), [](std::error_code) {});
  });
  auto answer = ask("callback");
  run_until_ready(answer);
  EXPECT_EQ(answer.get(), "callback");
  EXPECT_FALSE(received_error);
}

TEST_F(awaitable_asio_test, deferred_then_a_callback) {
  auto receive = sock.async_receive(asio::experimental::deferred);
  std::move(receive)(
      [&](std::error_code, zl::message m) { sock.async_send(std::move(m), asio::detached); });
  auto answer = ask("deferred");
  run_until_ready(answer);
  EXPECT_EQ(answer.get(), "deferred");
}

TEST_F(awaitable_asio_test, use_future_waited_for_on_another_thread) {
  auto answer = ask("future");
  std::promise<std::future<zl::message>> started;
  // The operation starts on the loop's thread (which runs on a thread of its own here); its
  // future is waited for on this one.
  asio::post(io, [&] { started.set_value(sock.async_receive(asio::use_future)); });
  std::thread runner([&] { run_until_ready(answer); });
  zl::message m = started.get_future().get().get();
  asio::post(io, [&] { sock.async_send(std::move(m), asio::detached); });
  runner.join();
  EXPECT_EQ(answer.get(), "future");
}

TEST_F(awaitable_asio_test, an_error_reaches_the_handler_as_libzmqs_code) {
  // A REP must receive before it sends: libzmq says EFSM.
  std::error_code error;
  bool called = false;
  sock.async_send(zl::message{}, [&](std::error_code ec) {
    error = ec;
    called = true;
  });
  auto work = asio::make_work_guard(io);
  for (int i = 0; i < 1000 && !called; ++i) io.run_for(10ms);
  EXPECT_TRUE(called);
  EXPECT_EQ(error.value(), EFSM) << error.message();
}

}  // namespace
#endif
