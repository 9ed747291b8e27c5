// Allow and deny lists of IP addresses and CIDR ranges, with a lookup whose cost does not depend
// on the number of rules.
//
//   za::address_rules rules;
//   rules.allow("127.0.0.1");          // one address
//   rules.allow("10.0.0.0/8");         // a range (host bits must be zero)
//   rules.deny("10.1.2.0/24");         // deny wins over allow
//   rules.allow("fd00::/8");
//   rules.match("10.1.2.3")            // address_match::denied
//   rules.match("::ffff:10.9.9.9")     // address_match::allowed: v4-mapped v6 is its v4 address
//   rules.match("192.0.2.1")           // address_match::unlisted
//
// Families: an IPv4 rule matches IPv4 peers, including those an IPv6 socket reports as
// v4-mapped ("::ffff:a.b.c.d"); a rule written as a v4-mapped IPv6 address or range
// ("::ffff:10.0.0.0/104") is the IPv4 rule it stands for. Other IPv6 rules match IPv6 peers only:
// "::/0" is every IPv6 peer, "0.0.0.0/0" every IPv4 peer.
//
// Lookup: the rules are kept in one hash table per family, keyed by (prefix length, masked
// network); a lookup probes once per prefix length in use (at most 33 for IPv4, 129 for IPv6),
// whatever the number of rules. No allocation, no lock.
//
// Rule syntax: an IPv4 dotted quad (four decimal numbers 0..255, no leading zeros) or an IPv6
// address (RFC 4291 text, inet_pton), optionally followed by "/prefix" (0..32 or 0..128) with
// every bit past the prefix zero. Anything else (host names, zone ids "%eth0", "10.0.0.1/8",
// "1.2.3") is refused with a zmqsec::error (errc::invalid_argument) naming the rule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <zmqsec/error.hpp>

namespace zmqsec::auth {

/// An IPv4 or IPv6 address.
class ip_address {
 public:
  enum class family_type : std::uint8_t { v4, v6 };

  ip_address() noexcept = default;  ///< 0.0.0.0
  static ip_address v4(std::array<std::uint8_t, 4> bytes) noexcept;
  static ip_address v6(std::array<std::uint8_t, 16> bytes) noexcept;

  /// Parses an address as the rule syntax above has it (no prefix, no zone id). A v4-mapped
  /// IPv6 address stays IPv6 (see unmapped()). nullopt for anything else.
  static std::optional<ip_address> parse(std::string_view text) noexcept;

  family_type family() const noexcept { return family_; }
  bool is_v4() const noexcept { return family_ == family_type::v4; }
  /// 4 meaningful bytes for IPv4 (the rest zero), 16 for IPv6.
  const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  std::size_t bit_count() const noexcept { return is_v4() ? 32 : 128; }

  /// True for an IPv6 address in ::ffff:0:0/96.
  bool is_v4_mapped() const noexcept;
  /// The IPv4 address of a v4-mapped IPv6 address; any other address unchanged.
  ip_address unmapped() const noexcept;

  /// Canonical text: dotted quad, or RFC 5952 IPv6 (inet_ntop).
  std::string to_string() const;

  friend bool operator==(const ip_address&, const ip_address&) noexcept = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
  family_type family_ = family_type::v4;
};

/// An address range: a network address and a prefix length.
class ip_network {
 public:
  /// A single address (prefix = all its bits).
  explicit ip_network(const ip_address& address) noexcept;
  /// Throws zmqsec::error (invalid_argument) if prefix is too long or host bits are set.
  ip_network(const ip_address& network, unsigned prefix);

  /// Parses "ADDRESS" or "ADDRESS/PREFIX" (see the top of this header); throws zmqsec::error
  /// (invalid_argument) with a message that quotes the text and says what is wrong.
  static ip_network parse(std::string_view text);

  const ip_address& network() const noexcept { return network_; }
  unsigned prefix() const noexcept { return prefix_; }
  bool contains(const ip_address& address) const noexcept;  ///< same family only, as stored

  /// A v4-mapped IPv6 range of prefix >= 96 as the IPv4 range it is; others unchanged.
  ip_network unmapped() const noexcept;

  /// "10.0.0.0/8"; a single address without "/prefix".
  std::string to_string() const;

  friend bool operator==(const ip_network&, const ip_network&) noexcept = default;

 private:
  ip_address network_;
  unsigned prefix_ = 0;
};

/// What the rules say about an address.
enum class address_match : std::uint8_t {
  unlisted,  ///< in no rule
  allowed,   ///< in an allow rule and in no deny rule
  denied,    ///< in a deny rule (whether or not also allowed)
};

namespace detail {
struct address_tables;
}

/// Allow and deny rules. A value: copies are cheap (shared until one of them changes).
class address_rules {
 public:
  address_rules();
  address_rules(const address_rules&) noexcept;
  address_rules& operator=(const address_rules&) noexcept;
  address_rules(address_rules&&) noexcept;
  address_rules& operator=(address_rules&&) noexcept;
  ~address_rules();

  /// Add a rule (parsed as ip_network::parse; throws zmqsec::error for a bad one and changes
  /// nothing). Adding a rule twice is harmless.
  void allow(std::string_view rule);
  void deny(std::string_view rule);
  void allow(const ip_network& network);
  void deny(const ip_network& network);

  /// Remove a rule as it was added (the same network, after parsing: "10.0.0.0/8" removes what
  /// "10.0.0.0/8" or "::ffff:10.0.0.0/104" added). Returns whether there was such a rule; throws
  /// zmqsec::error for text that is not a rule. Other rules, including ranges that contain the
  /// network, are untouched.
  bool remove_allow(std::string_view rule);
  bool remove_deny(std::string_view rule);
  bool remove_allow(const ip_network& network);
  bool remove_deny(const ip_network& network);
  /// Removes every rule.
  void clear();

  /// The verdict for an address: denied if any deny rule contains it, otherwise allowed if any
  /// allow rule does, otherwise unlisted. v4-mapped addresses are looked up as IPv4.
  address_match match(const ip_address& address) const noexcept;
  /// The same for an address as text (as in a ZAP request). An IPv6 zone id ("fe80::1%eth0") is
  /// ignored. Text that is not an IP address (empty, or what libzmq sends for an ipc peer) is in
  /// no rule: unlisted.
  address_match match(std::string_view address) const noexcept;

  bool has_allow_rules() const noexcept;
  bool has_deny_rules() const noexcept;
  bool empty() const noexcept { return !has_allow_rules() && !has_deny_rules(); }
  std::size_t allow_count() const noexcept;  ///< distinct allow rules
  std::size_t deny_count() const noexcept;   ///< distinct deny rules

 private:
  detail::address_tables& writable();
  std::shared_ptr<detail::address_tables> tables_;  // copy on write; never null
};

}  // namespace zmqsec::auth
