// The configuring calls of every authenticator: each is one change handed to the publisher.
#include <zmqsec/auth/authenticator.hpp>

#include <utility>

#include <zmqsec/error.hpp>

#include "authenticator_core.hpp"

namespace zmqsec::auth {

authenticator::authenticator(policy_config config, std::shared_ptr<spdlog::logger> logger,
                             answers_later deferral)
    : core_(std::make_shared<detail::authenticator_core>(
          std::move(config), std::move(logger), deferral == answers_later::yes,
          deferral == answers_later::yes ? "loop_authenticator" : "thread_authenticator")) {}
authenticator::authenticator(authenticator&&) noexcept = default;
authenticator& authenticator::operator=(authenticator&&) noexcept = default;
authenticator::~authenticator() = default;

const std::shared_ptr<detail::authenticator_core>& authenticator::core() const {
  if (!core_)
    throw zmqsec::error(errc::invalid_argument, "authenticator: used after being moved from");
  return core_;
}

authenticator& authenticator::allow(std::string_view address) {
  core()->publisher.change([&](policy_config& c) { c.allow(address); });
  return *this;
}
authenticator& authenticator::deny(std::string_view address) {
  core()->publisher.change([&](policy_config& c) { c.deny(address); });
  return *this;
}
authenticator& authenticator::allow_all(std::span<const std::string_view> addresses) {
  core()->publisher.change([&](policy_config& c) { c.allow_all(addresses); });
  return *this;
}
authenticator& authenticator::deny_all(std::span<const std::string_view> addresses) {
  core()->publisher.change([&](policy_config& c) { c.deny_all(addresses); });
  return *this;
}

authenticator& authenticator::configure_plain(std::string_view domain, password_table users) {
  core()->publisher.change([&](policy_config& c) { c.configure_plain(domain, std::move(users)); });
  return *this;
}
authenticator& authenticator::configure_plain_file(std::string_view domain,
                                                   const std::filesystem::path& file) {
  core()->publisher.configure_plain_file(domain, file);
  return *this;
}

// A CURVE change other than a folder goes through change_curve: the domain's store is forgotten.
authenticator& authenticator::configure_curve(std::string_view domain, curve_allow_any_t any) {
  core()->publisher.change_curve(domain, [&](policy_config& c) { c.configure_curve(domain, any); });
  return *this;
}
authenticator& authenticator::configure_curve(std::string_view domain,
                                              const std::filesystem::path& folder,
                                              certs::cert_store_options options) {
  core()->publisher.configure_curve_folder(domain, folder, std::move(options), false);
  return *this;
}

authenticator& authenticator::configure_curve_keys_file(std::string_view domain,
                                                        const std::filesystem::path& file,
                                                        certs::cert_store_options options) {
  core()->publisher.configure_curve_folder(domain, file, std::move(options), true);
  return *this;
}
authenticator& authenticator::configure_curve(std::string_view domain,
                                              std::shared_ptr<const certs::cert_store> store) {
  core()->publisher.change_curve(
      domain, [&](policy_config& c) { c.configure_curve(domain, std::move(store)); });
  return *this;
}
authenticator& authenticator::configure_curve(std::string_view domain,
                                              std::vector<certs::public_key> keys) {
  core()->publisher.change_curve(
      domain, [&](policy_config& c) { c.configure_curve(domain, std::move(keys)); });
  return *this;
}
authenticator& authenticator::configure_curve(std::string_view domain,
                                              std::initializer_list<std::string_view> z85_keys) {
  core()->publisher.change_curve(domain,
                                 [&](policy_config& c) { c.configure_curve(domain, z85_keys); });
  return *this;
}
authenticator& authenticator::configure_curve_callback(std::string_view domain,
                                                       curve_callback callback) {
  core()->publisher.change_curve(
      domain, [&](policy_config& c) { c.configure_curve_callback(domain, std::move(callback)); });
  return *this;
}
authenticator& authenticator::configure_curve_user_id(curve_user_id_hook hook) {
  core()->publisher.change([&](policy_config& c) { c.configure_curve_user_id(std::move(hook)); });
  return *this;
}

authenticator& authenticator::configure_gssapi(std::string_view domain) {
  core()->publisher.change([&](policy_config& c) { c.configure_gssapi(domain); });
  return *this;
}

authenticator& authenticator::configure_throttle(throttle_config config) {
  core()->publisher.change([&](policy_config& c) { c.configure_throttle(std::move(config)); });
  return *this;
}

authenticator& authenticator::configure(const std::function<void(policy_config&)>& change) {
  core()->publisher.change(change);
  return *this;
}

authenticator& authenticator::remove_allow(std::string_view address) {
  core()->publisher.change([&](policy_config& c) { c.remove_allow(address); });
  return *this;
}
authenticator& authenticator::remove_deny(std::string_view address) {
  core()->publisher.change([&](policy_config& c) { c.remove_deny(address); });
  return *this;
}
authenticator& authenticator::clear_addresses() {
  core()->publisher.change([&](policy_config& c) { c.clear_addresses(); });
  return *this;
}
authenticator& authenticator::clear(std::string_view domain) {
  core()->publisher.change_curve(domain, [&](policy_config& c) { c.clear(domain); });
  return *this;
}
authenticator& authenticator::configure_plain_callback(std::string_view domain,
                                                       plain_callback callback) {
  core()->publisher.change(
      [&](policy_config& c) { c.configure_plain_callback(domain, std::move(callback)); });
  return *this;
}
authenticator& authenticator::configure_null(std::string_view domain, null_access access) {
  core()->publisher.change([&](policy_config& c) { c.configure_null(domain, std::move(access)); });
  return *this;
}
authenticator& authenticator::refuse_null(std::string_view domain) {
  core()->publisher.change([&](policy_config& c) { c.refuse_null(domain); });
  return *this;
}
authenticator& authenticator::configure_decider(std::string_view domain, decider fn) {
  core()->publisher.change([&](policy_config& c) { c.configure_decider(domain, std::move(fn)); });
  return *this;
}
authenticator& authenticator::replace(policy_config config) {
  core()->publisher.replace(std::move(config));
  return *this;
}

authenticator& authenticator::load_policy_file(const std::filesystem::path& file) {
  core()->publisher.load_policy_file(file);
  return *this;
}

authenticator& authenticator::on_decision(decision_observer observer) {
  core()->publisher.on_decision(std::move(observer));
  return *this;
}
authenticator& authenticator::set_logger(std::shared_ptr<spdlog::logger> logger) {
  core()->publisher.set_logger(std::move(logger));
  return *this;
}
bool authenticator::reload() {
  return core()->publisher.reload();
}

std::shared_ptr<const policy> authenticator::current_policy() const {
  return core()->publisher.current_policy();
}
std::uint64_t authenticator::generation() const noexcept {
  return core_ ? core_->publisher.generation() : 0;
}
bool authenticator::wait_for_generation(std::uint64_t at_least,
                                        std::chrono::milliseconds timeout) const {
  return core()->publisher.wait_for_generation(at_least, timeout);
}
std::shared_ptr<const certs::cert_store> authenticator::curve_store(std::string_view domain) const {
  return core()->publisher.curve_store(domain);
}

authenticator_stats authenticator::stats() const noexcept {
  return core_ ? core_->counters.snapshot() : authenticator_stats{};
}
authenticator_decision_stats authenticator::decision_stats() const {
  return core_ ? core_->counters.decisions().snapshot() : authenticator_decision_stats{};
}

}  // namespace zmqsec::auth
