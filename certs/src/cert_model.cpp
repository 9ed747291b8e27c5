#include "cert_model.hpp"

#include <algorithm>

#include "layered_table.hpp"

namespace zmqsec::certs::detail {

bool cert_model::is_bad(std::string_view name, const std::string** reason) const {
  const auto b = std::lower_bound(bad_.begin(), bad_.end(), name,
                                  [](const auto& p, std::string_view n) { return p.first < n; });
  if (b == bad_.end() || b->first != name) return false;
  *reason = &b->second;
  return true;
}

std::size_t cert_model::max_pending(std::size_t files) noexcept {
  // A full build costs about 0.3 to 1 us a file, a layered one a few us per pending change (a
  // million files: 2 ms with 4,000 pending, 30 ms with 15,000). Merging past 1/64 of the files,
  // at most 4096, keeps a change to a folder of a million within a few milliseconds.
  return std::clamp<std::size_t>(files / 64, 256, 4096);
}

std::size_t cert_model::size() const noexcept {
  if (layered_) return layered_->size();
  return table_ ? table_->size() : 0;
}

bool cert_model::file_in_table(std::string_view name, public_key& key,
                               std::string_view& meta) const {
  const auto items = pending_.items();
  const auto it = std::lower_bound(
      items.begin(), items.end(), name,
      [this](const change_set::item& i, std::string_view n) { return pending_.name(i) < n; });
  if (it != items.end() && pending_.name(*it) == name) {
    if (it->what != change_set::kind::loaded) return false;
    key = it->key;
    meta = pending_.meta(*it);
    return true;
  }
  const std::size_t file = table_ ? table_->find_file(name) : cert_table::no_file;
  if (file == cert_table::no_file) return false;
  key = table_->entry_at(table_->file_at(file).entry).key;
  meta = table_->file_meta(file);
  return true;
}

bool cert_model::has_file(std::string_view name) const noexcept {
  public_key key;
  std::string_view meta;
  return file_in_table(name, key, meta);
}

bool cert_model::changes_anything(const change_set& changes) const {
  for (const auto& item : changes.items()) {
    const auto name = changes.name(item);
    public_key key;
    std::string_view meta;
    const bool had_file = file_in_table(name, key, meta);
    const std::string* reason = nullptr;
    const bool was_bad = is_bad(name, &reason);
    switch (item.what) {
      case change_set::kind::loaded:
        if (!had_file || key != item.key || meta != changes.meta(item)) return true;
        break;
      case change_set::kind::bad:
        if (!was_bad || *reason != changes.reason(item)) return true;
        break;
      case change_set::kind::absent:
        if (had_file || was_bad) return true;
        break;
    }
  }
  return false;
}

void cert_model::apply(const change_set& changes, bool full) {
  auto built = cert_table::build(full ? nullptr : table_.get(), changes, in_memory_);
  merge_bad(changes, full);
  table_ = std::move(built.table);
  duplicates_ = std::move(built.duplicates);
  pending_ = change_set();
  layered_.reset();
}

void cert_model::merge_bad(const change_set& changes, bool full) {
  bad_list next_bad;
  auto old = full ? bad_.end() : bad_.begin();
  for (const auto& item : changes.items()) {
    const auto name = changes.name(item);
    for (; old != bad_.end() && old->first < name; ++old) next_bad.push_back(std::move(*old));
    if (old != bad_.end() && old->first == name) ++old;  // replaced by this change
    if (item.what == change_set::kind::bad) next_bad.emplace_back(name, changes.reason(item));
  }
  for (; old != bad_.end(); ++old) next_bad.push_back(std::move(*old));
  bad_ = std::move(next_bad);
}

// Lays the pending changes and these over the full table; false when they cannot be layered.
bool cert_model::apply_layered(const change_set& changes) {
  if (in_memory_ || !table_ || !duplicates_.empty()) return false;
  change_set next = pending_;
  next.append(changes);
  next.finish();
  if (next.items().size() > 4 * max_pending(table_->file_count())) return false;
  auto layered = layered_table::layer(table_, next);
  if (!layered) return false;
  merge_bad(changes, false);
  pending_ = std::move(next);
  layered_ = std::move(layered);
  return true;
}

bool cert_model::apply_incremental(change_set& changes) {
  changes.finish();  // again after finish() is harmless
  if (!changes_anything(changes)) return false;
  if (apply_layered(changes)) return true;
  // Built in full: the pending changes first, then these (the later change to a name wins).
  change_set all = std::move(pending_);
  all.append(changes);
  all.finish();
  apply(all, false);
  return true;
}

void cert_model::merge() {
  if (!layered_) return;
  auto built = cert_table::build(table_.get(), pending_, in_memory_);
  table_ = std::move(built.table);
  duplicates_ = std::move(built.duplicates);  // none: layering holds only without duplicates
  pending_ = change_set();
  layered_.reset();
}

std::shared_ptr<const cert_table> cert_model::flat_table() const {
  if (!layered_) return table_;
  return cert_table::build(table_.get(), pending_, in_memory_).table;
}

bool cert_model::same_as(const cert_model& other) const {
  if (!table_ || !other.table_ || bad_ != other.bad_ || duplicates_ != other.duplicates_) {
    return false;
  }
  return flat_table()->same_content(*other.flat_table());
}

std::vector<file_problem> cert_model::problems(const std::filesystem::path& dir,
                                               const std::string& folder_problem) const {
  std::vector<file_problem> problems;
  problems.reserve(bad_.size() + duplicates_.size() + 1);
  if (!folder_problem.empty()) problems.push_back({dir, folder_problem});
  auto b = bad_.begin();
  auto d = duplicates_.begin();
  while (b != bad_.end() || d != duplicates_.end()) {
    const bool take_bad = d == duplicates_.end() || (b != bad_.end() && b->first < d->first);
    const auto& [name, reason] = take_bad ? *b++ : *d++;
    problems.push_back({dir / name, reason});
  }
  return problems;
}

}  // namespace zmqsec::certs::detail
