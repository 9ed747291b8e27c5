// Reading a folder of public certificates for cert_store: one file, or all of them, relative to
// an open folder descriptor (so that a scan reads one folder even if the path is swapped
// meanwhile), into a change_set.
#pragma once

#include <unistd.h>

#include <functional>
#include <string>

#include <zmqsec/certs/secure_memory.hpp>
#include <zmqsec/detail/unique_fd.hpp>

#include "cert_store_table.hpp"

namespace zmqsec::certs::detail {

using zmqsec::detail::unique_fd;

/// Reads the file `name` of the folder open at dir_fd and adds what it found to out: loaded,
/// bad (with the reason), or absent (no such file, a dangling link, or not a regular file).
/// With created_only (the file was created and nothing else was seen of it yet) a file that
/// does not parse is left out rather than reported: its writer has most likely not finished,
/// and the close after writing will bring it back. buffer is scratch space that is wiped when
/// released, because a file under a public name may still hold a secret key.
void read_certificate_at(int dir_fd, const char* name, bool created_only, change_set& out,
                         secret_string& buffer);

/// read_certificate_at for a file that the folder's listing says is a regular file (not a link):
/// that is taken as said, which saves asking each of a million files (fstat); a file swapped for
/// something else between the listing and the open is still refused, as a bad file. Never
/// created_only.
void read_listed_certificate(int dir_fd, const char* name, change_set& out, secret_string& buffer);

/// Reads every public certificate of the folder open at dir_fd into out, and sets has_links to
/// whether any of them is a symbolic link. Returns false, with out incomplete, as soon as
/// stopped() holds (it is asked for each folder entry, then before every few hundred files).
/// Throws zmqsec::error if the folder cannot be listed. See folder_scan.hpp for how.
bool scan_folder(int dir_fd, change_set& out, const std::function<bool()>& stopped,
                 bool& has_links);

}  // namespace zmqsec::certs::detail
