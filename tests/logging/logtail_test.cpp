// zmq-logtail, the real binary, tailing pub_sinks over tcp and ipc: what it prints, its filters,
// colours and JSON, CURVE, Ctrl-C, and its usage errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <zmq.h>

#include <string>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/logging.hpp>

#include "../cli/json.hpp"
#include "../cli/python_json.hpp"
#include "../support/bind_loopback.hpp"
#include "../support/process.hpp"
#include "../support/temp_dir.hpp"

namespace zl = zmqsec::logging;
using spawned_process = zmqsec::testing::child_process;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> logtail(std::vector<std::string> args) {
  args.insert(args.begin(), ZMQ_LOGTAIL_PATH);
  return args;
}

std::shared_ptr<zl::pub_sink_mt> sink_for_tail(const std::string& root_topic) {
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {"tcp://127.0.0.1:*"}, .root_topic = root_topic});
  sink->set_pattern("%v");
  return sink;
}

}  // namespace

TEST(logtail_test, prints_topic_and_message_of_each_record) {
  auto sink = sink_for_tail("myapp");
  spawned_process tail(logtail({sink->last_endpoint(), "--count", "3"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  log.info("hello");
  log.warn("disk::low space");
  log.error("two\nlines");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  // One record, one line: a line end inside a message is shown escaped.
  EXPECT_EQ(r.out, "myapp.INFO hello\nmyapp.WARNING.disk low space\nmyapp.ERROR two\\nlines\n");
  // What it waited for goes to stderr, never among the records.
  EXPECT_TRUE(r.err.starts_with("zmq-logtail: connecting to " + sink->last_endpoint() + "\n")) << r;
  EXPECT_EQ(r.err.find("hello"), std::string::npos) << r;
}

TEST(logtail_test, colours_levels_when_asked) {
  auto sink = sink_for_tail("");
  spawned_process tail(logtail({sink->last_endpoint(), "--count", "2", "--color", "always"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  log.info("fine");
  log.critical("on fire");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "\033[32mINFO\033[m fine\n\033[1m\033[41mCRITICAL\033[m on fire\n");
}

TEST(logtail_test, each_line_shows_its_own_topic_when_topics_repeat_and_alternate) {
  auto sink = sink_for_tail("");
  spawned_process tail(logtail({sink->last_endpoint(), "--count", "5", "--color", "always"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  log.info("a");
  log.info("b");
  log.critical("c");
  log.info("d");
  log.info("disk::e");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "\033[32mINFO\033[m a\n\033[32mINFO\033[m b\n\033[1m\033[41mCRITICAL\033[m c\n"
            "\033[32mINFO\033[m d\n\033[32mINFO.disk\033[m e\n");
}

TEST(logtail_test, no_colours_into_a_pipe_or_when_told) {
  for (const auto& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--color", "never"}}) {
    auto sink = sink_for_tail("");
    auto args = extra;
    args.insert(args.begin(), {sink->last_endpoint(), "--count", "1"});
    spawned_process tail(logtail(args));
    ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
    spdlog::logger("app", sink).error("plain");
    const auto r = tail.wait(10s);
    EXPECT_EQ(r.out, "ERROR plain\n") << r;
  }
}

TEST(logtail_test, json_prints_one_object_per_line) {
  auto sink = sink_for_tail("svc");
  spawned_process tail(logtail({sink->last_endpoint(), "--json", "-n", "2"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  log.warn("db::slow \"query\"");
  log.info("naïve ✓");
  const auto r = tail.wait(10s);
  ASSERT_EQ(r.exit_code, 0) << r;
  const auto newline = r.out.find('\n');
  ASSERT_NE(newline, std::string::npos) << r;
  const auto first = zmqsec::testing::parse_json(r.out.substr(0, newline));
  EXPECT_EQ(first.at("topic").string, "svc.WARNING.db");
  EXPECT_EQ(first.at("root_topic").string, "svc");
  EXPECT_EQ(first.at("level").string, "WARNING");
  EXPECT_EQ(first.at("subtopic").string, "db");
  EXPECT_EQ(first.at("message").string, "slow \"query\"");
  const auto second = zmqsec::testing::parse_json(r.out.substr(newline + 1));
  EXPECT_EQ(second.at("message").string, "naïve ✓");
}

TEST(logtail_test, json_gives_back_utf8_topics_and_messages_unchanged) {
  auto sink = sink_for_tail("caf\u00e9");
  spawned_process tail(logtail({sink->last_endpoint(), "--json", "-n", "1"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("app", sink).warn("\u76e3\u8996::na\u00efve \"\u2713\"");
  const auto r = tail.wait(10s);
  ASSERT_EQ(r.exit_code, 0) << r;
  spawned_process python(
      zmqsec::testing::python_json_argv(r.out, {"topic", "root_topic", "subtopic", "message"}));
  const auto parsed = python.wait(10s);
  ASSERT_EQ(parsed.exit_code, 0) << parsed;
  EXPECT_EQ(parsed.out,
            "caf\u00e9.WARNING.\u76e3\u8996\ncaf\u00e9\n\u76e3\u8996\nna\u00efve \"\u2713\"\n");
}

TEST(logtail_test, topic_options_filter_by_prefix) {
  auto sink = sink_for_tail("myapp");
  spawned_process tail(logtail(
      {sink->last_endpoint(), "--topic", "myapp.ERROR", "-t", "myapp.WARNING.disk", "-n", "2"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(2, 10s));
  spdlog::logger log("app", sink);
  log.info("not this");
  log.warn("net::nor this");
  log.warn("disk::this");
  log.error("and this");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "myapp.WARNING.disk this\nmyapp.ERROR and this\n");
}

TEST(logtail_test, tails_several_publishers) {
  auto a = sink_for_tail("a");
  auto b = sink_for_tail("b");
  spawned_process tail(logtail({a->last_endpoint(), b->last_endpoint(), "-n", "2"}));
  ASSERT_TRUE(a->wait_for_subscriptions(1, 10s));
  ASSERT_TRUE(b->wait_for_subscriptions(1, 10s));
  spdlog::logger("a", a).info("from a");
  spdlog::logger("b", b).info("from b");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out == "a.INFO from a\nb.INFO from b\n" ||
              r.out == "b.INFO from b\na.INFO from a\n")
      << r;
}

TEST(logtail_test, binds_for_publishers_that_connect) {
  zmqsec::testing::temp_dir dir;
  const std::string endpoint = "ipc://" + (dir / "tail.sock").string();
  spawned_process tail(logtail({"--bind", endpoint, "-n", "1"}));
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.connect = {endpoint}, .root_topic = "worker"});
  sink->set_pattern("%v");
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("w", sink).info("connected in");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "worker.INFO connected in\n");
  EXPECT_EQ(r.err, "zmq-logtail: listening on " + endpoint + "\n");
}

TEST(logtail_test, bind_reports_the_port_chosen_for_a_wildcard) {
  spawned_process tail(logtail({"--bind", "tcp://127.0.0.1:*"}));
  ASSERT_TRUE(tail.wait_for_error_output("\n", 10s));
  tail.send_signal(SIGTERM);
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.err.starts_with("zmq-logtail: listening on tcp://127.0.0.1:")) << r;
  EXPECT_EQ(r.err.find(":*"), std::string::npos) << r;
}

TEST(logtail_test, ctrl_c_ends_it_cleanly_with_everything_printed) {
  for (const int sig : {SIGINT, SIGTERM}) {
    auto sink = sink_for_tail("svc");
    spawned_process tail(logtail({sink->last_endpoint()}));
    ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
    spdlog::logger("app", sink).info("last words");
    ASSERT_TRUE(tail.wait_for_output("last words\n", 10s));
    const auto start = std::chrono::steady_clock::now();
    tail.send_signal(sig);
    const auto r = tail.wait(10s);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(r.exit_code, 0) << "signal " << sig << r;
    EXPECT_EQ(r.out, "svc.INFO last words\n");
    EXPECT_TRUE(r.err.starts_with("zmq-logtail: connecting to " + sink->last_endpoint() + "\n"))
        << r;
  }
}

namespace {

// A pub_sink on a CURVE server socket (libzmq lets any CURVE client in while no ZAP handler is
// bound), with the server's certificate pair written by zmqsec::certs.
struct curve_stream {
  curve_stream() {
    files = zmqsec::certs::create_certificates(dir.path(), "server", {});
    client_files = zmqsec::certs::create_certificates(dir.path(), "client", {});
    const auto cert = zmqsec::certs::load_certificate(files.secret_file);
    server_public = cert.public_key.z85();
    zmq::socket_t socket(context, zmq::socket_type::xpub);
    socket.set(zmq::sockopt::curve_server, true);
    const auto secret = cert.secret_key->bytes();
    socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
    endpoint = zmqsec::testing::bind_loopback(socket);
    sink = std::make_shared<zl::pub_sink_mt>(std::move(socket),
                                             zl::pub_sink_config{.root_topic = "vault"});
    sink->set_pattern("%v");
  }
  zmqsec::testing::temp_dir dir;
  zmqsec::certs::certificate_files files, client_files;
  std::string server_public;
  zmq::context_t context;
  std::string endpoint;
  std::shared_ptr<zl::pub_sink_mt> sink;
};

}  // namespace

TEST(logtail_test, reads_a_curve_stream_with_the_servers_key) {
  curve_stream stream;
  spawned_process tail(
      logtail({stream.endpoint, "--curve-server-key", stream.server_public, "-n", "1"}));
  ASSERT_TRUE(stream.sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("app", stream.sink).warn("keys::rotated");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "vault.WARNING.keys rotated\n");
}

TEST(logtail_test, reads_a_curve_stream_with_certificate_files) {
  curve_stream stream;
  spawned_process tail(
      logtail({stream.endpoint, "--curve-server-key", stream.files.public_file.string(),
               "--curve-cert", stream.client_files.secret_file.string(), "-n", "1"}));
  ASSERT_TRUE(stream.sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("app", stream.sink).info("hello client");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "vault.INFO hello client\n");
}

TEST(logtail_test, a_curve_stream_stays_closed_without_the_key) {
  curve_stream stream;
  spawned_process plain(logtail({stream.endpoint}));
  EXPECT_FALSE(stream.sink->wait_for_subscriptions(1, 300ms));
  spdlog::logger("app", stream.sink).info("secret");
  plain.send_signal(SIGKILL);
  EXPECT_EQ(plain.wait(10s).out, "");
}

TEST(logtail_test, usage_and_input_errors_exit_1_with_a_message) {
  zmqsec::testing::temp_dir dir;
  const auto not_a_cert = dir.write("x.key", "not a certificate\n");
  for (const auto& args : std::vector<std::vector<std::string>>{
           {},
           {"--frobnicate", "tcp://127.0.0.1:1"},
           {"--color", "sometimes", "tcp://127.0.0.1:1"},
           {"-n", "many", "tcp://127.0.0.1:1"},
           {"nonsense://x"},
           {"--bind", "tcp://256.0.0.1:1"},
           {"tcp://127.0.0.1:1", "--curve-cert", not_a_cert.string()},
           {"tcp://127.0.0.1:1", "--curve-server-key", "too short"},
           {"tcp://127.0.0.1:1", "--curve-server-key", not_a_cert.string()},
           {"tcp://127.0.0.1:1", "--curve-server-key", (dir / "missing.key").string()}}) {
    spawned_process tail(logtail(args));
    const auto r = tail.wait(10s);
    EXPECT_EQ(r.exit_code, 1) << ::testing::PrintToString(args) << r;
    EXPECT_TRUE(r.err.starts_with("zmq-logtail: ")) << r;
    EXPECT_EQ(r.out, "") << r;
  }
}

TEST(logtail_test, help_and_version) {
  spawned_process help(logtail({"--help"}));
  const auto r = help.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  for (const char* word : {"ENDPOINT", "--topic", "--bind", "--json", "--color",
                           "--curve-server-key", "--curve-cert", "--count", "Exit status"}) {
    EXPECT_NE(r.out.find(word), std::string::npos) << word << r;
  }
  spawned_process version(logtail({"--version"}));
  EXPECT_EQ(version.wait(10s).out, "zmq-logtail " ZMQSEC_VERSION "\n");
}

// Records come from the network: terminal escapes and line ends in a topic or a message are
// shown escaped in text mode (a publisher cannot clear the screen, recolour it or forge a
// record), UTF-8 stays readable.
TEST(logtail_test, text_mode_escapes_control_characters_from_the_network) {
  auto sink = sink_for_tail("app");
  spawned_process tail(logtail({sink->last_endpoint(), "--count", "1", "--color", "never"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("app", sink).error("caf\xc3\xa9 \x1b[31mred\x07\r\nfake.ERROR forged");
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "app.ERROR caf\xc3\xa9 \\x1b[31mred\\x07\\x0d\\nfake.ERROR forged\n");
}

// A publisher that is not there: the tail says on stderr what it waits for, and stdout stays
// for records.
TEST(logtail_test, says_on_stderr_that_it_cannot_connect_yet) {
  zmq::context_t ctx;
  zmq::socket_t probe(ctx, zmq::socket_type::rep);
  const std::string endpoint = zmqsec::testing::bind_loopback(probe);
  probe.close();  // nothing listens there any more: connections are refused
  spawned_process tail(logtail({endpoint}));
  ASSERT_TRUE(tail.wait_for_error_output("not connected: refused, unreachable", 10s))
      << tail.wait(1s);
  tail.send_signal(SIGTERM);
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.err.starts_with("zmq-logtail: connecting to " + endpoint +
                                "\nzmq-logtail: " + endpoint +
                                ": not connected: refused, unreachable, or the name "
                                "does not resolve (attempt 1; retry in "))
      << r;
}

// A CURVE publisher whose key the tail does not have: the failed handshake is reported, with
// libzmq's reason, instead of silence.
TEST(logtail_test, says_on_stderr_when_the_handshake_fails) {
  curve_stream stream;
  const auto other = zmqsec::certs::generate_keypair();
  spawned_process tail(logtail({stream.endpoint, "--curve-server-key", other.public_key.z85()}));
  ASSERT_TRUE(tail.wait_for_error_output(": handshake failed: ", 10s)) << tail.wait(1s);
  tail.send_signal(SIGTERM);
  const auto r = tail.wait(10s);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "");
}

// Endpoints libzmq would reinterpret, and counts that would run unbounded, are usage errors.
TEST(logtail_test, out_of_range_ports_and_counts_are_usage_errors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--bind", "tcp://127.0.0.1:99999"},
           {"tcp://127.0.0.1:-1"},
           {"tcp://127.0.0.1"},
           {"tcp://127.0.0.1:1", "--count", "-1"},
           {"tcp://127.0.0.1:1", "--count", ""},
           {"tcp://127.0.0.1:1", "--count", "0"},
           {"tcp://127.0.0.1:1", "--count", "99999999999999999999999"}}) {
    spawned_process tail(logtail(args));
    const auto r = tail.wait(10s);
    EXPECT_EQ(r.exit_code, 1) << ::testing::PrintToString(args) << r;
    EXPECT_TRUE(r.err.starts_with("zmq-logtail: ")) << r;
    EXPECT_EQ(r.out, "") << r;
  }
}
