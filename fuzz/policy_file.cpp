// Policy files of arbitrary text, through the parse step only (no file is touched): parsing
// never crashes and fails only with policy_file_error, placed within the text (or at line 0 for
// none) and spelled "SOURCE:LINE:COLUMN: REASON"; a document that parses builds a policy, and
// every file it names is placed within the text and made relative to the policy file's folder.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <zmqsec/auth/policy_file.hpp>

namespace za = zmqsec::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  const std::filesystem::path source = "fuzz/policy.toml";
  try {
    const za::policy_document document = za::parse_policy_document(text, source);
    if (!document.config.build()) std::abort();
    for (const auto& file : document.files) {
      if (file.line == 0 || file.line > lines) std::abort();
      if (file.path.is_relative() && !file.path.string().starts_with("fuzz/")) std::abort();
    }
  } catch (const za::policy_file_error& e) {
    if (e.line() > lines || e.path() != source) std::abort();
    const std::string place =
        e.line() == 0 ? std::string()
                      : ":" + std::to_string(e.line()) + ":" + std::to_string(e.column());
    if (std::string(e.what()) != source.string() + place + ": " + e.reason()) std::abort();
  }
  return 0;
}
