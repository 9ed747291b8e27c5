#include "print.hpp"

#include <zmqsec/core/text.hpp>

namespace zmqsec::cli {

json metadata_json(const certs::metadata& meta) {
  json object = json::object();
  for (const auto& [name, value] : meta) object[name] = value;
  return object;
}

void print_metadata_text(std::ostream& out, const certs::metadata& meta) {
  for (const auto& [name, value] : meta) {
    out << "    " << core::printable(name) << " = " << quoted_for_terminal(value) << '\n';
  }
}

void print_metadata_inline(std::ostream& out, const certs::metadata& meta) {
  const char* separator = "";
  for (const auto& [name, value] : meta) {
    out << separator << core::printable(name) << '=' << quoted_for_terminal(value);
    separator = " ";
  }
}

}  // namespace zmqsec::cli
