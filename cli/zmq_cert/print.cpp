#include "print.hpp"

#include "text.hpp"

namespace zmqsec::cli {

void print_metadata_json(std::ostream& out, const certs::metadata& meta) {
  out << '{';
  const char* separator = "";
  for (const auto& [name, value] : meta) {
    out << separator;
    write_json_string(out, name);
    out << ": ";
    write_json_string(out, value);
    separator = ", ";
  }
  out << '}';
}

void print_metadata_text(std::ostream& out, const certs::metadata& meta) {
  for (const auto& [name, value] : meta) {
    out << "    " << printable(name) << " = " << json_string(value) << '\n';
  }
}

void print_metadata_inline(std::ostream& out, const certs::metadata& meta) {
  const char* separator = "";
  for (const auto& [name, value] : meta) {
    out << separator << printable(name) << '=' << json_string(value);
    separator = " ";
  }
}

}  // namespace zmqsec::cli
