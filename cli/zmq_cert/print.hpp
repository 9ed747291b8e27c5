// How zmq-cert prints a certificate's metadata, as text for people and as JSON for programs.
//
//   doc["metadata"] = metadata_json(cert.metadata);   // {"name":"api-1"}
#pragma once

#include <ostream>

#include <zmqsec/certs/certificate.hpp>

#include "../common/json.hpp"

namespace zmqsec::cli {

/// A JSON object of the metadata, in file order: {"name": "value", ...}.
json metadata_json(const certs::metadata& meta);

/// One line per entry, indented four spaces, the value quoted and escaped: `    name = "value"`.
void print_metadata_text(std::ostream& out, const certs::metadata& meta);

/// The entries on one line, space separated: `name="value" role="api"`.
void print_metadata_inline(std::ostream& out, const certs::metadata& meta);

}  // namespace zmqsec::cli
