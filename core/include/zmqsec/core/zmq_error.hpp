// libzmq's errors as zmqsec::error, one way for every module that uses sockets. Header only, so
// that modules which never touch libzmq (certs) do not link it; the includer links libzmq.
//
//   if (zmq_bind(socket, endpoint) != 0) zmqsec::core::throw_zmq_error("cannot bind " + endpoint);
//   catch (const zmq::error_t& e) { throw zmqsec::core::zmq_error(e.num(), "cannot connect"); }
//
// Codes are of zmq_category(): errno values and libzmq's own (ETERM, EFSM, EMTHREAD, ...), each
// with libzmq's text, which the generic category lacks for libzmq's own codes. Compare with
// std::errc as usual (`e.code() == std::errc::address_in_use`) or with is_zmq_error(e, ETERM).
#pragma once

#include <zmq.h>

#include <cerrno>
#include <string>
#include <system_error>

#include <zmqsec/error.hpp>

namespace zmqsec::core {

namespace detail {
class zmq_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zmq"; }
  std::string message(int code) const override { return zmq_strerror(code); }
  std::error_condition default_error_condition(int code) const noexcept override {
    // errno values compare equal to std::errc; libzmq's own codes have no portable condition.
    return {code, std::generic_category()};
  }
};
}  // namespace detail

/// libzmq's error codes, named by zmq_strerror (ETERM: "Context was terminated").
inline const std::error_category& zmq_category() noexcept {
  static const detail::zmq_category_impl category;
  return category;
}

/// The zmqsec::error for libzmq error err: "what: <libzmq's text>".
inline zmqsec::error zmq_error(int err, const std::string& what) {
  std::error_code code(err, zmq_category());
  return zmqsec::error(code, what + ": " + code.message());
}

/// Throws zmq_error(zmq_errno(), what): call right after a libzmq call failed.
[[noreturn]] inline void throw_zmq_error(const std::string& what) {
  throw zmq_error(zmq_errno(), what);
}

/// Whether e carries libzmq (or errno) code err, whichever category it was thrown with.
inline bool is_zmq_error(const std::system_error& e, int err) noexcept {
  return e.code().value() == err &&
         (e.code().category() == zmq_category() || e.code().category() == std::generic_category());
}

}  // namespace zmqsec::core
