// Internal: the files a tunnel is given (a private key, known_hosts) read through core's careful
// reader (never blocking on a FIFO or a device, regular files only, bounded), so that neither
// libssh2 nor the tunnel ever opens such a path blindly: libssh2 gets their content from memory,
// and ssh (the openssh backend) gets only paths that were checked first.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include <zmqsec/certs/secure_memory.hpp>
#include <zmqsec/tunnel/options.hpp>

namespace zmqsec::tunnel::detail {

/// Private keys are a few KB (a 16384-bit RSA key in OpenSSH format is about 13 KB).
inline constexpr std::size_t max_key_file_size = 64 * 1024;
/// known_hosts files of many thousand hosts stay far below this.
inline constexpr std::size_t max_known_hosts_size = 16 << 20;

/// The content of a private key file, in memory wiped when released. Throws
/// core::file_read_error ("path: reason").
certs::secret_string read_key_file(const std::filesystem::path& path);

/// The content of a known_hosts file; nullopt when it does not exist. Throws
/// core::file_read_error for anything else that keeps it from being read.
std::optional<std::string> read_known_hosts(const std::filesystem::path& path);

/// Checks, before any connection, that the key file and known_hosts file of opt can be read
/// (see above); throws core::file_read_error if not.
void check_files(const options& opt);

/// True when the private key file holds an RSA key (PEM or OpenSSH format), judged by its .pub
/// companion when that is a readable regular file, else by the key file itself.
bool is_rsa_key(const std::filesystem::path& keyfile);

}  // namespace zmqsec::tunnel::detail
