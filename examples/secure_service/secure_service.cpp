// secure_service: a CURVE server that links zmqsec in. A thread_authenticator decides which
// clients may connect from a folder of their public certificates (followed live: a certificate
// added while the server runs lets that client in at its next connection), and the server's log,
// including every decision of the authenticator, streams to operators over a CURVE-secured
// pub_sink that the same authenticator guards.
//
//   zmq-cert generate server && zmq-cert generate alice --meta name=alice
//   mkdir allowed && cp alice.key allowed/
//   secure_service --cert server.key_secret --clients allowed
//   # prints "service tcp://127.0.0.1:PORT" and "logs tcp://127.0.0.1:PORT", then serves
//   zmq-logtail tcp://127.0.0.1:PORT --curve-server-key server.key --curve-cert operator.key_secret
//
// Each request (a REQ client's one-frame message) is answered "hello NAME: TEXT", NAME being the
// "name" metadata of the client's certificate, which the authenticator puts in its ZAP reply
// and libzmq attaches to every message of that connection. SIGINT or SIGTERM stops the server;
// so does --requests N after N requests. --metrics HOST:PORT serves the authenticator's and the
// log stream's metrics to Prometheus (zmqsec::metrics, when built; see docs/metrics.md).
//
// Exit status: 0 stopped, 1 bad arguments, certificates or endpoints, 2 a failure while serving.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>
#include <zmqsec/auth.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/logging.hpp>
#if SECURE_SERVICE_METRICS
#include <optional>

#include <zmqsec/metrics.hpp>
#endif

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
namespace zl = zmqsec::logging;

namespace {

volatile std::sig_atomic_t stop_requested = 0;
extern "C" void on_signal(int) {
  stop_requested = 1;
}

struct options {
  std::string cert;
  std::string clients;
  std::string bind = "tcp://127.0.0.1:*";
  std::string log_bind = "tcp://127.0.0.1:*";
  long requests = -1;   // serve until a signal
  std::string metrics;  // HOST:PORT for Prometheus; empty: none
};

constexpr const char* usage =
    "usage: secure_service --cert SERVER.key_secret --clients FOLDER [--bind ENDPOINT]\n"
    "                      [--log-bind ENDPOINT] [--requests N] [--metrics HOST:PORT]\n";

bool parse(int argc, char** argv, options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (a == "--cert") {
      opt.cert = value;
    } else if (a == "--clients") {
      opt.clients = value;
    } else if (a == "--bind") {
      opt.bind = value;
    } else if (a == "--log-bind") {
      opt.log_bind = value;
    } else if (a == "--requests") {
      opt.requests = std::stol(value);
    } else if (a == "--metrics" && SECURE_SERVICE_METRICS) {
      opt.metrics = value;
    } else {
      return false;
    }
  }
  return !opt.cert.empty() && !opt.clients.empty();
}

// A property libzmq attached to a message from the ZAP reply ("User-Id", certificate metadata).
std::string property(zmq::message_t& message, const char* name) {
  try {
    const char* value = message.gets(name);
    return value == nullptr ? std::string() : std::string(value);
  } catch (const zmq::error_t&) {
    return {};  // EINVAL: the connection has no such property
  }
}

int serve(const options& opt) {
  zc::certificate cert = zc::load_certificate(opt.cert);
  if (!cert.secret_key) {
    std::cerr << "secure_service: " << opt.cert << " has no secret key\n";
    return 1;
  }
  zmq::context_t context;

  // The log: to stderr here, and to whoever the authenticator lets subscribe.
  zmq::socket_t log_socket(context, zmq::socket_type::xpub);
  za::make_curve_server(log_socket, cert, "logs");  // fails closed: see below
  log_socket.set(zmq::sockopt::linger, 0);
  log_socket.bind(opt.log_bind);
  auto stream = std::make_shared<zl::pub_sink_mt>(std::move(log_socket));
  stream->set_root_topic("secure_service");
  const std::string log_endpoint = stream->last_endpoint();
  auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto log =
      std::make_shared<spdlog::logger>("secure_service", spdlog::sinks_init_list{console, stream});
  log->flush_on(spdlog::level::info);

  // The authenticator: every domain ("service" and "logs") takes the folder's clients. Its
  // decisions, with the reason for each refusal, go to the same log.
  za::thread_authenticator auth{context, log};
  auth.configure_curve("*", opt.clients);
  auth.start();

  zmq::socket_t server(context, zmq::socket_type::router);
  // A CURVE server whose every client goes through the authenticator, and which refuses them all
  // while no authenticator answers (before start(), after stop()): libzmq alone would admit any
  // CURVE client then.
  za::make_curve_server(server, cert, "service");
  server.set(zmq::sockopt::linger, 0);
  server.bind(opt.bind);
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
#if SECURE_SERVICE_METRICS
  // Declared after what they read: destroyed first.
  std::optional<zmqsec::metrics::exposer> metrics;
  zmqsec::metrics::registration exported_auth, exported_log;
  if (!opt.metrics.empty()) {
    metrics.emplace(opt.metrics);
    exported_auth = metrics->add(auth);
    exported_log = metrics->add(*stream, "secure_service");
    std::cout << "metrics " << metrics->url() << '\n';
  }
#endif

  std::cout << "service " << endpoint << '\n' << "logs " << log_endpoint << std::endl;
  log->info("serving on {}, log stream on {}, clients from {}", endpoint, log_endpoint,
            opt.clients);

  long served = 0;
  while (stop_requested == 0 && (opt.requests < 0 || served < opt.requests)) {
    zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, std::chrono::milliseconds(-1)) == 0) continue;
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;  // a signal: the loop condition decides
      throw;
    }
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(server, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      continue;
    }
    if (frames.size() != 3 || frames[1].size() != 0) {
      log->warn("requests::a message of {} frames ignored", frames.size());
      continue;
    }
    zmq::message_t& body = frames[2];
    std::string name = property(body, "name");
    if (name.empty()) name = "client " + property(body, "User-Id");
    log->info("requests::from {}: {}", name, body.to_string_view());
    const std::string reply = "hello " + name + ": " + body.to_string();
    std::vector<zmq::const_buffer> out = {zmq::buffer(frames[0].data(), frames[0].size()),
                                          zmq::const_buffer(), zmq::buffer(reply)};
    if (!zmq::send_multipart(server, out, zmq::send_flags::dontwait)) {
      log->warn("requests::the reply to {} could not be sent", name);
    }
    ++served;
  }
  log->info("stopping after {} requests", served);
  auth.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    if (!parse(argc, argv, opt)) {
      std::cerr << usage;
      return 1;
    }
  } catch (const std::exception&) {  // --requests that is not a number
    std::cerr << usage;
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    return serve(opt);
  } catch (const zmqsec::error& e) {
    std::cerr << "secure_service: " << e.what() << '\n';
    return 1;
  } catch (const zmq::error_t& e) {
    std::cerr << "secure_service: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "secure_service: " << e.what() << '\n';
    return 2;
  }
}
