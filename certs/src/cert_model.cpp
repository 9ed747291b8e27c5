#include "cert_model.hpp"

#include <algorithm>

namespace zmqsec::certs::detail {

bool cert_model::is_bad(std::string_view name, const std::string** reason) const {
  const auto b = std::lower_bound(bad_.begin(), bad_.end(), name,
                                  [](const auto& p, std::string_view n) { return p.first < n; });
  if (b == bad_.end() || b->first != name) return false;
  *reason = &b->second;
  return true;
}

bool cert_model::changes_anything(const change_set& changes) const {
  for (const auto& item : changes.items()) {
    const auto name = changes.name(item);
    const std::size_t file = table_ ? table_->find_file(name) : cert_table::no_file;
    const bool had_file = file != cert_table::no_file;
    const std::string* reason = nullptr;
    const bool was_bad = is_bad(name, &reason);
    switch (item.what) {
      case change_set::kind::loaded:
        if (!had_file) return true;
        if (table_->entry_at(table_->file_at(file).entry).key != item.key) return true;
        if (table_->file_meta(file) != changes.meta(item)) return true;
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
  bad_list next_bad;
  auto old = full ? bad_.end() : bad_.begin();
  for (const auto& item : changes.items()) {
    const auto name = changes.name(item);
    for (; old != bad_.end() && old->first < name; ++old) next_bad.push_back(std::move(*old));
    if (old != bad_.end() && old->first == name) ++old;  // replaced by this change
    if (item.what == change_set::kind::bad) next_bad.emplace_back(name, changes.reason(item));
  }
  for (; old != bad_.end(); ++old) next_bad.push_back(std::move(*old));
  table_ = std::move(built.table);
  duplicates_ = std::move(built.duplicates);
  bad_ = std::move(next_bad);
}

bool cert_model::apply_incremental(change_set& changes) {
  changes.finish();  // again after finish() is harmless
  if (!changes_anything(changes)) return false;
  apply(changes, false);
  return true;
}

bool cert_model::same_as(const cert_model& other) const {
  return table_ && other.table_ && table_->same_content(*other.table_) && bad_ == other.bad_ &&
         duplicates_ == other.duplicates_;
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
