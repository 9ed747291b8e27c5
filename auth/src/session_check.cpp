// The pure side of revocation: a session record made from an accepted request, and whether a
// policy still allows it.
#include <zmqsec/certs/z85.hpp>

#include "policy_data.hpp"
#include "session_record.hpp"

namespace zmqsec::auth::detail {

namespace {

std::string_view plain_reason(const domain_config& config, const session_record& s) noexcept {
  if (!config.plain) return "PLAIN not configured for the domain";
  const plain_source& plain = *config.plain;
  if (plain.callback || plain.deferred) return {};  // user code decided it: kept
  const std::optional<password_stamp> now = plain.table.stamp(s.username);
  if (!now) return "user removed";
  if (!s.stamp || *s.stamp != *now) return "password changed";
  return {};
}

std::string_view curve_reason(const domain_config& config, const session_record& s,
                              store_snapshots& snapshots) noexcept {
  if (!config.curve) return "CURVE not configured for the domain";
  const curve_source& curve = *config.curve;
  using kind = curve_source::kind;
  switch (curve.how) {
    case kind::allow_any:
    case kind::callback:
    case kind::deferred:
      return {};
    case kind::store:
      return snapshots.get(curve.store).find(std::span<const unsigned char>(s.key))
                 ? std::string_view()
                 : "unknown CURVE key";
    case kind::keys:
      return curve.keys->contains(certs::public_key(s.key)) ? std::string_view()
                                                            : "unknown CURVE key";
  }
  return "unknown CURVE key";
}

}  // namespace

session_record make_session_record(const policy& p, const zap_request& request,
                                   std::string_view user_id) {
  session_record s;
  s.domain.assign(request.domain);
  s.mech = request.mechanism;
  s.mechanism_name.assign(request.mechanism_name);
  s.address.assign(request.address);
  s.user_id.assign(user_id);
  const domain_config& config = policy_access::data(p).find(request.domain);
  switch (request.mechanism) {
    case mechanism::plain:
      s.username.assign(request.username());
      if (config.plain && !config.plain->callback && !config.plain->deferred) {
        s.stamp = config.plain->table.stamp(request.username());
      }
      break;
    case mechanism::curve: {
      const auto key = request.curve_key();
      std::copy(key.begin(), key.end(), s.key.begin());
      s.z85_key.resize(certs::z85_key_size);
      (void)certs::z85_encode_to(key, std::span<char>(s.z85_key));
      break;
    }
    case mechanism::gssapi:
      s.principal.assign(request.principal());
      break;
    case mechanism::null:
    case mechanism::unknown:
      break;
  }
  return s;
}

std::string_view revocation_reason(const policy& p, const session_record& s,
                                   store_snapshots& snapshots) noexcept {
  const policy_data& data = policy_access::data(p);
  const address_match where = data.addresses.match(std::string_view(s.address));
  if (where == address_match::denied) return "address denied";
  if (where == address_match::unlisted && data.addresses.has_allow_rules()) {
    return "address not in the allow list";
  }
  const domain_config& config = data.find(s.domain);
  if (config.decider) return {};  // user code decides the domain: kept
  switch (s.mech) {
    case mechanism::null:
      return config.null && !config.null->allowed ? "NULL not allowed for the domain"
                                                  : std::string_view();
    case mechanism::plain:
      return plain_reason(config, s);
    case mechanism::curve:
      return curve_reason(config, s, snapshots);
    case mechanism::gssapi:
      return config.gssapi ? std::string_view() : "GSSAPI not configured for the domain";
    case mechanism::unknown:
      break;
  }
  return "unknown mechanism";
}

}  // namespace zmqsec::auth::detail
