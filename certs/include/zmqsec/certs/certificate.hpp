// CURVE certificate files, in the layout CZMQ and pyzmq write and read.
//
//   namespace zc = zmqsec::certs;
//   auto files = zc::create_certificates("certs", "server", {{"name", "api-1"}});
//   // certs/server.key          public key and metadata; give it to peers
//   // certs/server.key_secret   public and secret key; mode 0600 from its first byte
//   zc::certificate cert = zc::load_certificate(files.secret_file);
//   socket.set(zmq::sockopt::curve_secretkey, cert.secret_key->z85());
//
// A certificate file is ZPL with a `metadata` section (name = value pairs) and a `curve` section
// holding `public-key` and, in the secret file only, `secret-key`, both Z85.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::certs {

/// Certificate metadata: ordered name/value pairs (names are ZPL names).
using metadata = std::vector<std::pair<std::string, std::string>>;

/// A certificate as read from a file.
struct certificate {
  certs::public_key public_key;
  std::optional<certs::secret_key> secret_key;  ///< present only for a secret file
  certs::metadata metadata;

  /// The value of a metadata entry, or nullptr.
  const std::string* meta(std::string_view name) const noexcept;
};

/// Thrown for a certificate file that cannot be used; the message names the file and the
/// reason and never contains secret material.
class certificate_error : public zmqsec::error {
 public:
  certificate_error(errc code, const std::filesystem::path& path, const std::string& reason);
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// Where create_certificates wrote.
struct certificate_files {
  std::filesystem::path public_file;  ///< DIR/NAME.key
  std::filesystem::path secret_file;  ///< DIR/NAME.key_secret
};

struct create_options {
  bool overwrite = false;  ///< replace existing files (refused by default)
};

/// Writes a certificate pair for an existing keypair. The files are written atomically (a
/// temporary file in the same folder, then rename), the secret one with mode 0600 from creation;
/// symlinks at the target names are refused. Throws zmqsec::error.
certificate_files save_certificates(const std::filesystem::path& dir, std::string_view name,
                                    const keypair& keys, const metadata& meta = {},
                                    const create_options& options = {});

/// Generates a keypair and writes it as DIR/NAME.key and DIR/NAME.key_secret (pyzmq's name).
certificate_files create_certificates(const std::filesystem::path& dir, std::string_view name,
                                      const metadata& meta = {},
                                      const create_options& options = {});

/// Writes only a public certificate to path (atomically). Throws zmqsec::error.
void save_public_certificate(const std::filesystem::path& path, const public_key& key,
                             const metadata& meta = {}, const create_options& options = {});

/// Parses certificate text. source names it in errors.
certificate parse_certificate(std::string_view text, const std::filesystem::path& source);

/// Reads a certificate file (public or secret). Throws certificate_error for a missing public
/// key, a key of the wrong length, invalid Z85, or a secret that does not match its public key,
/// and zmqsec::error with the errno for a file that cannot be read.
certificate load_certificate(const std::filesystem::path& path);

/// A file of a folder that could not be loaded, or a line of an authorized-keys file that was
/// skipped, and why.
struct file_problem {
  std::filesystem::path path;
  std::string reason;
  std::size_t line = 0;  ///< 1-based line of an authorized-keys file; 0 for a whole file
};

/// The public certificates of a folder: loaded ones, and the files that were skipped.
struct certificate_folder {
  std::vector<std::pair<std::filesystem::path, certificate>> certificates;
  std::vector<file_problem> problems;
};

/// True for the files a folder of public certificates consists of: regular, visible files
/// whose names do not end in "_secret" (NAME.key from pyzmq, any name from CZMQ).
bool is_public_certificate_name(const std::filesystem::path& file) noexcept;

/// Loads every public certificate of a folder (see is_public_certificate_name). A bad file is
/// reported in problems and skipped; only an unreadable folder throws zmqsec::error.
certificate_folder load_certificates(const std::filesystem::path& dir);

}  // namespace zmqsec::certs
