#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/certs/keys.hpp>

#include "../common/files.hpp"
#include "commands.hpp"
#include "report.hpp"

namespace zmqsec::cli {
namespace {

constexpr const char* main_footer = R"(
Exit status:
  0  success
  1  bad input or usage: a malformed argument, key or certificate file, a failed check
  2  I/O failure: a file or folder that cannot be read or written

Only 'keypair' prints a secret key. 'public -' reads the secret key from stdin, which keeps it
out of the process list. Put '--' before an argument that starts with '-', e.g. a Z85 key:
  zmq-cert z85 decode -- -abcd
)";

constexpr const char* command_footer = R"(
Exit status: 0 success, 1 bad input or usage, 2 I/O failure.
)";

constexpr const char* list_footer = R"(
Hidden files and files named *_secret are not listed. A file that cannot be loaded is reported
on stderr as "zmq-cert: FILE: reason" (and under "errors" with --json), the other certificates
are still printed, and the exit status is 1.

Exit status: 0 every file listed, 1 a file could not be loaded, 2 the folder cannot be read.
)";

constexpr const char* authorized_keys_footer = R"(
An authorized-keys file has one key per line: the Z85 public key, then the certificate's
metadata as name=value pairs (a value with spaces in double quotes), '#' comments. It is what
cert_store::from_authorized_keys and a policy file's curve = { authorized_keys = "FILE" } read.
  zmq-cert authorized-keys clients/ -o clients.keys
  zmq-cert authorized-keys clients.keys --to-folder clients/
Certificates (or lines) that cannot be converted are reported, the rest is written, exit 1.

Exit status: 0 everything converted, 1 something left out, 2 a file or folder not readable or
writable.
)";

constexpr const char* verify_footer = R"(
Exit status 0 only if FILE parses as a certificate, its keys are valid Curve25519 keys (Z85, 32
bytes, not a low-order point), a secret key matches the public key, and a file holding a secret
key is not accessible by group or others (mode & 077 == 0). Otherwise the problem is reported
and the exit status is 1, or 2 if the file cannot be read.
)";

/// A subcommand and what runs when it is the one on the command line. The values its options
/// fill live in the closure.
struct command {
  CLI::App* app;
  std::function<int()> run;
};
using command_list = std::vector<command>;

void add_generate(CLI::App& app, command_list& commands) {
  auto args = std::make_shared<generate_args>();
  auto dir = std::make_shared<std::string>(".");
  auto* sub = app.add_subcommand(
      "generate", "Write a new certificate pair: DIR/NAME.key and DIR/NAME.key_secret (0600)");
  sub->add_option("NAME", args->name,
                  "Certificate name; the files are NAME.key and NAME.key_secret")
      ->required();
  sub->add_option("--dir", *dir, "Existing folder to write to")
      ->capture_default_str()
      ->check(not_empty());
  sub->add_option("--meta", args->meta, "Metadata entry; repeat for more")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  sub->add_flag("--force", args->force, "Replace existing certificate files");
  commands.push_back({sub, [args, dir] {
                        args->dir = *dir;
                        return run_generate(*args);
                      }});
}

void add_keypair(CLI::App& app, command_list& commands) {
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("keypair",
                                 "Print a new keypair (the only command that prints a secret key)");
  sub->add_flag("--json", *json, R"(Print {"public": ..., "secret": ...})");
  commands.push_back({sub, [json] { return run_keypair(*json); }});
}

void add_public(CLI::App& app, command_list& commands) {
  auto secret = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("public", "Print the public key of a Z85 secret key");
  sub->add_option("SECRET", *secret, "Z85 secret key, or - to read it from stdin")->required();
  commands.push_back({sub, [secret] { return run_public(*secret); }});
}

void add_show(CLI::App& app, command_list& commands) {
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
      "show", "Print a certificate's public key and metadata (never its secret key)");
  sub->add_option("FILE", *file, "Certificate file (public or secret)")->required();
  sub->add_flag("--json", *json,
                R"(Print {"public_key": ..., "has_secret": ..., "metadata": {...}})");
  commands.push_back({sub, [file, json] { return run_show(*file, *json); }});
}

void add_list(CLI::App& app, command_list& commands) {
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
      "list", "Print the public certificates of a folder; exit 1 if a file is bad");
  sub->add_option("DIR", *dir, "Folder of certificates")->required();
  sub->add_flag(
      "--json", *json,
      R"(Print {"certificates": [{"file": ..., "public_key": ..., "metadata": {...}}, ...], )"
      R"("errors": [{"file": ..., "reason": ...}, ...]})");
  sub->footer(list_footer);
  commands.push_back({sub, [dir, json] { return run_list(*dir, *json); }});
}

void add_authorized_keys(CLI::App& app, command_list& commands) {
  auto source = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto to_folder = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
      "authorized-keys",
      "Write an authorized-keys file from a folder of certificates, or a folder from one");
  sub->add_option("SOURCE", *source,
                  "Folder of certificates (or, with --to-folder, an authorized-keys file)")
      ->required();
  auto* out_option =
      sub->add_option("-o,--output", *out, "The file to write (atomically); default: stdout");
  sub->add_option("--to-folder", *to_folder,
                  "Write one public certificate per key of SOURCE into this folder")
      ->excludes(out_option);
  sub->add_flag("--force", *force, "With --to-folder: replace existing certificate files");
  sub->footer(authorized_keys_footer);
  commands.push_back({sub, [source, out, to_folder, force] {
                        if (!to_folder->empty()) {
                          return run_authorized_keys_to_folder(*source, *to_folder, *force);
                        }
                        return run_authorized_keys_from_folder(*source, *out);
                      }});
}

void add_verify(CLI::App& app, command_list& commands) {
  auto file = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "verify",
      "Check a certificate file: valid, matching keys; a secret file private to its owner");
  sub->add_option("FILE", *file, "Certificate file (public or secret)")->required();
  sub->footer(verify_footer);
  commands.push_back({sub, [file] { return run_verify(*file); }});
}

void add_z85(CLI::App& app, command_list& commands) {
  auto* z85 = app.add_subcommand("z85", "Convert hex to Z85 and back (ZeroMQ RFC 32)");
  z85->require_subcommand(1);
  auto hex = std::make_shared<std::string>();
  auto* encode =
      z85->add_subcommand("encode", "Print the Z85 encoding of hex bytes (a multiple of 4)");
  encode->add_option("HEX", *hex, "Hex digits, 8 per group of 4 bytes")->required();
  commands.push_back({encode, [hex] { return run_z85_encode(*hex); }});
  auto text = std::make_shared<std::string>();
  auto* decode = z85->add_subcommand("decode", "Print Z85 text as hex bytes");
  decode->add_option("Z85", *text, "Z85 text, 5 characters per group")->required();
  commands.push_back({decode, [text] { return run_z85_decode(*text); }});
}

constexpr std::string_view z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// True if text contains a run of Z85 characters as long as a key.
bool may_hold_key(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = z85_alphabet.find(c) == std::string_view::npos ? 0 : run + 1;
    if (run >= certs::z85_key_size) return true;
  }
  return false;
}

// CLI11 repeats unexpected arguments in its messages; any of them may be a secret key.
std::string redact_keys(std::string message, int argc, char** argv) {
  constexpr std::string_view hidden = "<argument hidden: it may be a key>";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!may_hold_key(arg)) continue;
    for (auto at = message.find(arg); at != std::string::npos; at = message.find(arg, at)) {
      message.replace(at, arg.size(), hidden);
      at += hidden.size();
    }
  }
  return message;
}

}  // namespace

int run_command_line(int argc, char** argv) {
  CLI::App app{"Generate, inspect and verify ZeroMQ CURVE certificates.", "zmq-cert"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "zmq-cert " ZMQSEC_VERSION);
  app.footer(command_footer);  // subcommands inherit the footer their parent has when added

  command_list commands;
  for (auto add : {add_generate, add_keypair, add_public, add_show, add_list, add_authorized_keys,
                   add_verify, add_z85}) {
    add(app, commands);
  }
  app.footer(main_footer);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    report_error(redact_keys(e.what(), argc, argv));
    // One Z85 key in 85 starts with '-', and CLI11 takes such an argument for an option.
    for (int i = 1; i < argc; ++i) {
      if (argv[i][0] == '-' && std::strlen(argv[i]) == 40 && std::strcmp(argv[i - 1], "--") != 0) {
        std::cerr << "An argument that starts with '-' (one Z85 key in 85 does) goes after \"--\", "
                     "as in: zmq-cert public -- KEY\n";
        break;
      }
    }
    std::cerr << "Run 'zmq-cert --help' for more information.\n";
    return exit_bad_input;
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  report_error("no command given");  // require_subcommand makes this unreachable
  return exit_bad_input;
}

}  // namespace zmqsec::cli
