// The user code of the issue, as written, in a translation unit that includes nothing but
// <zmqsec/auth.hpp> (and only the paths are the test's). Its lambda names parameters it does not
// use, as the issue's does: not worth a warning here.
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include <zmqsec/auth.hpp>

#include "user_code_example.hpp"

// The issue writes the paths as string literals; the test passes its own, so check here that the
// literal forms are accepted (and unambiguous) too.
static_assert(requires(zmqsec::auth::thread_authenticator & auth) {
  auth.configure_plain_file("*", "/etc/app/passwords");
  auth.configure_curve("*", "/etc/app/clients");
});

void run_the_issue_example(const std::filesystem::path& passwords,
                           const std::filesystem::path& clients,
                           const std::function<void(zmq::context_t&)>& while_running) {
  namespace za = zmqsec::auth;

  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.allow("127.0.0.1");  // an address, or a range: "10.0.0.0/8", "::1", "fd00::/8"
  auth.deny("192.0.2.0/24");
  auth.configure_plain("*", {{"admin", "secret"}});
  auth.configure_plain_file("*", passwords);  // reloaded when it changes
  auth.configure_curve("*", clients);         // a folder of public certificates, followed live
  auth.configure_curve("*", za::curve_allow_any);
  auth.configure_curve_callback(
      "*", [](std::string_view domain, std::string_view z85_key) { return true; });
  auth.start();  // returns once the handler is bound; throws if another handler holds the ZAP
                 // endpoint
  // ... server sockets of ctx set zap_domain / plain_server / curve_server as usual ...
  while_running(ctx);
  auth.stop();  // also done by the destructor
}
