// Malformed requests driven straight at the handler's ZAP endpoint with a DEALER: each gets a
// well-formed 400 reply, or no reply when it has no usable request id, and the handler keeps
// answering good requests afterwards.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/auth/zap.hpp>

#include "harness.hpp"

namespace za = zmqsec::auth;
using namespace zmqsec::testing::auth;

namespace {

struct bad_request {
  const char* what;
  std::vector<std::string> frames;  // after the delimiter
  bool answered;                    // true: a 400 reply; false: no reply at all
};

std::vector<bad_request> matrix() {
  const std::string key(32, 'k');
  const std::string long_text(256, 'x');
  auto with = [](std::vector<std::string> frames, std::size_t index, std::string value) {
    frames[index] = std::move(value);
    return frames;
  };
  auto plus = [](std::vector<std::string> frames, std::string extra) {
    frames.push_back(std::move(extra));
    return frames;
  };
  auto null_request = zap_request("id", "NULL");
  auto plain_request = zap_request("id", "PLAIN", {"admin", "secret"});
  auto curve_request = zap_request("id", "CURVE", {key});
  std::vector<bad_request> m = {
      {"wrong version", with(null_request, 0, "2.0"), true},
      {"empty version", with(null_request, 0, ""), true},
      {"version with a suffix", with(null_request, 0, std::string("1.0\0", 4)), true},
      {"only version and id", {"1.0", "id"}, true},
      {"no mechanism", {"1.0", "id", "", "127.0.0.1", "routing-id"}, true},
      {"NULL with a credential", plus(null_request, "extra"), true},
      {"PLAIN without a password",
       {"1.0", "id", "", "127.0.0.1", "routing-id", "PLAIN", "admin"},
       true},
      {"PLAIN with three credentials", plus(plain_request, "extra"), true},
      {"CURVE without a key", {"1.0", "id", "", "127.0.0.1", "routing-id", "CURVE"}, true},
      {"CURVE key of 31 bytes", with(curve_request, 6, std::string(31, 'k')), true},
      {"CURVE key of 33 bytes", with(curve_request, 6, std::string(33, 'k')), true},
      {"CURVE key in Z85", with(curve_request, 6, std::string(40, 'a')), true},
      {"CURVE with two keys", plus(curve_request, key), true},
      {"oversized user name", with(plain_request, 6, long_text), true},
      {"oversized password", with(plain_request, 7, long_text), true},
      {"oversized domain", with(null_request, 2, long_text), true},
      {"oversized address", with(null_request, 3, long_text), true},
      {"oversized routing id", with(null_request, 4, long_text), true},
      {"oversized mechanism", with(null_request, 5, std::string(21, 'M')), true},
      {"unknown mechanism", with(null_request, 5, "FOO"), true},
      {"lower-case mechanism", with(null_request, 5, "null"), true},
      {"a megabyte of credentials", with(plain_request, 7, std::string(1 << 20, 'p')), true},
      {"oversized request id", with(null_request, 1, long_text), false},
      {"version only", {"1.0"}, false},
  };
  std::vector<std::string> many = null_request;
  for (int i = 0; i < 1000; ++i) many.push_back("frame");
  m.push_back({"a thousand extra frames", many, true});
  return m;
}

class thread_authenticator_zap : public ::testing::Test {
 protected:
  thread_authenticator_zap() { auth_.start(); }

  // A good request must be answered 200, and be the next reply.
  void expect_good_reply(const std::string& id) {
    dealer_.send(zap_request(id, "NULL"));
    auto reply = dealer_.receive();
    ASSERT_TRUE(reply) << "no reply to a good request";
    ASSERT_EQ(reply->size(), 6U);
    EXPECT_EQ((*reply)[1], id) << "a reply to something else came first";
    EXPECT_EQ((*reply)[2], "200");
  }

  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_};
  zap_dealer dealer_{ctx_};
};

}  // namespace

TEST_F(thread_authenticator_zap, every_malformed_request_gets_400_or_nothing) {
  int n = 0;
  for (const auto& bad : matrix()) {
    SCOPED_TRACE(bad.what);
    dealer_.send(bad.frames);
    if (bad.answered) {
      auto reply = dealer_.receive();
      ASSERT_TRUE(reply) << "no reply";
      std::vector<std::string_view> views(reply->begin(), reply->end());
      EXPECT_TRUE(za::is_valid_reply(views, bad.frames[1]));
      EXPECT_EQ((*reply)[0], "1.0");
      EXPECT_EQ((*reply)[1], bad.frames[1]);
      EXPECT_EQ((*reply)[2], "400");
      EXPECT_EQ((*reply)[4], "") << "a refused request got a User-Id";
    }
    // Unanswered requests leave nothing behind: the next reply is the good request's.
    expect_good_reply("good-" + std::to_string(++n));
  }
  EXPECT_TRUE(auth_.is_alive());
}

TEST_F(thread_authenticator_zap, an_empty_request_id_is_answered) {
  // RFC 27 lets the request id be any string; libzmq always sends "1", other clients may not.
  dealer_.send(zap_request("", "NULL"));
  auto reply = dealer_.receive();
  ASSERT_TRUE(reply) << "no reply to a request with an empty id";
  ASSERT_EQ(reply->size(), 6U);
  EXPECT_EQ((*reply)[1], "");
  EXPECT_EQ((*reply)[2], "200");
  expect_good_reply("after");
}

TEST_F(thread_authenticator_zap, a_message_without_a_delimiter_is_dropped) {
  // No empty frame anywhere (an empty domain would pass for the delimiter).
  dealer_.send(zap_request("id", "NULL", {}, "127.0.0.1", "domain"), /*delimiter=*/false);
  expect_good_reply("after");
  dealer_.send({"just one frame"}, false);
  expect_good_reply("after-2");
  EXPECT_EQ(auth_.stats().dropped, 2U);
}

TEST_F(thread_authenticator_zap, random_frames_never_get_anything_but_400_or_nothing) {
  std::mt19937 random(20240527);  // fixed: a failure can be replayed
  auto random_frame = [&] {
    std::uniform_int_distribution<int> size_of(0, 48);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string frame(static_cast<std::size_t>(size_of(random)), '\0');
    for (auto& c : frame) c = static_cast<char>(byte(random));
    return frame;
  };
  std::uniform_int_distribution<int> frames_of(0, 12);
  std::uniform_int_distribution<int> coin(0, 3);
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> frames;
    int count = frames_of(random);
    for (int f = 0; f < count; ++f) frames.push_back(random_frame());
    // Often a plausible start, so the parser gets past the first frames.
    if (coin(random) != 0 && frames.size() >= 2) {
      frames[0] = "1.0";
      if (frames[1].empty()) frames[1] = "r";
    }
    if (coin(random) == 0 && frames.size() >= 6) frames[5] = coin(random) ? "PLAIN" : "CURVE";
    if (frames.empty()) frames.push_back("");
    dealer_.send(frames);
    dealer_.send(zap_request("sentinel-" + std::to_string(i), "NULL"));
    // Whatever the random request got, the sentinel's reply follows it.
    for (;;) {
      auto reply = dealer_.receive();
      ASSERT_TRUE(reply) << "no reply to the sentinel " << i;
      ASSERT_EQ(reply->size(), 6U);
      if ((*reply)[1] == "sentinel-" + std::to_string(i)) {
        EXPECT_EQ((*reply)[2], "200");
        break;
      }
      EXPECT_EQ((*reply)[2], "400") << "random request " << i << " got " << (*reply)[2];
    }
  }
  EXPECT_TRUE(auth_.is_alive());
}

TEST_F(thread_authenticator_zap, replies_come_back_to_each_of_many_pipelined_requesters) {
  std::vector<std::unique_ptr<zap_dealer>> dealers;
  for (int d = 0; d < 8; ++d) dealers.push_back(std::make_unique<zap_dealer>(ctx_));
  for (int round = 0; round < 50; ++round) {
    for (int d = 0; d < 8; ++d) {
      dealers[d]->send(zap_request(std::to_string(d) + "/" + std::to_string(round), "NULL"));
    }
  }
  for (int d = 0; d < 8; ++d) {
    for (int round = 0; round < 50; ++round) {
      auto reply = dealers[d]->receive();
      ASSERT_TRUE(reply);
      EXPECT_EQ((*reply)[1], std::to_string(d) + "/" + std::to_string(round));
    }
  }
  EXPECT_EQ(auth_.stats().accepted, 400U);
}
