// What zmq-logtail is waiting for, said on stderr (never mixed into the records on stdout): the
// SUB socket's monitor events in words, so that a tail of an unreachable or refusing publisher
// is not silent for ever. Retries are reported at the first, then at 10, 100, 1000, ... attempts
// (libzmq retries every 100 ms).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include <zmqsec/monitor/event.hpp>

namespace zmqsec::logtail {

/// The events status_reporter speaks about.
zmqsec::monitor::event_mask status_events();

class status_reporter {
 public:
  /// connecting: the tail connects (every event is worth a line); otherwise it binds, and only
  /// failed handshakes are (publishers come and go).
  status_reporter(std::ostream& err, bool connecting) : err_(err), connecting_(connecting) {}

  /// Says what e means for the tail, if anything ("zmq-logtail: tcp://...: ...").
  void report(const zmqsec::monitor::event& e);

 private:
  void say(const std::string& endpoint, const std::string& text);

  std::ostream& err_;
  bool connecting_;
  std::map<std::string, std::uint64_t> retries_;  ///< failed attempts since the last connection
};

}  // namespace zmqsec::logtail
