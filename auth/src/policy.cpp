// Policies: the configuration (policy_config) and the immutable policy it builds. The decision
// that applies a policy to a request is in decide.cpp.
#include <zmqsec/auth/policy.hpp>

#include <algorithm>
#include <map>

#include <zmqsec/certs/z85.hpp>
#include <zmqsec/core/text.hpp>

#include "policy_data.hpp"

namespace zmqsec::auth {

namespace detail {

void check_domain(std::string_view domain) {
  if (domain.size() > max_domain_size) {
    throw zmqsec::error(errc::invalid_argument,
                        "ZAP domain longer than 255 bytes (libzmq cannot send it)");
  }
}

}  // namespace detail

namespace {

// A user callback, shared by the policies built from a configuration; an empty one is refused.
template <class Callback>
std::shared_ptr<const Callback> shared_callback(Callback callback, const char* empty_message) {
  if (!callback) throw zmqsec::error(errc::invalid_argument, empty_message);
  return std::make_shared<const Callback>(std::move(callback));
}

}  // namespace

// ---- policy -------------------------------------------------------------------------------------

policy::policy(std::shared_ptr<const detail::policy_data> data) noexcept : data_(std::move(data)) {}

const address_rules& policy::addresses() const noexcept {
  return data_->addresses;
}

bool policy::configured(std::string_view domain, mechanism m) const noexcept {
  const detail::domain_config& config = data_->find(domain);
  switch (m) {
    case mechanism::null:
      return !config.null || config.null->allowed;
    case mechanism::plain:
      return config.plain.has_value();
    case mechanism::curve:
      return config.curve.has_value();
    case mechanism::gssapi:
      return config.gssapi;
    case mechanism::unknown:
      break;
  }
  return false;
}

std::uint64_t policy::observer_errors() const noexcept {
  return data_->observer_errors.load(std::memory_order_relaxed);
}

const throttle_config& policy::throttle() const noexcept {
  return data_->throttle;
}

// ---- policy_config ------------------------------------------------------------------------------

policy_config::policy_config() : data_(std::make_unique<detail::config_data>()) {}
policy_config::policy_config(const policy_config& other)
    : data_(std::make_unique<detail::config_data>(*other.data_)) {}
policy_config& policy_config::operator=(const policy_config& other) {
  if (this != &other) data_ = std::make_unique<detail::config_data>(*other.data_);
  return *this;
}
policy_config::policy_config(policy_config&&) noexcept = default;
policy_config& policy_config::operator=(policy_config&&) noexcept = default;
policy_config::~policy_config() = default;

policy_config& policy_config::allow(std::string_view address) {
  data_->addresses.allow(address);
  return *this;
}

policy_config& policy_config::deny(std::string_view address) {
  data_->addresses.deny(address);
  return *this;
}

policy_config& policy_config::allow_all(std::span<const std::string_view> addresses) {
  address_rules rules = data_->addresses;  // all or nothing
  for (std::string_view address : addresses) rules.allow(address);
  data_->addresses = std::move(rules);
  return *this;
}

policy_config& policy_config::deny_all(std::span<const std::string_view> addresses) {
  address_rules rules = data_->addresses;
  for (std::string_view address : addresses) rules.deny(address);
  data_->addresses = std::move(rules);
  return *this;
}

policy_config& policy_config::remove_allow(std::string_view address) {
  data_->addresses.remove_allow(address);
  return *this;
}

policy_config& policy_config::remove_deny(std::string_view address) {
  data_->addresses.remove_deny(address);
  return *this;
}

policy_config& policy_config::clear_addresses() {
  data_->addresses.clear();
  return *this;
}

policy_config& policy_config::clear(std::string_view domain) {
  detail::check_domain(domain);
  if (auto it = data_->domains.find(domain); it != data_->domains.end()) data_->domains.erase(it);
  return *this;
}

policy_config& policy_config::clear_all() {
  auto fresh = std::make_unique<detail::config_data>();
  fresh->observer = data_->observer;
  data_ = std::move(fresh);
  return *this;
}

policy_config& policy_config::configure_null(std::string_view domain, null_access access) {
  detail::null_rule rule{access.allowed, std::move(access.user_id), {}};
  for (const auto& [name, value] : access.metadata) {
    const metadata_problem problem = append_metadata(rule.metadata_frame, name, value);
    if (problem != metadata_problem::none) {
      throw zmqsec::error(errc::invalid_argument, "configure_null: metadata property \"" +
                                                      core::escape_for_log(name) +
                                                      "\": " + std::string(to_string(problem)));
    }
  }
  data_->domain(domain).null = std::move(rule);
  return *this;
}

policy_config& policy_config::refuse_null(std::string_view domain) {
  data_->domain(domain).null = detail::null_rule{false, {}, {}};
  return *this;
}

policy_config& policy_config::configure_decider(std::string_view domain, decider fn) {
  auto shared = shared_callback(std::move(fn), "configure_decider: empty");
  data_->domain(domain).decider = detail::decider_source{std::move(shared), nullptr};
  return *this;
}

policy_config& policy_config::configure_decider_deferred(std::string_view domain,
                                                         deferred_decider fn) {
  auto shared = shared_callback(std::move(fn), "configure_decider_deferred: empty");
  data_->domain(domain).decider = detail::decider_source{nullptr, std::move(shared)};
  return *this;
}

policy_config& policy_config::configure_plain_callback(std::string_view domain,
                                                       plain_callback callback) {
  detail::plain_source source;
  source.callback = shared_callback(std::move(callback), "configure_plain_callback: empty");
  data_->domain(domain).plain = std::move(source);
  return *this;
}

bool policy_config::needs_deferral() const {
  for (const auto& [name, config] : data_->domains) {
    if (config.plain && config.plain->deferred) return true;
    if (config.curve && config.curve->how == detail::curve_source::kind::deferred) return true;
    if (config.decider && config.decider->later) return true;
  }
  return false;
}

policy_config& policy_config::configure_plain(std::string_view domain, password_table users) {
  data_->domain(domain).plain =
      detail::plain_source{std::move(users), std::nullopt, nullptr, nullptr};
  return *this;
}

policy_config& policy_config::configure_plain_deferred(std::string_view domain,
                                                       deferred_plain_callback callback) {
  detail::plain_source source;
  source.deferred = shared_callback(std::move(callback), "configure_plain_deferred: empty");
  data_->domain(domain).plain = std::move(source);
  return *this;
}

policy_config& policy_config::configure_plain_file(std::string_view domain,
                                                   const std::filesystem::path& file) {
  detail::check_domain(domain);
  password_table users = load_password_file(file);
  data_->domain(domain).plain = detail::plain_source{std::move(users), file, nullptr, nullptr};
  return *this;
}

std::vector<std::filesystem::path> policy_config::plain_files() const {
  std::vector<std::filesystem::path> files;
  for (const auto& [name, config] : data_->domains) {
    if (config.plain && config.plain->file &&
        std::find(files.begin(), files.end(), *config.plain->file) == files.end()) {
      files.push_back(*config.plain->file);
    }
  }
  return files;
}

std::size_t policy_config::update_plain_file(const std::filesystem::path& file,
                                             const password_table& users) {
  std::size_t updated = 0;
  for (auto& [name, config] : data_->domains) {
    if (config.plain && config.plain->file && *config.plain->file == file) {
      config.plain->table = users;
      ++updated;
    }
  }
  return updated;
}

policy_config& policy_config::configure_curve(std::string_view domain, curve_allow_any_t) {
  data_->domain(domain).curve = detail::curve_source{};
  return *this;
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              const std::filesystem::path& folder,
                                              certs::cert_store_options options) {
  detail::check_domain(domain);
  return configure_curve(domain,
                         std::make_shared<const certs::cert_store>(folder, std::move(options)));
}

policy_config& policy_config::configure_curve_keys_file(std::string_view domain,
                                                        const std::filesystem::path& file,
                                                        certs::cert_store_options options) {
  detail::check_domain(domain);
  return configure_curve(domain,
                         std::make_shared<const certs::cert_store>(
                             certs::cert_store::from_authorized_keys(file, std::move(options))));
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              std::shared_ptr<const certs::cert_store> store) {
  if (!store) throw zmqsec::error(errc::invalid_argument, "configure_curve: null cert_store");
  detail::curve_source source;
  source.how = detail::curve_source::kind::store;
  source.store = std::move(store);
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              std::vector<certs::public_key> keys) {
  detail::curve_source source;
  source.how = detail::curve_source::kind::keys;
  source.keys =
      std::make_shared<const std::unordered_set<certs::public_key>>(keys.begin(), keys.end());
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              std::initializer_list<std::string_view> z85_keys) {
  std::vector<certs::public_key> keys;
  keys.reserve(z85_keys.size());
  for (std::string_view text : z85_keys) keys.push_back(certs::public_key::from_z85(text));
  return configure_curve(domain, std::move(keys));
}

policy_config& policy_config::configure_curve_callback(std::string_view domain,
                                                       curve_callback callback) {
  detail::curve_source source;
  source.how = detail::curve_source::kind::callback;
  source.callback = shared_callback(std::move(callback), "configure_curve_callback: empty");
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve_deferred(std::string_view domain,
                                                       deferred_curve_callback callback) {
  detail::curve_source source;
  source.how = detail::curve_source::kind::deferred;
  source.deferred = shared_callback(std::move(callback), "configure_curve_deferred: empty");
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve_user_id(curve_user_id_hook hook) {
  data_->user_id_hook =
      hook ? std::make_shared<const curve_user_id_hook>(std::move(hook)) : nullptr;
  return *this;
}

policy_config& policy_config::configure_gssapi(std::string_view domain) {
  data_->domain(domain).gssapi = true;
  return *this;
}

policy_config& policy_config::on_decision(decision_observer observer) {
  data_->observer =
      observer ? std::make_shared<const decision_observer>(std::move(observer)) : nullptr;
  return *this;
}

policy_config& policy_config::log_decisions(decision_logging which) {
  data_->logging = which;
  return *this;
}

decision_logging policy_config::logged_decisions() const noexcept {
  return data_->logging;
}

policy_config& policy_config::configure_throttle(throttle_config config) {
  detail::check_throttle_config(config);
  data_->throttle = std::move(config);
  return *this;
}

const throttle_config& policy_config::throttle() const noexcept {
  return data_->throttle;
}

std::shared_ptr<const policy> policy_config::build() const {
  auto data = std::make_shared<detail::policy_data>();
  data->addresses = data_->addresses;
  data->user_id_hook = data_->user_id_hook;
  data->observer = data_->observer;
  data->throttle = data_->throttle;
  if (auto it = data_->domains.find(detail::wildcard_domain); it != data_->domains.end()) {
    data->wildcard = it->second;
  }
  for (const auto& [name, config] : data_->domains) {
    if (name == detail::wildcard_domain) continue;
    detail::domain_config resolved = config;
    if (!resolved.plain) resolved.plain = data->wildcard.plain;
    if (!resolved.curve) resolved.curve = data->wildcard.curve;
    resolved.gssapi = resolved.gssapi || data->wildcard.gssapi;
    if (!resolved.null) resolved.null = data->wildcard.null;
    if (!resolved.decider) resolved.decider = data->wildcard.decider;
    data->domains.emplace(name, std::move(resolved));
  }
  return std::shared_ptr<const policy>(new policy(std::move(data)));
}

}  // namespace zmqsec::auth
