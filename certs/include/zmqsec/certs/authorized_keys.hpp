// Authorized-keys files: the CURVE public keys a server accepts, one per line, with metadata,
// for fleets too large for a folder of certificate files (a million keys is one file of about
// 41 MB). cert_store::from_authorized_keys loads one and follows it; zmq-cert's
// `authorized-keys` command writes one from a folder of certificates and back.
//
//   # devices of hall 3                      <- comments and blank lines are ignored
//   rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7 name=sensor-12 site="hall 3"
//   Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID
//
// A line is a key (40 characters of Z85), then any number of name=value pairs separated by
// spaces or tabs. Names are ZPL names, as in certificate files (1 to 255 of A-Z a-z 0-9 $ - _ @ . &
// + /); a value is a run of non-blank characters without '"', or a double-quoted string in which a
// backslash makes the next '"' or backslash literal. Control characters are refused. The pairs are
// the key's metadata, exactly as a certificate file's metadata section: the authenticator copies
// them into the ZAP reply and hands them to the User-Id hook (configure_curve_user_id). A line that
// does not parse is reported by its number and skipped; the other lines still count.
//
//   auto contents = zmqsec::certs::read_authorized_keys("/etc/app/clients.keys");
//   for (const auto& k : contents.keys) std::cout << k.line << ' ' << k.key.z85() << '\n';
//   std::string line = zmqsec::certs::authorized_key_line(key, {{"name", "sensor-12"}});
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

namespace zmqsec::certs {

struct authorized_key {
  public_key key;
  certs::metadata metadata;
  std::size_t line = 0;  ///< 1-based
};

struct authorized_keys_contents {
  std::vector<authorized_key> keys;    ///< in file order; a key on several lines only once
  std::vector<file_problem> problems;  ///< skipped lines (file_problem::line), duplicates
};

/// Reads an authorized-keys file. Throws zmqsec::error (with the errno) if it cannot be read.
authorized_keys_contents read_authorized_keys(const std::filesystem::path& file);

/// The line (without newline) for key and its metadata; values are quoted when they need it.
/// Throws zmqsec::error (invalid_argument) for a name that is not a ZPL name or a value with a
/// control character.
std::string authorized_key_line(const public_key& key, const metadata& meta = {});

}  // namespace zmqsec::certs
