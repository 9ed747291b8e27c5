// Every option of every tool, given what a careless or hostile user gives (docs/tools-input.md):
// empty, huge (the largest argument Linux takes), not UTF-8, negative and overflowing numbers,
// missing paths, a folder, an unreadable file (as user nobody), a symbolic link loop, /dev/zero
// and a FIFO. Each must be answered with one clear line on stderr ("tool: ...", plus at most the
// pointer to --help) and the documented exit status, at once: never a hang, a crash, output on
// stdout or a secret echoed.
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using zmqsec::testing::process_result;

// MAX_ARG_STRLEN (32 pages) with its terminating NUL: the longest single argument execve takes.
const std::string huge(32 * 4096 - 1, 'x');
const std::string not_utf8 = "\xff\xfe\xc0\x80";
// A secret the tools must never echo, used where they take one.
const std::string secret = "hunter2-s3cret";

// The bad values of each kind of option.
enum class kind {
  file,
  folder,
  endpoint,
  tcp_address,
  count,
  seconds,
  port,
  word,
  text,
  name,         // a file name: not UTF-8 is a valid one
  credentials,  // USER:PASS
  metrics,      // HOST:PORT or PORT
};

struct value {
  std::string name;  // for the test's messages
  std::string text;  // the argument ("@fifo": the fixture's FIFO, and so on)
};

std::vector<value> bad_values(kind k) {
  std::vector<value> common{{"empty", ""}, {"huge", huge}, {"not UTF-8", not_utf8}};
  switch (k) {
    case kind::file:
      common.insert(common.end(), {{"missing", "@missing"},
                                   {"folder", "@dir"},
                                   {"unreadable", "@unreadable"},
                                   {"symlink loop", "@loop"},
                                   {"/dev/zero", "/dev/zero"},
                                   {"FIFO", "@fifo"}});
      return common;
    case kind::folder:
      common.insert(common.end(), {{"missing", "@missing"},
                                   {"a file", "@file"},
                                   {"unreadable", "@unreadable_dir"},
                                   {"symlink loop", "@loop"},
                                   {"/dev/zero", "/dev/zero"},
                                   {"FIFO", "@fifo"}});
      return common;
    case kind::endpoint:
    case kind::tcp_address:
      common.insert(common.end(), {{"port -1", "tcp://127.0.0.1:-1"},
                                   {"port 99999", "tcp://127.0.0.1:99999"},
                                   {"port overflow", "tcp://127.0.0.1:99999999999999999999999"},
                                   {"no transport", "127.0.0.1:5555"}});
      return common;
    case kind::count:
    case kind::seconds:
    case kind::port:
      common.insert(common.end(), {{"negative", "-1"},
                                   {"overflow", "99999999999999999999999"},
                                   {"not a number", "many"},
                                   {"nan", "nan"},
                                   {"inf", "inf"}});
      return common;
    case kind::word:
      return common;
    case kind::text:  // where "" is a valid value (z85 encode: no bytes)
      return {{"huge", huge}, {"not UTF-8", not_utf8}};
    case kind::name:
      return {{"empty", ""}, {"huge", huge}};
    case kind::credentials:
      common.insert(common.end(), {{"no user", ":" + secret},
                                   {"no password", "admin:"},
                                   {"user too long", std::string(256, 'u') + ":" + secret},
                                   {"password too long", "admin:" + secret + huge.substr(0, 300)}});
      return common;
    case kind::metrics:
      common.insert(common.end(), {{"port -1", "-1"},
                                   {"port 99999", "99999"},
                                   {"port overflow", "99999999999999999999999"},
                                   {"not a number", "many"},
                                   {"host, port 99999", "127.0.0.1:99999"},
                                   {"unclosed [", "[::1"},
                                   {"IPv6 without brackets", "::1:9100"},
                                   {"no host", ":9100"}});
      return common;
  }
  return common;
}

struct row {
  std::string tool;               // path of the binary
  std::vector<std::string> args;  // "@VALUE" is replaced by the bad value
  kind what;
  std::vector<int> statuses;  // the documented statuses for bad input
};

// zmq-gateway's required options, with option set to value.
std::vector<std::string> gateway_args(const std::string& option, const std::string& value) {
  std::vector<std::string> args = {
      "--front", "tcp://127.0.0.1:0", "--back", "tcp://127.0.0.1:5555", "--cert",
      "@file",   "--policy",          "@file"};
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == option) {
      args[i + 1] = value;
      return args;
    }
  }
  args.push_back(option);
  args.push_back(value);
  return args;
}

std::vector<row> table() {
  const std::string cert = ZMQ_CERT_PATH, tail = ZMQ_LOGTAIL_PATH, mon = ZMQ_MONITOR_PATH,
                    tun = ZMQ_TUNNEL_PATH, gw = ZMQ_GATEWAY_PATH;
  const std::string addr = "tcp://127.0.0.1:5555";
  // zmq-cert: 1 bad input, 2 a file that could not be read (docs/cli.md).
  return {
      {cert, {"show", "@VALUE"}, kind::file, {1, 2}},
      {cert, {"verify", "@VALUE"}, kind::file, {1, 2}},
      {cert, {"list", "@VALUE"}, kind::folder, {1, 2}},
      {cert, {"generate", "x", "--dir", "@VALUE"}, kind::folder, {1, 2}},
      {cert, {"public", "@VALUE"}, kind::word, {1}},
      {cert, {"z85", "encode", "@VALUE"}, kind::text, {1}},
      {cert, {"z85", "decode", "@VALUE"}, kind::text, {1}},
      {cert, {"generate", "@VALUE", "--dir", "@dir"}, kind::name, {1, 2}},
      {cert, {"generate", "x", "--dir", "@dir", "--meta", "@VALUE"}, kind::word, {1}},
      {tail, {"@VALUE"}, kind::endpoint, {1}},
      {tail, {"--bind", "@VALUE"}, kind::endpoint, {1}},
      {tail, {addr, "--count", "@VALUE"}, kind::count, {1}},
      {tail, {addr, "--color", "@VALUE"}, kind::word, {1}},
      {tail, {addr, "--metrics", "@VALUE"}, kind::metrics, {1}},
      {tail, {addr, "--curve-server-key", "@VALUE"}, kind::file, {1}},
      {tail,
       {addr, "--curve-server-key", std::string(40, '0'), "--curve-cert", "@VALUE"},
       kind::file,
       {1}},
      {mon, {"--connect", "@VALUE"}, kind::endpoint, {1}},
      {mon, {"--bind", "@VALUE"}, kind::endpoint, {1}},
      {mon, {"--connect", addr, "--count", "@VALUE"}, kind::count, {1}},
      {mon, {"--connect", addr, "--type", "@VALUE"}, kind::word, {1}},
      {mon, {"--connect", addr, "--event", "@VALUE"}, kind::word, {1}},
      {mon, {"--connect", addr, "--curve-server-key", "@VALUE"}, kind::file, {1}},
      {mon, {"--bind", "tcp://127.0.0.1:0", "--cert", "@VALUE"}, kind::file, {1}},
      {mon, {"--connect", addr, "--plain", "@VALUE"}, kind::credentials, {1}},
      {mon, {"--bind", "tcp://127.0.0.1:0", "--plain", "@VALUE"}, kind::credentials, {1}},
      {mon, {"--connect", addr, "--metrics", "@VALUE"}, kind::metrics, {1}},
      {tun, {"@VALUE", "gateway"}, kind::tcp_address, {1}},
      {tun, {addr, "@VALUE"}, kind::word, {1}},
      {tun, {addr, "gateway", "-i", "@VALUE"}, kind::file, {1}},
      // A known_hosts that does not exist yet is fine (--accept-new creates it): then the tool
      // goes on and fails to reach "gateway" (2).
      {tun, {addr, "gateway", "--known-hosts", "@VALUE"}, kind::file, {1, 2}},
      {tun, {addr, "gateway", "--backend", "@VALUE"}, kind::word, {1}},
      {tun, {addr, "gateway", "--timeout", "@VALUE"}, kind::seconds, {1}},
      {tun, {addr, "gateway", "--connect-timeout", "@VALUE"}, kind::seconds, {1}},
      {tun, {addr, "gateway", "--local-port", "@VALUE"}, kind::port, {1}},
      // Checked before the tunnel opens (it would otherwise fail to reach "gateway" first).
      {tun, {addr, "gateway", "--metrics", "@VALUE"}, kind::metrics, {1}},
      // zmq-gateway: every bad value stops it before it binds anything (the other file given is
      // a readable file that is no certificate: refused too, with status 1).
      {gw, gateway_args("--front", "@VALUE"), kind::endpoint, {1}},
      {gw, gateway_args("--back", "@VALUE"), kind::endpoint, {1}},
      {gw, gateway_args("--cert", "@VALUE"), kind::file, {1}},
      {gw, gateway_args("--policy", "@VALUE"), kind::file, {1}},
      {gw, gateway_args("--back-server-key", "@VALUE"), kind::file, {1}},
      {gw, gateway_args("--pattern", "@VALUE"), kind::word, {1}},
      {gw, gateway_args("--capture", "@VALUE"), kind::endpoint, {1}},
      {gw, gateway_args("--log", "@VALUE"), kind::endpoint, {1}},
      {gw, gateway_args("--metrics", "@VALUE"), kind::metrics, {1}},
  };
}

class tool_input_test : public ::testing::TestWithParam<row> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new zmqsec::testing::temp_dir;
    const auto& d = *dir_;
    std::filesystem::create_directory(d / "dir");
    std::filesystem::create_directory(d / "unreadable_dir");
    ::chmod((d / "unreadable_dir").c_str(), 0);
    d.write("file", "just a file\n");
    ::mkfifo((d / "fifo").c_str(), 0666);
    std::filesystem::create_symlink(d / "loop_b", d / "loop");
    std::filesystem::create_symlink(d / "loop", d / "loop_b");
    d.write("unreadable", "secret-file-content\n");
    ::chmod((d / "unreadable").c_str(), 0);
    ::chmod(d.path().c_str(), 0755);
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string resolve(const std::string& text) {
    if (!text.starts_with('@')) return text;
    return (*dir_ / text.substr(1)).string();
  }

  static zmqsec::testing::temp_dir* dir_;
};
zmqsec::testing::temp_dir* tool_input_test::dir_ = nullptr;

std::string tool_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// Runs argv as user nobody (setpriv), so that a mode-0 file is unreadable even though the tests
// run as root.
process_result run_as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(),
              {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"});
  return zmqsec::testing::run_process(argv, 10s);
}

TEST_P(tool_input_test, every_bad_value_gets_one_clear_line_and_the_documented_status) {
  const row& r = GetParam();
  const std::string name = tool_name(r.tool);
  for (const value& v : bad_values(r.what)) {
    std::vector<std::string> argv{r.tool};
    for (const auto& a : r.args) argv.push_back(resolve(a == "@VALUE" ? v.text : a));
    SCOPED_TRACE(v.name + ": " + testing::PrintToString(r.args));
    const auto started = std::chrono::steady_clock::now();
    const process_result result =
        v.name == "unreadable" ? run_as_nobody(argv) : zmqsec::testing::run_process(argv, 10s);
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(result.exited()) << result;  // no hang, no crash
    EXPECT_LT(took, 3s) << result;
    EXPECT_NE(std::find(r.statuses.begin(), r.statuses.end(), result.exit_code), r.statuses.end())
        << result;
    EXPECT_EQ(result.out, "") << result;
    // One line "tool: ...", and at most the pointer to --help after it.
    std::string err = result.err;
    const std::string pointer = "Run '" + name + " --help' for more information.\n";
    if (err.ends_with(pointer)) err.resize(err.size() - pointer.size());
    EXPECT_TRUE(err.starts_with(name + ": ")) << result;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << result;
    EXPECT_LT(err.size(), 1000u) << "not one clear line: " << err.size() << " bytes";
    EXPECT_EQ(err.find("secret-file-content"), std::string::npos) << result;
    EXPECT_EQ(err.find(secret), std::string::npos) << "a secret echoed: " << result;
    EXPECT_EQ(err.find("\xff"), std::string::npos) << "raw bytes on the terminal: " << result;
  }
}

INSTANTIATE_TEST_SUITE_P(all_tools, tool_input_test, ::testing::ValuesIn(table()),
                         [](const ::testing::TestParamInfo<row>& info) {
                           return std::to_string(info.index) + "_" +
                                  tool_name(info.param.tool).substr(4);
                         });

// Secrets given the only way a tool takes them never show in what it says about bad input.
TEST(tool_input_secret_test, a_bad_option_beside_a_secret_never_echoes_it) {
  const auto r = zmqsec::testing::run_process(
      {ZMQ_MONITOR_PATH, "--connect", "tcp://127.0.0.1:99999", "--plain", "admin:" + secret}, 10s);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << r;
  const auto t = zmqsec::testing::run_process(
      {ZMQ_TUNNEL_PATH, "tcp://127.0.0.1:5555", "gateway", "--password=" + secret}, 10s);
  EXPECT_EQ(t.exit_code, 1) << t;
  EXPECT_EQ(t.err.find(secret), std::string::npos) << t;
}

// What the tools read from standard input for a secret (zmq-tunnel --password-stdin and
// --passphrase-stdin, zmq-cert public -): nothing, an empty line, a line longer than any secret,
// /dev/zero. One clear line, exit 1, at once.
TEST(tool_input_stdin_test, bad_secret_input_gets_one_clear_line_and_exit_1) {
  zmqsec::testing::temp_dir dir;
  const auto key = dir.write("key", "read only after the passphrase\n");
  const std::vector<std::vector<std::string>> readers = {
      {ZMQ_TUNNEL_PATH, "tcp://127.0.0.1:5555", "gateway", "--password-stdin"},
      {ZMQ_TUNNEL_PATH, "tcp://127.0.0.1:5555", "gateway", "-i", key.string(),
       "--passphrase-stdin"},
      {ZMQ_CERT_PATH, "public", "-"},
  };
  struct input {
    std::string name;
    std::string text;  // "@/dev/zero": that file as standard input
  };
  const std::vector<input> inputs = {{"nothing", ""},
                                     {"an empty line", "\n"},
                                     {"a huge line", std::string(5000, 's') + secret},
                                     {"/dev/zero", "@/dev/zero"}};
  for (const auto& reader : readers) {
    const std::string name = tool_name(reader.front());
    for (const input& in : inputs) {
      SCOPED_TRACE(name + " " + reader.back() + ": " + in.name);
      std::vector<std::string> argv = reader;
      if (in.text.starts_with('@')) {
        argv.insert(argv.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" < " + in.text.substr(1)});
      }
      const auto started = std::chrono::steady_clock::now();
      zmqsec::testing::process_options options;
      options.input = in.text.starts_with('@') ? "" : in.text;
      options.timeout = 10s;
      const process_result r = zmqsec::testing::run_process(argv, options);
      EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << r;
      ASSERT_TRUE(r.exited()) << r;
      EXPECT_EQ(r.exit_code, 1) << r;
      EXPECT_EQ(r.out, "") << r;
      EXPECT_TRUE(r.err.starts_with(name + ": ")) << r;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r;
      EXPECT_EQ(r.err.find(secret), std::string::npos) << r;
    }
  }
}

}  // namespace
