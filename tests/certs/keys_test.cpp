#include <gtest/gtest.h>
#include <zmq.h>

#include <array>
#include <string>
#include <unordered_set>
#include <vector>

#include <zmqsec/certs/keys.hpp>

namespace zc = zmqsec::certs;

namespace {
constexpr const char* server_secret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
constexpr const char* server_public = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr const char* client_secret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
constexpr const char* client_public = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
}  // namespace

TEST(keys, derives_pyzmq_public_keys_from_secret_keys) {
  EXPECT_EQ(zc::derive_public_key(zc::secret_key::from_z85(server_secret)).z85(), server_public);
  EXPECT_EQ(zc::derive_public_key(zc::secret_key::from_z85(client_secret)).z85(), client_public);
}

TEST(keys, generated_keypairs_match_and_differ) {
  std::unordered_set<zc::public_key> seen;
  for (int i = 0; i < 50; ++i) {
    auto pair = zc::generate_keypair();
    EXPECT_TRUE(zc::keys_match(pair.public_key, pair.secret_key));
    EXPECT_EQ(zc::derive_public_key(pair.secret_key), pair.public_key);
    EXPECT_TRUE(seen.insert(pair.public_key).second);
  }
}

TEST(keys, generated_keypairs_are_accepted_by_libzmq) {
  auto pair = zc::generate_keypair();
  char derived[41] = {};
  ASSERT_EQ(zmq_curve_public(derived, pair.secret_key.z85().c_str()), 0);
  EXPECT_EQ(pair.public_key.z85(), derived);
}

TEST(keys, mismatched_keys_do_not_match) {
  EXPECT_FALSE(zc::keys_match(zc::public_key::from_z85(server_public),
                              zc::secret_key::from_z85(client_secret)));
}

TEST(keys, secret_keys_compare_by_value) {
  auto a = zc::secret_key::from_z85(server_secret);
  auto b = zc::secret_key::from_z85(server_secret);
  auto c = zc::secret_key::from_z85(client_secret);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  EXPECT_TRUE(a.clone() == a);
}

TEST(keys, moved_from_secret_key_is_empty_and_safe) {
  auto a = zc::secret_key::from_z85(server_secret);
  zc::secret_key b = std::move(a);
  EXPECT_EQ(b.z85(), server_secret);
  a = zc::secret_key::from_z85(client_secret);  // reassigning a moved-from key works
  EXPECT_EQ(a.z85(), client_secret);
}

TEST(keys, public_key_from_bad_text_says_why) {
  try {
    zc::public_key::from_z85("short");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_key);
    EXPECT_STREQ(e.what(), "a public key must be 40 characters of Z85, got 5");
  }
  std::string bad = server_public;
  bad[10] = ' ';
  try {
    zc::public_key::from_z85(bad);
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_STREQ(e.what(), "public key: invalid Z85 character byte 0x20 at position 10");
  }
}

TEST(keys, secret_key_errors_do_not_repeat_the_secret) {
  std::string bad = server_secret;
  bad[39] = '~';
  try {
    zc::secret_key::from_z85(bad);
    FAIL();
  } catch (const zmqsec::error& e) {
    std::string what = e.what();
    EXPECT_EQ(what, "secret key: invalid Z85 character at position 39");
    EXPECT_EQ(what.find("JTKVSB"), std::string::npos);
    EXPECT_EQ(what.find('~'), std::string::npos);
  }
  EXPECT_THROW(zc::secret_key::from_bytes(std::vector<unsigned char>(31)), zmqsec::error);
}

TEST(keys, public_key_bytes_round_trip) {
  auto key = zc::public_key::from_z85(server_public);
  EXPECT_EQ(zc::public_key::from_bytes(key.bytes()), key);
  EXPECT_THROW(zc::public_key::from_bytes(std::vector<unsigned char>(33)), zmqsec::error);
}

TEST(keys, secret_string_holds_the_z85_secret) {
  zc::secret_string text = zc::secret_key::from_z85(client_secret).z85();
  EXPECT_EQ(std::string_view(text), client_secret);
}

TEST(keys, many_live_secret_keys_keep_their_own_bytes) {
  // More keys than one block of the secret pool holds, released out of order and reused.
  std::vector<zc::secret_key> keys;
  for (int i = 0; i < 300; ++i) {
    std::array<unsigned char, zc::key_size> bytes{};
    bytes.fill(static_cast<unsigned char>(i));
    keys.emplace_back(bytes);
  }
  for (std::size_t i = 0; i < keys.size(); i += 2) keys[i] = zc::secret_key{};
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto expected = static_cast<unsigned char>(i % 2 == 0 ? 0 : i);
    for (unsigned char b : keys[i].bytes()) ASSERT_EQ(b, expected) << "key " << i;
  }
  std::vector<zc::keypair> pairs;
  for (int i = 0; i < 200; ++i) pairs.push_back(zc::generate_keypair());
  for (const auto& p : pairs) EXPECT_TRUE(zc::keys_match(p.public_key, p.secret_key));
}
