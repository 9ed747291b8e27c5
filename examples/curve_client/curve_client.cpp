// curve_client: a CURVE client with a socket monitor that shows how each handshake ended, so a
// refused client says so (HANDSHAKE_FAILED_AUTH 400) instead of waiting in silence.
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

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <zmq.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/monitor.hpp>

namespace zc = zmqsec::certs;
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

// How the current connection's handshake ended, as the monitor's thread saw it.
class handshake_outcome {
 public:
  void set(const zm::event& e) {
    {
      std::lock_guard lock(mutex_);
      if (!event_) event_ = e;
    }
    changed_.notify_all();
  }
  std::optional<zm::event> wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return event_.has_value(); });
    return event_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<zm::event> event_;
};

enum class attempt_result { answered, refused, no_answer };

attempt_result attempt(zmq::context_t& context, const options& opt, const zc::certificate& me,
                       const zc::public_key& server) {
  zmq::socket_t socket(context, zmq::socket_type::req);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, 3000);
  socket.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(server.bytes().data(), 32));
  socket.set(zmq::sockopt::curve_publickey, zmq::const_buffer(me.public_key.bytes().data(), 32));
  const auto& secret = me.secret_key->bytes();
  socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));

  handshake_outcome outcome;
  zm::monitor watch(
      context, socket,
      [&](const zm::event& e) {
        std::cout << "monitor: " << e.describe() << std::endl;
        if (zm::handshake_events.contains(e.type)) outcome.set(e);
      },
      zm::handshake_events | zm::event_type::connected | zm::event_type::disconnected);
  socket.connect(opt.endpoint);

  const auto handshake = outcome.wait(5s);
  if (!handshake) {
    std::cout << "no handshake within 5 s\n";
    return attempt_result::no_answer;
  }
  if (handshake->type != zm::event_type::handshake_succeeded) return attempt_result::refused;

  for (int i = 1; i <= opt.requests; ++i) {
    const std::string text = "request " + std::to_string(i);
    socket.send(zmq::buffer(text), zmq::send_flags::none);
    zmq::message_t reply;
    if (!socket.recv(reply)) {
      std::cout << "no reply to " << text << " within 3 s\n";
      return attempt_result::no_answer;
    }
    std::cout << "reply: " << reply.to_string_view() << std::endl;
  }
  return attempt_result::answered;
}

int run(const options& opt) {
  const zc::certificate me = zc::load_certificate(opt.cert);
  if (!me.secret_key) {
    std::cerr << "curve_client: " << opt.cert << " has no secret key\n";
    return 2;
  }
  const zc::public_key server = zc::load_certificate(opt.server_key).public_key;
  zmq::context_t context;
  const auto deadline = steady::now() + std::chrono::duration_cast<steady::duration>(
                                            std::chrono::duration<double>(opt.retry_for));
  for (;;) {
    switch (attempt(context, opt, me, server)) {
      case attempt_result::answered:
        return 0;
      case attempt_result::no_answer:
        return 1;
      case attempt_result::refused:
        if (steady::now() >= deadline) {
          std::cout << "refused by the server\n";
          return 1;
        }
        // A client's back-off before it connects again, not a wait for anything in particular.
        std::this_thread::sleep_for(250ms);
        break;
    }
  }
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
