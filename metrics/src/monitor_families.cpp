// The families of a socket monitor: events by type, handshake failures by reason, peers.
#include <zmqsec/metrics/exposer.hpp>
#include <zmqsec/monitor/loop_monitor.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "family_set.hpp"

namespace zmqsec::metrics {

namespace {

void collect_events(detail::family_set& f, const std::string& socket,
                    const monitor::event_counts& c) {
  for (std::size_t i = 0; i < c.by_type.size(); ++i) {
    const auto type = static_cast<std::uint16_t>(1u << i);
    const auto name = monitor::event_name(type);
    if (!name || c.by_type[i] == 0) continue;
    f.counter("zmqsec_monitor_events_total", "socket events libzmq reported, by type",
              {{"event", *name}, {"socket", socket}}, c.by_type[i]);
  }
  for (const monitor::handshake_failure_count& failure : c.handshake_failures) {
    const std::string reason = monitor::failure_reason(failure.type, failure.value);
    f.counter("zmqsec_monitor_handshake_failures_total",
              "failed handshakes by reason (ZAP status, protocol error, errno)",
              {{"reason", reason}, {"socket", socket}}, failure.count);
  }
  if (c.other_handshake_failures != 0) {
    f.counter("zmqsec_monitor_handshake_failures_total",
              "failed handshakes by reason (ZAP status, protocol error, errno)",
              {{"reason", "other"}, {"socket", socket}}, c.other_handshake_failures);
  }
  f.gauge("zmqsec_monitor_connected_peers", "connections of the socket open now",
          {{"socket", socket}}, static_cast<double>(c.connected_peers));
}

}  // namespace

registration exposer::add(const monitor::monitor& m, std::string socket) {
  return add_source([&m, socket = std::move(socket)](detail::family_set& f) {
    collect_events(f, socket, m.counts());
  });
}

registration exposer::add(const monitor::loop_monitor& m, std::string socket) {
  return add_source([&m, socket = std::move(socket)](detail::family_set& f) {
    collect_events(f, socket, m.counts());
  });
}

registration exposer::add(const monitor::event_counter& counter, std::string socket) {
  return add_source([&counter, socket = std::move(socket)](detail::family_set& f) {
    collect_events(f, socket, counter.snapshot());
  });
}

}  // namespace zmqsec::metrics
