// zmqsec_bench_gateway: messages/s through a zmqsec::proxy::device (zmq-gateway's forwarding)
// against libzmq's own zmq_proxy between the same sockets, in the same run:
//   - NULL on both sides: the device with side_security::open() against zmq_proxy;
//   - CURVE on the front: the device's front a CURVE server decided by a thread_authenticator
//     (ZAP at the handshake only), against a CURVE zmq_proxy front without ZAP.
// A PUSH client sends 64-byte messages over tcp on 127.0.0.1 to the proxy's PULL front; its PUSH
// back delivers them to a PULL receiver; the rate is timed from the first send to the last
// message received, after one message went through (handshakes done). Pairs run back to back,
// the order alternating; the table shows the medians and the median of the pairs' ratios.
// Goal (issue 19): 0.9x or better on both rows.
//
//   zmqsec_bench_gateway [--quick | --smoke] [--pairs N] [--messages N] [--size B] [--no-header]
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/proxy/device.hpp>

#include "bench_table.hpp"

namespace {

namespace zb = zmqsec::bench;
namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
namespace zp = zmqsec::proxy;
using clock_type = std::chrono::steady_clock;

struct settings {
  int pairs = 7;
  std::size_t messages = 1'000'000;
  std::size_t size = 64;
};

struct keys {
  zc::keypair server = zc::generate_keypair();
  zc::keypair client = zc::generate_keypair();
};

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Sends n messages of size bytes from a PUSH to front and receives them from a PULL at back;
// returns messages per second.
double pump(const keys& k, bool curve, const std::string& front, const std::string& back,
            const settings& s) {
  zmq::context_t clients(1);
  zmq::socket_t sender(clients, zmq::socket_type::push);
  zmq::socket_t receiver(clients, zmq::socket_type::pull);
  sender.set(zmq::sockopt::linger, 0);
  receiver.set(zmq::sockopt::linger, 0);
  if (curve) {
    sender.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(k.server.public_key.data(), 32));
    sender.set(zmq::sockopt::curve_publickey, zmq::const_buffer(k.client.public_key.data(), 32));
    const auto secret = k.client.secret_key.bytes();
    sender.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  }
  receiver.connect(back);
  sender.connect(front);
  const std::string payload(s.size, 'x');
  zmq::message_t got;
  sender.send(zmq::buffer(payload), zmq::send_flags::none);
  if (!receiver.recv(got)) throw std::runtime_error("the first message did not arrive");
  const auto start = clock_type::now();
  std::thread tx([&] {
    for (std::size_t i = 0; i < s.messages; ++i) {
      sender.send(zmq::buffer(payload), zmq::send_flags::none);
    }
  });
  for (std::size_t i = 0; i < s.messages; ++i) {
    if (!receiver.recv(got)) throw std::runtime_error("a receive failed");
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  tx.join();
  return static_cast<double>(s.messages) / seconds;
}

double ours(const keys& k, bool curve, const settings& s) {
  zmq::context_t context(1);
  std::optional<za::thread_authenticator> auth;
  zp::side_security front = zp::side_security::open();
  if (curve) {
    auth.emplace(context);
    auth->configure_curve("bench", za::curve_allow_any);
    auth->start();
    front = zp::side_security::curve_server({k.server.public_key, k.server.secret_key.clone(), {}},
                                            "bench");
  }
  zp::device device({.pattern = zp::pattern::pull_push,
                     .front = {.bind = {"tcp://127.0.0.1:*"}, .security = front},
                     .back = {.bind = {"tcp://127.0.0.1:*"}, .security = zp::side_security::open()},
                     .context = &context});
  return pump(k, curve, device.front_endpoints().at(0), device.back_endpoints().at(0), s);
}

double libzmq_proxy(const keys& k, bool curve, const settings& s) {
  zmq::context_t context(1);
  zmq::socket_t front(context, zmq::socket_type::pull);
  zmq::socket_t back(context, zmq::socket_type::push);
  front.set(zmq::sockopt::linger, 0);
  back.set(zmq::sockopt::linger, 0);
  if (curve) {  // no ZAP domain and no handler: libzmq admits any client key
    front.set(zmq::sockopt::curve_server, true);
    const auto secret = k.server.secret_key.bytes();
    front.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
  }
  front.bind("tcp://127.0.0.1:*");
  back.bind("tcp://127.0.0.1:*");
  const std::string front_endpoint = front.get(zmq::sockopt::last_endpoint);
  const std::string back_endpoint = back.get(zmq::sockopt::last_endpoint);
  std::thread proxy([&] { zmq_proxy(front.handle(), back.handle(), nullptr); });
  double rate = 0;
  try {
    rate = pump(k, curve, front_endpoint, back_endpoint, s);
  } catch (...) {
    context.shutdown();
    proxy.join();
    throw;
  }
  context.shutdown();  // zmq_proxy returns with ETERM
  proxy.join();
  return rate;
}

struct pair_results {
  std::vector<double> ours, reference, ratios;
};

pair_results pairs_of(const keys& k, bool curve, const settings& s) {
  pair_results r;
  for (int i = 0; i < s.pairs; ++i) {
    double a = 0, b = 0;
    if (i % 2 == 0) {
      a = ours(k, curve, s);
      b = libzmq_proxy(k, curve, s);
    } else {
      b = libzmq_proxy(k, curve, s);
      a = ours(k, curve, s);
    }
    r.ours.push_back(a);
    r.reference.push_back(b);
    r.ratios.push_back(a / b);
  }
  return r;
}

void print_pairs(const std::string& measure, const std::string& reference, const pair_results& r) {
  const double ratio = median(r.ratios);
  zb::print_row(std::cout,
                {measure, zb::rate(median(r.ours)), reference, zb::rate(median(r.reference)), ratio,
                 zb::goal(ratio >= 0.9, ">= 0.9x")});
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  bool header = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      s.pairs = 3;
      s.messages = 300'000;
    } else if (a == "--smoke") {
      s.pairs = 1;
      s.messages = 20'000;
    } else if (a == "--no-header") {
      header = false;
    } else if (a == "--pairs" && i + 1 < argc) {
      s.pairs = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--messages" && i + 1 < argc) {
      s.messages = std::max(1ul, std::stoul(argv[++i]));
    } else if (a == "--size" && i + 1 < argc) {
      s.size = std::stoul(argv[++i]);
    } else {
      std::cerr << "usage: zmqsec_bench_gateway [--quick | --smoke] [--pairs N] [--messages N] "
                   "[--size B] [--no-header]\n";
      return 2;
    }
  }
  try {
    const keys k;
    const auto plain = pairs_of(k, false, s);
    const auto curve = pairs_of(k, true, s);
    if (header) zb::print_header(std::cout);
    const std::string size = std::to_string(s.size) + " B";
    print_pairs("gateway msg/s, NULL, " + size, "libzmq zmq_proxy, NULL", plain);
    print_pairs("gateway msg/s, CURVE front+ZAP, " + size, "zmq_proxy, CURVE front, no ZAP", curve);
    std::cerr << "zmqsec_bench_gateway: " << s.pairs << " pairs of " << s.messages
              << " messages; NULL ratios";
    for (double r : plain.ratios) std::cerr << ' ' << r;
    std::cerr << "; CURVE ratios";
    for (double r : curve.ratios) std::cerr << ' ' << r;
    std::cerr << '\n';
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_gateway: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
