// Resolving a policy document with certificate folders opened by the caller (the authenticator
// opens them with its logging and keeps them for reload()). Private to zmqsec::auth.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>

#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/certs/cert_store.hpp>

namespace zmqsec::auth::detail {

/// Opens the certificate folder or authorized-keys file (what) of a domain; throws
/// zmqsec::error if it cannot.
using folder_opener = std::function<std::shared_ptr<const certs::cert_store>(
    std::string_view domain, const std::filesystem::path& path, policy_file_source::kind what)>;

/// resolve_policy_document() with open for its certificate folders.
policy_config resolve_policy_document(const policy_document& document, const folder_opener& open);

/// The text of a policy file (core::read_regular_file); throws policy_file_error.
std::string read_policy_file(const std::filesystem::path& path);

}  // namespace zmqsec::auth::detail
