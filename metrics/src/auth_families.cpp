// The families of an authenticator: its counters (authenticator_stats), its decisions in detail
// (authenticator_decision_stats), the policy in force and whether its handler runs.
#include <zmqsec/auth/loop_authenticator.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/metrics/exposer.hpp>

#include <algorithm>
#include <array>

#include "family_set.hpp"

namespace zmqsec::metrics {

namespace {

constexpr std::array<std::string_view, 4> status_labels = {"200", "300", "400", "500"};
constexpr std::array<std::string_view, 5> mechanism_labels = {"NULL", "PLAIN", "CURVE", "GSSAPI",
                                                              "unknown"};

void collect_counters(detail::family_set& f, std::string_view name,
                      const auth::authenticator_stats& s) {
  const detail::labels l = {{"authenticator", name}};
  f.counter("zmqsec_auth_requests_total", "ZAP requests read", l, s.requests);
  f.counter("zmqsec_auth_dropped_requests_total",
            "ZAP requests that got no reply (no envelope or request id)", l, s.dropped);
  f.counter("zmqsec_auth_reply_send_failures_total", "ZAP replies libzmq did not take", l,
            s.send_failures);
  f.counter("zmqsec_auth_deferred_total", "ZAP requests handed to a deferred callback", l,
            s.deferred);
  f.counter("zmqsec_auth_deferred_timeouts_total",
            "deferred ZAP requests answered 500 because no answer came in time", l,
            s.deferred_timeouts);
  f.counter("zmqsec_auth_throttled_total",
            "ZAP requests refused for throttling (too many failed attempts from the address)", l,
            s.throttled);
  f.counter("zmqsec_auth_revocations_total",
            "accepted sessions a later change of policy or certificates refused (session_guard)", l,
            s.revocations);
  f.counter("zmqsec_auth_password_reloads_total", "password files read again", l,
            s.password_reloads);
  f.counter("zmqsec_auth_password_reload_failures_total",
            "password files that could not be read or parsed again (the old table stays)", l,
            s.password_reload_failures);
}

void collect_decisions(detail::family_set& f, std::string_view name,
                       const auth::authenticator_decision_stats& d) {
  using stats = auth::authenticator_decision_stats;
  for (std::size_t row = 0; row < d.decisions.size(); ++row) {
    if (row < stats::other_domain && row >= d.domains.size()) continue;
    // Both sides string_view: "other" : d.domains[row] would make a temporary std::string.
    const std::string_view domain =
        row == stats::other_domain ? std::string_view("other") : std::string_view(d.domains[row]);
    for (std::size_t s = 0; s < stats::status_count; ++s) {
      for (std::size_t m = 0; m < stats::mechanism_count; ++m) {
        const std::uint64_t n = d.decisions[row][s][m];
        if (n == 0) continue;  // a series appears with its first decision
        f.counter("zmqsec_auth_decisions_total", "ZAP replies sent, by status, mechanism, domain",
                  {{"authenticator", name},
                   {"domain", domain},
                   {"mechanism", mechanism_labels[m]},
                   {"status", status_labels[s]}},
                  n);
      }
    }
  }
  f.counter("zmqsec_auth_malformed_requests_total", "ZAP requests that broke RFC 27 (answered 400)",
            {{"authenticator", name}}, d.malformed);
  f.histogram("zmqsec_auth_decision_duration_seconds",
              "time the policy took to decide a request (deferred ones excluded)",
              {{"authenticator", name}}, stats::latency_bounds, d.latency_buckets,
              static_cast<double>(d.latency_sum_ns) * 1e-9);
}

void collect_policy(detail::family_set& f, const auth::authenticator& a,
                    const authenticator_options& options,
                    const auth::authenticator_decision_stats& d) {
  const detail::labels l = {{"authenticator", options.name}};
  f.gauge("zmqsec_auth_policy_generation", "generation of the policy in force (1 at start)", l,
          static_cast<double>(a.generation()));
  std::vector<std::string> domains = options.store_domains;
  domains.insert(domains.end(), d.domains.begin(), d.domains.end());
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  for (const std::string& domain : domains) {
    if (const auto store = a.curve_store(domain)) {
      f.gauge("zmqsec_auth_curve_store_keys", "keys in a domain's CURVE certificate store",
              {{"authenticator", options.name}, {"domain", domain}},
              static_cast<double>(store->current()->size()));
    }
  }
}

}  // namespace

registration exposer::add_authenticator(const auth::authenticator& a, std::function<bool()> up,
                                        authenticator_options options) {
  return add_source([&a, up = std::move(up), options = std::move(options)](detail::family_set& f) {
    const auth::authenticator_decision_stats decisions = a.decision_stats();
    collect_counters(f, options.name, a.stats());
    collect_decisions(f, options.name, decisions);
    collect_policy(f, a, options, decisions);
    f.gauge("zmqsec_auth_handler_up", "1 while the ZAP handler runs",
            {{"authenticator", options.name}}, up() ? 1 : 0);
  });
}

registration exposer::add(const auth::thread_authenticator& a, authenticator_options options) {
  return add_authenticator(
      a, [&a] { return a.is_alive(); }, std::move(options));
}

registration exposer::add(const auth::loop_authenticator& a, authenticator_options options) {
  return add_authenticator(
      a, [&a] { return a.is_alive(); }, std::move(options));
}

}  // namespace zmqsec::metrics
