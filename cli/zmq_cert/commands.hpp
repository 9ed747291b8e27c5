// The subcommands of zmq-cert, free of any command line parsing: command_line.cpp parses the
// arguments with CLI11 and calls one of these. Each prints its result to stdout, reports problems
// to stderr (report.hpp) and returns the exit status; exceptions it does not handle itself are
// reported by main.
//
//   return zmqsec::cli::run_show("certs/server.key", /*json=*/true);
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace zmqsec::cli {

struct generate_args {
  std::string name;                 ///< NAME: writes NAME.key and NAME.key_secret
  std::filesystem::path dir = ".";  ///< the folder to write to (must exist)
  std::vector<std::string> meta;    ///< KEY=VALUE metadata entries, in order
  bool force = false;               ///< replace existing files
};

/// Writes a new certificate pair; prints both paths and the public key.
int run_generate(const generate_args& args);

/// Prints a fresh keypair, secret included: the one command that prints a secret key.
int run_keypair(bool json);

/// Prints the public key of a Z85 secret key; "-" reads the secret key from stdin.
int run_public(const std::string& secret);

/// Prints a certificate file's public key, whether it has a secret key, and its metadata.
int run_show(const std::filesystem::path& file, bool json);

/// Prints the public certificates of a folder; exit 1 if any file could not be loaded.
int run_list(const std::filesystem::path& dir, bool json);

/// Writes the public certificates of dir as an authorized-keys file to out (stdout if empty or
/// "-"), in file name order; exit 1 if a certificate was left out.
int run_authorized_keys_from_folder(const std::filesystem::path& dir,
                                    const std::filesystem::path& out);
/// Writes one public certificate per key of an authorized-keys file into dir (made if needed),
/// named by the key in hex; exit 1 if a line was skipped.
int run_authorized_keys_to_folder(const std::filesystem::path& file,
                                  const std::filesystem::path& dir, bool force);

/// Checks a certificate file: it parses, its keys are usable, a secret key matches the public key
/// and a secret file is private to its owner.
int run_verify(const std::filesystem::path& file);

/// Z85 from hex, and hex from Z85.
int run_z85_encode(const std::string& hex);
int run_z85_decode(const std::string& z85);

}  // namespace zmqsec::cli
