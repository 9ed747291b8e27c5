// Address rules: parsing of IPv4/IPv6 addresses and ranges, and a lookup that probes one hash
// table once per prefix length in use.
#include <zmqsec/auth/address_rules.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

#include "flag_table.hpp"

namespace zmqsec::auth {

namespace {

using detail::flag_table;
using detail::v6_key;

constexpr std::uint8_t allow_flag = 1;
constexpr std::uint8_t deny_flag = 2;

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};

[[noreturn]] void bad_rule(std::string_view text, std::string_view why) {
  constexpr std::size_t shown = 80;
  std::string quoted(text.substr(0, shown));
  for (char& c : quoted) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > shown) quoted += "...";
  throw zmqsec::error(errc::invalid_argument,
                      "invalid address rule \"" + quoted + "\": " + std::string(why));
}

// A decimal number without sign or leading zeros (except "0"), at most max.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) noexcept {
  if (text.empty() || text.size() > 3) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return value;
}

// An IPv4 dotted quad as a 32-bit number: four groups of 1..3 digits separated by dots, each
// 0..255 without leading zeros. Written for speed: the authenticator parses the peer address of
// every request.
std::optional<std::uint32_t> parse_v4_number(std::string_view text) noexcept {
  if (text.size() < 7 || text.size() > 15) return std::nullopt;
  const char* p = text.data();
  const char* const end = p + text.size();
  auto digit = [&](const char* at) -> unsigned {
    return at != end ? static_cast<unsigned>(static_cast<unsigned char>(*at)) - '0' : 10U;
  };
  std::uint32_t result = 0;
  for (int group = 0; group < 4; ++group) {
    if (group > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned value = digit(p);
    if (value > 9) return std::nullopt;
    ++p;
    if (const unsigned second = digit(p); second <= 9) {
      if (value == 0) return std::nullopt;  // leading zero
      value = value * 10 + second;
      ++p;
      if (const unsigned third = digit(p); third <= 9) {
        value = value * 10 + third;
        ++p;
        if (value > 255) return std::nullopt;
      }
    }
    result = (result << 8) | value;
  }
  if (p != end) return std::nullopt;
  return result;
}

std::optional<std::array<std::uint8_t, 4>> parse_v4(std::string_view text) noexcept {
  const auto number = parse_v4_number(text);
  if (!number) return std::nullopt;
  return std::array<std::uint8_t, 4>{
      static_cast<std::uint8_t>(*number >> 24), static_cast<std::uint8_t>(*number >> 16),
      static_cast<std::uint8_t>(*number >> 8), static_cast<std::uint8_t>(*number)};
}

std::optional<std::array<std::uint8_t, 16>> parse_v6(std::string_view text) noexcept {
  // inet_pton wants a terminated string; no valid IPv6 text is longer than 45 characters.
  char buffer[64];
  if (text.empty() || text.size() >= sizeof buffer) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  std::array<std::uint8_t, 16> out{};
  if (::inet_pton(AF_INET6, buffer, out.data()) != 1) return std::nullopt;
  return out;
}

// Clears every bit of bytes past the first prefix bits.
void mask_bytes(std::array<std::uint8_t, 16>& bytes, unsigned prefix, unsigned bits) noexcept {
  for (unsigned i = 0; i < bits / 8; ++i) {
    const unsigned first_bit = i * 8;
    if (prefix >= first_bit + 8) continue;
    if (prefix <= first_bit) {
      bytes[i] = 0;
    } else {
      bytes[i] &= static_cast<std::uint8_t>(0xff00u >> (prefix - first_bit));
    }
  }
}

std::uint64_t load_be64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

// ---- ip_address -------------------------------------------------------------------------------

ip_address ip_address::v4(std::array<std::uint8_t, 4> bytes) noexcept {
  ip_address a;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  a.family_ = family_type::v4;
  return a;
}

ip_address ip_address::v6(std::array<std::uint8_t, 16> bytes) noexcept {
  ip_address a;
  a.bytes_ = bytes;
  a.family_ = family_type::v6;
  return a;
}

std::optional<ip_address> ip_address::parse(std::string_view text) noexcept {
  if (text.find(':') == std::string_view::npos) {
    if (auto v4_bytes = parse_v4(text)) return v4(*v4_bytes);
    return std::nullopt;
  }
  // Fast path for what IPv6 sockets report for IPv4 peers: "::ffff:a.b.c.d".
  constexpr std::string_view mapped = "::ffff:";
  if (text.size() > mapped.size() && text.find('.') != std::string_view::npos) {
    bool prefix = true;
    for (std::size_t i = 0; i < mapped.size(); ++i) {
      prefix = prefix && (text[i] | 0x20) == mapped[i];  // ':' | 0x20 == ':'
    }
    if (prefix) {
      if (auto v4_bytes = parse_v4(text.substr(mapped.size()))) {
        std::array<std::uint8_t, 16> bytes{};
        std::copy(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), bytes.begin());
        std::copy(v4_bytes->begin(), v4_bytes->end(), bytes.begin() + 12);
        return v6(bytes);
      }
    }
  }
  if (auto v6_bytes = parse_v6(text)) return v6(*v6_bytes);
  return std::nullopt;
}

bool ip_address::is_v4_mapped() const noexcept {
  return family_ == family_type::v6 &&
         std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), bytes_.begin());
}

ip_address ip_address::unmapped() const noexcept {
  if (!is_v4_mapped()) return *this;
  return v4({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

std::string ip_address::to_string() const {
  char buffer[INET6_ADDRSTRLEN];
  const int family = is_v4() ? AF_INET : AF_INET6;
  if (::inet_ntop(family, bytes_.data(), buffer, sizeof buffer) == nullptr) return {};
  return buffer;
}

// ---- ip_network -------------------------------------------------------------------------------

ip_network::ip_network(const ip_address& address) noexcept
    : network_(address), prefix_(static_cast<unsigned>(address.bit_count())) {}

ip_network::ip_network(const ip_address& network, unsigned prefix)
    : network_(network), prefix_(prefix) {
  const auto bits = static_cast<unsigned>(network.bit_count());
  if (prefix > bits) {
    throw zmqsec::error(errc::invalid_argument,
                        "prefix /" + std::to_string(prefix) + " is longer than the address");
  }
  auto masked = network.bytes();
  mask_bytes(masked, prefix, bits);
  if (masked != network.bytes()) {
    ip_address expected = network.is_v4()
                              ? ip_address::v4({masked[0], masked[1], masked[2], masked[3]})
                              : ip_address::v6(masked);
    throw zmqsec::error(errc::invalid_argument, network.to_string() + "/" + std::to_string(prefix) +
                                                    " has host bits set (the network is " +
                                                    expected.to_string() + "/" +
                                                    std::to_string(prefix) + ")");
  }
}

ip_network ip_network::parse(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view address_text = text.substr(0, slash);
  if (address_text.find('%') != std::string_view::npos) {
    bad_rule(text, "zone ids (\"%...\") are not supported in rules");
  }
  const auto address = ip_address::parse(address_text);
  if (!address) {
    bad_rule(text, "not an IPv4 address (a.b.c.d) or IPv6 address");
  }
  if (slash == std::string_view::npos) return ip_network(*address);
  const auto bits = static_cast<unsigned>(address->bit_count());
  const auto prefix = parse_decimal(text.substr(slash + 1), bits);
  if (!prefix) {
    bad_rule(text, "the prefix length must be a number from 0 to " + std::to_string(bits));
  }
  try {
    return ip_network(*address, *prefix);
  } catch (const zmqsec::error& e) {
    bad_rule(text, e.what());
  }
}

bool ip_network::contains(const ip_address& address) const noexcept {
  if (address.family() != network_.family()) return false;
  auto masked = address.bytes();
  mask_bytes(masked, prefix_, static_cast<unsigned>(address.bit_count()));
  return masked == network_.bytes();
}

ip_network ip_network::unmapped() const noexcept {
  if (!network_.is_v4_mapped() || prefix_ < 96) return *this;
  ip_network out(network_.unmapped());
  out.prefix_ = prefix_ - 96;
  return out;
}

std::string ip_network::to_string() const {
  std::string out = network_.to_string();
  if (prefix_ != network_.bit_count()) {
    out += '/';
    out += std::to_string(prefix_);
  }
  return out;
}

// ---- address_rules ----------------------------------------------------------------------------

namespace detail {

struct address_tables {
  flag_table<std::uint64_t> v4;  // key: prefix << 32 | masked address
  flag_table<v6_key> v6;
  std::uint64_t v4_lengths = 0;          // bit n set: some v4 rule has prefix n
  std::vector<std::uint8_t> v6_lengths;  // prefix lengths in use, longest first
  std::size_t allow_count = 0;
  std::size_t deny_count = 0;

  std::array<std::uint32_t, 33> v4_keys_per_length{};  // entries of each prefix length
  std::array<std::uint32_t, 129> v6_keys_per_length{};

  void add(const ip_network& rule, std::uint8_t flag) { change(rule, flag, true); }
  bool remove(const ip_network& rule, std::uint8_t flag) { return change(rule, flag, false); }

  // Adds or removes flag for rule, keeping the counts and the prefix lengths to probe in step.
  // Returns whether anything changed.
  bool change(const ip_network& rule, std::uint8_t flag, bool add) {
    const ip_network network = rule.unmapped();
    const auto& bytes = network.network().bytes();
    const auto prefix = static_cast<std::uint8_t>(network.prefix());
    bool changed;
    if (network.network().is_v4()) {
      const std::uint64_t key = (std::uint64_t{prefix} << 32) | (std::uint64_t{bytes[0]} << 24) |
                                (std::uint64_t{bytes[1]} << 16) | (std::uint64_t{bytes[2]} << 8) |
                                std::uint64_t{bytes[3]};
      changed = change_in(v4, key, flag, add, v4_keys_per_length[prefix]);
      if (v4_keys_per_length[prefix] != 0) {
        v4_lengths |= std::uint64_t{1} << prefix;
      } else {
        v4_lengths &= ~(std::uint64_t{1} << prefix);
      }
    } else {
      const v6_key key{load_be64(bytes.data()), load_be64(bytes.data() + 8), prefix};
      changed = change_in(v6, key, flag, add, v6_keys_per_length[prefix]);
      const auto at = std::find(v6_lengths.begin(), v6_lengths.end(), prefix);
      if (v6_keys_per_length[prefix] != 0 && at == v6_lengths.end()) {
        v6_lengths.insert(
            std::upper_bound(v6_lengths.begin(), v6_lengths.end(), prefix, std::greater<>()),
            prefix);
      } else if (v6_keys_per_length[prefix] == 0 && at != v6_lengths.end()) {
        v6_lengths.erase(at);
      }
    }
    if (changed) {
      std::size_t& count = flag == allow_flag ? allow_count : deny_count;
      count = add ? count + 1 : count - 1;
    }
    return changed;
  }

  template <class Table, class Key>
  static bool change_in(Table& table, const Key& key, std::uint8_t flag, bool add,
                        std::uint32_t& keys_of_length) {
    const bool existed = table.contains(key);
    const bool changed = add ? table.add(key, flag) : table.remove(key, flag);
    const bool exists = table.contains(key);
    if (exists && !existed) ++keys_of_length;
    if (!exists && existed) --keys_of_length;
    return changed;
  }

  // value: the IPv4 address as a number (a.b.c.d = a << 24 | ...).
  address_match match_v4(std::uint64_t value) const noexcept {
    bool allowed = false;
    for (std::uint64_t lengths = v4_lengths; lengths != 0;) {
      const unsigned prefix = 63 - static_cast<unsigned>(std::countl_zero(lengths));
      lengths &= ~(std::uint64_t{1} << prefix);
      const std::uint64_t mask = prefix == 0 ? 0 : (0xffffffffULL << (32 - prefix)) & 0xffffffffULL;
      const std::uint8_t flags = v4.find((std::uint64_t{prefix} << 32) | (value & mask));
      if (flags & deny_flag) return address_match::denied;
      if (flags & allow_flag) {
        if (deny_count == 0) return address_match::allowed;  // no deny rule can follow
        allowed = true;
      }
    }
    return allowed ? address_match::allowed : address_match::unlisted;
  }

  address_match match(const ip_address& raw) const noexcept {
    const ip_address address = raw.unmapped();
    const auto& bytes = address.bytes();
    bool allowed = false;
    if (address.is_v4()) {
      return match_v4((std::uint64_t{bytes[0]} << 24) | (std::uint64_t{bytes[1]} << 16) |
                      (std::uint64_t{bytes[2]} << 8) | std::uint64_t{bytes[3]});
    } else {
      const std::uint64_t high = load_be64(bytes.data());
      const std::uint64_t low = load_be64(bytes.data() + 8);
      for (const std::uint8_t prefix : v6_lengths) {
        v6_key key{high, low, prefix};
        if (prefix < 64) {
          key.high = prefix == 0 ? 0 : high & (~std::uint64_t{0} << (64 - prefix));
          key.low = 0;
        } else if (prefix < 128) {
          key.low = prefix == 64 ? 0 : low & (~std::uint64_t{0} << (128 - prefix));
        }
        const std::uint8_t flags = v6.find(key);
        if (flags & deny_flag) return address_match::denied;
        if (flags & allow_flag) {
          if (deny_count == 0) return address_match::allowed;
          allowed = true;
        }
      }
    }
    return allowed ? address_match::allowed : address_match::unlisted;
  }
};

}  // namespace detail

address_rules::address_rules() : tables_(std::make_shared<detail::address_tables>()) {}
address_rules::address_rules(const address_rules&) noexcept = default;
address_rules& address_rules::operator=(const address_rules&) noexcept = default;
// A moved-from object keeps a (shared) table so that it stays usable.
address_rules::address_rules(address_rules&& other) noexcept : tables_(other.tables_) {}
address_rules& address_rules::operator=(address_rules&& other) noexcept {
  tables_ = other.tables_;
  return *this;
}
address_rules::~address_rules() = default;

detail::address_tables& address_rules::writable() {
  if (tables_.use_count() > 1) tables_ = std::make_shared<detail::address_tables>(*tables_);
  return *tables_;
}

void address_rules::allow(std::string_view rule) {
  allow(ip_network::parse(rule));
}
void address_rules::deny(std::string_view rule) {
  deny(ip_network::parse(rule));
}
void address_rules::allow(const ip_network& network) {
  writable().add(network, allow_flag);
}
void address_rules::deny(const ip_network& network) {
  writable().add(network, deny_flag);
}

bool address_rules::remove_allow(std::string_view rule) {
  return remove_allow(ip_network::parse(rule));
}
bool address_rules::remove_deny(std::string_view rule) {
  return remove_deny(ip_network::parse(rule));
}
bool address_rules::remove_allow(const ip_network& network) {
  return writable().remove(network, allow_flag);
}
bool address_rules::remove_deny(const ip_network& network) {
  return writable().remove(network, deny_flag);
}
void address_rules::clear() {
  tables_ = std::make_shared<detail::address_tables>();
}

address_match address_rules::match(const ip_address& address) const noexcept {
  return tables_->match(address);
}

address_match address_rules::match(std::string_view address) const noexcept {
  if (empty()) return address_match::unlisted;
  // The common case, an IPv4 peer: parsed straight into the number the table is keyed by.
  if (const auto v4 = parse_v4_number(address)) return tables_->match_v4(*v4);
  // Not IPv4, so IPv6 or nothing; the zone id of "fe80::1%eth0" is not part of the address.
  if (address.find(':') == std::string_view::npos) return address_match::unlisted;
  const auto parsed = ip_address::parse(address.substr(0, address.find('%')));
  if (!parsed) return address_match::unlisted;
  return tables_->match(*parsed);
}

bool address_rules::has_allow_rules() const noexcept {
  return tables_->allow_count != 0;
}
bool address_rules::has_deny_rules() const noexcept {
  return tables_->deny_count != 0;
}
std::size_t address_rules::allow_count() const noexcept {
  return tables_->allow_count;
}
std::size_t address_rules::deny_count() const noexcept {
  return tables_->deny_count;
}

}  // namespace zmqsec::auth
