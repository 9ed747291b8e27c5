// How zmq-cert reports failures: one line "zmq-cert: SUBJECT: reason" on stderr, and an exit
// status that tells bad input (1) from a failed system call (2).
//
//   catch (const zmqsec::error& e) { return zmqsec::cli::fail(e); }
#pragma once

#include <filesystem>
#include <string_view>
#include <system_error>

#include <zmqsec/certs/certificate.hpp>

namespace zmqsec::cli {

inline constexpr int exit_success = 0;
inline constexpr int exit_bad_input = 1;   ///< bad input or usage
inline constexpr int exit_io_failure = 2;  ///< a file or folder could not be read or written

/// Prints "zmq-cert: MESSAGE" to stderr with control characters made visible.
void report_error(std::string_view message);
/// Prints "zmq-cert: SUBJECT: REASON" to stderr with control characters made visible.
void report_error(std::string_view subject, std::string_view reason);

/// exit_io_failure for an error from a system call, exit_bad_input for rejected input.
int exit_code_for(const std::system_error& e) noexcept;

/// Reports e (its message already names the file) and returns its exit code.
int fail(const std::system_error& e);

/// Reports e for a command that works on one file or folder and returns its exit code: a failed
/// system call as "zmq-cert: PATH: <system message>" (the way cat and ls say it), rejected input
/// with its own message, which names the file already.
int fail(const std::filesystem::path& path, const std::system_error& e);

/// Loads the public certificates of dir (certs::load_certificates) sorted by file name, and its
/// problems by path: directory order is arbitrary, sorted output can be compared and diffed. A
/// folder that cannot be read is reported as fail(dir, e) does, and its exit code returned;
/// otherwise exit_success (the problems are the caller's to report).
int load_sorted_certificates(const std::filesystem::path& dir, certs::certificate_folder& folder);

/// A loader's problem without the file name its message starts with (file_problem::reason is
/// the loader's message, which names the file already), for reports that name the file apart.
std::string_view reason_alone(const certs::file_problem& problem);

}  // namespace zmqsec::cli
