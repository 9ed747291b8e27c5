// File reading and writing with the guarantees certificate files need.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string_view>

#include <zmqsec/certs/secure_memory.hpp>

namespace zmqsec::certs::detail {

/// Largest file read_small_file accepts: certificates are a few hundred bytes.
inline constexpr std::size_t max_certificate_file_size = 1 << 20;

/// Reads a regular file of at most max_size bytes into memory that is wiped when released
/// (core::read_regular_file: never blocks on a FIFO or a device). Throws core::file_read_error
/// ("path: reason"): the errno for I/O failures, invalid_argument for a file that is not regular
/// or too large.
secret_string read_small_file(const std::filesystem::path& path, std::size_t max_size);

/// Writes content to target atomically: a new temporary file in the same folder, created with
/// `mode` and O_EXCL|O_NOFOLLOW (so it has that mode from its first byte), written, fsynced and
/// then renamed over target (overwrite) or hard-linked to it (no overwrite: fails with EEXIST if
/// target exists, with no window in which a partial file is visible). A symlink at target is
/// refused either way.
void write_file_atomically(const std::filesystem::path& target, std::string_view content,
                           mode_t mode, bool overwrite);

}  // namespace zmqsec::certs::detail
