// Internal: checking an SSH server's host key against a known_hosts file (libssh2 backend).
#pragma once

#include <libssh2.h>

#include <filesystem>

#include <zmqsec/tunnel/address.hpp>
#include <zmqsec/tunnel/options.hpp>

namespace zmqsec::tunnel::detail {

/// The known_hosts file to use: opt.known_hosts, or ~/.ssh/known_hosts.
std::filesystem::path known_hosts_file(const options& opt);

/// Throws host_key_unknown / host_key_changed (with the key's SHA256 fingerprint) unless the
/// session's host key is the one known_hosts holds for the server; with accept_new, an unknown
/// key is appended to the file instead.
void verify_host_key(LIBSSH2_SESSION* session, const server_address& server, const options& opt);

/// "SHA256:<base64 without padding>", as OpenSSH prints fingerprints.
std::string sha256_fingerprint(LIBSSH2_SESSION* session);

}  // namespace zmqsec::tunnel::detail
