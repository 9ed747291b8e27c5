// curve_client: a CURVE client with a socket monitor that shows how each handshake ended, so a
// refused client says so (HANDSHAKE_FAILED_AUTH 400) instead of waiting in silence. Written as
// C++20 coroutines on zmqsec::loop's reactor: the socket is an async_socket, the monitor an
// async_monitor, and the code reads like the blocking client it replaces.
//
//   curve_client tcp://127.0.0.1:PORT --server-key server.key --cert alice.key_secret
//   curve_client ENDPOINT --server-key server.key --cert bob.key_secret --retry-for 20
//
// Sends --requests N requests (default 3) on a REQ socket and prints each reply. libzmq 4.3 does
// not retry a connection that authentication refused: with --retry-for SECONDS the client
// connects again (every 250 ms) until it is accepted or the time is up, which is how a client
// waits for an operator to add its certificate to the server's folder.
//
// Exit status: 0 every request answered, 1 refused by the server (or no reply in time), 2 bad
// arguments or certificates.

#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/loop/awaitable.hpp>
#include <zmqsec/loop/reactor.hpp>
#include <zmqsec/monitor.hpp>
#include <zmqsec/monitor/async_monitor.hpp>

namespace zc = zmqsec::certs;
namespace zl = zmqsec::loop;
namespace zm = zmqsec::monitor;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

struct options {
  std::string endpoint;
  std::string server_key;
  std::string cert;
  int requests = 3;
  double retry_for = 0;
};

constexpr const char* usage =
    "usage: curve_client ENDPOINT --server-key SERVER.key --cert CLIENT.key_secret\n"
    "                    [--requests N] [--retry-for SECONDS]\n";

bool parse(int argc, char** argv, options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (!a.starts_with("--")) {
      if (!opt.endpoint.empty()) return false;
      opt.endpoint = a;
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (a == "--server-key") {
      opt.server_key = value;
    } else if (a == "--cert") {
      opt.cert = value;
    } else if (a == "--requests") {
      opt.requests = std::stoi(value);
    } else if (a == "--retry-for") {
      opt.retry_for = std::stod(value);
    } else {
      return false;
    }
  }
  return !opt.endpoint.empty() && !opt.server_key.empty() && !opt.cert.empty();
}

enum class attempt_result { answered, refused, no_answer };

// Prints the monitor's events until the handshake has ended one way or the other (nullopt: it
// did not within timeout).
zl::task<std::optional<zm::event>> handshake(zm::async_monitor& events,
                                             std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady::now());
    auto e = co_await events.next(std::max(left, std::chrono::milliseconds(0)));
    if (!e) co_return std::nullopt;
    std::cout << "monitor: " << e->describe() << std::endl;
    if (zm::handshake_events.contains(e->type)) co_return e;
  }
}

// The events that came since, printed as the thread variant of the monitor would have.
void print_queued(zm::async_monitor& events) {
  while (auto e = events.poll()) std::cout << "monitor: " << e->describe() << std::endl;
}

// One connection: a fresh socket and a fresh monitor (declared after it, so it detaches while
// the socket is open).
zl::task<attempt_result> attempt(zl::event_loop& loop, zmq::context_t& context, const options& opt,
                                 const zc::certificate& me, const zc::public_key& server) {
  zl::async_socket req{loop, zmq::socket_t(context, zmq::socket_type::req)};
  zmq::socket_t& socket = req.socket();
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.bytes().data(), 32));
  socket.set(zmq::sockopt::curve_publickey, zmq::const_buffer(me.public_key.bytes().data(), 32));
  const auto& secret = me.secret_key->bytes();
  socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  zm::async_monitor events(
      context, socket, loop,
      zm::handshake_events | zm::event_type::connected | zm::event_type::disconnected);
  req.connect(opt.endpoint);

  const auto outcome = co_await handshake(events, 5s);
  if (!outcome) {
    std::cout << "no handshake within 5 s\n";
    co_return attempt_result::no_answer;
  }
  if (outcome->type != zm::event_type::handshake_succeeded) co_return attempt_result::refused;

  for (int i = 1; i <= opt.requests; ++i) {
    const std::string text = "request " + std::to_string(i);
    co_await req.send(text);
    auto reply = co_await req.recv(3s);
    print_queued(events);
    if (!reply) {
      std::cout << "no reply to " << text << " within 3 s\n";
      co_return attempt_result::no_answer;
    }
    std::cout << "reply: " << reply->to_string_view() << std::endl;
  }
  co_return attempt_result::answered;
}

// Lazy Pirate with the monitor: an attempt per connection, again after a refusal (libzmq 4.3
// does not retry a connection that authentication refused) until the time is up.
zl::task<int> client(zl::event_loop& loop, zmq::context_t& context, const options& opt) {
  const zc::certificate me = zc::load_certificate(opt.cert);
  if (!me.secret_key) {
    std::cerr << "curve_client: " << opt.cert << " has no secret key\n";
    co_return 2;
  }
  const zc::public_key server = zc::load_certificate(opt.server_key).public_key;
  const auto deadline = steady::now() + std::chrono::duration_cast<steady::duration>(
                                            std::chrono::duration<double>(opt.retry_for));
  for (;;) {
    switch (co_await attempt(loop, context, opt, me, server)) {
      case attempt_result::answered:
        co_return 0;
      case attempt_result::no_answer:
        co_return 1;
      case attempt_result::refused:
        if (steady::now() >= deadline) {
          std::cout << "refused by the server\n";
          co_return 1;
        }
        co_await zl::sleep_for(loop, 250ms);  // a client's back-off before it connects again
        break;
    }
  }
}

int run(const options& opt) {
  zmq::context_t context;  // outlives the loop and every socket on it
  zl::reactor loop;
  int status = 2;
  std::exception_ptr failure;
  zl::spawn(
      loop,
      [&]() -> zl::task<> {
        status = co_await client(loop, context, opt);
        loop.stop();
      },
      [&](std::exception_ptr e) {
        failure = e;
        loop.stop();
      });
  loop.run();
  if (failure) std::rethrow_exception(failure);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    if (!parse(argc, argv, opt)) {
      std::cerr << usage;
      return 2;
    }
    return run(opt);
  } catch (const zmqsec::error& e) {
    std::cerr << "curve_client: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "curve_client: " << e.what() << '\n';
    return 2;
  }
}
