// What a policy_config holds and what the policy it builds holds: shared by the configuration
// (policy.cpp) and the decision (decide.cpp). Private to zmqsec::auth.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include <zmqsec/auth/policy.hpp>

#include "throttle_table.hpp"

namespace zmqsec::auth::detail {

inline constexpr std::string_view wildcard_domain = "*";

/// Throws for a domain libzmq cannot send.
void check_domain(std::string_view domain);

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

struct plain_source {
  password_table table;
  std::optional<std::filesystem::path> file;                // set by configure_plain_file
  std::shared_ptr<const deferred_plain_callback> deferred;  // set: decided by it, not the table
  std::shared_ptr<const plain_callback> callback;           // set: decided by it, not the table
};

// A domain's NULL rule, with its metadata encoded once (a ZAP metadata frame).
struct null_rule {
  bool allowed = true;
  std::string user_id;
  std::string metadata_frame;
};

// A domain's decider: one of the two is set.
struct decider_source {
  std::shared_ptr<const decider> now;
  std::shared_ptr<const deferred_decider> later;
};

struct curve_source {
  enum class kind : std::uint8_t { allow_any, store, keys, callback, deferred };
  kind how = kind::allow_any;
  std::shared_ptr<const certs::cert_store> store;
  std::shared_ptr<const std::unordered_set<certs::public_key>> keys;
  std::shared_ptr<const curve_callback> callback;
  std::shared_ptr<const deferred_curve_callback> deferred;
};

struct domain_config {
  std::optional<plain_source> plain;
  std::optional<curve_source> curve;
  bool gssapi = false;
  std::optional<null_rule> null;  // empty: NULL admitted, no User-Id
  std::optional<decider_source> decider;
};

struct config_data {
  address_rules addresses;
  std::map<std::string, domain_config, std::less<>> domains;
  std::shared_ptr<const curve_user_id_hook> user_id_hook;
  std::shared_ptr<const decision_observer> observer;
  decision_logging logging = decision_logging::all;
  throttle_config throttle = throttle_off();  // until configure_throttle

  domain_config& domain(std::string_view name) {
    check_domain(name);
    auto it = domains.find(name);
    if (it == domains.end()) it = domains.emplace(std::string(name), domain_config{}).first;
    return it->second;
  }
};

struct policy_data {
  address_rules addresses;
  // Every configured domain with what "*" has filled in for the mechanisms it lacks, and "*"
  // itself for the domains that are not listed.
  std::unordered_map<std::string, domain_config, string_hash, std::equal_to<>> domains;
  domain_config wildcard;
  std::shared_ptr<const curve_user_id_hook> user_id_hook;
  std::shared_ptr<const decision_observer> observer;
  mutable std::atomic<std::uint64_t> observer_errors{0};
  throttle_config throttle;  // read by the ZAP server when the policy comes in force

  const domain_config& find(std::string_view domain) const noexcept {
    if (domains.empty()) return wildcard;  // only "*" configured: no hashing per request
    const auto it = domains.find(domain);
    return it == domains.end() ? wildcard : it->second;
  }
};

/// The one way into a policy's data, for the decision (a friend of policy).
struct policy_access {
  static const policy_data& data(const policy& p) noexcept { return *p.data_; }
};

}  // namespace zmqsec::auth::detail
