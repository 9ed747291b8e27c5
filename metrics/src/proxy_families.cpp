// The families of a proxy device (zmq-gateway's messages each way).
#include <zmqsec/metrics/exposer.hpp>
#include <zmqsec/proxy/device.hpp>

#include "family_set.hpp"

namespace zmqsec::metrics {

registration exposer::add(const proxy::device& d, std::string name) {
  return add_source([&d, name = std::move(name)](detail::family_set& f) {
    const proxy::device_stats s = d.statistics();
    for (const auto& [side, c] : {std::pair{"front", s.front}, std::pair{"back", s.back}}) {
      const detail::labels l = {{"proxy", name}, {"side", side}};
      f.counter("zmqsec_proxy_received_messages_total", "messages the side's socket received", l,
                c.messages_received);
      f.counter("zmqsec_proxy_received_bytes_total", "bytes of the messages it received", l,
                c.bytes_received);
      f.counter("zmqsec_proxy_sent_messages_total", "messages the side's socket sent", l,
                c.messages_sent);
      f.counter("zmqsec_proxy_sent_bytes_total", "bytes of the messages it sent", l, c.bytes_sent);
    }
    const detail::labels l = {{"proxy", name}};
    f.counter("zmqsec_proxy_filtered_messages_total",
              "messages from the front its filter dropped (revoked sessions)", l, s.filtered);
    f.counter("zmqsec_proxy_captured_messages_total", "messages copied to the capture socket", l,
              s.captured);
    f.gauge("zmqsec_proxy_paused", "1 while the proxy is paused", l, s.paused ? 1 : 0);
    f.gauge("zmqsec_proxy_up", "1 while the proxy forwards", l, s.running ? 1 : 0);
  });
}

}  // namespace zmqsec::metrics
