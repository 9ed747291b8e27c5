// The decision: a policy applied to one ZAP request (parse, throttling, address rules, the
// mechanism's check, the reply, the observer). Pure apart from user callbacks, the certificate
// stores' snapshots, which the caller's store_snapshots keeps between requests (no
// thread_local), and the caller's throttle state (throttle_step.hpp). The public overloads are
// in decide_overloads.cpp.
#include <zmqsec/auth/policy.hpp>

#include <algorithm>
#include <array>
#include <new>
#include <optional>

#include <zmqsec/certs/z85.hpp>

#include "policy_data.hpp"
#include "throttle_step.hpp"

namespace zmqsec::auth {

namespace {

using detail::policy_access;

// Fills reply and record for a refusal or an acceptance. Texts are static.
void answer(zap_reply& reply, decision& record, zap_status status, std::string_view text) {
  reply.status = status;
  reply.status_text.assign(text);
  record.outcome = zap_outcome::reply;
  record.status = status;
  record.reason = text;
}

void observe(const detail::policy_data& data, const decision& record) noexcept {
  if (!data.observer) return;
  try {
    (*data.observer)(record);
  } catch (...) {
    data.observer_errors.fetch_add(1, std::memory_order_relaxed);
  }
}

// Copies a certificate's metadata into the reply, leaving out (and counting) what libzmq would
// refuse or misread.
void add_metadata(const certs::cert_view& cert, zap_reply& reply, decision& record) {
  cert.for_each_meta([&](std::string_view name, std::string_view value) {
    const metadata_problem problem = append_metadata(reply.metadata, name, value);
    if (problem == metadata_problem::none) return;
    if (record.metadata_skipped++ == 0) {
      record.first_skipped_name = name;
      record.first_skipped_problem = problem;
    }
  });
}

struct callback_failure {
  std::string_view reason;
};

// Whether the CURVE key is accepted by source (not a deferred one); reply filled when not.
bool check_curve_key(const detail::curve_source& source, const zap_request& request,
                     std::string_view z85_key, zap_reply& reply, decision& record,
                     std::optional<certs::cert_view>& cert, store_snapshots& snapshots) {
  using kind = detail::curve_source::kind;
  const auto key = request.curve_key();
  switch (source.how) {
    case kind::allow_any:
      return true;
    case kind::store: {
      cert = snapshots.get(source.store).find(key);
      if (!cert) {
        answer(reply, record, zap_status::failure, "unknown CURVE key");
        return false;
      }
      return true;
    }
    case kind::keys:
      if (!source.keys->contains(certs::public_key(key))) {
        answer(reply, record, zap_status::failure, "unknown CURVE key");
        return false;
      }
      return true;
    case kind::callback: {
      bool accepted;
      try {
        accepted = (*source.callback)(request.domain, z85_key);
      } catch (...) {
        throw callback_failure{"CURVE callback failed"};
      }
      if (!accepted) {
        answer(reply, record, zap_status::failure, "CURVE key refused by callback");
        return false;
      }
      return true;
    }
    case kind::deferred:
      break;  // decided by decide_curve before it gets here
  }
  return false;
}

// Hands the request to a deferred callback: the outcome becomes pending.
template <class Call>
void defer_request(zap_deferral* deferral, decision& record, std::string_view failure,
                   Call&& call) {
  if (deferral == nullptr) {
    throw callback_failure{"deferred decision needs a transport that takes them"};
  }
  zap_completion done = deferral->defer();
  try {
    call(std::move(done));
  } catch (...) {
    throw callback_failure{failure};
  }
  record.outcome = zap_outcome::pending;
}

// The User-Id of an accepted CURVE client: the hook's choice, or its Z85 key.
void curve_user_id(const detail::policy_data& data, const zap_request& request,
                   std::string_view z85, const certs::cert_view* cert, zap_reply& reply) {
  if (!data.user_id_hook) {
    reply.user_id.assign(z85);
    return;
  }
  try {
    reply.user_id =
        (*data.user_id_hook)(curve_client{request.domain, z85, request.curve_key(), cert});
  } catch (...) {
    throw callback_failure{"CURVE User-Id hook failed"};
  }
}

// Who is asking, for the observer, before anything can refuse the request.
void fill_credentials(const zap_request& request, decision& record,
                      char (&z85_key)[certs::z85_key_size]) noexcept {
  if (request.mechanism == mechanism::plain) record.username = request.username();
  if (request.mechanism == mechanism::curve) {
    (void)certs::z85_encode_to(request.curve_key(), std::span<char>(z85_key));
    record.client_key = std::string_view(z85_key, sizeof z85_key);
  }
}

// One well-formed request being decided: what the steps below read and fill. cert receives the
// certificate of an accepted CURVE key; the caller keeps it alive until the observer has seen
// record (which may hold views of its metadata).
struct decision_context {
  const detail::policy_data& data;
  const zap_request& request;
  zap_reply& reply;
  decision& record;
  std::optional<certs::cert_view>& cert;
  zap_deferral* deferral;
  store_snapshots& snapshots;
  std::optional<deferred_verdict>& verdict;  // a decider's answer, kept until it is observed
  detail::throttle_state* throttle;          // the server's, or null
  bool& past_address_rules;                  // set once the address rules let it through

  void answer(zap_status status, std::string_view text) const {
    ::zmqsec::auth::answer(reply, record, status, text);
  }
};

void decide_plain(const decision_context& c, const detail::plain_source& plain) {
  const zap_request& request = c.request;
  if (plain.deferred) {
    return defer_request(c.deferral, c.record, "PLAIN callback failed", [&](zap_completion done) {
      (*plain.deferred)(request.domain, request.username(), request.password(), std::move(done));
    });
  }
  if (plain.callback) {
    bool accepted;
    try {
      accepted = (*plain.callback)(request.domain, request.username(), request.password());
    } catch (...) {
      throw callback_failure{"PLAIN callback failed"};
    }
    if (!accepted) return c.answer(zap_status::failure, "refused by PLAIN callback");
    c.reply.user_id.assign(request.username());
    return c.answer(zap_status::success, "OK");
  }
  switch (plain.table.check(request.username(), request.password())) {
    case password_check::ok:
      c.reply.user_id.assign(request.username());
      return c.answer(zap_status::success, "OK");
    case password_check::unknown_user:
      return c.answer(zap_status::failure, "unknown user");
    case password_check::wrong_password:
      return c.answer(zap_status::failure, "wrong password");
  }
  return c.answer(zap_status::internal_error, "internal error");
}

void decide_curve(const decision_context& c, const detail::curve_source& curve) {
  const std::string_view z85 = c.record.client_key;
  if (curve.how == detail::curve_source::kind::deferred) {
    return defer_request(c.deferral, c.record, "CURVE callback failed", [&](zap_completion done) {
      (*curve.deferred)(c.request.domain, z85, std::move(done));
    });
  }
  if (!check_curve_key(curve, c.request, z85, c.reply, c.record, c.cert, c.snapshots)) return;
  curve_user_id(c.data, c.request, z85, c.cert ? &*c.cert : nullptr, c.reply);
  if (c.cert) add_metadata(*c.cert, c.reply, c.record);
  return c.answer(zap_status::success, "OK");
}

// What a decider sees of a request (views of the request's frames).
decider_request decider_view(const zap_request& request, std::string_view z85) noexcept {
  decider_request view;
  view.domain = request.domain;
  view.address = request.address;
  view.routing_id = request.routing_id;
  view.mech = request.mechanism;
  view.mechanism_name = request.mechanism_name;
  if (request.mechanism == mechanism::plain) {
    view.username = request.username();
    view.password = request.password();
  } else if (request.mechanism == mechanism::curve) {
    view.z85_key = z85;
    view.key = request.curve_key();
  } else if (request.mechanism == mechanism::gssapi) {
    view.principal = request.principal();
  }
  return view;
}

// The User-Id of an accepted request when the verdict gives none: what the built-in rule of its
// mechanism would give.
void default_user_id(const detail::policy_data& data, const zap_request& request,
                     std::string_view z85, zap_reply& reply) {
  switch (request.mechanism) {
    case mechanism::plain:
      reply.user_id.assign(request.username());
      return;
    case mechanism::curve:
      return curve_user_id(data, request, z85, nullptr, reply);
    case mechanism::gssapi:
      reply.user_id.assign(request.principal());
      return;
    case mechanism::null: {
      const detail::domain_config& config = data.find(request.domain);
      if (config.null) reply.user_id.assign(config.null->user_id);
      return;
    }
    case mechanism::unknown:
      break;
  }
}

// Fills reply and record from a verdict (a decider's, now or later). The reason is copied into
// the reply and the record views it there.
void apply_verdict(const detail::policy_data& data, const zap_request& request,
                   std::string_view z85, const deferred_verdict& verdict, zap_reply& reply,
                   decision& record) {
  std::string_view text = verdict.reason;
  if (text.empty()) text = verdict.status == zap_status::success ? "OK" : "refused";
  if (verdict.status == zap_status::success) {
    if (!verdict.user_id.empty()) {
      reply.user_id.assign(verdict.user_id);
    } else {
      default_user_id(data, request, z85, reply);
    }
    for (const auto& [name, value] : verdict.metadata) {
      const metadata_problem problem = append_metadata(reply.metadata, name, value);
      if (problem != metadata_problem::none && record.metadata_skipped++ == 0) {
        record.first_skipped_name = name;
        record.first_skipped_problem = problem;
      }
    }
  }
  answer(reply, record, verdict.status, text);
  record.reason = reply.status_text;
}

// Asks the domain's decider; returns whether it decided (or deferred) the request.
bool decide_by_decider(const decision_context& c, const detail::decider_source& decider) {
  const decider_request view = decider_view(c.request, c.record.client_key);
  if (decider.later) {
    defer_request(c.deferral, c.record, "decider failed",
                  [&](zap_completion done) { (*decider.later)(view, std::move(done)); });
    return true;
  }
  try {
    c.verdict = (*decider.now)(view);
  } catch (...) {
    throw callback_failure{"decider failed"};
  }
  if (!c.verdict) return false;
  apply_verdict(c.data, c.request, c.record.client_key, *c.verdict, c.reply, c.record);
  return true;
}

void decide_null(const decision_context& c, const std::optional<detail::null_rule>& rule) {
  if (!rule) return c.answer(zap_status::success, "OK");
  if (!rule->allowed) return c.answer(zap_status::failure, "NULL not allowed for the domain");
  c.reply.user_id.assign(rule->user_id);
  c.reply.metadata.assign(rule->metadata_frame);
  return c.answer(zap_status::success, "OK");
}

// The decision proper, for a well-formed request; may throw callback_failure or bad_alloc.
void decide_request(const decision_context& c, char (&z85_key)[certs::z85_key_size]) {
  fill_credentials(c.request, c.record, z85_key);
  if (c.throttle != nullptr && c.throttle->refuses(c.request)) {
    return c.answer(zap_status::failure, detail::throttled_reason);
  }
  const address_match where = c.data.addresses.match(c.request.address);
  if (where == address_match::denied) return c.answer(zap_status::failure, "address denied");
  if (where == address_match::unlisted && c.data.addresses.has_allow_rules()) {
    return c.answer(zap_status::failure, "address not in the allow list");
  }
  c.past_address_rules = true;
  const detail::domain_config& config = c.data.find(c.request.domain);
  if (config.decider && decide_by_decider(c, *config.decider)) return;
  switch (c.request.mechanism) {
    case mechanism::null:
      return decide_null(c, config.null);
    case mechanism::plain:
      if (!config.plain)
        return c.answer(zap_status::failure, "PLAIN not configured for the domain");
      return decide_plain(c, *config.plain);
    case mechanism::curve:
      if (!config.curve)
        return c.answer(zap_status::failure, "CURVE not configured for the domain");
      return decide_curve(c, *config.curve);
    case mechanism::gssapi:
      if (!config.gssapi) {
        return c.answer(zap_status::failure, "GSSAPI not configured for the domain");
      }
      c.reply.user_id.assign(c.request.principal());
      return c.answer(zap_status::success, "OK");
    case mechanism::unknown:
      break;
  }
  return c.answer(zap_status::failure, "unknown mechanism");
}

void fill_record(decision& record, const zap_request& request) noexcept {
  record.request_id = request.request_id;
  record.domain = request.domain;
  record.address = request.address;
  record.mechanism = request.mechanism_name;
}

// Out of memory building the reply: the smallest possible 500, else the request is dropped.
zap_outcome fall_back(zap_reply& reply, decision& record, std::string_view request_id) noexcept {
  try {
    reply.user_id.clear();
    reply.metadata.clear();
    reply.request_id.assign(request_id);
    answer(reply, record, zap_status::internal_error, "internal error");
    return zap_outcome::reply;
  } catch (...) {
    record.outcome = zap_outcome::drop;
    record.reason = "out of memory";
    return zap_outcome::drop;
  }
}

// Tells the observer about a finished decision; returns its outcome.
zap_outcome observed(const detail::policy_data& data, decision& record, const zap_reply& reply,
                     zap_outcome outcome) noexcept {
  record.user_id = reply.user_id;
  observe(data, record);
  return outcome;
}

// Decides a parsed request (status ok or malformed) into reply; observes; never throws.
zap_outcome decide_parsed(const detail::policy_data& data, const zap_parse_result& parsed,
                          zap_reply& reply, zap_deferral* deferral, store_snapshots& snapshots,
                          detail::throttle_state* throttle) noexcept {
  decision record;
  fill_record(record, parsed.request);
  char z85_key[certs::z85_key_size];
  std::optional<certs::cert_view> cert;     // outlives the observer call
  std::optional<deferred_verdict> verdict;  // the same
  zap_outcome outcome = zap_outcome::reply;
  try {
    reply.request_id.assign(parsed.request.request_id);
    reply.user_id.clear();
    reply.metadata.clear();
    if (parsed.status == parse_status::malformed) {
      record.malformed = true;
      answer(reply, record, zap_status::failure, parsed.reason);
    } else {
      try {
        bool past_rules = false;
        const decision_context context{data,     parsed.request, reply,   record,   cert,
                                       deferral, snapshots,      verdict, throttle, past_rules};
        decide_request(context, z85_key);
        if (record.outcome == zap_outcome::pending) return zap_outcome::pending;
        if (throttle != nullptr && past_rules) {
          throttle->settle(parsed.request, reply.status,
                           detail::judged_credential(parsed.request, verdict.has_value()));
        }
      } catch (const callback_failure& failure) {
        reply.user_id.clear();
        reply.metadata.clear();
        record.metadata_skipped = 0;
        answer(reply, record, zap_status::internal_error, failure.reason);
      }
    }
    if (reply.status != zap_status::success) {
      reply.user_id.clear();
      reply.metadata.clear();
    }
  } catch (...) {
    outcome = fall_back(reply, record, parsed.request.request_id);
  }
  return observed(data, record, reply, outcome);
}

// A request with no usable request id: observed as dropped.
zap_outcome drop_unanswerable(const detail::policy_data& data,
                              const zap_parse_result& parsed) noexcept {
  decision record;
  record.outcome = zap_outcome::drop;
  record.malformed = true;
  record.reason = parsed.reason;
  observe(data, record);
  return zap_outcome::drop;
}

}  // namespace

zap_outcome detail::decide(const policy& p, std::span<const std::string_view> body,
                           zap_reply& reply, zap_deferral* deferral, store_snapshots& snapshots,
                           throttle_state* throttle) noexcept {
  const zap_parse_result parsed = parse_zap_request(body);
  const detail::policy_data& data = policy_access::data(p);
  if (parsed.status == parse_status::no_request_id) return drop_unanswerable(data, parsed);
  return decide_parsed(data, parsed, reply, deferral, snapshots, throttle);
}

zap_outcome detail::complete_deferred(const policy& p, std::span<const std::string_view> body,
                                      const deferred_verdict& verdict, zap_reply& reply,
                                      throttle_state* throttle) noexcept {
  const zap_parse_result parsed = parse_zap_request(body);
  if (parsed.status != parse_status::ok) return drop_unanswerable(policy_access::data(p), parsed);
  const zap_request& request = parsed.request;
  decision record;
  fill_record(record, request);
  char z85_key[certs::z85_key_size];
  fill_credentials(request, record, z85_key);
  zap_outcome outcome = zap_outcome::reply;
  try {
    reply.request_id.assign(request.request_id);
    reply.user_id.clear();
    reply.metadata.clear();
    try {
      apply_verdict(policy_access::data(p), request, record.client_key, verdict, reply, record);
      if (throttle != nullptr) throttle->settle(request, reply.status, true);
    } catch (const callback_failure& failure) {
      reply.user_id.clear();
      reply.metadata.clear();
      record.metadata_skipped = 0;
      answer(reply, record, zap_status::internal_error, failure.reason);
    }
  } catch (...) {
    outcome = fall_back(reply, record, request.request_id);
  }
  return observed(policy_access::data(p), record, reply, outcome);
}

}  // namespace zmqsec::auth
