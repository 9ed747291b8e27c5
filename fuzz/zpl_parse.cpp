// ZPL parsing of arbitrary text: never crashes; a tree that parses and can be written parses
// back to the same tree.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <zmqsec/certs/zpl.hpp>

namespace zc = zmqsec::certs;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  zc::zpl_node tree;
  try {
    tree = zc::parse_zpl(text, "fuzz");
  } catch (const zc::zpl_error&) {
    return 0;
  }
  std::string written;
  try {
    written = zc::to_zpl(tree);
  } catch (const zmqsec::error&) {
    return 0;  // e.g. a value holding both quote characters cannot be written back
  }
  if (zc::parse_zpl(written, "fuzz-rewritten") != tree) std::abort();
  return 0;
}
