// Garbage in: zmq-cert never crashes, never hangs, and always ends with 0, 1 or 2.

#include <gtest/gtest.h>

#include <random>

#include "json.hpp"
#include "temp_dir.hpp"
#include "zmq_cert_runner.hpp"

using zmqsec::testing::process_result;
using zmqsec::testing::temp_dir;
using zmqsec::testing::zmq_cert;

namespace {

std::string all_bytes_but_nul() {
  std::string bytes;
  for (int b = 1; b < 256; ++b) bytes += static_cast<char>(b);
  return bytes;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::string bytes(n, '\0');
  for (auto& b : bytes) b = static_cast<char>(random() & 0xFF);
  return bytes;
}

// Arguments no program should choke on. (Arguments cannot hold NUL bytes.)
std::vector<std::string> nasty_arguments() {
  return {"",
          "-",
          "--",
          "=",
          std::string(100000, 'A'),
          all_bytes_but_nul(),
          "\xff\xfe\xfd",
          "\x1b[2J\x1b[31mred",
          "~~~~~",
          std::string(40, '~'),
          std::string(40, '0'),
          std::string(39, 'a'),
          "zz",
          "%s%n%x%p",
          "../../../../../../etc/passwd",
          "/",
          "/dev/null",
          "/proc/self/mem",
          "HelloWorld",
          "864FD26FB559F75B"};
}

void expect_clean_end(const process_result& r, const std::vector<std::string>& args) {
  const std::string shown = testing::PrintToString(args).substr(0, 200);
  ASSERT_TRUE(r.exited()) << shown << r;
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2) << shown << r;
  if (r.exit_code != 0) {
    EXPECT_TRUE(r.err.starts_with("zmq-cert: ")) << shown << r;
  }
  EXPECT_FALSE(zmqsec::testing::has_raw_control_characters(r.err)) << shown << r;
}

}  // namespace

TEST(zmq_cert_robustness, nasty_arguments_to_every_command_end_cleanly) {
  const std::vector<std::vector<std::string>> commands{
      {"generate", "--dir", "/nonexistent-zmqsec-folder"},
      {"public"},
      {"show"},
      {"show", "--json"},
      {"list"},
      {"list", "--json"},
      {"verify"},
      {"z85", "encode"},
      {"z85", "decode"}};
  for (const auto& command : commands) {
    for (const auto& arg : nasty_arguments()) {
      auto args = command;
      args.push_back(arg);
      expect_clean_end(zmq_cert(args), args);
    }
  }
  for (const auto& arg : nasty_arguments()) expect_clean_end(zmq_cert({arg}), {arg});
}

TEST(zmq_cert_robustness, nasty_stdin_for_public_ends_cleanly) {
  for (const auto& input : {std::string(), std::string(1 << 20, 'A'), random_bytes(4096, 1),
                            all_bytes_but_nul(), std::string("\0\0\0\0", 4)}) {
    const auto r = zmq_cert({"public", "-"}, zmqsec::testing::with_input(input));
    expect_clean_end(r, {"public", "-"});
    EXPECT_EQ(r.exit_code, 1) << r;
  }
}

TEST(zmq_cert_robustness, nasty_certificate_files_end_cleanly_and_never_leak_a_secret) {
  temp_dir dir;
  const auto pair = zmqsec::testing::generate(dir, "real");
  const std::string secret_line = "    secret-key = \"" + pair.secret_key + "\"\n";
  const std::string public_line = "    public-key = \"" + pair.public_key + "\"\n";
  const std::vector<std::pair<std::string, std::string>> files{
      {"empty.key", ""},
      {"binary.key", random_bytes(4096, 2)},
      {"nul.key", std::string("curve\0\n", 7) + public_line},
      {"huge.key", std::string(2 << 20, 'x')},
      {"comments.key", "# only\n# comments\n"},
      {"indent.key", "curve\n   public-key = \"x\"\n"},
      {"deep.key", "a\n    b\n        c\n            d\n                e = \"x\"\n"},
      {"jump.key", "a\n            b = \"x\"\n"},
      {"unterminated.key", "curve\n    public-key = \"" + pair.public_key + "\n"},
      {"twice.key", "curve\n" + public_line + public_line},
      {"secret_only.key_secret", "curve\n" + secret_line},
      {"short_secret.key_secret",
       "curve\n" + public_line + "    secret-key = \"" + pair.secret_key.substr(1) + "\"\n"},
      {"bad_secret.key_secret",
       "curve\n" + public_line + "    secret-key = \"" + pair.secret_key.substr(0, 39) + "~\"\n"},
      {"two_secrets.key_secret", "curve\n" + public_line + secret_line + secret_line},
      {"crlf.key", "curve\r\n    public-key = \"" + pair.public_key + "\"\r\n"},
      {"long_meta.key",
       "metadata\n    n = \"" + std::string(100000, 'm') + "\"\ncurve\n" + public_line},
      {"all_bytes.key", all_bytes_but_nul()},
  };
  for (const auto& [name, content] : files) dir.write(name, content);

  // The secret key may appear only where it belongs: nowhere in any output.
  auto expect_no_secret = [&](const process_result& r, const std::vector<std::string>& args) {
    EXPECT_EQ(r.out.find(pair.secret_key), std::string::npos) << args[1] << r;
    EXPECT_EQ(r.err.find(pair.secret_key), std::string::npos) << args[1] << r;
  };
  for (const auto& [name, content] : files) {
    const std::string file = (dir / name).string();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"show", file}, {"show", "--json", file}, {"verify", file}}) {
      const auto r = zmq_cert(args);
      expect_clean_end(r, args);
      expect_no_secret(r, args);
      if (r.exit_code == 0 && args[1] == "--json") {
        EXPECT_NO_THROW(zmqsec::testing::parse_json(r.out)) << name << r;
      }
    }
  }
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"list", dir.path().string()}, {"list", "--json", dir.path().string()}}) {
    const auto r = zmq_cert(args);
    expect_clean_end(r, args);
    expect_no_secret(r, args);
    EXPECT_EQ(r.exit_code, 1) << r;
  }
  const auto json = zmq_cert({"list", "--json", dir.path().string()});
  EXPECT_NO_THROW(zmqsec::testing::parse_json(json.out)) << json;
}
