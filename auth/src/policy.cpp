// Policies: configuration (policy_config), the immutable policy it builds, and the decision.
#include <zmqsec/auth/policy.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include <zmqsec/certs/z85.hpp>

namespace zmqsec::auth {

namespace {

constexpr std::string_view wildcard_domain = "*";

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

void check_domain(std::string_view domain) {
  if (domain.size() > max_domain_size) {
    throw zmqsec::error(errc::invalid_argument,
                        "ZAP domain longer than 255 bytes (libzmq cannot send it)");
  }
}

// A user callback, shared by the policies built from a configuration; an empty one is refused.
template <class Callback>
std::shared_ptr<const Callback> shared_callback(Callback callback, const char* empty_message) {
  if (!callback) throw zmqsec::error(errc::invalid_argument, empty_message);
  return std::make_shared<const Callback>(std::move(callback));
}

}  // namespace

namespace detail {

struct plain_source {
  password_table table;
  std::optional<std::filesystem::path> file;                // set by configure_plain_file
  std::shared_ptr<const deferred_plain_callback> deferred;  // set: decided by it, not the table
};

struct curve_source {
  enum class kind : std::uint8_t { allow_any, store, keys, callback, deferred };
  kind how = kind::allow_any;
  std::shared_ptr<const certs::cert_store> store;
  std::shared_ptr<const std::unordered_set<certs::public_key>> keys;
  std::shared_ptr<const curve_callback> callback;
  std::shared_ptr<const deferred_curve_callback> deferred;
};

struct domain_config {
  std::optional<plain_source> plain;
  std::optional<curve_source> curve;
  bool gssapi = false;
};

struct config_data {
  address_rules addresses;
  std::map<std::string, domain_config, std::less<>> domains;
  std::shared_ptr<const curve_user_id_hook> user_id_hook;
  std::shared_ptr<const decision_observer> observer;

  domain_config& domain(std::string_view name) {
    check_domain(name);
    auto it = domains.find(name);
    if (it == domains.end()) it = domains.emplace(std::string(name), domain_config{}).first;
    return it->second;
  }
};

struct policy_data {
  address_rules addresses;
  // Every configured domain with what "*" has filled in for the mechanisms it lacks, and "*"
  // itself for the domains that are not listed.
  std::unordered_map<std::string, domain_config, string_hash, std::equal_to<>> domains;
  domain_config wildcard;
  std::shared_ptr<const curve_user_id_hook> user_id_hook;
  std::shared_ptr<const decision_observer> observer;
  mutable std::atomic<std::uint64_t> observer_errors{0};

  const domain_config& find(std::string_view domain) const noexcept {
    if (domains.empty()) return wildcard;  // only "*" configured: no hashing per request
    const auto it = domains.find(domain);
    return it == domains.end() ? wildcard : it->second;
  }
};

}  // namespace detail

// ---- policy -------------------------------------------------------------------------------------

policy::policy(std::shared_ptr<const detail::policy_data> data) noexcept : data_(std::move(data)) {}

const address_rules& policy::addresses() const noexcept {
  return data_->addresses;
}

bool policy::configured(std::string_view domain, mechanism m) const noexcept {
  const detail::domain_config& config = data_->find(domain);
  switch (m) {
    case mechanism::null:
      return true;
    case mechanism::plain:
      return config.plain.has_value();
    case mechanism::curve:
      return config.curve.has_value();
    case mechanism::gssapi:
      return config.gssapi;
    case mechanism::unknown:
      break;
  }
  return false;
}

std::uint64_t policy::observer_errors() const noexcept {
  return data_->observer_errors.load(std::memory_order_relaxed);
}

// ---- policy_config ------------------------------------------------------------------------------

policy_config::policy_config() : data_(std::make_unique<detail::config_data>()) {}
policy_config::policy_config(const policy_config& other)
    : data_(std::make_unique<detail::config_data>(*other.data_)) {}
policy_config& policy_config::operator=(const policy_config& other) {
  if (this != &other) data_ = std::make_unique<detail::config_data>(*other.data_);
  return *this;
}
policy_config::policy_config(policy_config&&) noexcept = default;
policy_config& policy_config::operator=(policy_config&&) noexcept = default;
policy_config::~policy_config() = default;

policy_config& policy_config::allow(std::string_view address) {
  data_->addresses.allow(address);
  return *this;
}

policy_config& policy_config::deny(std::string_view address) {
  data_->addresses.deny(address);
  return *this;
}

policy_config& policy_config::allow_all(std::span<const std::string_view> addresses) {
  address_rules rules = data_->addresses;  // all or nothing
  for (std::string_view address : addresses) rules.allow(address);
  data_->addresses = std::move(rules);
  return *this;
}

policy_config& policy_config::deny_all(std::span<const std::string_view> addresses) {
  address_rules rules = data_->addresses;
  for (std::string_view address : addresses) rules.deny(address);
  data_->addresses = std::move(rules);
  return *this;
}

policy_config& policy_config::configure_plain(std::string_view domain, password_table users) {
  data_->domain(domain).plain = detail::plain_source{std::move(users), std::nullopt, nullptr};
  return *this;
}

policy_config& policy_config::configure_plain_deferred(std::string_view domain,
                                                       deferred_plain_callback callback) {
  detail::plain_source source;
  source.deferred = shared_callback(std::move(callback), "configure_plain_deferred: empty");
  data_->domain(domain).plain = std::move(source);
  return *this;
}

policy_config& policy_config::configure_plain_file(std::string_view domain,
                                                   const std::filesystem::path& file) {
  check_domain(domain);
  password_table users = load_password_file(file);
  data_->domain(domain).plain = detail::plain_source{std::move(users), file, nullptr};
  return *this;
}

std::vector<std::filesystem::path> policy_config::plain_files() const {
  std::vector<std::filesystem::path> files;
  for (const auto& [name, config] : data_->domains) {
    if (config.plain && config.plain->file &&
        std::find(files.begin(), files.end(), *config.plain->file) == files.end()) {
      files.push_back(*config.plain->file);
    }
  }
  return files;
}

std::size_t policy_config::update_plain_file(const std::filesystem::path& file,
                                             const password_table& users) {
  std::size_t updated = 0;
  for (auto& [name, config] : data_->domains) {
    if (config.plain && config.plain->file && *config.plain->file == file) {
      config.plain->table = users;
      ++updated;
    }
  }
  return updated;
}

policy_config& policy_config::configure_curve(std::string_view domain, curve_allow_any_t) {
  data_->domain(domain).curve = detail::curve_source{};
  return *this;
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              const std::filesystem::path& folder,
                                              certs::cert_store_options options) {
  check_domain(domain);
  return configure_curve(domain,
                         std::make_shared<const certs::cert_store>(folder, std::move(options)));
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              std::shared_ptr<const certs::cert_store> store) {
  if (!store) throw zmqsec::error(errc::invalid_argument, "configure_curve: null cert_store");
  detail::curve_source source;
  source.how = detail::curve_source::kind::store;
  source.store = std::move(store);
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              std::vector<certs::public_key> keys) {
  detail::curve_source source;
  source.how = detail::curve_source::kind::keys;
  source.keys =
      std::make_shared<const std::unordered_set<certs::public_key>>(keys.begin(), keys.end());
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve(std::string_view domain,
                                              std::initializer_list<std::string_view> z85_keys) {
  std::vector<certs::public_key> keys;
  keys.reserve(z85_keys.size());
  for (std::string_view text : z85_keys) keys.push_back(certs::public_key::from_z85(text));
  return configure_curve(domain, std::move(keys));
}

policy_config& policy_config::configure_curve_callback(std::string_view domain,
                                                       curve_callback callback) {
  detail::curve_source source;
  source.how = detail::curve_source::kind::callback;
  source.callback = shared_callback(std::move(callback), "configure_curve_callback: empty");
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve_deferred(std::string_view domain,
                                                       deferred_curve_callback callback) {
  detail::curve_source source;
  source.how = detail::curve_source::kind::deferred;
  source.deferred = shared_callback(std::move(callback), "configure_curve_deferred: empty");
  data_->domain(domain).curve = std::move(source);
  return *this;
}

policy_config& policy_config::configure_curve_user_id(curve_user_id_hook hook) {
  data_->user_id_hook =
      hook ? std::make_shared<const curve_user_id_hook>(std::move(hook)) : nullptr;
  return *this;
}

policy_config& policy_config::configure_gssapi(std::string_view domain) {
  data_->domain(domain).gssapi = true;
  return *this;
}

policy_config& policy_config::on_decision(decision_observer observer) {
  data_->observer =
      observer ? std::make_shared<const decision_observer>(std::move(observer)) : nullptr;
  return *this;
}

std::shared_ptr<const policy> policy_config::build() const {
  auto data = std::make_shared<detail::policy_data>();
  data->addresses = data_->addresses;
  data->user_id_hook = data_->user_id_hook;
  data->observer = data_->observer;
  if (auto it = data_->domains.find(wildcard_domain); it != data_->domains.end()) {
    data->wildcard = it->second;
  }
  for (const auto& [name, config] : data_->domains) {
    if (name == wildcard_domain) continue;
    detail::domain_config resolved = config;
    if (!resolved.plain) resolved.plain = data->wildcard.plain;
    if (!resolved.curve) resolved.curve = data->wildcard.curve;
    resolved.gssapi = resolved.gssapi || data->wildcard.gssapi;
    data->domains.emplace(name, std::move(resolved));
  }
  return std::shared_ptr<const policy>(new policy(std::move(data)));
}

// ---- decide -------------------------------------------------------------------------------------

namespace {

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

// The snapshots of the stores this thread asked last, so that a lookup costs one atomic load
// (the store's generation) instead of the store's mutex and a shared_ptr copy. Keyed by the
// store's ownership (a weak_ptr: a store destroyed and another made at the same address never
// match); an entry whose store is gone lets its snapshot go at the next lookup.
class snapshot_cache {
 public:
  const certs::cert_snapshot& get(const std::shared_ptr<const certs::cert_store>& store) noexcept {
    for (entry& e : entries_) {
      if (!e.snapshot) continue;
      if (same_owner(e.store, store)) {
        if (e.snapshot->generation() != store->generation()) e.snapshot = store->current();
        return *e.snapshot;
      }
      if (e.store.expired()) {
        e.snapshot.reset();
        e.store.reset();
      }
    }
    entry& slot = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    slot.store = store;
    slot.snapshot = store->current();
    return *slot.snapshot;
  }

 private:
  struct entry {
    std::weak_ptr<const certs::cert_store> store;
    std::shared_ptr<const certs::cert_snapshot> snapshot;
  };
  static bool same_owner(const std::weak_ptr<const certs::cert_store>& a,
                         const std::shared_ptr<const certs::cert_store>& b) noexcept {
    return !a.owner_before(b) && !b.owner_before(a);
  }
  std::array<entry, 4> entries_;
  std::size_t next_ = 0;
};

thread_local snapshot_cache snapshots;

// The CURVE part of a decision; returns false when the key is refused (reply filled).
bool decide_curve(const detail::curve_source& source, const zap_request& request,
                  std::string_view z85_key, zap_reply& reply, decision& record,
                  std::optional<certs::cert_view>& cert) {
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
      break;  // decided by decide_request before it gets here
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

// The decision proper, for a well-formed request; may throw callback_failure or bad_alloc.
// cert receives the certificate of an accepted CURVE key; the caller keeps it alive until the
// observer has seen record (which may hold views of its metadata).
// Who is asking, for the observer, before anything can refuse the request.
void fill_credentials(const zap_request& request, decision& record,
                      char (&z85_key)[certs::z85_key_size]) noexcept {
  if (request.mechanism == mechanism::plain) record.username = request.username();
  if (request.mechanism == mechanism::curve) {
    (void)certs::z85_encode_to(request.curve_key(), std::span<char>(z85_key));
    record.client_key = std::string_view(z85_key, sizeof z85_key);
  }
}

void decide_request(const detail::policy_data& data, const zap_request& request, zap_reply& reply,
                    decision& record, char (&z85_key)[certs::z85_key_size],
                    std::optional<certs::cert_view>& cert, zap_deferral* deferral) {
  fill_credentials(request, record, z85_key);
  const address_match where = data.addresses.match(request.address);
  if (where == address_match::denied) {
    return answer(reply, record, zap_status::failure, "address denied");
  }
  if (where == address_match::unlisted && data.addresses.has_allow_rules()) {
    return answer(reply, record, zap_status::failure, "address not in the allow list");
  }

  const detail::domain_config& config = data.find(request.domain);
  switch (request.mechanism) {
    case mechanism::null:
      return answer(reply, record, zap_status::success, "OK");

    case mechanism::plain: {
      if (!config.plain) {
        return answer(reply, record, zap_status::failure, "PLAIN not configured for the domain");
      }
      if (config.plain->deferred) {
        return defer_request(deferral, record, "PLAIN callback failed", [&](zap_completion done) {
          (*config.plain->deferred)(request.domain, request.username(), request.password(),
                                    std::move(done));
        });
      }
      switch (config.plain->table.check(request.username(), request.password())) {
        case password_check::ok:
          reply.user_id.assign(request.username());
          return answer(reply, record, zap_status::success, "OK");
        case password_check::unknown_user:
          return answer(reply, record, zap_status::failure, "unknown user");
        case password_check::wrong_password:
          return answer(reply, record, zap_status::failure, "wrong password");
      }
      return answer(reply, record, zap_status::internal_error, "internal error");
    }

    case mechanism::curve: {
      const std::string_view z85 = record.client_key;
      if (!config.curve) {
        return answer(reply, record, zap_status::failure, "CURVE not configured for the domain");
      }
      if (config.curve->how == detail::curve_source::kind::deferred) {
        return defer_request(deferral, record, "CURVE callback failed", [&](zap_completion done) {
          (*config.curve->deferred)(request.domain, z85, std::move(done));
        });
      }
      if (!decide_curve(*config.curve, request, z85, reply, record, cert)) return;
      curve_user_id(data, request, z85, cert ? &*cert : nullptr, reply);
      if (cert) add_metadata(*cert, reply, record);
      return answer(reply, record, zap_status::success, "OK");
    }

    case mechanism::gssapi:
      if (!config.gssapi) {
        return answer(reply, record, zap_status::failure, "GSSAPI not configured for the domain");
      }
      reply.user_id.assign(request.principal());
      return answer(reply, record, zap_status::success, "OK");

    case mechanism::unknown:
      break;
  }
  return answer(reply, record, zap_status::failure, "unknown mechanism");
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
                          zap_reply& reply, zap_deferral* deferral) noexcept {
  decision record;
  fill_record(record, parsed.request);
  char z85_key[certs::z85_key_size];
  std::optional<certs::cert_view> cert;  // outlives the observer call
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
        decide_request(data, parsed.request, reply, record, z85_key, cert, deferral);
        if (record.outcome == zap_outcome::pending) return zap_outcome::pending;
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

zap_outcome decide(const policy& p, std::span<const std::string_view> body,
                   zap_reply& reply) noexcept {
  return decide(p, body, reply, nullptr);
}

zap_outcome decide(const policy& p, std::span<const std::string_view> body, zap_reply& reply,
                   zap_deferral* deferral) noexcept {
  const zap_parse_result parsed = parse_zap_request(body);
  if (parsed.status == parse_status::no_request_id) return drop_unanswerable(*p.data_, parsed);
  return decide_parsed(*p.data_, parsed, reply, deferral);
}

zap_outcome complete_deferred(const policy& p, std::span<const std::string_view> body,
                              const deferred_verdict& verdict, zap_reply& reply) noexcept {
  const zap_parse_result parsed = parse_zap_request(body);
  if (parsed.status != parse_status::ok) return drop_unanswerable(*p.data_, parsed);
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
    std::string_view text = verdict.reason;
    if (text.empty()) text = verdict.status == zap_status::success ? "OK" : "refused";
    try {
      if (verdict.status == zap_status::success) {
        if (!verdict.user_id.empty()) {
          reply.user_id.assign(verdict.user_id);
        } else if (request.mechanism == mechanism::plain) {
          reply.user_id.assign(request.username());
        } else if (request.mechanism == mechanism::curve) {
          curve_user_id(*p.data_, request, record.client_key, nullptr, reply);
        }
      }
      answer(reply, record, verdict.status, text);
    } catch (const callback_failure& failure) {
      reply.user_id.clear();
      answer(reply, record, zap_status::internal_error, failure.reason);
    }
  } catch (...) {
    outcome = fall_back(reply, record, request.request_id);
  }
  return observed(*p.data_, record, reply, outcome);
}

zap_outcome decide(const policy& p, const zap_request& request, zap_reply& reply) noexcept {
  // A request may have been put together by hand: hold it to the parser's rules (so that, e.g.,
  // curve_key() never reads past a short credential).
  std::array<std::string_view, 8> frames{request.version,    request.request_id,
                                         request.domain,     request.address,
                                         request.routing_id, request.mechanism_name};
  const std::size_t count = std::min<std::size_t>(request.credential_count, 2);
  for (std::size_t i = 0; i < count; ++i) frames[6 + i] = request.credentials[i];
  return decide(p, std::span<const std::string_view>(frames.data(), 6 + count), reply);
}

std::optional<zap_reply> decide(const policy& p, std::span<const std::string_view> body) {
  zap_reply reply;
  if (decide(p, body, reply) != zap_outcome::reply) return std::nullopt;
  return reply;
}

}  // namespace zmqsec::auth
