// The user code of the issue (user_code_example.cpp) serving real clients: the last CURVE
// configuration (a callback that lets everyone in) and the PLAIN file decide.
#include <gtest/gtest.h>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"
#include "user_code_example.hpp"

namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

TEST(thread_authenticator_user_code, the_example_of_the_issue_compiles_and_works) {
  zmqsec::testing::temp_dir dir;
  auto passwords = dir.write("passwords", "admin=from-file\n");
  auto clients = dir / "clients";
  std::filesystem::create_directory(clients);
  auto server_keys = zc::generate_keypair();
  auto client_keys = zc::generate_keypair();

  bool ran = false;
  run_the_issue_example(passwords, clients, [&](zmq::context_t& ctx) {
    ran = true;
    {
      test_server server(ctx, {.mechanism = mech::curve, .curve = &server_keys});
      auto got = handshake_and_read(
          ctx, server,
          {.mechanism = mech::curve, .curve = &client_keys, .server_key = &server_keys.public_key});
      ASSERT_TRUE(got);
      EXPECT_EQ(got->user_id, client_keys.public_key.z85());
    }
    {
      test_server server(ctx, {.mechanism = mech::plain});
      auto got = handshake_and_read(
          ctx, server, {.mechanism = mech::plain, .username = "admin", .password = "from-file"});
      ASSERT_TRUE(got);
      EXPECT_EQ(got->user_id, "admin");
    }
    {
      // Allowed addresses only: 127.0.0.2 is not one.
      test_server server(ctx, {.mechanism = mech::plain});
      EXPECT_REFUSED_WITH(400, try_handshake(ctx, server,
                                             {.source = "127.0.0.2",
                                              .mechanism = mech::plain,
                                              .username = "admin",
                                              .password = "from-file"}));
    }
  });
  EXPECT_TRUE(ran);
}
