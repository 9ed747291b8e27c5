// Messages that quote what the user typed stay one readable line: an argument can be 128 KiB
// (the largest Linux takes), and a tool that echoes it whole buries its own answer.
#pragma once

#include <string>
#include <string_view>

namespace zmqsec::cli {

/// text itself when at most max_size bytes; otherwise its start and its end (where the reason
/// is) around "[... N bytes ...]".
inline std::string shortened(std::string_view text, std::size_t max_size = 400) {
  if (text.size() <= max_size) return std::string(text);
  const std::size_t keep = max_size / 2;
  return std::string(text.substr(0, keep)) + "[... " + std::to_string(text.size() - 2 * keep) +
         " bytes ...]" + std::string(text.substr(text.size() - keep));
}

}  // namespace zmqsec::cli
