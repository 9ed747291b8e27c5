// The two readers behind parse_certificate: a fast one for the plain layout that folders of
// public certificates are made of (a million of them are read at a store's start), and the
// general ZPL reader for everything else, which also says why a file is bad.
//
//   certificate cert;
//   if (!parse_plain_public_certificate(text, cert)) cert = parse_certificate_fully(text, path);
#pragma once

#include <filesystem>
#include <string_view>

#include <zmqsec/certs/certificate.hpp>

namespace zmqsec::certs::detail {

/// Reads text if it is a public certificate in the plain layout CZMQ, pyzmq and zmqsec write:
/// LF line ends, comments and blank lines at column 0, top-level `metadata` and `curve` lines,
/// and below them `    name = value` lines (quoted or bare values), of which `curve` holds
/// exactly one: public-key, in valid Z85. Returns false, with out unspecified, for anything else
/// (a secret key, CR, tabs, deeper nesting, another section, bad or missing keys...): the text
/// is then for parse_certificate_fully, which reads every layout and says what is wrong. Where
/// it returns true, it gives exactly what parse_certificate_fully gives.
bool parse_plain_public_certificate(std::string_view text, certificate& out);

/// The general reader: every ZPL layout, secret keys checked against their public key. Throws
/// certificate_error naming source.
certificate parse_certificate_fully(std::string_view text, const std::filesystem::path& source);

}  // namespace zmqsec::certs::detail
