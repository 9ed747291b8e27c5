// The load generators and the always-200 anchor of zmqsec_bench_auth (see auth_bench.hpp). Raw
// libzmq only, no zmqsec code: the yardstick must not depend on what it measures. Built twice:
// into zmqsec_bench_auth and as the module the python3 child loads with ctypes.
#include "auth_bench.hpp"

#include <dirent.h>
#include <sched.h>
#include <sys/types.h>
#include <zmq.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr int reply_timeout_ms = 30000;  // a handler that sits on a request this long is broken
constexpr double client_timeout_s = 30.0;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

void fail(zmqsec_bench_result* out, const std::string& what) {
  if (out->failures == 0) {
    std::snprintf(out->first_failure, sizeof out->first_failure, "%s", what.c_str());
  }
  out->failures += 1;
}

std::string zmq_error(const char* what) {
  return std::string(what) + ": " + zmq_strerror(zmq_errno());
}

/// The first word of every non-empty line of file (of the first max_lines, if positive).
std::vector<std::string> read_words(const char* file, int max_lines = 0) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(std::string("cannot read ") + file);
  std::vector<std::string> words;
  for (std::string line;
       (max_lines <= 0 || static_cast<int>(words.size()) < max_lines) && std::getline(in, line);) {
    std::istringstream fields(line);
    if (std::string word; fields >> word) words.push_back(word);
  }
  if (words.empty()) throw std::runtime_error(std::string(file) + " is empty");
  return words;
}

void set_int(void* socket, int option, int value) {
  if (zmq_setsockopt(socket, option, &value, sizeof value) != 0) {
    throw std::runtime_error(zmq_error("zmq_setsockopt"));
  }
}

void set_text(void* socket, int option, std::string_view value) {
  if (zmq_setsockopt(socket, option, value.data(), value.size()) != 0) {
    throw std::runtime_error(zmq_error("zmq_setsockopt"));
  }
}

/// The frames of one multipart message, received without copying (up to max_parts; any
/// further frames are received and dropped, and counted).
class multipart {
 public:
  static constexpr int max_parts = 12;

  multipart() {
    for (auto& m : msgs_) zmq_msg_init(&m);
    zmq_msg_init(&extra_);
  }
  ~multipart() {
    for (auto& m : msgs_) zmq_msg_close(&m);
    zmq_msg_close(&extra_);
  }
  multipart(const multipart&) = delete;
  multipart& operator=(const multipart&) = delete;

  /// Receives a whole message; false with errno set on failure (EAGAIN: timed out).
  bool recv(void* socket, int flags = 0) {
    size_ = 0;
    for (;;) {
      zmq_msg_t& m = size_ < max_parts ? msgs_[size_] : extra_;
      // Only the first frame may time out; the rest of a message arrives with it.
      if (zmq_msg_recv(&m, socket, size_ == 0 ? flags : 0) < 0) return false;
      ++size_;
      if (!zmq_msg_more(&m)) return true;
    }
  }
  int size() const { return size_; }
  std::string_view operator[](int i) const {
    auto& m = const_cast<zmq_msg_t&>(msgs_[i]);
    return {static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m)};
  }
  /// Sends frame i (moving its content out), more says whether frames follow.
  bool send(int i, void* socket, bool more) {
    return zmq_msg_send(&msgs_[i], socket, more ? ZMQ_SNDMORE : 0) >= 0;
  }

 private:
  std::array<zmq_msg_t, max_parts> msgs_{};
  zmq_msg_t extra_{};
  int size_ = 0;
};

/// Measured interval bookkeeping shared by both drivers: warm-up by time, then a measured
/// interval by time, then a drain.
struct phases {
  clock_type::time_point start = clock_type::now();
  clock_type::time_point measured_from{};
  double warmup = 0;
  double seconds = 0;
  clock_type::time_point last_completion{};
  bool measuring = false;
  bool sending = true;

  /// Called on each completion (counted = true) or on a poll tick: moves through the phases.
  void on_event(zmqsec_bench_result* out, bool counted) {
    const auto now = clock_type::now();
    if (counted) out->total += 1;
    if (!sending) return;
    if (!measuring) {
      if (std::chrono::duration<double>(now - start).count() >= warmup) {
        measuring = true;
        measured_from = now;
        last_completion = now;
      }
      return;
    }
    if (counted) {
      out->completed += 1;
      const double gap = std::chrono::duration<double>(now - last_completion).count();
      out->longest_gap = std::max(out->longest_gap, gap);
      last_completion = now;
    }
    const double elapsed = std::chrono::duration<double>(now - measured_from).count();
    if (elapsed >= seconds) {
      sending = false;
      out->seconds = elapsed;
      // A stall at the very end counts too.
      out->longest_gap =
          std::max(out->longest_gap, std::chrono::duration<double>(now - last_completion).count());
    }
  }
};

/// Confines every thread of this process to one CPU while it lives, then restores each
/// thread's own affinity.
class one_cpu_for_all_threads {
 public:
  explicit one_cpu_for_all_threads(int cpu) {
    DIR* tasks = ::opendir("/proc/self/task");
    if (tasks == nullptr) throw std::runtime_error("cannot list /proc/self/task");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    while (const dirent* entry = ::readdir(tasks)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      const auto tid = static_cast<pid_t>(std::atol(entry->d_name));
      cpu_set_t old;
      if (::sched_getaffinity(tid, sizeof old, &old) != 0) continue;  // a thread that just ended
      if (::sched_setaffinity(tid, sizeof one, &one) == 0) saved_.push_back({tid, old});
    }
    ::closedir(tasks);
  }
  ~one_cpu_for_all_threads() {
    for (auto& [tid, mask] : saved_) ::sched_setaffinity(tid, sizeof mask, &mask);
  }
  one_cpu_for_all_threads(const one_cpu_for_all_threads&) = delete;
  one_cpu_for_all_threads& operator=(const one_cpu_for_all_threads&) = delete;

 private:
  std::vector<std::pair<pid_t, cpu_set_t>> saved_;
};

// ---- raw ZAP ----

struct zap_request_source {
  std::vector<std::array<unsigned char, 32>> keys;
  std::vector<std::string> addresses;
  std::size_t next_key = 0;
  std::size_t next_address = 0;
  std::uint64_t next_id = 1;
};

zap_request_source load_requests(const char* keys_file, const char* addresses_file, int max_lines) {
  zap_request_source src;
  for (const auto& text : read_words(keys_file, max_lines)) {
    std::array<unsigned char, 32> key{};
    if (text.size() != 40 || zmq_z85_decode(key.data(), text.c_str()) == nullptr) {
      throw std::runtime_error(std::string(keys_file) + ": not a Z85 key: " + text);
    }
    src.keys.push_back(key);
  }
  src.addresses = read_words(addresses_file, max_lines);
  return src;
}

/// Sends one CURVE ZAP request; returns its request id.
std::uint64_t send_request(void* socket, zap_request_source& src) {
  const std::uint64_t id = src.next_id++;
  char id_text[24];
  const int id_size =
      std::snprintf(id_text, sizeof id_text, "%llu", static_cast<unsigned long long>(id));
  const auto& address = src.addresses[src.next_address];
  const auto& key = src.keys[src.next_key];
  if (++src.next_address == src.addresses.size()) src.next_address = 0;
  if (++src.next_key == src.keys.size()) src.next_key = 0;
  const bool ok = zmq_send(socket, "", 0, ZMQ_SNDMORE) >= 0 &&     // delimiter
                  zmq_send(socket, "1.0", 3, ZMQ_SNDMORE) >= 0 &&  // version
                  zmq_send(socket, id_text, static_cast<std::size_t>(id_size), ZMQ_SNDMORE) >= 0 &&
                  zmq_send(socket, "", 0, ZMQ_SNDMORE) >= 0 &&  // domain
                  zmq_send(socket, address.data(), address.size(), ZMQ_SNDMORE) >= 0 &&
                  zmq_send(socket, "", 0, ZMQ_SNDMORE) >= 0 &&       // routing id
                  zmq_send(socket, "CURVE", 5, ZMQ_SNDMORE) >= 0 &&  // mechanism
                  zmq_send(socket, key.data(), key.size(), 0) >= 0;  // client key
  if (!ok) throw std::runtime_error(zmq_error("sending a ZAP request"));
  return id;
}

/// Checks a reply (delimiter, version, request id, status, text, user id, metadata) and takes
/// its request id out of the in-flight list; returns what is wrong with it, or empty.
std::string check_reply(const multipart& reply, std::vector<std::uint64_t>& in_flight) {
  if (reply.size() != 7) return "a reply of " + std::to_string(reply.size()) + " frames";
  if (!reply[0].empty()) return "a reply without the empty delimiter frame";
  if (reply[1] != "1.0") return "a reply of version " + std::string(reply[1]);
  std::uint64_t id = 0;
  const auto text = reply[2];
  if (text.empty() || text.size() > 19) return "a reply with a malformed request id";
  for (const char c : text) {
    if (c < '0' || c > '9') return "a reply with a malformed request id";
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  const auto it = std::find(in_flight.begin(), in_flight.end(), id);
  if (it == in_flight.end())
    return "a reply to request id " + std::string(text) + ", not in flight";
  *it = in_flight.back();
  in_flight.pop_back();
  if (reply[3] != "200") {
    return "status " + std::string(reply[3]) + " \"" + std::string(reply[4]) + "\"";
  }
  return {};
}

void drive_zap(void* ctx, const char* keys_file, const char* addresses_file, int max_lines,
               bool one_cpu, double warmup, double seconds, int in_flight,
               zmqsec_bench_result* out) {
  auto src = load_requests(keys_file, addresses_file, max_lines);
  std::optional<one_cpu_for_all_threads> pinned;
  if (one_cpu) pinned.emplace(::sched_getcpu());
  void* socket = zmq_socket(ctx, ZMQ_DEALER);
  if (socket == nullptr) throw std::runtime_error(zmq_error("zmq_socket"));
  struct closer {
    void* s;
    ~closer() { zmq_close(s); }
  } close_at_end{socket};
  set_int(socket, ZMQ_LINGER, 0);
  set_int(socket, ZMQ_SNDHWM, 0);
  set_int(socket, ZMQ_RCVHWM, 0);
  set_int(socket, ZMQ_RCVTIMEO, reply_timeout_ms);
  if (zmq_connect(socket, zap_endpoint) != 0) throw std::runtime_error(zmq_error("zmq_connect"));

  std::vector<std::uint64_t> outstanding;
  outstanding.reserve(static_cast<std::size_t>(in_flight));
  phases ph;
  ph.warmup = warmup;
  ph.seconds = seconds;
  for (int i = 0; i < in_flight; ++i) outstanding.push_back(send_request(socket, src));
  multipart reply;
  while (!outstanding.empty()) {
    if (!reply.recv(socket)) {
      fail(out, errno == EAGAIN ? std::string("no reply within 30 s")
                                : zmq_error("receiving a ZAP reply"));
      return;  // the requests still in flight are abandoned with the socket
    }
    if (const auto problem = check_reply(reply, outstanding); !problem.empty()) fail(out, problem);
    ph.on_event(out, true);
    if (ph.sending) outstanding.push_back(send_request(socket, src));
  }
}

// ---- the always-200 anchor ----

struct floor_handler {
  void* socket = nullptr;
  long busy_ns = 0;
  std::atomic<bool> stop{false};
  std::thread thread;
};

void serve_always_200(floor_handler* h) {
  multipart request;
  while (!h->stop.load(std::memory_order_relaxed)) {
    if (!request.recv(h->socket)) {
      if (errno == EAGAIN || errno == EINTR) continue;  // the 100 ms tick that checks stop
      return;                                           // ETERM: the context is going
    }
    if (request.size() < 4 || request.size() > multipart::max_parts) continue;
    if (h->busy_ns > 0) {  // stands for the work of a real decision (--anchor-busy)
      const auto until = clock_type::now() + std::chrono::nanoseconds(h->busy_ns);
      while (clock_type::now() < until) {
      }
    }
    // routing id, delimiter, version and request id go back as they came, then the answer.
    const bool ok = request.send(0, h->socket, true) && request.send(1, h->socket, true) &&
                    request.send(2, h->socket, true) && request.send(3, h->socket, true) &&
                    zmq_send(h->socket, "200", 3, ZMQ_SNDMORE) >= 0 &&
                    zmq_send(h->socket, "OK", 2, ZMQ_SNDMORE) >= 0 &&
                    zmq_send(h->socket, "", 0, ZMQ_SNDMORE) >= 0 &&
                    zmq_send(h->socket, "", 0, 0) >= 0;
    if (!ok && zmq_errno() == ETERM) return;
  }
}

// ---- CURVE handshakes ----

struct client_key {
  std::string public_z85;
  std::string secret_z85;
};

std::vector<client_key> read_clients(const char* file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(std::string("cannot read ") + file);
  std::vector<client_key> clients;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    client_key k;
    if (!(fields >> k.public_z85)) continue;
    if (!(fields >> k.secret_z85) || k.public_z85.size() != 40 || k.secret_z85.size() != 40) {
      throw std::runtime_error(std::string(file) + ": expected lines \"PUBLIC SECRET\" in Z85");
    }
    clients.push_back(std::move(k));
  }
  if (clients.empty()) throw std::runtime_error(std::string(file) + " is empty");
  return clients;
}

/// The CURVE server: a ROUTER that echoes every message, and a monitor that counts the
/// handshakes the server side failed (a ZAP denial shows up here as HANDSHAKE_FAILED_AUTH).
class echo_server {
 public:
  echo_server(void* ctx, const char* secret_z85) {
    socket_ = zmq_socket(ctx, ZMQ_ROUTER);
    if (socket_ == nullptr) throw std::runtime_error(zmq_error("zmq_socket"));
    set_int(socket_, ZMQ_LINGER, 0);
    set_int(socket_, ZMQ_CURVE_SERVER, 1);
    set_text(socket_, ZMQ_CURVE_SECRETKEY, secret_z85);
    if (zmq_bind(socket_, "tcp://127.0.0.1:*") != 0) {
      const auto e = zmq_error("binding tcp://127.0.0.1:*");
      zmq_close(socket_);
      throw std::runtime_error(e);
    }
    char endpoint[256];
    std::size_t size = sizeof endpoint;
    zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, endpoint, &size);
    endpoint_ = endpoint;
    char monitor_endpoint[64];
    std::snprintf(monitor_endpoint, sizeof monitor_endpoint, "inproc://zmqsec-bench-monitor-%p",
                  socket_);
    zmq_socket_monitor(socket_, monitor_endpoint,
                       ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    monitor_ = zmq_socket(ctx, ZMQ_PAIR);
    set_int(monitor_, ZMQ_LINGER, 0);
    zmq_connect(monitor_, monitor_endpoint);
    thread_ = std::thread([this] { run(); });
  }
  ~echo_server() {
    stop_ = true;
    thread_.join();
    zmq_socket_monitor(socket_, nullptr, 0);
    zmq_close(monitor_);
    zmq_close(socket_);
  }
  echo_server(const echo_server&) = delete;
  echo_server& operator=(const echo_server&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  /// Handshakes the server failed so far, and the first of them.
  long failures() const { return failures_.load(); }
  std::string first_failure() const {
    return failures_.load() == 0 ? std::string() : first_failure_;
  }

 private:
  void run() {
    multipart msg;
    while (!stop_.load(std::memory_order_relaxed)) {
      zmq_pollitem_t items[] = {{socket_, 0, ZMQ_POLLIN, 0}, {monitor_, 0, ZMQ_POLLIN, 0}};
      if (zmq_poll(items, 2, 100) < 0) {
        if (zmq_errno() == ETERM) return;
        continue;
      }
      if (items[0].revents & ZMQ_POLLIN) {
        while (msg.recv(socket_, ZMQ_DONTWAIT)) {
          if (msg.size() == 2) {
            msg.send(0, socket_, true);
            msg.send(1, socket_, false);
          }
        }
      }
      if (items[1].revents & ZMQ_POLLIN) {
        while (msg.recv(monitor_, ZMQ_DONTWAIT)) {
          if (msg.size() < 1 || msg[0].size() < 6) continue;
          std::uint16_t event = 0;
          std::uint32_t value = 0;
          std::memcpy(&event, msg[0].data(), 2);
          std::memcpy(&value, msg[0].data() + 2, 4);
          if (failures_.load() == 0) {
            first_failure_ = event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                 ? "server: handshake failed, ZAP status " + std::to_string(value)
                                 : "server: handshake failed, event " + std::to_string(event) +
                                       " value " + std::to_string(value);
          }
          failures_ += 1;
        }
      }
    }
  }

  void* socket_ = nullptr;
  void* monitor_ = nullptr;
  std::string endpoint_;
  std::atomic<bool> stop_{false};
  std::atomic<long> failures_{0};
  std::string first_failure_;  // written before failures_ first grows, read after
  std::thread thread_;
};

class client_context {
 public:
  client_context() : ctx_(zmq_ctx_new()) {
    if (ctx_ == nullptr) throw std::runtime_error(zmq_error("zmq_ctx_new"));
  }
  ~client_context() { zmq_ctx_term(ctx_); }
  client_context(const client_context&) = delete;
  client_context& operator=(const client_context&) = delete;
  void* get() const { return ctx_; }

 private:
  void* ctx_;
};

void drive_handshakes(void* server_ctx, const char* server_public_z85,
                      const char* server_secret_z85, const char* clients_file, double warmup,
                      double seconds, int in_flight, zmqsec_bench_result* out) {
  const auto clients = read_clients(clients_file);
  if (std::strlen(server_public_z85) != 40) throw std::runtime_error("server key: not Z85");
  echo_server server(server_ctx, server_secret_z85);
  client_context ctx;  // declared after the server: terminated first

  struct slot {
    void* socket = nullptr;
    clock_type::time_point started{};
  };
  std::vector<slot> slots(static_cast<std::size_t>(in_flight));
  std::vector<zmq_pollitem_t> items(slots.size());
  std::size_t next_client = 0;
  auto open = [&](std::size_t i) {
    const auto& key = clients[next_client];
    if (++next_client == clients.size()) next_client = 0;
    void* s = zmq_socket(ctx.get(), ZMQ_DEALER);
    if (s == nullptr) throw std::runtime_error(zmq_error("zmq_socket"));
    slots[i] = {s, clock_type::now()};
    items[i] = {s, 0, ZMQ_POLLIN, 0};
    set_int(s, ZMQ_LINGER, 0);
    set_text(s, ZMQ_CURVE_SERVERKEY, server_public_z85);
    set_text(s, ZMQ_CURVE_PUBLICKEY, key.public_z85);
    set_text(s, ZMQ_CURVE_SECRETKEY, key.secret_z85);
    if (zmq_connect(s, server.endpoint().c_str()) != 0) {
      throw std::runtime_error(zmq_error("zmq_connect"));
    }
    // Queued until the handshake is done; its echo proves the handshake succeeded.
    if (zmq_send(s, "hi", 2, 0) < 0) throw std::runtime_error(zmq_error("zmq_send"));
  };
  auto close = [&](std::size_t i) {
    zmq_close(slots[i].socket);
    slots[i].socket = nullptr;
  };
  struct close_all {
    std::vector<slot>& slots;
    ~close_all() {
      for (auto& s : slots) {
        if (s.socket != nullptr) zmq_close(s.socket);
      }
    }
  } close_at_end{slots};

  phases ph;
  ph.warmup = warmup;
  ph.seconds = seconds;
  for (std::size_t i = 0; i < slots.size(); ++i) open(i);
  multipart echo;
  while (ph.sending) {
    if (zmq_poll(items.data(), static_cast<int>(items.size()), 100) < 0) {
      throw std::runtime_error(zmq_error("zmq_poll"));
    }
    for (std::size_t i = 0; i < slots.size() && ph.sending; ++i) {
      if (items[i].revents & ZMQ_POLLIN) {
        if (!echo.recv(slots[i].socket, ZMQ_DONTWAIT)) continue;
        close(i);
        ph.on_event(out, true);
        if (ph.sending) open(i);
      } else if (seconds_since(slots[i].started) > client_timeout_s) {
        fail(out, "a client got no echo within 30 s");
        close(i);
        open(i);
      }
    }
    ph.on_event(out, false);
  }
  // Read now: closing the clients still in their handshake makes the server report failed
  // handshakes that are the benchmark's doing, not the handler's.
  const long server_failures = server.failures();
  if (server_failures > 0) {
    const auto first = server.first_failure();
    for (long i = 0; i < server_failures; ++i) fail(out, first);
  }
}

/// Runs body, turning an exception into a failure and -1.
template <class Body>
int guarded(zmqsec_bench_result* out, Body body) {
  *out = {};
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    fail(out, e.what());
    return -1;
  }
}

}  // namespace

extern "C" {

int zmqsec_bench_zap_drive(void* ctx, const char* keys_file, const char* addresses_file,
                           int max_lines, int one_cpu, double warmup, double seconds, int in_flight,
                           zmqsec_bench_result* out) {
  return guarded(out, [&] {
    drive_zap(ctx, keys_file, addresses_file, max_lines, one_cpu != 0, warmup, seconds,
              std::max(1, in_flight), out);
  });
}

int zmqsec_bench_handshake_drive(void* server_ctx, const char* server_public_z85,
                                 const char* server_secret_z85, const char* clients_file,
                                 double warmup, double seconds, int in_flight,
                                 zmqsec_bench_result* out) {
  return guarded(out, [&] {
    drive_handshakes(server_ctx, server_public_z85, server_secret_z85, clients_file, warmup,
                     seconds, std::max(1, in_flight), out);
  });
}

void* zmqsec_bench_floor_start(void* ctx) {
  return zmqsec_bench_floor_start_busy(ctx, 0);
}

void* zmqsec_bench_floor_start_busy(void* ctx, long busy_ns) {
  void* socket = zmq_socket(ctx, ZMQ_ROUTER);
  if (socket == nullptr) return nullptr;
  try {
    set_int(socket, ZMQ_LINGER, 0);
    set_int(socket, ZMQ_SNDHWM, 0);
    set_int(socket, ZMQ_RCVHWM, 0);
    set_int(socket, ZMQ_RCVTIMEO, 100);
  } catch (const std::exception&) {
    zmq_close(socket);
    return nullptr;
  }
  if (zmq_bind(socket, zap_endpoint) != 0) {
    const int e = zmq_errno();
    zmq_close(socket);
    errno = e;
    return nullptr;
  }
  auto* h = new floor_handler;
  h->socket = socket;
  h->busy_ns = busy_ns;
  h->thread = std::thread(serve_always_200, h);
  return h;
}

void zmqsec_bench_floor_stop(void* handle) {
  auto* h = static_cast<floor_handler*>(handle);
  if (h == nullptr) return;
  h->stop = true;
  h->thread.join();
  zmq_unbind(h->socket, zap_endpoint);
  zmq_close(h->socket);
  delete h;
}

}  // extern "C"
