// A full read of a folder of certificates, in two steps: list the certificate files, then read
// them in the order of their inodes (the order of their records on disk, so a folder that is no
// longer in the page cache is read by sweeping the inode tables rather than at random), on two
// threads for a large folder: the time goes into the kernel's open/read/close of each file, and
// two threads do that in parallel.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "cert_store_table.hpp"

namespace zmqsec::certs::detail {

/// Folders of this many certificate files are read on two threads; for fewer a second thread
/// costs more than it saves.
inline constexpr std::size_t files_for_two_threads = 2048;

/// The certificate files of a folder: their names, and their inodes to read them by.
struct folder_listing {
  struct file {
    ino_t inode;
    std::size_t name;  // offset in names of the NUL-terminated name
    bool regular;      // the listing says so (a link is not)
  };
  std::vector<file> files;
  std::string names;

  const char* name(const file& f) const noexcept { return names.data() + f.name; }
};

/// Lists the public certificates of the folder open at dir_fd (see is_public_certificate_name;
/// folders left out), sets has_links to whether any of them is a symbolic link, and sorts them
/// by inode. Returns false as soon as stopped() holds. Throws zmqsec::error if the folder cannot
/// be listed.
bool list_folder(int dir_fd, folder_listing& listing, const std::function<bool()>& stopped,
                 bool& has_links);

/// Reads every listed file into out (see read_certificate_at), on a second thread as well for a
/// large folder. Returns false, with out incomplete, if stopped() held (it is asked on this
/// thread, before every few hundred files).
bool read_listed_files(int dir_fd, const folder_listing& listing, change_set& out,
                       const std::function<bool()>& stopped);

}  // namespace zmqsec::certs::detail
