// Address parsing and matching: exact addresses, ranges, v4-mapped IPv6, prefix edge cases.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include <zmqsec/auth/address_rules.hpp>

namespace za = zmqsec::auth;
using za::address_match;

TEST(ip_address, parses_strictly) {
  for (const char* good : {"0.0.0.0", "127.0.0.1", "255.255.255.255", "10.0.0.10", "::", "::1",
                           "fd00::", "2001:db8::8:800:200c:417a", "::ffff:10.1.2.3", "FE80::1"}) {
    EXPECT_TRUE(za::ip_address::parse(good)) << good;
  }
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "1..2.3",
                          "1.2.3.4 ", " 1.2.3.4", "+1.2.3.4", "localhost", "1.2.3.4/8", ":::",
                          "fe80::1%eth0", "1::2::3", "12345::", "localhost:0:0:27929", "[::1]"}) {
    EXPECT_FALSE(za::ip_address::parse(bad)) << bad;
  }
  EXPECT_FALSE(za::ip_address::parse(std::string_view("1.2.3.4\0", 8)));
  EXPECT_FALSE(za::ip_address::parse(std::string(100, '1')));
}

// The IPv4 parser is hand-written for speed (every ZAP request's address goes through it):
// it must accept exactly what inet_pton accepts (glibc's inet_pton refuses leading zeros too),
// on strings made of digits and dots, the only characters that get far in it.
TEST(ip_address, parses_ipv4_like_inet_pton) {
  std::mt19937 random(20261122);
  const std::string alphabet = "0123456789.....25";
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string text(1 + random() % 17, ' ');
    for (char& c : text) c = alphabet[random() % alphabet.size()];
    in_addr expected{};
    const bool valid = ::inet_pton(AF_INET, text.c_str(), &expected) == 1;
    const auto parsed = za::ip_address::parse(text);
    ASSERT_EQ(parsed.has_value(), valid) << '"' << text << '"';
    if (!valid) continue;
    ++accepted;
    ASSERT_TRUE(parsed->is_v4()) << text;
    ASSERT_EQ(std::memcmp(parsed->bytes().data(), &expected, 4), 0) << text;
  }
  EXPECT_GT(accepted, 300);  // the generator does reach valid addresses (666 with this seed)
  for (const char* bad :
       {"1.2.3.1000", "999.1.1.1", "1.2.3.00", "1.2.3.4.", ".1.2.3.4", "1.2.3."}) {
    EXPECT_FALSE(za::ip_address::parse(bad)) << bad;
    za::address_rules rules;
    rules.allow("0.0.0.0/0");
    EXPECT_EQ(rules.match(bad), address_match::unlisted) << bad;
  }
}

TEST(ip_address, round_trips_and_unmaps) {
  auto v4 = *za::ip_address::parse("192.0.2.7");
  EXPECT_TRUE(v4.is_v4());
  EXPECT_EQ(v4.to_string(), "192.0.2.7");
  auto v6 = *za::ip_address::parse("2001:DB8:0::1");
  EXPECT_FALSE(v6.is_v4());
  EXPECT_EQ(v6.to_string(), "2001:db8::1");
  auto mapped = *za::ip_address::parse("::ffff:192.0.2.7");
  EXPECT_TRUE(mapped.is_v4_mapped());
  EXPECT_EQ(mapped.unmapped(), v4);
  EXPECT_EQ(v6.unmapped(), v6);
  EXPECT_FALSE(za::ip_address::parse("::192.0.2.7")->is_v4_mapped());  // v4-compatible, not mapped
}

TEST(ip_network, parses_ranges_and_refuses_host_bits) {
  auto n = za::ip_network::parse("10.0.0.0/8");
  EXPECT_EQ(n.prefix(), 8u);
  EXPECT_EQ(n.to_string(), "10.0.0.0/8");
  EXPECT_TRUE(n.contains(*za::ip_address::parse("10.255.1.2")));
  EXPECT_FALSE(n.contains(*za::ip_address::parse("11.0.0.0")));
  EXPECT_EQ(za::ip_network::parse("1.2.3.4").prefix(), 32u);
  EXPECT_EQ(za::ip_network::parse("1.2.3.4").to_string(), "1.2.3.4");
  EXPECT_EQ(za::ip_network::parse("fd00::/8").prefix(), 8u);
  EXPECT_EQ(za::ip_network::parse("::/0").prefix(), 0u);
  EXPECT_EQ(za::ip_network::parse("0.0.0.0/0").prefix(), 0u);
  EXPECT_EQ(za::ip_network::parse("::1/128").prefix(), 128u);

  for (const char* bad :
       {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/-1", "10.0.0.0/8/8",
        "::1/129", "fd00::1/8", "fe80::1%eth0", "example.com", "", "/8", "10.0.0.0 /8"}) {
    EXPECT_THROW(za::ip_network::parse(bad), zmqsec::error) << bad;
  }
  try {
    za::ip_network::parse("10.0.0.1/8");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("10.0.0.1/8"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("10.0.0.0/8"), std::string::npos) << e.what();
  }
}

TEST(ip_network, v4_mapped_ranges_become_v4) {
  auto n = za::ip_network::parse("::ffff:10.0.0.0/104").unmapped();
  EXPECT_TRUE(n.network().is_v4());
  EXPECT_EQ(n.prefix(), 8u);
  auto all = za::ip_network::parse("::ffff:0:0/96").unmapped();
  EXPECT_TRUE(all.network().is_v4());
  EXPECT_EQ(all.prefix(), 0u);
  auto wider = za::ip_network::parse("::/80").unmapped();
  EXPECT_FALSE(wider.network().is_v4());
}

TEST(address_rules, exact_and_ranges) {
  za::address_rules rules;
  EXPECT_TRUE(rules.empty());
  rules.allow("127.0.0.1");
  rules.allow("10.0.0.0/8");
  rules.deny("10.1.2.0/24");
  rules.allow("fd00::/8");
  rules.deny("fd00::bad");
  EXPECT_EQ(rules.allow_count(), 3u);
  EXPECT_EQ(rules.deny_count(), 2u);
  EXPECT_EQ(rules.match("127.0.0.1"), address_match::allowed);
  EXPECT_EQ(rules.match("127.0.0.2"), address_match::unlisted);
  EXPECT_EQ(rules.match("10.200.0.1"), address_match::allowed);
  EXPECT_EQ(rules.match("10.1.2.3"), address_match::denied);
  EXPECT_EQ(rules.match("10.1.3.3"), address_match::allowed);
  EXPECT_EQ(rules.match("fd12:3456::1"), address_match::allowed);
  EXPECT_EQ(rules.match("fd00::bad"), address_match::denied);
  EXPECT_EQ(rules.match("fe80::1"), address_match::unlisted);
  EXPECT_EQ(rules.match("fd00::1%eth0"), address_match::allowed);  // zone id ignored
}

TEST(address_rules, deny_wins_whatever_the_order_and_specificity) {
  za::address_rules a;
  a.deny("10.0.0.0/8");
  a.allow("10.1.1.1");
  EXPECT_EQ(a.match("10.1.1.1"), address_match::denied);
  za::address_rules b;
  b.allow("10.1.1.1");
  b.deny("10.1.1.1");
  EXPECT_EQ(b.match("10.1.1.1"), address_match::denied);
}

TEST(address_rules, v4_mapped_addresses_match_v4_rules) {
  za::address_rules rules;
  rules.allow("127.0.0.0/8");
  rules.deny("127.0.0.9");
  EXPECT_EQ(rules.match("::ffff:127.0.0.2"), address_match::allowed);
  EXPECT_EQ(rules.match("::ffff:127.0.0.9"), address_match::denied);
  EXPECT_EQ(rules.match("::FFFF:7f00:2"), address_match::allowed);
  EXPECT_EQ(rules.match("::FFFF:127.0.0.2"), address_match::allowed);
  EXPECT_EQ(rules.match("::ffff:127.0.0.256"), address_match::unlisted);
  EXPECT_EQ(rules.match("::ffff:127.0.0"), address_match::unlisted);
  EXPECT_EQ(*za::ip_address::parse("::ffff:1.2.3.4"), *za::ip_address::parse("::ffff:102:304"));
  // Mapped rules are v4 rules.
  za::address_rules mapped;
  mapped.deny("::ffff:192.0.2.0/120");
  EXPECT_EQ(mapped.match("192.0.2.77"), address_match::denied);
  EXPECT_EQ(mapped.match("::ffff:192.0.2.77"), address_match::denied);
  EXPECT_EQ(mapped.match("192.0.3.1"), address_match::unlisted);
}

TEST(address_rules, families_do_not_mix) {
  za::address_rules rules;
  rules.deny("::/0");
  EXPECT_EQ(rules.match("::1"), address_match::denied);
  EXPECT_EQ(rules.match("1.2.3.4"), address_match::unlisted);
  EXPECT_EQ(rules.match("::ffff:1.2.3.4"), address_match::unlisted);
  za::address_rules v4;
  v4.deny("0.0.0.0/0");
  EXPECT_EQ(v4.match("1.2.3.4"), address_match::denied);
  EXPECT_EQ(v4.match("::ffff:1.2.3.4"), address_match::denied);
  EXPECT_EQ(v4.match("::1"), address_match::unlisted);
}

TEST(address_rules, prefix_edges) {
  za::address_rules rules;
  rules.allow("0.0.0.0/0");
  rules.deny("203.0.113.5/32");
  rules.deny("2001:db8::5/128");
  rules.allow("2001:db8::/64");
  rules.allow("2001:db8:0:1::/65");
  EXPECT_EQ(rules.match("0.0.0.0"), address_match::allowed);
  EXPECT_EQ(rules.match("255.255.255.255"), address_match::allowed);
  EXPECT_EQ(rules.match("203.0.113.5"), address_match::denied);
  EXPECT_EQ(rules.match("203.0.113.4"), address_match::allowed);
  EXPECT_EQ(rules.match("2001:db8::5"), address_match::denied);
  EXPECT_EQ(rules.match("2001:db8::6"), address_match::allowed);
  EXPECT_EQ(rules.match("2001:db8::ffff:ffff:ffff:ffff"), address_match::allowed);
  EXPECT_EQ(rules.match("2001:db8:0:1:7fff::"), address_match::allowed);
  EXPECT_EQ(rules.match("2001:db8:0:1:8000::"), address_match::unlisted);
  EXPECT_EQ(rules.match("2001:db8:0:2::"), address_match::unlisted);
}

TEST(address_rules, every_prefix_length_agrees_with_contains) {
  // For each prefix length, a rule built from a random address must match exactly the addresses
  // ip_network::contains says it holds.
  std::mt19937 rng(7);
  for (unsigned prefix = 0; prefix <= 128; ++prefix) {
    std::array<std::uint8_t, 16> bytes;
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    auto address = za::ip_address::v6(bytes);
    if (address.is_v4_mapped()) continue;
    // Mask to the network.
    auto net_bytes = bytes;
    for (unsigned bit = prefix; bit < 128; ++bit) {
      net_bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    }
    za::ip_network network(za::ip_address::v6(net_bytes), prefix);
    za::address_rules rules;
    rules.allow(network);
    for (int probe = 0; probe < 64; ++probe) {
      auto candidate = bytes;
      const unsigned flip = static_cast<unsigned>(rng() % 128);
      candidate[flip / 8] ^= static_cast<std::uint8_t>(0x80u >> (flip % 8));
      auto other = za::ip_address::v6(candidate);
      if (other.is_v4_mapped()) continue;
      const bool inside = network.contains(other);
      EXPECT_EQ(rules.match(other), inside ? address_match::allowed : address_match::unlisted)
          << network.to_string() << " vs " << other.to_string();
      EXPECT_EQ(inside, flip >= prefix);
    }
    EXPECT_EQ(rules.match(address), address_match::allowed);
  }
  for (unsigned prefix = 0; prefix <= 32; ++prefix) {
    const std::uint32_t value = static_cast<std::uint32_t>(rng());
    const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
    const std::uint32_t net = value & mask;
    auto to_v4 = [](std::uint32_t v) {
      return za::ip_address::v4({static_cast<std::uint8_t>(v >> 24),
                                 static_cast<std::uint8_t>(v >> 16),
                                 static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
    };
    za::address_rules rules;
    rules.deny(za::ip_network(to_v4(net), prefix));
    for (unsigned flip = 0; flip < 32; ++flip) {
      const auto other = to_v4(value ^ (0x80000000u >> flip));
      EXPECT_EQ(rules.match(other),
                flip >= prefix ? address_match::denied : address_match::unlisted)
          << prefix << " " << flip;
    }
  }
}

TEST(address_rules, non_ip_addresses_are_unlisted) {
  za::address_rules rules;
  EXPECT_EQ(rules.match(""), address_match::unlisted);
  rules.allow("127.0.0.1");
  rules.deny("0.0.0.0/0");
  rules.deny("::/0");
  // What libzmq 4.3 sends for an ipc peer (with SO_PEERCRED), and for nothing at all.
  EXPECT_EQ(rules.match("localhost:1000:1000:4242"), address_match::unlisted);
  EXPECT_EQ(rules.match(""), address_match::unlisted);
  EXPECT_EQ(rules.match("not an address"), address_match::unlisted);
}

TEST(address_rules, bad_rule_changes_nothing) {
  za::address_rules rules;
  rules.allow("10.0.0.0/8");
  EXPECT_THROW(rules.allow("10.0.0.0/88"), zmqsec::error);
  EXPECT_THROW(rules.deny("bogus"), zmqsec::error);
  EXPECT_EQ(rules.allow_count(), 1u);
  EXPECT_FALSE(rules.has_deny_rules());
}

TEST(address_rules, copies_are_independent) {
  za::address_rules a;
  a.allow("10.0.0.0/8");
  za::address_rules b = a;
  b.deny("10.0.0.1");
  EXPECT_EQ(a.match("10.0.0.1"), address_match::allowed);
  EXPECT_EQ(b.match("10.0.0.1"), address_match::denied);
  za::address_rules moved = std::move(b);
  EXPECT_EQ(moved.match("10.0.0.1"), address_match::denied);
}

TEST(address_rules, many_rules) {
  za::address_rules rules;
  for (int i = 0; i < 10000; ++i) {
    rules.allow("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1");
  }
  rules.deny("10.0.0.0/24");
  EXPECT_EQ(rules.allow_count(), 10000u);
  EXPECT_EQ(rules.match("10.39.15.1"), address_match::allowed);
  EXPECT_EQ(rules.match("10.39.15.2"), address_match::unlisted);
  EXPECT_EQ(rules.match("10.0.0.1"), address_match::denied);
  EXPECT_EQ(rules.match("10.40.0.1"), address_match::unlisted);
}

TEST(address_rules_remove, removing_rules_matches_a_reference_through_thousands_of_changes) {
  // Random adds and removes of /32, /24 and /16 rules (many sharing hash chains in the open
  // addressing table), each followed by lookups compared with a plain reference list.
  std::mt19937 rng(7);
  za::address_rules rules;
  std::set<std::pair<std::string, bool>> reference;  // (rule, is_deny)
  auto rule_text = [&] {
    const unsigned prefix = std::array<unsigned, 3>{16, 24, 32}[rng() % 3];
    const std::uint32_t address =
        (10u << 24) | ((rng() % 4) << 16) | ((rng() % 8) << 8) | (rng() % 16);
    const std::uint32_t mask = prefix == 32 ? ~0u : ~((1u << (32 - prefix)) - 1);
    const std::uint32_t network = address & mask;
    return std::to_string(network >> 24) + "." + std::to_string((network >> 16) & 255) + "." +
           std::to_string((network >> 8) & 255) + "." + std::to_string(network & 255) + "/" +
           std::to_string(prefix);
  };
  auto expected = [&](const std::string& address) {
    const auto ip = *za::ip_address::parse(address);
    bool allowed = false;
    for (const auto& [rule, deny] : reference) {
      if (!za::ip_network::parse(rule).contains(ip)) continue;
      if (deny) return za::address_match::denied;
      allowed = true;
    }
    return allowed ? za::address_match::allowed : za::address_match::unlisted;
  };
  for (int step = 0; step < 3000; ++step) {
    const std::string rule = rule_text();
    const bool deny = rng() % 4 == 0;
    if (rng() % 2) {
      deny ? rules.deny(rule) : rules.allow(rule);
      reference.insert({rule, deny});
    } else {
      const bool had = reference.erase({rule, deny}) == 1;
      EXPECT_EQ(deny ? rules.remove_deny(rule) : rules.remove_allow(rule), had) << rule;
    }
    const std::uint32_t probe =
        (10u << 24) | ((rng() % 4) << 16) | ((rng() % 8) << 8) | (rng() % 16);
    const std::string address = "10." + std::to_string((probe >> 16) & 255) + "." +
                                std::to_string((probe >> 8) & 255) + "." +
                                std::to_string(probe & 255);
    ASSERT_EQ(rules.match(address), expected(address)) << "step " << step << " " << address;
  }
  std::size_t allows = 0;
  for (const auto& entry : reference) allows += entry.second ? 0 : 1;
  EXPECT_EQ(rules.allow_count(), allows);
  EXPECT_EQ(rules.deny_count(), reference.size() - allows);
  rules.clear();
  EXPECT_TRUE(rules.empty());
  EXPECT_EQ(rules.match("10.0.0.1"), za::address_match::unlisted);
}

TEST(address_rules_remove, a_removed_rule_leaves_the_ranges_that_contain_it) {
  za::address_rules rules;
  rules.allow("10.0.0.0/8");
  rules.allow("10.1.0.0/16");
  rules.deny("::ffff:10.2.0.0/112");  // stored as the IPv4 rule 10.2.0.0/16
  EXPECT_TRUE(rules.remove_allow("10.1.0.0/16"));
  EXPECT_FALSE(rules.remove_allow("10.1.0.0/16"));
  EXPECT_EQ(rules.match("10.1.2.3"), za::address_match::allowed);  // by 10.0.0.0/8
  EXPECT_FALSE(rules.remove_allow("10.2.0.0/16"));                 // a deny rule, not an allow
  EXPECT_TRUE(rules.remove_deny("10.2.0.0/16"));
  EXPECT_EQ(rules.match("10.2.0.1"), za::address_match::allowed);
  EXPECT_THROW(rules.remove_allow("10.0.0.1/8"), zmqsec::error);
  rules.allow("fd00::/8");
  EXPECT_TRUE(rules.remove_allow("fd00::/8"));
  EXPECT_EQ(rules.match("fd00::1"), za::address_match::unlisted);
}
