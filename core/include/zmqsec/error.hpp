// zmqsec::error: the one exception type every zmqsec module throws for setup failures and misuse.
//
// It is a std::system_error, so one catch clause handles everything and the code tells apart
// what went wrong: codes of zmqsec::error_category() mean the input was bad (a malformed key, a
// broken certificate file), codes of std::generic_category() carry the errno of a failed system
// call (a file that cannot be read). Expected runtime outcomes are return values, not exceptions.
//
//   try {
//     auto cert = zmqsec::certs::load_certificate("server.key_secret");
//   } catch (const zmqsec::error& e) {
//     std::cerr << e.what() << '\n';   // "server.key_secret: secret key does not match ..."
//     return zmqsec::is_io_error(e) ? 2 : 1;
//   }
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

namespace zmqsec {

/// Reasons for which zmqsec rejects input (as opposed to failing system calls).
enum class errc {
  invalid_argument = 1,  ///< an argument is outside what the function accepts
  invalid_z85,           ///< text is not valid Z85
  invalid_zpl,           ///< text is not valid ZPL
  invalid_key,           ///< a key has the wrong length or encoding
  invalid_certificate,   ///< a certificate file lacks or misstates what it must hold
  key_mismatch,          ///< a secret key does not belong to its public key
  insecure_permissions,  ///< a secret file is readable by group or others
};

namespace detail {
class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zmqsec"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::invalid_argument:
        return "invalid argument";
      case errc::invalid_z85:
        return "invalid Z85";
      case errc::invalid_zpl:
        return "invalid ZPL";
      case errc::invalid_key:
        return "invalid key";
      case errc::invalid_certificate:
        return "invalid certificate";
      case errc::key_mismatch:
        return "secret key does not match public key";
      case errc::insecure_permissions:
        return "insecure file permissions";
    }
    return "unknown zmqsec error";
  }
};
}  // namespace detail

inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// The base of every exception zmqsec throws.
class error : public std::system_error {
 public:
  error(std::error_code code, std::string what)
      : std::system_error(code), message_(std::move(what)) {}
  error(errc code, std::string what) : error(make_error_code(code), std::move(what)) {}

  /// The message alone ("file: reason"), without system_error's ": <code message>" suffix
  /// for zmqsec's own codes; for errno codes the system's text is appended.
  const char* what() const noexcept override { return message_.c_str(); }

  /// Builds an error from the errno of a failed system call.
  static error from_errno(int err, const std::string& what) {
    std::error_code code(err, std::generic_category());
    return error(code, what + ": " + code.message());
  }

 private:
  std::string message_;
};

/// True when the error comes from a failed system call rather than from bad input.
inline bool is_io_error(const std::system_error& e) noexcept {
  return e.code().category() != error_category();
}

}  // namespace zmqsec

template <>
struct std::is_error_code_enum<zmqsec::errc> : std::true_type {};
