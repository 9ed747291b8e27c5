// session_guard: the monitor of the server socket on a thread of its own, and the public calls.
// The bookkeeping is guard_state's.
#include <zmqsec/auth/session_guard.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include <unistd.h>
#include <string>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

#include "guard_state.hpp"

namespace zmqsec::auth {

namespace {

/// How often the guard's thread asks whether the policy or a certificate store changed: well
/// inside the 100 ms a revocation may take, and one atomic load per store when nothing did.
constexpr int refresh_ms = 20;

constexpr int monitored_events = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED;

std::string monitor_endpoint() {
  static std::atomic<unsigned> counter{0};
  return "inproc://zmqsec-session-guard-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

// Reads every event waiting on the monitor's PAIR; false once the context is terminated.
bool read_events(void* pair, detail::guard_state& state) {
  for (;;) {
    zmq_msg_t head;
    zmq_msg_t address;
    zmq_msg_init(&head);
    zmq_msg_init(&address);
    const bool got = zmq_msg_recv(&head, pair, ZMQ_DONTWAIT) >= 0 &&
                     zmq_msg_recv(&address, pair, 0) >= 0;  // the second frame comes with it
    const int error = got ? 0 : zmq_errno();
    std::uint16_t event = 0;
    std::uint32_t value = 0;
    if (got && zmq_msg_size(&head) >= 6) {
      std::memcpy(&event, zmq_msg_data(&head), 2);
      std::memcpy(&value, static_cast<const char*>(zmq_msg_data(&head)) + 2, 4);
    }
    zmq_msg_close(&head);
    zmq_msg_close(&address);
    if (!got) return error != ETERM;
    const int fd = static_cast<int>(value);
    if (event == ZMQ_EVENT_ACCEPTED) state.accepted(fd);
    if (event == ZMQ_EVENT_DISCONNECTED) state.disconnected(fd);
  }
}

void run_guard(void* pair, detail::guard_state& state, const core::stop_view& stop) {
  while (!stop.requested()) {
    zmq_pollitem_t items[] = {{pair, 0, ZMQ_POLLIN, 0}, {nullptr, stop.fd(), ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, refresh_ms) < 0 && zmq_errno() == ETERM) break;
    if (!read_events(pair, state)) break;
    state.apply_revocations();
  }
}

}  // namespace

session_guard::session_guard(authenticator& auth, zmq::socket_ref server_socket)
    : state_(std::make_shared<detail::guard_state>(auth.core())) {
  void* context = auth.core()->context;
  if (server_socket.handle() == nullptr || context == nullptr) {
    throw zmqsec::error(errc::invalid_argument, "session_guard: no socket");
  }
  const std::string endpoint = monitor_endpoint();
  if (zmq_socket_monitor(server_socket.handle(), endpoint.c_str(), monitored_events) != 0) {
    core::throw_zmq_error("session_guard: cannot monitor the socket");
  }
  state_->monitored = server_socket.handle();
  void* pair = zmq_socket(context, ZMQ_PAIR);
  const int linger = 0;
  if (pair == nullptr || zmq_setsockopt(pair, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
      zmq_connect(pair, endpoint.c_str()) != 0) {
    const int error = zmq_errno();
    if (pair != nullptr) zmq_close(pair);
    zmq_socket_monitor(server_socket.handle(), nullptr, 0);
    throw core::zmq_error(error, "session_guard: cannot read the socket's monitor");
  }
  // The PAIR is the thread's from here on (start() is the memory barrier libzmq asks for).
  try {
    state_->worker.start("zmqsec-guard", [pair, state = state_.get()](const core::stop_view& stop) {
      run_guard(pair, *state, stop);
      zmq_close(pair);
    });
  } catch (...) {
    zmq_close(pair);
    zmq_socket_monitor(server_socket.handle(), nullptr, 0);
    throw;
  }
}

session_guard::~session_guard() {
  // The monitor first: libzmq sends its events with blocking sends, so its reader goes last.
  zmq_socket_monitor(state_->monitored, nullptr, 0);
  state_->worker.stop();
}

bool session_guard::check(const zmq::message_t& frame) {
  return state_->check(frame.handle());
}

bool session_guard::check(const std::vector<zmq::message_t>& frames) {
  return check(*state_, frames);
}

bool session_guard::check(detail::guard_state& state, const std::vector<zmq::message_t>& frames) {
  // The last frame: libzmq 4.3 gives a ROUTER's routing id frame no properties.
  return frames.empty() || state.check(frames.back().handle());
}

std::uint64_t session_guard::revocations() const noexcept {
  return state_->revocations();
}

}  // namespace zmqsec::auth
