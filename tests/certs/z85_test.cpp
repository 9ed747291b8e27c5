#include <gtest/gtest.h>
#include <sodium.h>
#include <zmq.h>

#include <array>
#include <string>
#include <vector>

#include <zmqsec/certs/z85.hpp>

namespace zc = zmqsec::certs;

namespace {

std::vector<unsigned char> from_hex(std::string_view hex) {
  std::vector<unsigned char> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(
        static_cast<unsigned char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct key_vector {
  const char* hex;
  const char* z85;
};

// pyzmq's test vectors (zmq/tests/test_z85.py), the keys of libzmq's CURVE tests.
constexpr key_vector pyzmq_vectors[] = {
    {"bb88471d65e2659b30c55a5321cebb5aab2b70a398645c26dca2b2fcb43fc518",
     "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"},
    {"7bb864b489afa3671fbe69101f94b38972f24816dfb01b51656b3fec8dfd0888",
     "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"},
    {"54fcba24e93249969316fb617c872bb0c1d1ff14800427c594cbfacf1bc2d652",
     "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"},
    {"8e0bdd697628b91d8f245587ee95c5b04d48963f79259877b49cd9063aead3b7",
     "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"},
};

}  // namespace

TEST(z85, encodes_the_rfc32_vector) {
  EXPECT_EQ(zc::z85_encode(from_hex("864FD26FB559F75B")), "HelloWorld");
}

TEST(z85, decodes_the_rfc32_vector) {
  EXPECT_EQ(zc::z85_decode("HelloWorld"), from_hex("864FD26FB559F75B"));
}

TEST(z85, round_trips_pyzmq_key_vectors) {
  for (const auto& v : pyzmq_vectors) {
    EXPECT_EQ(zc::z85_encode(from_hex(v.hex)), v.z85);
    EXPECT_EQ(zc::z85_decode(v.z85), from_hex(v.hex));
  }
}

TEST(z85, empty_input_is_empty_output) {
  EXPECT_EQ(zc::z85_encode(std::string_view{}), "");
  EXPECT_TRUE(zc::z85_decode("").empty());
}

TEST(z85, encode_rejects_length_not_multiple_of_four) {
  try {
    zc::z85_encode(std::string_view("abc"));
    FAIL() << "expected z85_error";
  } catch (const zc::z85_error& e) {
    EXPECT_EQ(e.problem(), zc::z85_problem::bad_length);
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_z85);
    EXPECT_NE(std::string(e.what()).find("multiple of 4"), std::string::npos) << e.what();
  }
}

TEST(z85, decode_rejects_length_not_multiple_of_five) {
  try {
    zc::z85_decode("Hello1");
    FAIL() << "expected z85_error";
  } catch (const zc::z85_error& e) {
    EXPECT_EQ(e.problem(), zc::z85_problem::bad_length);
    EXPECT_STREQ(e.what(),
                 "invalid Z85 length 6 (text must be a multiple of 5 characters, data a multiple "
                 "of 4 bytes)");
  }
}

TEST(z85, decode_names_invalid_character_and_position) {
  try {
    zc::z85_decode("Hello Wor~");
    FAIL() << "expected z85_error";
  } catch (const zc::z85_error& e) {
    EXPECT_EQ(e.problem(), zc::z85_problem::invalid_character);
    EXPECT_EQ(e.position(), 5u);
    EXPECT_STREQ(e.what(), "invalid Z85 character byte 0x20 at position 5");
  }
  auto result = std::array<unsigned char, 4>{};
  auto r = zc::z85_decode_to("abc\"d", result);
  EXPECT_EQ(r.problem, zc::z85_problem::invalid_character);
  EXPECT_EQ(r.position, 3u);
  EXPECT_EQ(zc::describe(r), "invalid Z85 character '\"' at position 3");
  EXPECT_EQ(zc::describe(r, false), "invalid Z85 character at position 3");
}

TEST(z85, decode_rejects_group_over_32_bits) {
  // "%nSc0" is exactly 0xFFFFFFFF; "%nSc1" is one more, "#####" is 85^5 - 1.
  EXPECT_EQ(zc::z85_decode("%nSc0"), (std::vector<unsigned char>{0xFF, 0xFF, 0xFF, 0xFF}));
  for (const char* text : {"%nSc1", "#####", "HelloWorld#####"}) {
    try {
      zc::z85_decode(text);
      FAIL() << "expected overflow for " << text;
    } catch (const zc::z85_error& e) {
      EXPECT_EQ(e.problem(), zc::z85_problem::group_overflow) << text;
      EXPECT_EQ(e.position(), std::string_view(text).size() - 5) << text;
      EXPECT_NE(std::string(e.what()).find("exceeds 32 bits"), std::string::npos);
    }
  }
}

TEST(z85, non_throwing_calls_check_the_output_size) {
  std::array<unsigned char, 3> small{};
  EXPECT_EQ(zc::z85_decode_to("HelloWorld", small).problem, zc::z85_problem::output_too_small);
  std::array<char, 4> text{};
  std::array<unsigned char, 4> data{};
  EXPECT_EQ(zc::z85_encode_to(data, text).problem, zc::z85_problem::output_too_small);
}

TEST(z85, matches_libzmq_on_random_data) {
  ASSERT_GE(sodium_init(), 0);
  for (std::size_t size = 4; size <= 256; size += 4) {  // libzmq takes no null (empty) buffer
    std::vector<unsigned char> data(size);
    randombytes_buf(data.data(), data.size());
    std::string theirs(size / 4 * 5 + 1, '\0');
    ASSERT_NE(zmq_z85_encode(theirs.data(), data.data(), data.size()), nullptr);
    theirs.resize(size / 4 * 5);
    std::string ours = zc::z85_encode(data);
    ASSERT_EQ(ours, theirs);
    EXPECT_EQ(zc::z85_decode(ours), data);
  }
}

TEST(z85, every_byte_value_in_every_position_is_rejected_or_decoded_exactly) {
  // Replace one character of a valid text by every byte: the result is either an error at that
  // position or a decode that re-encodes to the same text (no silent garbage).
  const std::string valid = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  for (std::size_t pos : {0u, 4u, 17u, 39u}) {
    for (int b = 0; b < 256; ++b) {
      std::string text = valid;
      text[pos] = static_cast<char>(b);
      std::array<unsigned char, 32> out{};
      auto r = zc::z85_decode_to(text, out);
      if (r) {
        EXPECT_EQ(zc::z85_encode(out), text);
      } else if (r.problem == zc::z85_problem::invalid_character) {
        EXPECT_EQ(r.position, pos);
      } else {
        EXPECT_EQ(r.problem, zc::z85_problem::group_overflow);
        EXPECT_EQ(r.position, pos / 5 * 5);
      }
    }
  }
}
