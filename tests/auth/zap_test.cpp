// ZAP request parsing (the malformed-request matrix) and reply encoding.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <zmqsec/auth/zap.hpp>

#include "frames.hpp"

namespace za = zmqsec::auth;
using zmqsec::testing::frames;
using zmqsec::testing::request;

namespace {

za::zap_parse_result parse(frames& f) {
  return za::parse_zap_request(f.view());
}

}  // namespace

TEST(zap_parse, well_formed_requests) {
  auto null = request("NULL", {}, "dom", "10.1.2.3", "42");
  auto r = parse(null);
  ASSERT_EQ(r.status, za::parse_status::ok) << r.reason;
  EXPECT_EQ(r.request.version, "1.0");
  EXPECT_EQ(r.request.request_id, "42");
  EXPECT_EQ(r.request.domain, "dom");
  EXPECT_EQ(r.request.address, "10.1.2.3");
  EXPECT_EQ(r.request.routing_id, "router-id");
  EXPECT_EQ(r.request.mechanism, za::mechanism::null);
  EXPECT_EQ(r.request.credential_count, 0u);

  auto plain = request("PLAIN", {"admin", "secret"});
  r = parse(plain);
  ASSERT_EQ(r.status, za::parse_status::ok);
  EXPECT_EQ(r.request.mechanism, za::mechanism::plain);
  EXPECT_EQ(r.request.username(), "admin");
  EXPECT_EQ(r.request.password(), "secret");

  std::string key(32, '\x01');
  auto curve = request("CURVE", {key});
  r = parse(curve);
  ASSERT_EQ(r.status, za::parse_status::ok);
  EXPECT_EQ(r.request.mechanism, za::mechanism::curve);
  EXPECT_EQ(r.request.curve_key()[0], 1);
  EXPECT_EQ(r.request.curve_key().size(), 32u);

  auto gssapi = request("GSSAPI", {"alice@EXAMPLE.ORG"});
  r = parse(gssapi);
  ASSERT_EQ(r.status, za::parse_status::ok);
  EXPECT_EQ(r.request.principal(), "alice@EXAMPLE.ORG");

  // Empty fields libzmq does send: no ZAP domain, no routing id, an empty PLAIN password.
  auto empties = request("PLAIN", {"u", ""}, "", "");
  empties.owned()[4].clear();
  r = parse(empties);
  EXPECT_EQ(r.status, za::parse_status::ok);
}

TEST(zap_parse, unknown_mechanism_parses_but_keeps_no_credentials) {
  auto f = request("KERBEROS5", {"secret-ish"});
  auto r = parse(f);
  ASSERT_EQ(r.status, za::parse_status::ok);
  EXPECT_EQ(r.request.mechanism, za::mechanism::unknown);
  EXPECT_EQ(r.request.mechanism_name, "KERBEROS5");
  EXPECT_EQ(r.request.credential_count, 0u);
  EXPECT_TRUE(r.request.credentials[0].empty());
}

TEST(zap_parse, unusable_request_id_means_no_reply) {
  frames nothing;
  EXPECT_EQ(parse(nothing).status, za::parse_status::no_request_id);
  frames version_only{"1.0"};
  EXPECT_EQ(parse(version_only).status, za::parse_status::no_request_id);
  // RFC 27 allows an empty request id: such a request is answered, with the id echoed empty.
  auto empty_id = request("NULL", {}, "d", "1.2.3.4", "");
  EXPECT_EQ(parse(empty_id).status, za::parse_status::ok);
  auto long_id = request("NULL", {}, "d", "1.2.3.4", std::string(256, 'i'));
  EXPECT_EQ(parse(long_id).status, za::parse_status::no_request_id);
  auto longest_id = request("NULL", {}, "d", "1.2.3.4", std::string(255, 'i'));
  EXPECT_EQ(parse(longest_id).status, za::parse_status::ok);
  // A wrong version with a request id is answered (400), not dropped.
  frames wrong_version{"2.0", "7"};
  auto r = parse(wrong_version);
  EXPECT_EQ(r.status, za::parse_status::malformed);
  EXPECT_EQ(r.request.request_id, "7");
}

struct malformed_case {
  std::string name;
  frames body;
};

TEST(zap_parse, malformed_matrix) {
  std::string key(32, 'k');
  std::vector<malformed_case> cases = {
      {"wrong version", frames{"1.1", "1", "d", "127.0.0.1", "", "NULL"}},
      {"empty version", frames{"", "1", "d", "127.0.0.1", "", "NULL"}},
      {"version with NUL", frames{std::string("1.0\0", 4), "1", "d", "127.0.0.1", "", "NULL"}},
      {"missing mechanism", frames{"1.0", "1", "d", "127.0.0.1", ""}},
      {"missing routing id", frames{"1.0", "1", "d", "127.0.0.1"}},
      {"only id", frames{"1.0", "1"}},
      {"NULL with credential", request("NULL", {"x"})},
      {"PLAIN with one", request("PLAIN", {"user"})},
      {"PLAIN with none", request("PLAIN")},
      {"PLAIN with three", request("PLAIN", {"u", "p", "x"})},
      {"PLAIN user 256", request("PLAIN", {std::string(256, 'u'), "p"})},
      {"PLAIN password 256", request("PLAIN", {"u", std::string(256, 'p')})},
      {"CURVE without key", request("CURVE")},
      {"CURVE 31", request("CURVE", {std::string(31, 'k')})},
      {"CURVE 33", request("CURVE", {std::string(33, 'k')})},
      {"CURVE Z85 text", request("CURVE", {std::string(40, 'k')})},
      {"CURVE two keys", request("CURVE", {key, key})},
      {"GSSAPI without principal", request("GSSAPI")},
      {"GSSAPI huge principal", request("GSSAPI", {std::string(1025, 'p')})},
      {"GSSAPI two", request("GSSAPI", {"a", "b"})},
      {"domain 256", request("NULL", {}, std::string(256, 'd'))},
      {"address 256", request("NULL", {}, "d", std::string(256, '1'))},
      {"mechanism 21", request(std::string(21, 'M'))},
  };
  {
    auto routing = request("NULL");
    routing.owned()[4] = std::string(256, 'r');
    cases.push_back({"routing id 256", routing});
  }
  for (auto& c : cases) {
    auto r = parse(c.body);
    EXPECT_EQ(r.status, za::parse_status::malformed) << c.name;
    EXPECT_EQ(r.request.request_id, "1") << c.name;
    EXPECT_FALSE(r.reason.empty()) << c.name;
  }
  // The limits themselves are fine.
  auto edge = request("PLAIN", {std::string(255, 'u'), std::string(255, 'p')},
                      std::string(255, 'd'), std::string(255, 'a'));
  EXPECT_EQ(parse(edge).status, za::parse_status::ok);
  auto principal = request("GSSAPI", {std::string(1024, 'p')});
  EXPECT_EQ(parse(principal).status, za::parse_status::ok);
}

TEST(zap_parse, random_frames_never_crash) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 20000; ++round) {
    frames f;
    const int count = static_cast<int>(rng() % 10);
    for (int i = 0; i < count; ++i) {
      std::string frame(rng() % 40, '\0');
      for (char& c : frame) c = static_cast<char>(rng());
      if (i == 0 && rng() % 2) frame = "1.0";
      if (i == 5 && rng() % 2) frame = (rng() % 2) ? "CURVE" : "PLAIN";
      f.add(frame);
    }
    auto r = parse(f);
    if (r.status != za::parse_status::no_request_id) {
      EXPECT_GE(f.owned().size(), 2u);
      EXPECT_LE(r.request.request_id.size(), za::max_request_id_size);
    }
  }
}

TEST(zap_envelope, splits_at_first_empty_frame) {
  frames f{"peer", "", "1.0", "1", "", "127.0.0.1", "", "NULL"};
  auto split = za::split_envelope(f.view());
  ASSERT_TRUE(split);
  EXPECT_EQ(split->envelope.size(), 2u);
  EXPECT_EQ(split->envelope[0], "peer");
  EXPECT_EQ(split->body.size(), 6u);
  EXPECT_EQ(split->body[0], "1.0");

  frames no_delimiter{"peer", "1.0", "1"};
  EXPECT_FALSE(za::split_envelope(no_delimiter.view()));
  frames dealer{"", "1.0"};  // a DEALER's empty delimiter only
  ASSERT_TRUE(za::split_envelope(dealer.view()));
  EXPECT_EQ(za::split_envelope(dealer.view())->envelope.size(), 1u);
}

TEST(zap_reply, frames_and_status_codes) {
  EXPECT_EQ(za::status_code(za::zap_status::success), "200");
  EXPECT_EQ(za::status_code(za::zap_status::temporary_failure), "300");
  EXPECT_EQ(za::status_code(za::zap_status::failure), "400");
  EXPECT_EQ(za::status_code(za::zap_status::internal_error), "500");

  za::zap_reply reply;
  reply.request_id = "1";
  reply.status = za::zap_status::success;
  reply.status_text = "OK";
  reply.user_id = "admin";
  auto f = reply.frames();
  EXPECT_EQ(f[0], "1.0");
  EXPECT_EQ(f[1], "1");
  EXPECT_EQ(f[2], "200");
  EXPECT_EQ(f[3], "OK");
  EXPECT_EQ(f[4], "admin");
  EXPECT_EQ(f[5], "");
  EXPECT_TRUE(za::is_valid_reply(f, "1"));
  EXPECT_FALSE(za::is_valid_reply(f, "2"));

  reply.clear();
  EXPECT_EQ(reply.status, za::zap_status::internal_error);
  EXPECT_TRUE(reply.user_id.empty());
}

TEST(zap_metadata, byte_exact_encoding) {
  std::string frame;
  EXPECT_EQ(za::append_metadata(frame, "name", "Alice"), za::metadata_problem::none);
  EXPECT_EQ(za::append_metadata(frame, "e", ""), za::metadata_problem::none);
  const std::string expected = std::string(
                                   "\x04name\x00\x00\x00\x05"
                                   "Alice",
                                   14) +
                               std::string(
                                   "\x01"
                                   "e\x00\x00\x00\x00",
                                   6);
  EXPECT_EQ(frame, expected);
  auto decoded = za::decode_metadata(frame);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].first, "name");
  EXPECT_EQ((*decoded)[0].second, "Alice");
  EXPECT_EQ((*decoded)[1].second, "");
}

TEST(zap_metadata, lengths_use_all_four_bytes_big_endian) {
  std::string frame;
  std::string value(0x010203, 'v');
  ASSERT_EQ(za::append_metadata(frame, "big", value), za::metadata_problem::none);
  ASSERT_EQ(frame.size(), za::encoded_property_size(3, value.size()));
  EXPECT_EQ(frame.substr(0, 8), std::string("\x03"
                                            "big\x00\x01\x02\x03",
                                            8));
  auto decoded = za::decode_metadata(frame);
  ASSERT_TRUE(decoded);
  EXPECT_EQ((*decoded)[0].second.size(), value.size());
}

TEST(zap_metadata, bounds_and_reserved_names) {
  std::string frame;
  EXPECT_EQ(za::append_metadata(frame, "", "x"), za::metadata_problem::empty_name);
  EXPECT_EQ(za::append_metadata(frame, std::string(256, 'n'), "x"),
            za::metadata_problem::name_too_long);
  EXPECT_EQ(za::append_metadata(frame, std::string(255, 'n'), "x"), za::metadata_problem::none);
  EXPECT_EQ(za::check_metadata_property("x", 0xffffffffULL), za::metadata_problem::none);
  EXPECT_EQ(za::check_metadata_property("x", 0x100000000ULL), za::metadata_problem::value_too_long);
  for (const char* name : {"Identity", "Socket-Type", "User-Id", "Peer-Address", "Routing-Id",
                           "__fd", "X-Zmqsec-Session"}) {
    EXPECT_EQ(za::append_metadata(frame, name, "x"), za::metadata_problem::reserved_name) << name;
  }
  // libzmq compares exactly: other spellings are ordinary names.
  EXPECT_EQ(za::append_metadata(frame, "identity", "x"), za::metadata_problem::none);
  EXPECT_EQ(frame.size(), za::encoded_property_size(255, 1) + za::encoded_property_size(8, 1));
  EXPECT_FALSE(za::to_string(za::metadata_problem::reserved_name).empty());
}

TEST(zap_metadata, decoder_refuses_what_libzmq_refuses) {
  EXPECT_TRUE(za::decode_metadata(""));
  EXPECT_FALSE(za::decode_metadata("\x01"));  // one byte left over
  EXPECT_FALSE(
      za::decode_metadata("\x05"
                          "ab"));  // name runs past the end
  EXPECT_FALSE(
      za::decode_metadata(std::string("\x01"
                                      "a\x00\x00",
                                      4)));  // short length
  EXPECT_FALSE(
      za::decode_metadata(std::string("\x01"
                                      "a\x00\x00\x00\x02"
                                      "x",
                                      7)));
  EXPECT_FALSE(za::decode_metadata(std::string("\x00\x00\x00\x00\x00", 5)));  // empty name
  std::string good = std::string(
      "\x01"
      "a\x00\x00\x00\x01"
      "x",
      7);
  EXPECT_TRUE(za::decode_metadata(good));
  EXPECT_FALSE(za::decode_metadata(good + "z"));

  std::array<std::string_view, 6> reply{"1.0", "1", "200", "OK", "", "\x01"};
  EXPECT_FALSE(za::is_valid_reply(reply, "1"));
  reply[5] = "";
  EXPECT_TRUE(za::is_valid_reply(reply, "1"));
  reply[2] = "201";
  EXPECT_FALSE(za::is_valid_reply(reply, "1"));
  reply[2] = "200";
  reply[0] = "1.1";
  EXPECT_FALSE(za::is_valid_reply(reply, "1"));
}

TEST(zap_names, to_string) {
  EXPECT_EQ(za::to_string(za::mechanism::null), "NULL");
  EXPECT_EQ(za::to_string(za::mechanism::plain), "PLAIN");
  EXPECT_EQ(za::to_string(za::mechanism::curve), "CURVE");
  EXPECT_EQ(za::to_string(za::mechanism::gssapi), "GSSAPI");
  EXPECT_EQ(za::to_string(za::mechanism::unknown), "unknown");
}
