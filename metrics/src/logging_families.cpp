// The families of log sinks (pub_sink) and subscribers.
#include <zmqsec/logging/subscriber.hpp>
#include <zmqsec/metrics/exposer.hpp>

#include "family_set.hpp"

namespace zmqsec::metrics {

registration exposer::add_log_sink(std::string name, std::function<log_sink_counters()> read) {
  return add_source([name = std::move(name), read = std::move(read)](detail::family_set& f) {
    const log_sink_counters c = read();
    const detail::labels l = {{"sink", name}};
    f.counter("zmqsec_log_sink_records_total", "log records queued on the socket", l, c.records);
    f.counter("zmqsec_log_sink_bytes_total", "topic and payload bytes of those records", l,
              c.bytes);
    f.counter("zmqsec_log_sink_dropped_records_total",
              "log records lost (a subscriber's queue full, or formatting or sending failed)", l,
              c.dropped);
    f.gauge("zmqsec_log_sink_subscribers",
            "subscription filters of the subscribers connected (subscribers, with one topic each)",
            l, static_cast<double>(c.subscribers));
  });
}

registration exposer::add(const logging::subscriber& s, std::string name) {
  return add_source([&s, name = std::move(name)](detail::family_set& f) {
    const detail::labels l = {{"subscriber", name}};
    f.counter("zmqsec_log_subscriber_records_total", "log records received", l, s.received());
    f.counter("zmqsec_log_subscriber_skipped_messages_total",
              "messages received that were not records (ignored)", l, s.skipped());
  });
}

}  // namespace zmqsec::metrics
