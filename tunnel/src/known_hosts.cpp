#include "known_hosts.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>

#include "impl.hpp"
#include "key_files.hpp"
#include "net.hpp"
#include "ssh_session.hpp"

namespace zmqsec::tunnel::detail {
namespace {

std::string base64(const unsigned char* data, std::size_t size, bool pad) {
  static constexpr char table[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < size; i += 3) {
    unsigned v = data[i] << 16;
    if (i + 1 < size) v |= data[i + 1] << 8;
    if (i + 2 < size) v |= data[i + 2];
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < size ? table[(v >> 6) & 63] : '=';
    out += i + 2 < size ? table[v & 63] : '=';
  }
  if (!pad) out.erase(out.find_last_not_of('=') + 1);
  return out;
}

struct key_kind {
  const char* name;     // as in known_hosts
  const char* display;  // as OpenSSH names it in messages
  int knownhost_type;
};

key_kind kind_of(int hostkey_type) {
  switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA:
      return {"ssh-rsa", "RSA", LIBSSH2_KNOWNHOST_KEY_SSHRSA};
    case LIBSSH2_HOSTKEY_TYPE_DSS:
      return {"ssh-dss", "DSA", LIBSSH2_KNOWNHOST_KEY_SSHDSS};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256:
      return {"ecdsa-sha2-nistp256", "ECDSA", LIBSSH2_KNOWNHOST_KEY_ECDSA_256};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384:
      return {"ecdsa-sha2-nistp384", "ECDSA", LIBSSH2_KNOWNHOST_KEY_ECDSA_384};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521:
      return {"ecdsa-sha2-nistp521", "ECDSA", LIBSSH2_KNOWNHOST_KEY_ECDSA_521};
    case LIBSSH2_HOSTKEY_TYPE_ED25519:
      return {"ssh-ed25519", "ED25519", LIBSSH2_KNOWNHOST_KEY_ED25519};
  }
  return {"unknown", "unknown", LIBSSH2_KNOWNHOST_KEY_UNKNOWN};
}

// The name known_hosts files use: "host" for port 22, "[host]:port" otherwise.
std::string entry_name(const server_address& server) {
  if (server.port == 22) return server.host;
  return "[" + server.host + "]:" + std::to_string(server.port);
}

void append_entry(const std::filesystem::path& file, const std::string& line) {
  std::error_code ignored;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ignored);
  unique_fd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw zmqsec::error::from_errno(errno, "cannot add the host key to " + file.string());
  // A file that does not end with a newline gets one first, so the entry is a line of its own.
  std::string text = line + "\n";
  if (auto size = std::filesystem::file_size(file, ignored); !ignored && size > 0) {
    unique_fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    char last = '\n';
    if (in && ::pread(in.get(), &last, 1, static_cast<off_t>(size - 1)) == 1 && last != '\n') {
      text = "\n" + text;
    }
  }
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      fd.close() != 0) {
    throw zmqsec::error::from_errno(errno, "cannot add the host key to " + file.string());
  }
}

// Reads file (bounded, never blocking: see key_files.hpp) into hosts line by line; a file that
// does not exist holds no entries. libssh2_knownhost_readfile would open the path itself.
void read_entries(LIBSSH2_SESSION* session, LIBSSH2_KNOWNHOSTS* hosts,
                  const std::filesystem::path& file) {
  const auto text = read_known_hosts(file);
  if (!text) return;
  std::string_view rest = *text;
  for (std::size_t number = 1; !rest.empty(); ++number) {
    const std::size_t end = rest.find('\n');
    // A string of its own: libssh2 reads parts of the line up to a NUL, not up to its length.
    const std::string line(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (libssh2_knownhost_readline(hosts, line.c_str(), line.size(),
                                   LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0) {
      fail(errc::ssh_failed, "cannot read known_hosts file " + file.string() + ": line " +
                                 std::to_string(number) + ": " + last_error_message(session));
    }
  }
}

}  // namespace

std::filesystem::path known_hosts_file(const options& opt) {
  if (!opt.known_hosts.empty()) return opt.known_hosts;
  const char* home = std::getenv("HOME");
  std::string dir = home != nullptr ? home : "";
  if (dir.empty()) {
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) dir = pw->pw_dir;
  }
  return std::filesystem::path(dir) / ".ssh" / "known_hosts";
}

std::string sha256_fingerprint(LIBSSH2_SESSION* session) {
  const char* hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256);
  if (hash == nullptr) return "SHA256:?";
  return "SHA256:" + base64(reinterpret_cast<const unsigned char*>(hash), 32, false);
}

void verify_host_key(LIBSSH2_SESSION* session, const server_address& server, const options& opt) {
  std::size_t len = 0;
  int type = 0;
  const char* key = libssh2_session_hostkey(session, &len, &type);
  if (key == nullptr) fail(errc::ssh_failed, "the SSH server sent no host key");
  const key_kind kind = kind_of(type);
  const std::string name = entry_name(server);
  const std::string described = std::string(kind.display) + " key " + sha256_fingerprint(session);
  const auto file = known_hosts_file(opt);

  std::unique_ptr<LIBSSH2_KNOWNHOSTS, decltype(&libssh2_knownhost_free)> hosts(
      libssh2_knownhost_init(session), &libssh2_knownhost_free);
  if (!hosts) fail(errc::ssh_failed, "libssh2_knownhost_init failed");
  read_entries(session, hosts.get(), file);
  libssh2_knownhost* found = nullptr;
  int rc = libssh2_knownhost_checkp(
      hosts.get(), server.host.c_str(), server.port, key, len,
      LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | kind.knownhost_type, &found);
  switch (rc) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
      return;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
      fail(errc::host_key_changed,
           "host key for " + name + " has CHANGED: the server offers " + described + ", which " +
               "differs from the key in " + file.string() +
               " (someone may be intercepting the connection, or the key was replaced; "
               "remove the old entry only if you know why it changed)");
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
      break;
    default:
      fail(errc::ssh_failed,
           "cannot check the host key of " + name + ": " + last_error_message(session));
  }
  if (opt.host_keys != host_key_policy::accept_new) {
    fail(errc::host_key_unknown, "unknown host key for " + name + " (" + described + "): not in " +
                                     file.string() +
                                     "; verify the fingerprint and add the key, or set "
                                     "host_key_policy::accept_new");
  }
  append_entry(file, name + " " + kind.name + " " +
                         base64(reinterpret_cast<const unsigned char*>(key), len, true));
}

}  // namespace zmqsec::tunnel::detail
