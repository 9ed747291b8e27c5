// The policy file format: what a document parses into (as the policy built from it decides real
// ZAP requests), every kind of error placed at its line and column, the second step that loads
// the files a document names (relative to the policy file's folder), and the shipped example.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;

namespace {

// The ZAP status policy gives a request (body frames after the envelope).
std::string status(const za::policy& policy, std::vector<std::string> frames) {
  std::vector<std::string_view> body(frames.begin(), frames.end());
  auto reply = za::decide(policy, body);
  return reply ? std::string(za::status_code(reply->status)) : "dropped";
}

std::vector<std::string> request(std::string mechanism, std::string domain,
                                 std::vector<std::string> credentials = {},
                                 std::string address = "127.0.0.1") {
  std::vector<std::string> frames{
      "1.0", "1", std::move(domain), std::move(address), "routing-id", std::move(mechanism)};
  for (auto& c : credentials) frames.push_back(std::move(c));
  return frames;
}

struct bad_document {
  std::string text;
  std::uint32_t line;
  std::uint32_t column;
  std::string reason;  // a part of it
};

}  // namespace

TEST(policy_file_parse, a_document_parses_into_the_policy_it_says) {
  const zc::keypair client = zc::generate_keypair();
  const auto document = za::parse_policy_document(R"(
[addresses]
allow = ["127.0.0.0/8"]
deny = ["127.0.0.9"]
[log]
decisions = "refusals"
[domains.api]
null = { allow = true, user_id = "anonymous", metadata = { Hello = "World" } }
curve = { keys = [")" + client.public_key.z85() + R"("] }
[domains.closed]
null = { allow = false }
gssapi = { enabled = true }
[domains.any.curve]
allow_any = true
)",
                                                  "/etc/app/policy.toml");
  EXPECT_TRUE(document.files.empty());
  EXPECT_EQ(document.config.logged_decisions(), za::decision_logging::refusals);
  const auto policy = document.config.build();
  EXPECT_EQ(status(*policy, request("NULL", "api")), "200");
  EXPECT_EQ(status(*policy, request("NULL", "api", {}, "127.0.0.9")), "400");
  EXPECT_EQ(status(*policy, request("NULL", "api", {}, "192.0.2.1")), "400");
  EXPECT_EQ(status(*policy, request("NULL", "closed")), "400");
  EXPECT_EQ(status(*policy, request("GSSAPI", "closed", {"alice@EXAMPLE.ORG"})), "200");
  EXPECT_EQ(status(*policy, request("GSSAPI", "api", {"alice@EXAMPLE.ORG"})), "400");
  const std::string raw(reinterpret_cast<const char*>(client.public_key.data()), zc::key_size);
  const zc::keypair other = zc::generate_keypair();
  const std::string other_raw(reinterpret_cast<const char*>(other.public_key.data()), zc::key_size);
  EXPECT_EQ(status(*policy, request("CURVE", "api", {raw})), "200");
  EXPECT_EQ(status(*policy, request("CURVE", "api", {other_raw})), "400");
  EXPECT_EQ(status(*policy, request("CURVE", "any", {other_raw})), "200");
  EXPECT_EQ(status(*policy, request("CURVE", "closed", {raw})), "400");
}

TEST(policy_file_parse, a_throttle_table_turns_throttling_on_with_defaults_for_what_it_leaves_out) {
  EXPECT_FALSE(za::parse_policy_document("", "p.toml").config.throttle().enabled());
  const auto defaults = za::parse_policy_document("[throttle]\n", "p.toml").config.throttle();
  EXPECT_EQ(defaults, za::throttle_config{});
  EXPECT_TRUE(defaults.enabled());
  const auto document = za::parse_policy_document(R"([throttle]
max_failures = 3
window_ms = 10000
initial_backoff_ms = 250
max_backoff_ms = 4000
capacity = 1024
exempt = ["10.0.0.0/8", "::1"]
)",
                                                  "p.toml");
  const za::throttle_config& t = document.config.throttle();
  EXPECT_EQ(t.max_failures, 3U);
  EXPECT_EQ(t.window, std::chrono::milliseconds(10'000));
  EXPECT_EQ(t.initial_backoff, std::chrono::milliseconds(250));
  EXPECT_EQ(t.max_backoff, std::chrono::milliseconds(4'000));
  EXPECT_EQ(t.capacity, 1024U);
  EXPECT_EQ(t.exempt, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(document.config.build()->throttle(), t);  // the policy carries it
  const auto off = za::parse_policy_document("[throttle]\nmax_failures = 0\n", "p.toml");
  EXPECT_FALSE(off.config.throttle().enabled());
}

TEST(policy_file_parse, sources_are_named_relative_to_the_policy_file) {
  const auto document = za::parse_policy_document(R"([domains."*"]
plain = { password_file = "passwords" }
[domains.api]
curve = { certificates = "/srv/clients" }
)",
                                                  "/etc/app/policy.toml");
  ASSERT_EQ(document.files.size(), 2U);
  EXPECT_EQ(document.files[0].what, za::policy_file_source::kind::password_file);
  EXPECT_EQ(document.files[0].domain, "*");
  EXPECT_EQ(document.files[0].path, "/etc/app/passwords");
  EXPECT_EQ(document.files[0].line, 2U);
  EXPECT_EQ(document.files[1].what, za::policy_file_source::kind::certificates);
  EXPECT_EQ(document.files[1].path, "/srv/clients");
  // Nothing of the files is in the config yet.
  EXPECT_FALSE(document.config.build()->configured("api", za::mechanism::curve));
}

TEST(policy_file_parse, an_authorized_keys_file_is_a_curve_source_relative_to_the_policy_file) {
  const auto document = za::parse_policy_document(
      "[domains.fleet]\ncurve = { authorized_keys = \"keys/clients.keys\" }\n",
      "/etc/app/policy.toml");
  ASSERT_EQ(document.files.size(), 1U);
  EXPECT_EQ(document.files[0].what, za::policy_file_source::kind::authorized_keys);
  EXPECT_EQ(document.files[0].domain, "fleet");
  EXPECT_EQ(document.files[0].path, "/etc/app/keys/clients.keys");
  EXPECT_EQ(document.files[0].line, 2U);
}

TEST(policy_file_parse, every_error_names_its_line_and_column) {
  const std::string domain_256(256, 'd');
  const std::vector<bad_document> cases = {
      {"[addresses\n", 1, 11, ""},  // TOML syntax, as toml++ places it
      {"[throtle]\nrate = 5\n", 1, 2, "unknown key \"throtle\""},
      {"[throttle]\nrate = 5\n", 2, 1, "unknown key \"rate\""},
      {"[throttle]\nmax_failures = -1\n", 2, 16, "whole number from 0"},
      {"[throttle]\nwindow_ms = \"60s\"\n", 2, 13, "whole number from 0"},
      {"[throttle]\nwindow_ms = 0\n", 1, 1, "window and back-off must be positive"},
      {"[throttle]\ninitial_backoff_ms = 5000\nmax_backoff_ms = 1000\n", 1, 1,
       "max_backoff at least initial_backoff"},
      {"[throttle]\ncapacity = 0\n", 1, 1, "capacity must be from 1"},
      {"[throttle]\ncapacity = 99999999999\n", 2, 12, "whole number from 0"},
      {"[throttle]\nexempt = [\"10.0.0.0/33\"]\n", 2, 11, "prefix length"},
      {"throttle = 5\n", 1, 12, "must be a table"},
      {"answer = 42\n", 1, 1, "unknown key \"answer\""},
      {"addresses = 5\n", 1, 13, "must be a table"},
      {"[addresses]\nallow = \"127.0.0.1\"\n", 2, 9, "array of strings"},
      {"[addresses]\nallow = [\"127.0.0.1\", 7]\n", 2, 23, "strings only"},
      {"[addresses]\ndeny = [\"127.0.0.1\", \"10.0.0.0/33\"]\n", 2, 22, "prefix length"},
      {"[addresses]\npermit = []\n", 2, 1, "unknown key \"permit\""},
      {"[log]\ndecisions = \"some\"\n", 2, 13, "\"all\", \"refusals\" or \"none\""},
      {"[log]\ndecisions = true\n", 2, 13, "must be a string"},
      {"[domains.api]\nnull = { allow = \"yes\" }\n", 2, 18, "true or false"},
      {"[domains.api]\nnull = { allow = false, user_id = \"x\" }\n", 2, 35, "allow = true"},
      {"[domains.api]\nnull = { metadata = { \"\" = \"x\" } }\n", 2, 8, "metadata"},
      {"[domains.api]\nnull = { metadata = { Hello = 1 } }\n", 2, 31, "must be a string"},
      {"[domains.api]\nplain = {}\n", 2, 9, "password_file"},
      {"[domains.api]\nplain = { password_file = \"\" }\n", 2, 27, "empty path"},
      {"[domains.api]\nplain = { file = \"x\" }\n", 2, 11, "unknown key \"file\""},
      {"[domains.api]\ncurve = { keys = [\"short\"] }\n", 2, 19, ""},
      {"[domains.api]\ncurve = { allow_any = true, certificates = \"c\" }\n", 2, 29,
       "two CURVE sources"},
      {"[domains.api]\ncurve = { allow_any = false }\n", 2, 23, "leave the key out"},
      {"[domains.api]\ncurve = {}\n", 2, 1,
       "one of certificates, authorized_keys, keys or allow_any"},
      {"[domains.api]\ngssapi = { enabled = 1 }\n", 2, 22, "true or false"},
      {"[domains.api]\nsasl = {}\n", 2, 1, "unknown key \"sasl\""},
      {"[domains]\napi = 3\n", 2, 7, "must be a table"},
      {"[domains.\"" + domain_256 + "\"]\n", 1, 10, "longer than 255 bytes"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      za::parse_policy_document(c.text, "dir/policy.toml");
      ADD_FAILURE() << "parsed";
    } catch (const za::policy_file_error& e) {
      EXPECT_EQ(e.path(), "dir/policy.toml");
      EXPECT_EQ(e.line(), c.line) << e.what();
      EXPECT_EQ(e.column(), c.column) << e.what();
      EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
      const std::string where = "dir/policy.toml:" + std::to_string(c.line) + ":" +
                                std::to_string(c.column) + ": " + e.reason();
      EXPECT_EQ(std::string(e.what()), where);
    }
  }
}

TEST(policy_file_parse, resolving_loads_the_named_files_or_fails_at_their_key) {
  zmqsec::testing::temp_dir dir;
  std::filesystem::create_directories(dir / "clients");
  dir.write("passwords", "admin=secret\n");
  const zc::keypair client = zc::generate_keypair();
  zc::save_public_certificate(dir / "clients" / "c.key", client.public_key);
  dir.write("policy.toml", R"([domains."*"]
plain = { password_file = "passwords" }
curve = { certificates = "clients" }
)");
  const auto policy = za::load_policy_file(dir / "policy.toml").build();
  EXPECT_EQ(status(*policy, request("PLAIN", "x", {"admin", "secret"})), "200");
  EXPECT_EQ(status(*policy, request("PLAIN", "x", {"admin", "wrong"})), "400");
  const std::string raw(reinterpret_cast<const char*>(client.public_key.data()), zc::key_size);
  EXPECT_EQ(status(*policy, request("CURVE", "x", {raw})), "200");

  dir.write("policy.toml", "[domains.x]\nplain = { password_file = \"missing\" }\n");
  try {
    za::load_policy_file(dir / "policy.toml");
    ADD_FAILURE() << "loaded";
  } catch (const za::policy_file_error& e) {
    EXPECT_EQ(e.line(), 2U);
    EXPECT_EQ(e.column(), 27U);
    EXPECT_NE(e.reason().find("missing"), std::string::npos) << e.what();
  }
  dir.write("policy.toml", "[domains.x]\ncurve = { certificates = \"nowhere\" }\n");
  EXPECT_THROW(za::load_policy_file(dir / "policy.toml"), za::policy_file_error);
  // Not a regular file: refused without blocking, with no position.
  try {
    za::load_policy_file(dir.path());
    ADD_FAILURE() << "loaded a folder";
  } catch (const za::policy_file_error& e) {
    EXPECT_EQ(e.line(), 0U);
    EXPECT_EQ(std::string(e.what()), dir.path().string() + ": " + e.reason());
  }
}

// examples/policy.toml stays valid: loaded with the files it names put beside it.
TEST(policy_file_parse, the_shipped_example_loads) {
  zmqsec::testing::temp_dir dir;
  std::filesystem::copy_file(ZMQSEC_EXAMPLE_POLICY, dir / "policy.toml");
  const auto document = za::parse_policy_document(zmqsec::testing::read_file(dir / "policy.toml"),
                                                  dir / "policy.toml");
  ASSERT_FALSE(document.files.empty());
  for (const auto& file : document.files) {
    std::filesystem::create_directories(file.path.parent_path());
    if (file.what == za::policy_file_source::kind::certificates) {
      std::filesystem::create_directories(file.path);
    } else {
      dir.write(std::filesystem::relative(file.path, dir.path()).string(), "user=password\n");
    }
  }
  const auto policy = za::load_policy_file(dir / "policy.toml").build();
  EXPECT_FALSE(policy->addresses().empty());
  EXPECT_TRUE(policy->throttle().enabled());
}
