// The policy file's second step: the password files and certificate folders a parsed document
// names, loaded into its policy_config. And the whole of it from a path.
#include <zmqsec/auth/policy_file.hpp>

#include <exception>
#include <string>

#include <zmqsec/core/file_read.hpp>

#include "policy_file_resolve.hpp"

namespace zmqsec::auth {

namespace detail {

namespace {

[[noreturn]] void fail_at(const policy_document& document, const policy_file_source& source,
                          const std::exception& e) {
  const auto* system = dynamic_cast<const std::system_error*>(&e);
  throw policy_file_error(system ? system->code() : make_error_code(errc::invalid_argument),
                          document.source, source.line, source.column, e.what());
}

}  // namespace

policy_config resolve_policy_document(const policy_document& document, const folder_opener& open) {
  policy_config config = document.config;
  for (const policy_file_source& source : document.files) {
    try {
      if (source.what == policy_file_source::kind::password_file) {
        config.configure_plain_file(source.domain, source.path);
      } else {
        config.configure_curve(source.domain, open(source.domain, source.path, source.what));
      }
    } catch (const std::exception& e) {
      fail_at(document, source, e);
    }
  }
  return config;
}

std::string read_policy_file(const std::filesystem::path& path) {
  try {
    return core::read_regular_file<std::string>(path, max_policy_file_size);
  } catch (const core::file_read_error& e) {
    throw policy_file_error(e.code(), path, 0, 0, e.reason());
  }
}

}  // namespace detail

policy_config resolve_policy_document(const policy_document& document) {
  return detail::resolve_policy_document(
      document,
      [](std::string_view, const std::filesystem::path& path, policy_file_source::kind what) {
        if (what == policy_file_source::kind::authorized_keys) {
          return std::make_shared<const certs::cert_store>(
              certs::cert_store::from_authorized_keys(path));
        }
        return std::make_shared<const certs::cert_store>(path);
      });
}

policy_config load_policy_file(const std::filesystem::path& path) {
  return resolve_policy_document(parse_policy_document(detail::read_policy_file(path), path));
}

}  // namespace zmqsec::auth
