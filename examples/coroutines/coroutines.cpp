// ZeroMQ code that reads like blocking code, on an event loop: an echo server, a Lazy Pirate
// client that gives up on a silent server and tries again with a fresh socket, a green Poller
// that serves two sockets from one coroutine, and green sockets: several sockets, one coroutine
// each (gevent's one greenlet per socket). All on the embedded reactor, on 127.0.0.1;
// the same code runs on Asio (zmqsec::loop::asio_loop) and libuv (zmqsec::loop::uv_loop).
//
//   coroutines            prints what each part did, exits 0 when all went as described
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/loop/awaitable.hpp>
#include <zmqsec/loop/reactor.hpp>

namespace zl = zmqsec::loop;
using namespace std::chrono_literals;

namespace {

// Answers every request but the first: the client's first try times out.
zl::task<> flaky_echo_server(zl::async_socket& server) {
  for (int request = 0;; ++request) {
    zl::message m = co_await server.recv_multipart();  // [routing id][empty][body]
    if (request == 0) continue;
    co_await server.send_multipart(std::move(m));
  }
}

// The Lazy Pirate pattern: a reply within 300 ms, or a fresh socket and another try.
zl::task<bool> lazy_pirate_client(zl::async_socket& req) {
  for (int attempt = 1; attempt <= 3; ++attempt) {
    co_await req.send("ping " + std::to_string(attempt));
    if (auto reply = co_await req.recv_multipart(300ms)) {
      std::cout << "client: got \"" << reply->front().to_string() << "\" on attempt " << attempt
                << '\n';
      co_return true;
    }
    std::cout << "client: no reply to attempt " << attempt << ", resetting the socket\n";
    req.reset();  // same type, options and endpoint
  }
  co_return false;
}

// pyzmq's green Poller: one coroutine waits on two sockets and reads whichever has a message.
zl::task<int> poller(zl::async_socket& tasks, zl::async_socket& control) {
  int handled = 0;
  for (;;) {
    auto ready = co_await zl::poll({tasks, control}, 2s);
    if (!ready) co_return handled;  // quiet for too long
    if (*ready == 1) {
      co_await control.recv();
      co_return handled;  // told to stop
    }
    zmq::message_t task = co_await tasks.recv();
    std::cout << "poller: task " << task.to_string() << '\n';
    ++handled;
  }
}

// Green sockets: each socket has a coroutine of its own that reads as if it blocked.
zl::task<int> green_worker(zl::async_socket& socket, int index) {
  int handled = 0;
  for (;;) {
    zmq::message_t m = co_await socket.recv();
    if (m.to_string_view() == "end") co_return handled;
    std::cout << "green " << index << ": " << m.to_string() << '\n';
    ++handled;
  }
}

}  // namespace

int main() {
  zmq::context_t ctx;
  zl::reactor loop;

  zl::async_socket server{loop, zmq::socket_t{ctx, zmq::socket_type::router}};
  server.bind("tcp://127.0.0.1:*");
  zl::async_socket req{loop, zmq::socket_t{ctx, zmq::socket_type::req}};
  req.socket().set(zmq::sockopt::linger, 0);
  req.connect(server.socket().get(zmq::sockopt::last_endpoint));

  zl::async_socket tasks{loop, zmq::socket_t{ctx, zmq::socket_type::pull}};
  tasks.bind("inproc://tasks");
  zl::async_socket control{loop, zmq::socket_t{ctx, zmq::socket_type::pull}};
  control.bind("inproc://control");
  zl::async_socket to_tasks{loop, zmq::socket_t{ctx, zmq::socket_type::push}};
  to_tasks.connect("inproc://tasks");
  zl::async_socket to_control{loop, zmq::socket_t{ctx, zmq::socket_type::push}};
  to_control.connect("inproc://control");

  constexpr int green_sockets = 3;
  std::vector<zl::async_socket> green, to_green;
  for (int i = 0; i < green_sockets; ++i) {
    const std::string endpoint = "inproc://green." + std::to_string(i);
    green.emplace_back(loop, zmq::socket_t{ctx, zmq::socket_type::pull});
    green.back().bind(endpoint);
    to_green.emplace_back(loop, zmq::socket_t{ctx, zmq::socket_type::push});
    to_green.back().connect(endpoint);
  }

  bool pirate_ok = false;
  int green_handled = 0;
  for (int i = 0; i < green_sockets; ++i) {
    zl::spawn(loop,
              [&, i]() -> zl::task<> { green_handled += co_await green_worker(green[i], i); });
  }
  zl::spawn(loop, [&]() -> zl::task<> {
    for (const char* job : {"a", "b"}) {
      for (auto& to : to_green) co_await to.send(job);
    }
    for (auto& to : to_green) co_await to.send("end");
  });
  int handled = -1;
  zl::spawn(loop, [&]() -> zl::task<> { co_await flaky_echo_server(server); });
  zl::spawn(loop, [&]() -> zl::task<> { pirate_ok = co_await lazy_pirate_client(req); });
  zl::spawn(loop, [&]() -> zl::task<> {
    handled = co_await poller(tasks, control);
    loop.stop();  // the last part to finish
  });
  zl::spawn(loop, [&]() -> zl::task<> {
    for (const char* task : {"one", "two", "three"}) co_await to_tasks.send(task);
    co_await zl::sleep_for(loop, 500ms);  // the pirate is done by then
    co_await to_control.send("stop");
  });
  loop.run();

  std::cout << "poller: handled " << handled << " tasks\n";
  std::cout << "green: handled " << green_handled << " jobs on " << green_sockets << " sockets\n";
  return pirate_ok && handled == 3 && green_handled == 2 * green_sockets ? 0 : 1;
}
