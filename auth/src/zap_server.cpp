#include "zap_server.hpp"

#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <new>
#include <utility>

#include <zmqsec/auth/policy.hpp>

namespace zmqsec::auth::detail {

namespace {

handler_counters::counter status_counter(zap_status status) noexcept {
  switch (status) {
    case zap_status::success:
      return &authenticator_stats::accepted;
    case zap_status::temporary_failure:
      return &authenticator_stats::temporary_failures;
    case zap_status::failure:
      return &authenticator_stats::refused;
    case zap_status::internal_error:
      break;
  }
  return &authenticator_stats::internal_errors;
}

static_assert(static_cast<std::size_t>(mechanism::unknown) + 1 ==
              authenticator_decision_stats::mechanism_count);

std::size_t status_row(zap_status status) noexcept {
  switch (status) {
    case zap_status::success:
      return 0;
    case zap_status::temporary_failure:
      return 1;
    case zap_status::failure:
      return 2;
    case zap_status::internal_error:
      break;
  }
  return 3;
}

// auth::mechanism's value for a mechanism frame, as a column of authenticator_decision_stats.
std::size_t mechanism_column(std::string_view name) noexcept {
  constexpr std::array<std::pair<std::string_view, mechanism>, 4> known = {
      {{"NULL", mechanism::null},
       {"PLAIN", mechanism::plain},
       {"CURVE", mechanism::curve},
       {"GSSAPI", mechanism::gssapi}}};
  for (const auto& [text, m] : known) {
    if (name == text) return static_cast<std::size_t>(m);
  }
  return static_cast<std::size_t>(mechanism::unknown);
}

zap_step receive_error() noexcept {
  return errno == ETERM ? zap_step::terminated : zap_step::failed;
}

}  // namespace

zap_server::zap_server(const policy_source& source, handler_counters& counters,
                       deferred_requests* deferred, session_registry* sessions)
    : source_(source), counters_(counters), deferred_(deferred), sessions_(sessions) {
  for (auto& slot : slots_) slot = std::make_unique<zap_slot>();
}

zap_server::~zap_server() {
  close();
}

void zap_server::open(void* context, std::string_view owner) {
  if (socket_ != nullptr) return;
  socket_ = open_zap_socket(context);
  if (socket_ == nullptr) throw zap_socket_error(owner, errno);
}

void zap_server::close() noexcept {
  if (socket_ != nullptr) close_zap_socket(std::exchange(socket_, nullptr));
}

zap_step zap_server::step() noexcept {
  zap_step result = zap_step::served;
  const std::size_t received = receive_and_decide(result);
  if (result != zap_step::served) return result;  // errno kept for failed
  if (received == 0) return zap_step::idle;
  // Counted before the replies go out, so that whoever sees a reply sees it counted.
  count(received);
  return send_replies(received);
}

std::size_t zap_server::receive_and_decide(zap_step& result) noexcept {
  std::size_t received = 0;
  for (; received < batch_size; ++received) {
    const receive_result got = receive(socket_, *slots_[received], scratch_);
    if (got == receive_result::empty) break;
    if (got == receive_result::error) {
      result = receive_error();
      break;
    }
    decide_slot(received);
    if (socket_ == nullptr) {  // a callback stopped the authenticator: nothing can be sent
      counters_.add(&authenticator_stats::requests, received + 1);
      result = zap_step::closed;
      break;
    }
  }
  return received;
}

const policy& zap_server::refresh_policy() noexcept {
  const std::uint64_t generation = source_.generation.load(std::memory_order_acquire);
  if (generation != generation_ || !policy_) {
    policy_ = source_.current.load(std::memory_order_acquire);
    generation_ = generation;
    throttle_.reconfigure(policy_->throttle());
  }
  return *policy_;
}

void zap_server::decide_slot(std::size_t index) noexcept {
  zap_slot& slot = *slots_[index];
  // One view more than frames, for the stand-in of the frames that were let go.
  std::array<std::string_view, max_frames + 1> views{};
  const auto split = split_slot(slot, views);
  if (!split) {
    slot.envelope_size = 0;
    slot.outcome = zap_outcome::drop;
    return;
  }
  slot.envelope_size = split->envelope.size();
  using clock = std::chrono::steady_clock;
  const clock::time_point start = clock::now();
  slot.outcome =
      detail::decide(refresh_policy(), split->body, slot.reply, deferred_, snapshots_, &throttle_);
  if (slot.outcome != zap_outcome::pending) {
    const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start);
    counters_.decisions().count_latency(static_cast<std::uint64_t>(took.count()));
    labels_[index] = label(split->body, slot.outcome == zap_outcome::reply &&
                                            slot.reply.status == zap_status::failure);
    record_session(*policy_, split->body, slot.reply);
    wipe_credentials(slot);
    return;
  }
  // A deferred callback took it (decide() says pending only then): the slot goes with the
  // request and a fresh one takes its place.
  std::unique_ptr<zap_slot> fresh(new (std::nothrow) zap_slot);
  if (!fresh || deferred_ == nullptr) {
    slot.outcome = zap_outcome::drop;
    return;
  }
  std::unique_ptr<zap_slot> taken = std::exchange(slots_[index], std::move(fresh));
  slots_[index]->outcome = zap_outcome::pending;  // counted as deferred, not answered now
  if (!deferred_->keep(std::move(taken), policy_)) slots_[index]->outcome = zap_outcome::drop;
}

void zap_server::count(std::size_t received) noexcept {
  authenticator_stats batch;
  batch.requests = received;
  for (std::size_t i = 0; i < received; ++i) {
    const zap_slot& slot = *slots_[i];
    switch (slot.outcome) {
      case zap_outcome::reply:
        ++(batch.*status_counter(slot.reply.status));
        count_decision(slot, i);
        break;
      case zap_outcome::drop:
        ++batch.dropped;
        break;
      case zap_outcome::pending:
        ++batch.deferred;
        break;
    }
  }
  batch.throttled = throttle_.take_refusals();
  for (handler_counters::counter c : authenticator_counters) counters_.add(c, batch.*c);
}

// The frames RFC 27 puts first (version, request id, domain, address, routing id, mechanism)
// read as they are: parsing every request a second time would cost about what deciding it does.
// Only a refused request can be a malformed one; it alone is parsed again, to tell.
zap_server::request_labels zap_server::label(std::span<const std::string_view> body,
                                             bool refused) noexcept {
  request_labels labels;
  const std::string_view domain = body.size() > 2 ? body[2] : std::string_view();
  labels.domain_row = domain.size() <= max_domain_size ? counters_.decisions().domain_row(domain)
                                                       : authenticator_decision_stats::other_domain;
  labels.mechanism = mechanism_column(body.size() > 5 ? body[5] : std::string_view());
  labels.malformed = refused && parse_zap_request(body).status == parse_status::malformed;
  return labels;
}

void zap_server::count_decision(const zap_slot& slot, std::size_t index) noexcept {
  const request_labels& labels = labels_[index];
  decision_counters& decisions = counters_.decisions();
  decisions.count_decision(labels.domain_row, status_row(slot.reply.status), labels.mechanism);
  if (labels.malformed) decisions.count_malformed();
}

zap_step zap_server::send_replies(std::size_t received) noexcept {
  std::uint64_t send_failures = 0;
  for (std::size_t i = 0; i < received; ++i) {
    zap_slot& slot = *slots_[i];
    if (slot.outcome != zap_outcome::reply) continue;
    if (const int error = send_reply(socket_, slot); error != 0) {
      if (error == ETERM) return zap_step::terminated;
      ++send_failures;
    }
  }
  counters_.add(&authenticator_stats::send_failures, send_failures);
  return zap_step::served;
}

// An accepted session, for session_guard (only while one is attached: otherwise nothing would
// ever forget it). Before the reply goes out, so that the guard knows it by the time the
// handshake ends.
void zap_server::record_session(const policy& decided_by, std::span<const std::string_view> body,
                                zap_reply& reply) noexcept {
  if (sessions_ == nullptr || !sessions_->tracking() || reply.status != zap_status::success) return;
  const zap_parse_result parsed = parse_zap_request(body);
  if (parsed.status == parse_status::ok) sessions_->accepted(decided_by, parsed.request, reply);
}

zap_step zap_server::reply(zap_slot& slot, zap_outcome outcome) noexcept {
  // A deferred answer: the session is recorded here (the synchronous ones in decide_slot). Only
  // while a guard is attached is the request split again.
  if (outcome == zap_outcome::reply && slot.reply.status == zap_status::success &&
      sessions_ != nullptr && sessions_->tracking()) {
    std::array<std::string_view, max_frames + 1> views{};
    if (const auto split = split_slot(slot, views)) {
      record_session(refresh_policy(), split->body, slot.reply);
    }
  }
  wipe_credentials(slot);  // the labels below need no credentials
  if (socket_ == nullptr) return zap_step::closed;
  if (outcome != zap_outcome::reply) {
    counters_.add(&authenticator_stats::dropped, 1);
    return zap_step::served;
  }
  counters_.add(status_counter(slot.reply.status), 1);
  // The labels of a deferred request are read again from its frames, off the hot path.
  std::array<std::string_view, max_frames + 1> views{};
  if (const auto split = split_slot(slot, views)) {
    const request_labels labels = label(split->body, false);
    counters_.decisions().count_decision(labels.domain_row, status_row(slot.reply.status),
                                         labels.mechanism);
  }
  const int error = send_reply(socket_, slot);
  if (error == ETERM) return zap_step::terminated;
  if (error != 0) counters_.add(&authenticator_stats::send_failures, 1);
  return zap_step::served;
}

void log_server_end(shared_log& log, zap_step end, int err) noexcept {
  if (end == zap_step::terminated) {
    log.warn("ZAP handler stopped: the context is terminated");
  } else if (end == zap_step::failed) {
    log.log(spdlog::level::err, "ZAP handler failed: {}", zmq_strerror(err));
  }
}

}  // namespace zmqsec::auth::detail
