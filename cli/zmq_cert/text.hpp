// Untrusted text made safe to print. Certificate metadata, file names and error messages can
// hold anything (terminal escape sequences, invalid UTF-8); what zmq-cert prints cannot.
//
//   std::cout << printable(name) << '\n';             // for a terminal
//   write_json_string(std::cout, value);               // a valid JSON string literal, quotes
//   included
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace zmqsec::cli {

/// Writes text as a JSON string literal. Escapes '"', '\\' and control characters (C0, DEL and
/// C1); bytes that are not valid UTF-8 become U+FFFD, so the output is always valid JSON.
void write_json_string(std::ostream& out, std::string_view text);

/// The JSON string literal of text (see write_json_string).
std::string json_string(std::string_view text);

/// text for a terminal: control characters become \n, \t, \xNN or \uNNNN and bytes that are not
/// valid UTF-8 become \xNN; everything else is kept as it is.
std::string printable(std::string_view text);

}  // namespace zmqsec::cli
