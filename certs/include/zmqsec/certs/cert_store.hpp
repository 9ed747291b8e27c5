// Certificate stores: the CURVE public keys a server accepts, with their metadata, loaded from a
// folder of public certificate files and kept in step with it as files come and go.
//
//   namespace zc = zmqsec::certs;
//   zc::cert_store store("/etc/app/clients");   // loaded when the constructor returns, then
//                                               // followed on a thread of its own (inotify)
//   // The ZAP thread keeps a snapshot and takes a newer one when the store has published it (one
//   // atomic load to check); lookups are O(1) on the immutable snapshot: no lock, no disk access.
//   std::shared_ptr<const zc::cert_snapshot> snapshot = store.current();
//   ...
//   if (snapshot->generation() != store.generation()) snapshot = store.current();
//   if (auto cert = snapshot->find(client_key)) {       // client_key: the 32-byte ZAP credential
//     std::string_view name = cert->meta("name").value_or("");
//   }
//   for (const auto& p : snapshot->problems()) std::cerr << p.path << ": " << p.reason << '\n';
//
//   // No folder: keys and metadata given by the program (CZMQ's in-memory zcertstore).
//   auto fixed = zc::cert_store::from_certificates(certificates);
//   fixed.insert(zc::public_key::from_z85(text), {{"name", "admin"}});
//
// What a folder contributes: every file for which is_public_certificate_name() holds (secret
// files, hidden files and editor backups are ignored) and which is a regular file, following
// symbolic links. A file that cannot be read or parsed is listed in problems() and skipped; it
// never fails the rest of the folder.
//
// Following: the store watches the folder with inotify and re-reads exactly the files that were
// written (closed after writing, so a same-size rewrite within one second is seen), created,
// renamed in or out, removed or changed in their attributes; an overflowing event queue makes it
// re-read everything. inotify does not see through symbolic links: when certificate files are
// links, a link or folder appearing under another name makes the store re-read everything,
// which is how the atomic `..data` swap of a Kubernetes Secret volume shows; other changes of a
// link's target are seen at the next reload().
//
// The folder itself may be removed, renamed away, replaced (`mv certs.new certs`) or become
// unreadable: the store then keeps the certificates it had, publishes a snapshot that says so
// (stale(), and a problem naming the folder), and reads the folder afresh when it is back. If
// the folder's parent goes too, the folder's return is seen only by reload(). Because `rm -rf`
// unlinks the files before the folder, a file that disappears is let go only once the folder
// has been quiet for 100 ms (1 s at most); additions and changes take effect at once.
//
// Same key in several files: the key is accepted while any of the files holds it, with the
// metadata of the file whose name sorts first; the other files are listed in problems() as
// duplicates of that one. Removing one file keeps the key while another remains.
//
// Snapshots are immutable and shared: a reload builds the next one aside and swaps it in, so a
// reader holding a snapshot (or a cert_view) keeps a consistent picture for as long as it likes.
// Each published snapshot has a generation one higher than the one before; the first is 1.
// Changes publish a new snapshot only if they change what the store answers or reports;
// reload() always publishes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::certs {

namespace detail {
class key_table;
class snapshot_publisher;
struct store_state;
}  // namespace detail

/// One certificate of a snapshot: its key, metadata and the file it came from. Holds a share of
/// the snapshot's data, so it stays valid (and unchanged) after the store moves on; the
/// references and views it hands out live as long as the cert_view.
class cert_view {
 public:
  const public_key& key() const noexcept;

  /// The value of the first metadata entry called name, or nullopt if there is none.
  std::optional<std::string_view> meta(std::string_view name) const noexcept;

  /// Calls f(std::string_view name, std::string_view value) for each metadata entry in file
  /// order, without allocating (e.g. to copy metadata into a ZAP reply).
  template <class F>
  void for_each_meta(F&& f) const {
    visit_meta(
        [](void* context, std::string_view name, std::string_view value) {
          (*static_cast<std::remove_reference_t<F>*>(context))(name, value);
        },
        &f);
  }

  /// A copy of all metadata.
  certs::metadata metadata() const;

  /// The name of the file (within the store's folder) the key and metadata come from, or the
  /// name of the authorized-keys file; empty for an in-memory store.
  std::string_view file_name() const noexcept;

 private:
  friend class cert_snapshot;
  using meta_visitor = void (*)(void*, std::string_view, std::string_view);
  cert_view(std::shared_ptr<const detail::key_table> table, std::uint32_t entry) noexcept
      : table_(std::move(table)), entry_(entry) {}
  void visit_meta(meta_visitor visitor, void* context) const;

  std::shared_ptr<const detail::key_table> table_;
  std::uint32_t entry_;
};

/// An immutable picture of a store: the accepted keys and what went wrong producing it.
class cert_snapshot {
 public:
  /// Number of distinct keys.
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }
  /// Number of certificate files (or key lines of an authorized-keys file) loaded: more than
  /// size() when several share a key.
  std::size_t file_count() const noexcept;

  /// Lookups by the raw 32 bytes (as a ZAP request carries them): O(1), no lock, no allocation.
  /// A span of another size is never contained.
  bool contains(std::span<const unsigned char> key) const noexcept;
  bool contains(const public_key& key) const noexcept { return contains(key.bytes()); }
  std::optional<cert_view> find(std::span<const unsigned char> key) const noexcept;
  std::optional<cert_view> find(const public_key& key) const noexcept { return find(key.bytes()); }

  /// The certificate at index (0 <= index < size()), for listing; the order is that of the
  /// sorted file names. Throws std::out_of_range.
  cert_view at(std::size_t index) const;

  /// 1 for the first snapshot of a store, one more for each one published after it.
  std::uint64_t generation() const noexcept { return generation_; }

  /// Files that were skipped (with the reason) or are duplicates of another file's key, sorted
  /// by path; first, if the folder itself could not be read, a problem naming the folder. For an
  /// authorized-keys file: its skipped lines (file_problem::line), first any problem reading it.
  const std::vector<file_problem>& problems() const noexcept { return problems_; }

  /// True when the folder could not be read and this snapshot keeps the certificates loaded
  /// before (problems() says why).
  bool stale() const noexcept { return stale_; }

 private:
  friend class detail::snapshot_publisher;
  cert_snapshot(std::shared_ptr<const detail::key_table> table, std::vector<file_problem> problems,
                std::uint64_t generation, bool stale) noexcept;

  std::shared_ptr<const detail::key_table> table_;
  std::vector<file_problem> problems_;
  std::uint64_t generation_;
  bool stale_;
};

struct cert_store_options {
  /// Follow the folder's changes on a background thread (ignored by in-memory stores).
  bool follow = true;

  /// Called after each snapshot published after construction (by the follower, reload(),
  /// insert() or erase()), on the thread that published it, one call at a time in generation
  /// order. Exceptions it throws are caught and ignored. It may read the store but must not call
  /// reload(), insert() or erase() (they throw zmqsec::error) nor destroy it.
  std::function<void(const std::shared_ptr<const cert_snapshot>&)> on_change;
};

/// A set of CURVE public keys with their metadata; see the top of this header.
class cert_store {
 public:
  using snapshot = cert_snapshot;

  /// Loads the public certificates of dir and, with options.follow, follows the folder. Throws
  /// zmqsec::error (with the errno) if the folder cannot be opened or watched.
  explicit cert_store(std::filesystem::path dir, cert_store_options options = {});

  /// A store of the keys of an authorized-keys file (see authorized_keys.hpp for the format),
  /// followed live with options.follow. Bad lines are listed in problems() by line number and
  /// skipped; a key on several lines keeps the metadata of its first line (the others are
  /// problems). A change of a few lines (a line appended, removed or edited, the file replaced
  /// by rename or rewritten in place) is applied without reading the rest of the file again. If
  /// the file becomes unreadable or goes away, the keys loaded stay and the snapshot is stale().
  /// Throws zmqsec::error if the file cannot be read now or its folder cannot be watched.
  /// A million keys take about 60 bytes each (more for lines with metadata).
  static cert_store from_authorized_keys(const std::filesystem::path& file,
                                         cert_store_options options = {});

  /// A store with no folder and no thread, holding the public keys and metadata of certs (a
  /// key given twice keeps the metadata of its last occurrence).
  static cert_store from_certificates(std::span<const certificate> certs,
                                      cert_store_options options = {});

  cert_store(cert_store&& other) noexcept;
  cert_store& operator=(cert_store&& other) noexcept;
  cert_store(const cert_store&) = delete;
  cert_store& operator=(const cert_store&) = delete;
  /// Stops the follower (promptly, even in the middle of reading a large folder).
  ~cert_store();

  /// The latest snapshot. Never null (except for a moved-from store). Readers share a mutex
  /// with the publisher for the time of a pointer copy only, never for a reload.
  std::shared_ptr<const snapshot> current() const noexcept;

  /// The generation of current(), read without a lock (one atomic load): a thread that keeps a
  /// snapshot calls current() again only when this differs from the snapshot's generation().
  std::uint64_t generation() const noexcept;

  /// current()->contains(key) / find(key).
  bool contains(std::span<const unsigned char> key) const noexcept;
  bool contains(const public_key& key) const noexcept { return contains(key.bytes()); }
  std::optional<cert_view> find(std::span<const unsigned char> key) const noexcept;
  std::optional<cert_view> find(const public_key& key) const noexcept { return find(key.bytes()); }

  /// Re-reads the whole folder now, on the calling thread, publishes the result and returns it.
  /// A folder that cannot be read does not throw: the snapshot keeps the last certificates and
  /// reports it. If the folder came back after its parent went away, it is watched again. For an
  /// in-memory store, returns current().
  std::shared_ptr<const snapshot> reload();

  /// Waits until a snapshot with a generation of at least at_least is published, or timeout
  /// passes; returns whether it was.
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;

  /// In-memory stores only (zmqsec::error otherwise): add or replace keys, or remove one. A call
  /// that changes something publishes a snapshot, which costs time in proportion to the store's
  /// size: add many at once with insert(span) or from_certificates().
  void insert(const public_key& key, const certs::metadata& meta = {});
  void insert(std::span<const certificate> certs);
  bool erase(const public_key& key);  ///< false if the key was not there (nothing published)

  /// The folder (absolute); empty for an in-memory store or an authorized-keys file.
  const std::filesystem::path& folder() const noexcept;
  /// The authorized-keys file (absolute); empty for the other stores.
  const std::filesystem::path& keys_file() const noexcept;

 private:
  explicit cert_store(std::unique_ptr<detail::store_state> state) noexcept;

  std::unique_ptr<detail::store_state> state_;
};

}  // namespace zmqsec::certs
