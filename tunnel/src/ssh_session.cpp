#include "ssh_session.hpp"

#include <malloc.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "impl.hpp"
#include "key_files.hpp"
#include "known_hosts.hpp"

namespace zmqsec::tunnel::detail {
namespace {

constexpr const char* rsa_explanation =
    "libssh2 1.10 signs with RSA keys only as ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse "
    "(they require rsa-sha2-256/512): use an ed25519 or ECDSA key, or backend::openssh";

// libssh2's memory, wiped before it is released: its packet buffers hold the password, the
// passphrase and the decoded private key in the clear while it logs in, and it frees them as
// they are (malloc_usable_size covers the whole block, whatever was asked for).
void* wiping_alloc(std::size_t count, void**) {
  return std::malloc(count);
}
void wiping_free(void* block, void**) {
  if (block == nullptr) return;
  ::explicit_bzero(block, ::malloc_usable_size(block));
  std::free(block);
}
void* wiping_realloc(void* block, std::size_t count, void** abstract) {
  if (block == nullptr) return std::malloc(count);
  void* moved = std::malloc(count);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, block, std::min(count, ::malloc_usable_size(block)));
  wiping_free(block, abstract);
  return moved;
}

void init_libssh2() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (libssh2_init(0) != 0) fail(errc::ssh_failed, "libssh2_init failed");
  });
}

std::string current_user() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) return pw->pw_name;
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "";
}

// The password for keyboard-interactive prompts, found through the session's abstract pointer.
void answer_prompts(const char*, int, const char*, int, int num_prompts,
                    const LIBSSH2_USERAUTH_KBDINT_PROMPT*,
                    LIBSSH2_USERAUTH_KBDINT_RESPONSE* responses, void** abstract) {
  const auto* password = static_cast<const core::secret_string*>(*abstract);
  for (int i = 0; i < num_prompts && password != nullptr; ++i) {
    // libssh2 frees the responses with its allocator, which is malloc by default.
    responses[i].text = static_cast<char*>(std::malloc(password->size() + 1));
    if (responses[i].text == nullptr) return;
    std::copy(password->begin(), password->end(), responses[i].text);
    responses[i].text[password->size()] = '\0';
    responses[i].length = static_cast<unsigned>(password->size());
  }
}

bool try_agent(LIBSSH2_SESSION* s, const std::string& user) {
  if (std::getenv("SSH_AUTH_SOCK") == nullptr) return false;
  std::unique_ptr<LIBSSH2_AGENT, decltype(&libssh2_agent_free)> agent(libssh2_agent_init(s),
                                                                      &libssh2_agent_free);
  if (!agent || libssh2_agent_connect(agent.get()) != 0) return false;
  bool ok = false;
  if (libssh2_agent_list_identities(agent.get()) == 0) {
    libssh2_agent_publickey* prev = nullptr;
    libssh2_agent_publickey* id = nullptr;
    while (!ok && libssh2_agent_get_identity(agent.get(), &id, prev) == 0) {
      ok = libssh2_agent_userauth(agent.get(), user.c_str(), id) == 0;
      prev = id;
    }
  }
  libssh2_agent_disconnect(agent.get());
  return ok;
}

// Tries the credentials of opt in turn; throws permission_denied (or unsupported_key) if none
// is accepted.
void authenticate(LIBSSH2_SESSION* s, const server_address& server, const options& opt) {
  const std::string user = server.user.empty() ? current_user() : server.user;
  const std::string who =
      user + "@" + bracket_host(server.host) + ":" + std::to_string(server.port);
  const char* list = libssh2_userauth_list(s, user.c_str(), static_cast<unsigned>(user.size()));
  if (list == nullptr) {
    if (libssh2_userauth_authenticated(s)) return;
    fail(errc::ssh_failed, "SSH authentication with " + who + " failed: " + last_error_message(s));
  }
  const std::string methods = list;
  std::string tried;
  auto offers = [&](const char* method) { return methods.find(method) != std::string::npos; };

  if (!opt.keyfile.empty()) {
    // Read here, bounded, and handed over from memory: libssh2 would open the path itself (and
    // read a FIFO or /dev/zero for ever).
    const auto key = read_key_file(opt.keyfile);
    tried += "publickey (" + opt.keyfile.string() + ") ";
    if (offers("publickey")) {
      const char* passphrase = opt.passphrase.empty() ? nullptr : opt.passphrase.c_str();
      int rc = libssh2_userauth_publickey_frommemory(s, user.c_str(), user.size(), nullptr, 0,
                                                     key.data(), key.size(), passphrase);
      if (rc == 0) return;
      if (rc == LIBSSH2_ERROR_FILE) {
        fail(errc::permission_denied, "cannot use key file " + opt.keyfile.string() + " (" +
                                          last_error_message(s) +
                                          (passphrase ? "; is the passphrase right?)" : ")"));
      }
      if (is_rsa_key(opt.keyfile)) {
        fail(errc::unsupported_key, "permission denied for " + who + " with RSA key " +
                                        opt.keyfile.string() + ": " + rsa_explanation);
      }
    }
  } else if (opt.use_agent && offers("publickey")) {
    tried += "agent ";
    if (try_agent(s, user)) return;
  }
  if (!opt.password.empty()) {
    if (offers("password")) {
      tried += "password ";
      int rc = libssh2_userauth_password_ex(s, user.c_str(), static_cast<unsigned>(user.size()),
                                            opt.password.c_str(),
                                            static_cast<unsigned>(opt.password.size()), nullptr);
      if (rc == 0) return;
    }
    if (offers("keyboard-interactive") && !libssh2_userauth_authenticated(s)) {
      tried += "keyboard-interactive ";
      void** abstract = libssh2_session_abstract(s);
      *abstract = const_cast<core::secret_string*>(&opt.password);
      int rc = libssh2_userauth_keyboard_interactive_ex(
          s, user.c_str(), static_cast<unsigned>(user.size()), &answer_prompts);
      *abstract = nullptr;
      if (rc == 0) return;
    }
  }
  if (tried.empty()) tried = "nothing (no key file, agent or password) ";
  tried.pop_back();
  fail(errc::permission_denied, "permission denied for " + who + " (tried " + tried +
                                    "; the server accepts " + methods + ")");
}

}  // namespace

std::string last_error_message(LIBSSH2_SESSION* session) {
  char* message = nullptr;
  int len = 0;
  libssh2_session_last_error(session, &message, &len, 0);
  return message != nullptr ? std::string(message, static_cast<std::size_t>(len)) : "";
}

void ssh_session::reset() noexcept {
  if (session_ != nullptr) {
    libssh2_session_set_blocking(session_, 1);
    libssh2_session_set_timeout(session_, 1000);
    libssh2_session_disconnect(session_, "tunnel closed");
    libssh2_session_free(session_);
    session_ = nullptr;
  }
  socket_.reset();
}

ssh_session establish(const server_address& server, const options& opt) {
  init_libssh2();
  unique_fd sock = connect_tcp(server.host, server.port, opt.connect_timeout);
  LIBSSH2_SESSION* raw =
      libssh2_session_init_ex(&wiping_alloc, &wiping_free, &wiping_realloc, nullptr);
  if (raw == nullptr) fail(errc::ssh_failed, "libssh2_session_init failed");
  ssh_session session(std::move(sock), raw);
  libssh2_session_set_blocking(raw, 1);
  libssh2_session_set_timeout(raw, static_cast<long>(opt.connect_timeout.count()));
  // Known hosts usually hold the server's ed25519 key (OpenSSH's default): ask for that first.
  libssh2_session_method_pref(raw, LIBSSH2_METHOD_HOSTKEY,
                              "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"
                              "ecdsa-sha2-nistp521,ssh-rsa");
  if (libssh2_session_handshake(raw, session.fd()) != 0) {
    const int code = libssh2_session_last_errno(raw);
    fail(code == LIBSSH2_ERROR_TIMEOUT ? errc::timed_out : errc::ssh_failed,
         "SSH handshake with " + server.to_string() + " failed: " + last_error_message(raw));
  }
  verify_host_key(raw, server, opt);
  authenticate(raw, server, opt);
  if (opt.keepalive.count() > 0) {
    // No reply wanted: the point is traffic that keeps idle sessions from being dropped; a dead
    // peer shows as a failed read or write.
    libssh2_keepalive_config(raw, 0, static_cast<unsigned>(opt.keepalive.count()));
  }
  libssh2_session_set_timeout(raw, 0);
  libssh2_session_set_blocking(raw, 0);
  return session;
}

bool libssh2_can_log_in(const server_address& server, const options& opt) {
  options without_password = opt;  // its secrets are in secret memory, wiped when it goes
  without_password.password.wipe_and_clear();
  try {
    ssh_session session = establish(server, without_password);
    return true;
  } catch (const zmqsec::error& e) {
    if (e.code() == errc::permission_denied || e.code() == errc::unsupported_key) return false;
    throw;
  }
}

}  // namespace zmqsec::tunnel::detail
