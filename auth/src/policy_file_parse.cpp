// The policy file's text to a policy_document: TOML (toml++, kept out of the public headers) read
// strictly, every value checked by the policy_config call it becomes, every error placed at the
// line and column of the key or value at fault. Touches no file.
//
// A new table (as [throttle]) is one more entry in parse_top_level's list and a function of its
// own; a new per-domain key the same in parse_domain.
#include <zmqsec/auth/policy_file.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <utility>

#include <toml++/toml.h>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/core/text.hpp>

#include "policy_data.hpp"

namespace zmqsec::auth {

namespace {

using core::escape_for_log;

std::string in_quotes(std::string_view text) {
  return "\"" + escape_for_log(text) + "\"";
}

class document_parser {
 public:
  explicit document_parser(policy_document& document) : doc_(document) {}

  void parse_top_level(const toml::table& root) {
    for (const auto& [key, node] : root) {
      if (key == "addresses") {
        parse_addresses(table_of(key, node));
      } else if (key == "log") {
        parse_log(table_of(key, node));
      } else if (key == "throttle") {
        parse_throttle(table_of(key, node));
      } else if (key == "domains") {
        for (const auto& [name, domain] : table_of(key, node)) {
          parse_domain(name, table_of(name, domain));
        }
      } else {
        unknown(key, "a top-level table ([addresses], [log], [throttle], [domains.NAME])");
      }
    }
  }

 private:
  [[noreturn]] void fail(const toml::source_region& where, const std::string& reason) const {
    throw policy_file_error(make_error_code(errc::invalid_argument), doc_.source, where.begin.line,
                            where.begin.column, reason);
  }
  [[noreturn]] void unknown(const toml::key& key, std::string_view expected) const {
    fail(key.source(),
         "unknown key " + in_quotes(key.str()) + " (expected " + std::string(expected) + ")");
  }

  // Runs a policy_config call and places what it throws at where.
  void checked(const toml::source_region& where, const std::function<void()>& call) const {
    try {
      call();
    } catch (const policy_file_error&) {
      throw;
    } catch (const std::exception& e) {
      fail(where, e.what());
    }
  }

  const toml::table& table_of(const toml::key& key, const toml::node& node) const {
    if (const toml::table* table = node.as_table()) return *table;
    fail(node.source(), in_quotes(key.str()) + " must be a table");
  }
  const std::string& string_of(const toml::key& key, const toml::node& node) const {
    if (const auto* value = node.as_string()) return value->get();
    fail(node.source(), in_quotes(key.str()) + " must be a string");
  }
  bool bool_of(const toml::key& key, const toml::node& node) const {
    if (const auto* value = node.as_boolean()) return value->get();
    fail(node.source(), in_quotes(key.str()) + " must be true or false");
  }
  // An array of strings, each with its node (for its position).
  std::vector<std::pair<std::string_view, const toml::node*>> strings_of(
      const toml::key& key, const toml::node& node) const {
    const toml::array* array = node.as_array();
    if (array == nullptr)
      fail(node.source(), in_quotes(key.str()) + " must be an array of strings");
    std::vector<std::pair<std::string_view, const toml::node*>> out;
    for (const toml::node& item : *array) {
      const auto* text = item.as_string();
      if (text == nullptr) fail(item.source(), in_quotes(key.str()) + " must hold strings only");
      out.emplace_back(text->get(), &item);
    }
    return out;
  }

  void parse_addresses(const toml::table& table) {
    for (const auto& [key, node] : table) {
      const bool allow = key == "allow";
      if (!allow && key != "deny") unknown(key, "allow or deny");
      for (const auto& [rule, at] : strings_of(key, node)) {
        checked(at->source(), [&, rule = rule] {
          if (allow) {
            doc_.config.allow(rule);
          } else {
            doc_.config.deny(rule);
          }
        });
      }
    }
  }

  void parse_log(const toml::table& table) {
    for (const auto& [key, node] : table) {
      if (key != "decisions") unknown(key, "decisions");
      const std::string& which = string_of(key, node);
      if (which == "all") {
        doc_.config.log_decisions(decision_logging::all);
      } else if (which == "refusals") {
        doc_.config.log_decisions(decision_logging::refusals);
      } else if (which == "none") {
        doc_.config.log_decisions(decision_logging::none);
      } else {
        fail(node.source(),
             "decisions must be \"all\", \"refusals\" or \"none\", not " + in_quotes(which));
      }
    }
  }

  // A whole number from 0 to max.
  std::int64_t count_of(const toml::key& key, const toml::node& node, std::int64_t max) const {
    const auto* value = node.as_integer();
    if (value == nullptr || value->get() < 0 || value->get() > max) {
      fail(node.source(),
           in_quotes(key.str()) + " must be a whole number from 0 to " + std::to_string(max));
    }
    return value->get();
  }

  // [throttle]: present, it turns throttling on with throttle_config's defaults for what it
  // leaves out (max_failures = 0 turns it off again).
  void parse_throttle(const toml::table& table) {
    throttle_config config;
    constexpr std::int64_t day_ms = 86'400'000;
    for (const auto& [key, node] : table) {
      if (key == "max_failures") {
        config.max_failures = static_cast<unsigned>(count_of(key, node, 1'000'000));
      } else if (key == "window_ms") {
        config.window = std::chrono::milliseconds(count_of(key, node, day_ms));
      } else if (key == "initial_backoff_ms") {
        config.initial_backoff = std::chrono::milliseconds(count_of(key, node, day_ms));
      } else if (key == "max_backoff_ms") {
        config.max_backoff = std::chrono::milliseconds(count_of(key, node, day_ms));
      } else if (key == "capacity") {
        config.capacity = static_cast<std::size_t>(
            count_of(key, node, static_cast<std::int64_t>(max_throttle_capacity)));
      } else if (key == "exempt") {
        for (const auto& [rule, at] : strings_of(key, node)) {
          checked(at->source(), [&, rule = rule] { address_rules().allow(rule); });
          config.exempt.emplace_back(rule);
        }
      } else {
        unknown(key,
                "max_failures, window_ms, initial_backoff_ms, max_backoff_ms, capacity or exempt");
      }
    }
    checked(table.source(), [&] { doc_.config.configure_throttle(std::move(config)); });
  }

  void parse_domain(const toml::key& name, const toml::table& table) {
    const std::string domain(name.str());
    // clear() checks the domain's length; a domain listed twice is a TOML error already.
    checked(name.source(), [&] { doc_.config.clear(domain); });
    for (const auto& [key, node] : table) {
      if (key == "null") {
        parse_null(domain, table_of(key, node));
      } else if (key == "plain") {
        parse_plain(domain, table_of(key, node));
      } else if (key == "curve") {
        parse_curve(domain, key, table_of(key, node));
      } else if (key == "gssapi") {
        parse_gssapi(domain, table_of(key, node));
      } else {
        unknown(key, "null, plain, curve or gssapi");
      }
    }
  }

  void parse_null(const std::string& domain, const toml::table& table) {
    null_access access;
    const toml::node* extras = nullptr;  // user_id or metadata, which need allow = true
    for (const auto& [key, node] : table) {
      if (key == "allow") {
        access.allowed = bool_of(key, node);
      } else if (key == "user_id") {
        access.user_id = string_of(key, node);
        extras = &node;
      } else if (key == "metadata") {
        for (const auto& [property, value] : table_of(key, node)) {
          access.metadata.emplace_back(std::string(property.str()), string_of(property, value));
        }
        extras = &node;
      } else {
        unknown(key, "allow, user_id or metadata");
      }
    }
    if (!access.allowed && extras != nullptr) {
      fail(extras->source(), "user_id and metadata are for admitted NULL clients (allow = true)");
    }
    checked(table.source(), [&] { doc_.config.configure_null(domain, std::move(access)); });
  }

  void parse_plain(const std::string& domain, const toml::table& table) {
    bool named = false;
    for (const auto& [key, node] : table) {
      if (key != "password_file") unknown(key, "password_file");
      add_file(policy_file_source::kind::password_file, domain, string_of(key, node), node);
      named = true;
    }
    if (!named) fail(table.source(), "plain needs a password_file");
  }

  void parse_curve(const std::string& domain, const toml::key& curve, const toml::table& table) {
    const toml::key* source = nullptr;  // the one CURVE source of the domain
    for (const auto& [key, node] : table) {
      if (source != nullptr) {
        fail(key.source(), "two CURVE sources in domain " + in_quotes(domain) + ": " +
                               in_quotes(source->str()) + " and " + in_quotes(key.str()));
      }
      source = &key;
      if (key == "certificates") {
        add_file(policy_file_source::kind::certificates, domain, string_of(key, node), node);
      } else if (key == "authorized_keys") {
        add_file(policy_file_source::kind::authorized_keys, domain, string_of(key, node), node);
      } else if (key == "keys") {
        parse_curve_keys(domain, key, node);
      } else if (key == "allow_any") {
        if (!bool_of(key, node)) fail(node.source(), "allow_any = false: leave the key out");
        doc_.config.configure_curve(domain, curve_allow_any);
      } else {
        unknown(key, "certificates, authorized_keys, keys or allow_any");
      }
    }
    if (source == nullptr) {
      fail(curve.source(), "curve needs one of certificates, authorized_keys, keys or allow_any");
    }
  }

  void parse_curve_keys(const std::string& domain, const toml::key& key, const toml::node& node) {
    std::vector<certs::public_key> keys;
    for (const auto& [text, at] : strings_of(key, node)) {
      checked(at->source(),
              [&, text = text] { keys.push_back(certs::public_key::from_z85(text)); });
    }
    doc_.config.configure_curve(domain, std::move(keys));
  }

  void parse_gssapi(const std::string& domain, const toml::table& table) {
    bool enabled = false;
    for (const auto& [key, node] : table) {
      if (key != "enabled") unknown(key, "enabled");
      enabled = bool_of(key, node);
    }
    if (enabled) doc_.config.configure_gssapi(domain);
  }

  void add_file(policy_file_source::kind what, const std::string& domain, const std::string& path,
                const toml::node& node) {
    if (path.empty()) fail(node.source(), "an empty path");
    if (path.find('\0') != std::string::npos) fail(node.source(), "a path with a NUL byte");
    std::filesystem::path full(path);
    if (full.is_relative()) full = doc_.source.parent_path() / full;
    doc_.files.push_back(
        {what, domain, std::move(full), node.source().begin.line, node.source().begin.column});
  }

  policy_document& doc_;
};

}  // namespace

policy_file_error::policy_file_error(std::error_code code, std::filesystem::path path,
                                     std::uint32_t line, std::uint32_t column, std::string reason)
    : zmqsec::error(code,
                    path.string() +
                        (line == 0 ? std::string()
                                   : ":" + std::to_string(line) + ":" + std::to_string(column)) +
                        ": " + reason),
      path_(std::move(path)),
      line_(line),
      column_(column),
      reason_(std::move(reason)) {}

policy_document parse_policy_document(std::string_view text, const std::filesystem::path& source) {
  policy_document document;
  document.source = source;
  toml::table root;
  try {
    root = toml::parse(text, source.string());
  } catch (const toml::parse_error& e) {
    throw policy_file_error(make_error_code(errc::invalid_argument), source, e.source().begin.line,
                            e.source().begin.column, std::string(e.description()));
  }
  document_parser(document).parse_top_level(root);
  return document;
}

}  // namespace zmqsec::auth
