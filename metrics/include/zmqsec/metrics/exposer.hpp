// An HTTP endpoint for Prometheus (prometheus-cpp's pull exposer) serving what zmqsec's
// components counted. The components keep plain counters (their stats()); the exposer reads
// them only when Prometheus scrapes, so a process nobody scrapes pays nothing per request.
//
//   zmqsec::metrics::exposer metrics("127.0.0.1:9464");   // loopback unless told otherwise
//   auto a = metrics.add(authenticator);                    // zmqsec_auth_* {authenticator="zap"}
//   auto m = metrics.add(socket_monitor, "frontend");       // zmqsec_monitor_* {socket="frontend"}
//   auto s = metrics.add(*sink, "app");                     // zmqsec_log_sink_* {sink="app"}
//   auto t = metrics.add(tunnel, "gateway");                // zmqsec_tunnel_* {tunnel="gateway"}
//   auto p = metrics.add(device, "zmq-gateway");            // zmqsec_proxy_* {proxy=..., side=...}
//   // scrape http://127.0.0.1:9464/metrics
//
// Each add() returns a registration: the component is exported while it lives, and must outlive
// it (destroy the registration, or the exposer, first). Destroying a registration waits for a
// scrape in progress, so the component is never read after. Names and labels: docs/metrics.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/logging/pub_sink.hpp>

namespace prometheus {
class Exposer;
}

namespace zmqsec::auth {
class authenticator;
class thread_authenticator;
class loop_authenticator;
}  // namespace zmqsec::auth
namespace zmqsec::monitor {
class monitor;
class loop_monitor;
class event_counter;
}  // namespace zmqsec::monitor
namespace zmqsec::logging {
class subscriber;
}
namespace zmqsec::tunnel {
class tunnel;
}
namespace zmqsec::proxy {
class device;
}

namespace zmqsec::metrics {

namespace detail {
class hub;
class family_set;
}  // namespace detail

/// Keeps one component exported; see exposer. Move-only.
class registration {
 public:
  registration() noexcept = default;
  registration(registration&& other) noexcept;
  registration& operator=(registration&& other) noexcept;
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;
  ~registration();

  /// Stops exporting the component now (after a scrape in progress). Idempotent.
  void reset() noexcept;
  /// True while the component is exported.
  explicit operator bool() const noexcept { return id_ != 0 && !hub_.expired(); }

 private:
  friend class exposer;
  registration(std::weak_ptr<detail::hub> hub, std::uint64_t id) noexcept;
  std::weak_ptr<detail::hub> hub_;
  std::uint64_t id_ = 0;
};

/// How an authenticator is exported.
struct authenticator_options {
  /// The value of the `authenticator` label.
  std::string name = "zap";
  /// Domains whose CURVE certificate store (authenticator::curve_store) is reported as
  /// zmqsec_auth_curve_store_keys{domain}; the domains decisions were counted for are added.
  std::vector<std::string> store_domains = {"*"};
};

/// What a log sink counted, as add(pub_sink) reads it.
struct log_sink_counters {
  std::uint64_t records = 0;      ///< records queued on the socket
  std::uint64_t bytes = 0;        ///< their topic and payload bytes
  std::uint64_t dropped = 0;      ///< records lost (pub_sink::dropped())
  std::uint64_t subscribers = 0;  ///< subscription filters held by connected subscribers
};

/// Checks an exposer address ("HOST:PORT", "[V6]:PORT", port 0 to 65535) without listening:
/// throws the zmqsec::error (invalid_argument) that exposer(address) would throw for its form.
void check_address(std::string_view address);

class exposer {
 public:
  /// Serves GET /metrics at address, "HOST:PORT" ("[::1]:PORT" for IPv6; port 0: a free one),
  /// 127.0.0.1:0 by default. Throws zmqsec::error for an address it cannot parse or bind.
  explicit exposer(std::string_view address = "127.0.0.1:0");
  exposer(const exposer&) = delete;
  exposer& operator=(const exposer&) = delete;
  /// Stops serving; registrations still alive stop exporting.
  ~exposer();

  /// The port it listens on (the one chosen for port 0).
  std::uint16_t port() const noexcept { return port_; }
  /// "http://HOST:PORT/metrics".
  std::string url() const;
  /// The exposition text a scrape gets now (Prometheus text format 0.0.4).
  std::string scrape() const;

  [[nodiscard]] registration add(const auth::thread_authenticator& authenticator,
                                 authenticator_options options = {});
  [[nodiscard]] registration add(const auth::loop_authenticator& authenticator,
                                 authenticator_options options = {});
  /// socket: the value of the `socket` label.
  [[nodiscard]] registration add(const monitor::monitor& monitor, std::string socket);
  [[nodiscard]] registration add(const monitor::loop_monitor& monitor, std::string socket);
  /// Events counted by the caller (a tool reading a monitor_socket itself).
  [[nodiscard]] registration add(const monitor::event_counter& counter, std::string socket);
  /// sink: the value of the `sink` label.
  template <typename Mutex>
  [[nodiscard]] registration add(const logging::pub_sink<Mutex>& sink, std::string name) {
    return add_log_sink(std::move(name), [&sink] {
      return log_sink_counters{sink.records(), sink.bytes(), sink.dropped(), sink.subscribers()};
    });
  }
  /// subscriber: the value of the `subscriber` label.
  [[nodiscard]] registration add(const logging::subscriber& subscriber, std::string name);
  /// name: the value of the `tunnel` label.
  [[nodiscard]] registration add(const tunnel::tunnel& tunnel, std::string name);
  /// name: the value of the `proxy` label (a zmq-gateway's device: messages and bytes each way).
  [[nodiscard]] registration add(const proxy::device& device, std::string name);
  /// A log sink read through read (called at scrape time, on the exposer's thread).
  [[nodiscard]] registration add_log_sink(std::string name,
                                          std::function<log_sink_counters()> read);

 private:
  registration add_authenticator(const auth::authenticator& authenticator, std::function<bool()> up,
                                 authenticator_options options);
  registration add_source(std::function<void(detail::family_set&)> collect);

  std::shared_ptr<detail::hub> hub_;
  std::unique_ptr<prometheus::Exposer> server_;
  std::string host_;
  std::uint16_t port_ = 0;
};

}  // namespace zmqsec::metrics
