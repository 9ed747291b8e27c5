// The exposer: prometheus-cpp's CivetWeb server with one collectable, the hub, which reads every
// registered component at scrape time.
#include <zmqsec/metrics/exposer.hpp>

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <charconv>
#include <exception>

#include <zmqsec/error.hpp>

#include "family_set.hpp"
#include "server_sockets.hpp"

namespace zmqsec::metrics {

namespace {

// "HOST:PORT" or "[V6]:PORT" split; throws for anything else.
std::pair<std::string, std::uint16_t> split_address(std::string_view address) {
  const auto bad = [&](std::string_view why) {
    return zmqsec::error(errc::invalid_argument, "metrics address \"" + std::string(address) +
                                                     "\": " + std::string(why) +
                                                     " (expected HOST:PORT)");
  };
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) throw bad("no host or no port");
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') throw bad("unclosed [");
  if (host.front() != '[' && host.find(':') != std::string_view::npos) {
    throw bad("an IPv6 address goes in brackets");
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    throw bad("the port is not a number from 0 to 65535");
  }
  return {std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace

void check_address(std::string_view address) {
  (void)split_address(address);
}

registration::registration(std::weak_ptr<detail::hub> hub, std::uint64_t id) noexcept
    : hub_(std::move(hub)), id_(id) {}
registration::registration(registration&& other) noexcept
    : hub_(std::move(other.hub_)), id_(std::exchange(other.id_, 0)) {}
registration& registration::operator=(registration&& other) noexcept {
  if (this != &other) {
    reset();
    hub_ = std::move(other.hub_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}
registration::~registration() {
  reset();
}

void registration::reset() noexcept {
  if (id_ == 0) return;
  if (auto hub = hub_.lock()) hub->remove(id_);
  id_ = 0;
  hub_.reset();
}

exposer::exposer(std::string_view address) : hub_(std::make_shared<detail::hub>()) {
  auto [host, port] = split_address(address);
  host_ = host;
  try {
    // One thread: a scrape a second needs no more, and scrapes then never run side by side.
    server_ = std::make_unique<prometheus::Exposer>(host + ":" + std::to_string(port), 1);
  } catch (const std::exception& e) {
    throw zmqsec::error(errc::invalid_argument,
                        "metrics: cannot listen at " + std::string(address) + ": " + e.what());
  }
  const std::vector<int> ports = server_->GetListeningPorts();
  if (ports.empty()) {
    throw zmqsec::error(errc::invalid_argument,
                        "metrics: no listening port at " + std::string(address));
  }
  port_ = static_cast<std::uint16_t>(ports.front());
  server_->RegisterCollectable(hub_);
}

exposer::~exposer() {
  // CivetWeb would take up to two seconds to notice its stop flag (server_sockets.hpp).
  detail::shut_down_server_sockets(host_, port_);
  server_.reset();  // no scrape after this
  hub_.reset();     // registrations see it gone
}

std::string exposer::url() const {
  return "http://" + host_ + ":" + std::to_string(port_) + "/metrics";
}

std::string exposer::scrape() const {
  return prometheus::TextSerializer().Serialize(hub_->Collect());
}

registration exposer::add_source(std::function<void(detail::family_set&)> collect) {
  return registration(hub_, hub_->add(std::move(collect)));
}

}  // namespace zmqsec::metrics
