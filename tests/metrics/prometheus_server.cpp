#include "prometheus_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "http_get.hpp"
#include "wait_until.hpp"

namespace zmqsec::testing {

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("no free port on 127.0.0.1");
  return ntohs(addr.sin_port);
}

prometheus_server::prometheus_server(const std::string& target,
                                     std::chrono::milliseconds ready_timeout) {
  const auto config = dir_.path() / "prometheus.yml";
  std::ofstream(config) << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  scrape_timeout: 1s\n"
                           "  evaluation_interval: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: zmqsec\n"
                           "    static_configs:\n"
                           "      - targets: ['"
                        << target << "']\n";
  port_ = free_loopback_port();
  process_ = std::make_unique<child_process>(std::vector<std::string>{
      program, "--config.file=" + config.string(),
      "--storage.tsdb.path=" + (dir_.path() / "data").string(),
      "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"});
  const bool ready = wait_until(
      [&] {
        process_->read_available();
        const auto r = http_get("127.0.0.1", port_, "/-/ready", std::chrono::seconds(2));
        return r && r->status == 200;
      },
      ready_timeout);
  if (!ready) {
    throw std::runtime_error("Prometheus was not ready within the deadline; its log:\n" + log());
  }
}

prometheus_server::~prometheus_server() {
  if (!process_) return;
  process_->send_signal(SIGTERM);
  process_->wait(std::chrono::seconds(20));
}

std::string prometheus_server::log() {
  process_->read_available();
  return process_->output_so_far() + process_->error_output_so_far();
}

std::optional<double> prometheus_server::query(const std::string& expr, std::string* error) const {
  const auto r = http_get("127.0.0.1", port_, "/api/v1/query?query=" + url_encode(expr));
  if (!r || r->status != 200) {
    if (error) *error = r ? "HTTP " + std::to_string(r->status) + ": " + r->body : "no answer";
    return std::nullopt;
  }
  const auto doc = nlohmann::json::parse(r->body, nullptr, false);
  if (doc.is_discarded() || doc.value("status", "") != "success") {
    if (error) *error = "unexpected answer: " + r->body;
    return std::nullopt;
  }
  const auto& result = doc["data"]["result"];
  if (!result.is_array() || result.empty()) return std::nullopt;
  if (result.size() > 1 && error) *error = "more than one series: " + r->body;
  return std::stod(result[0]["value"][1].get<std::string>());
}

std::optional<double> prometheus_server::wait_for_value(const std::string& expr, double expected,
                                                        std::chrono::milliseconds timeout) const {
  std::optional<double> last;
  wait_until(
      [&] {
        last = query(expr);
        if (last && *last == expected) return true;
        // A query a millisecond is pointless when scrapes come once a second.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return false;
      },
      timeout);
  return last;
}

bool prometheus_server::wait_for_target_up(std::chrono::milliseconds timeout) const {
  return wait_for_value("up{job=\"zmqsec\"}", 1, timeout) == 1.0;
}

}  // namespace zmqsec::testing
