// JSON documents as the tools write them (nlohmann-json): members in the order they were added,
// one document per line, UTF-8 text kept as it is.
//
//   zmqsec::cli::json doc = {{"public_key", key}, {"metadata", zmqsec::cli::json::object()}};
//   std::cout << zmqsec::cli::dump(doc) << '\n';     // {"public_key":"...","metadata":{}}
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include <zmqsec/core/text.hpp>

namespace zmqsec::cli {

/// Objects keep the order of their members (a reader sees "time" and "event" first).
using json = nlohmann::ordered_json;

/// doc on one line. UTF-8 stays unescaped (ensure_ascii off); bytes that are not UTF-8 (file
/// names, metadata and endpoints can hold anything) become U+FFFD instead of making dump() throw.
inline std::string dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// text as a quoted string for a terminal: JSON's escapes for quotes, backslashes and C0
/// controls, then core::printable for what JSON leaves raw (DEL and C1 controls).
inline std::string quoted_for_terminal(std::string_view text) {
  return core::printable(dump(json(text)));
}

}  // namespace zmqsec::cli
