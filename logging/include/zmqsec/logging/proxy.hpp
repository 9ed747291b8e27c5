// proxy: fan-in and fan-out of log streams through libzmq's own proxy (zmq_proxy_steerable
// between an XSUB and an XPUB socket) on a thread of its own. Many pub_sinks connect to its
// frontend, many subscribers and zmq-logtails to its backend; subscriptions travel upstream, so
// each publisher still sends only what somebody wants.
//
//   zmqsec::logging::proxy hub({.frontend = {"tcp://*:5557"}, .backend = {"tcp://*:5558"}});
//   // workers:   pub_sink_config{.connect = {"tcp://hub:5557"}, .root_topic = "worker-1"}
//   // watchers:  zmq-logtail tcp://hub:5558 --topic worker-1.ERROR
//
// The backend is verbose (ZMQ_XPUB_VERBOSE), so every subscriber's subscribe request reaches the
// publishers and pub_sink::wait_for_subscriptions() counts subscribers behind the proxy too. Like
// any XPUB, the backend drops records for a subscriber whose queue is full, without a count.
// The destructor stops the proxy and joins its thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/core/worker.hpp>

namespace zmqsec::logging {

struct proxy_config {
  /// Endpoints the XSUB socket binds, where publishers connect.
  std::vector<std::string> frontend = {};
  /// Endpoints the XPUB socket binds, where subscribers connect.
  std::vector<std::string> backend = {};
  /// Records held per connection on either side (ZMQ_SNDHWM and ZMQ_RCVHWM).
  int hwm = 100000;
  /// Called with both sockets before they bind: e.g. make the backend a CURVE server.
  std::function<void(zmq::socket_t& frontend, zmq::socket_t& backend)> configure = {};
  /// A context to make the sockets in; nullptr gives the proxy a context of its own.
  zmq::context_t* context = nullptr;
};

class proxy {
 public:
  /// Binds both sockets and starts the proxy. Throws zmqsec::error if an endpoint cannot be bound.
  explicit proxy(proxy_config config);
  proxy(const proxy&) = delete;
  proxy& operator=(const proxy&) = delete;
  ~proxy();

  /// The endpoints bound, with the port a "*" stood for.
  const std::vector<std::string>& frontend_endpoints() const noexcept { return frontend_bound_; }
  const std::vector<std::string>& backend_endpoints() const noexcept { return backend_bound_; }

 private:
  std::unique_ptr<zmq::context_t> own_context_;  // declared first: outlives the sockets
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  zmq::socket_t control_;         // the proxy thread's end of the control pipe
  zmq::socket_t control_sender_;  // ours
  std::vector<std::string> frontend_bound_;
  std::vector<std::string> backend_bound_;
  core::worker thread_;
};

}  // namespace zmqsec::logging
