#include "layered_table.hpp"

#include <algorithm>
#include <limits>

namespace zmqsec::certs::detail {

std::shared_ptr<const layered_table> layered_table::layer(std::shared_ptr<const cert_table> base,
                                                          const change_set& pending) {
  // With one file per key, entry i of a table is file i: names order both.
  if (base->file_count() != base->size() ||
      base->size() >= std::numeric_limits<std::int32_t>::max())
    return nullptr;
  auto built = cert_table::build(nullptr, pending, false);
  if (!built.duplicates.empty()) return nullptr;
  std::shared_ptr<layered_table> t(new layered_table());
  for (const auto& item : pending.items()) {
    const std::size_t file = base->find_file(pending.name(item));
    if (file != cert_table::no_file) t->hidden_.push_back(base->file_at(file).entry);
  }
  std::ranges::sort(t->hidden_);
  t->base_ = std::move(base);
  t->top_ = std::move(built.table);
  t->top_id_ = static_cast<std::uint32_t>(t->base_->size());
  const cert_table& top = *t->top_;
  t->top_positions_.reserve(top.size());
  for (std::size_t j = 0; j < top.size(); ++j) {
    const cert_table::entry* in_base = t->base_->find(top.entry_at(j).key.data());
    if (in_base != nullptr && !t->hidden(t->base_->index_of(*in_base))) return nullptr;
    const std::size_t before = t->base_->first_file_not_before(top.file_name(j));
    const auto hidden_before =
        static_cast<std::size_t>(std::ranges::lower_bound(t->hidden_, before) - t->hidden_.begin());
    t->top_positions_.push_back(j + before - hidden_before);
  }
  return t;
}

bool layered_table::hidden(std::uint32_t base_entry) const noexcept {
  return std::ranges::binary_search(hidden_, base_entry);
}

std::uint32_t layered_table::find_id(const unsigned char* key) const noexcept {
  if (const auto* e = top_->find(key); e != nullptr) return top_id_ + top_->index_of(*e);
  const auto* e = base_->find(key);
  if (e == nullptr) return no_entry;
  const std::uint32_t id = base_->index_of(*e);
  return hidden_.empty() || !hidden(id) ? id : no_entry;
}

std::uint32_t layered_table::visible_base_entry(std::size_t index) const noexcept {
  // The smallest entry e with e - (hidden entries <= e) == index: step up past the hidden ones
  // until the count settles.
  std::size_t e = index;
  for (;;) {
    const auto below =
        static_cast<std::size_t>(std::ranges::upper_bound(hidden_, e) - hidden_.begin());
    if (index + below == e) return static_cast<std::uint32_t>(e);
    e = index + below;
  }
}

std::uint32_t layered_table::id_at(std::size_t index) const noexcept {
  const auto at = std::ranges::lower_bound(top_positions_, index);
  if (at != top_positions_.end() && *at == index) {
    return top_id_ + static_cast<std::uint32_t>(at - top_positions_.begin());
  }
  return visible_base_entry(index - static_cast<std::size_t>(at - top_positions_.begin()));
}

const public_key& layered_table::key_of(std::uint32_t id) const noexcept {
  return table_of(id).key_of(entry_of(id));
}

void layered_table::visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const {
  table_of(id).visit_meta(entry_of(id), visitor, context);
}

std::string_view layered_table::source_name(std::uint32_t id) const noexcept {
  return table_of(id).source_name(entry_of(id));
}

}  // namespace zmqsec::certs::detail
