#include "keys_file_model.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "keys_file_lines.hpp"
#include "keys_file_scan.hpp"
#include "shard_arena.hpp"

namespace zmqsec::certs::detail {
namespace {

constexpr std::uint64_t key_bit = 1;

}  // namespace

// Lines parsed in order, numbered from first_line: their records, problems and keys (with the
// metadata in one arena).
struct keys_file_model::batch {
  struct key_line {
    public_key key;
    std::uint32_t meta_begin;
    std::uint32_t meta_size;
    std::uint32_t record;  // index in records
  };

  explicit batch(std::size_t first) : first_line(first) {}

  void add_line(std::string_view line, bool too_long) {
    const std::size_t number = first_line + records.size();
    const std::uint64_t hash = line_hash(line) & ~key_bit;
    if (too_long) {
      problems.push_back({number, "line of 64 KiB or more"});
      records.push_back({hash, 0});
      return;
    }
    const line_kind kind = parse_key_line(line, key, meta, reason);
    if (kind == line_kind::bad) problems.push_back({number, reason});
    if (kind != line_kind::key) {
      records.push_back({hash, 0});
      return;
    }
    keys.push_back({key, static_cast<std::uint32_t>(arena.size()),
                    static_cast<std::uint32_t>(meta.size()),
                    static_cast<std::uint32_t>(records.size())});
    arena.insert(arena.end(), meta.begin(), meta.end());
    records.push_back({hash | key_bit, keys_file_table::prefix_of(key.data())});
  }

  std::string_view meta_of(const key_line& k) const noexcept {
    return {arena.data() + k.meta_begin, k.meta_size};
  }

  std::size_t first_line;
  big_vector<line_record> records;
  std::vector<problem> problems;
  big_vector<key_line> keys;
  big_vector<char> arena;

 private:
  public_key key;  // scratch of add_line
  big_vector<char> meta;
  std::string reason;
};

struct keys_file_model::window {
  std::size_t begin = 0;    // first line that differs
  std::size_t old_end = 0;  // end of the differing lines in lines_
  std::size_t new_end = 0;  // and in the file
};

keys_file_model::keys_file_model(std::filesystem::path file, bool hold_file)
    : file_(std::move(file)), name_(file_.filename().string()), hold_file_(hold_file) {}

void keys_file_model::hold(line_reader& reader) noexcept {
  if (!hold_file_) return;
  if (read_) replaced_ = std::move(read_);
  read_ = reader.take_file();
}

// The keys are read in shard order, a random walk through the batch (tens of MB at a million
// keys): each asked for this many keys ahead, so that the reads overlap instead of waiting on
// memory one after another (without it, those waits were some 40% of a full load).
constexpr std::size_t gather_ahead = 16;

void keys_file_model::load_all(const std::function<void()>& pause) {
  line_reader reader(file_);
  batch b(1);
  std::string_view line;
  std::uint64_t offset = 0;
  bool too_long = false;
  while (reader.next(line, offset, too_long)) {
    b.add_line(line, too_long);
    if (pause && b.records.size() % 4096 == 0) pause();
  }

  // Keys by shard, in line order within each (a counting sort), so that the first line wins.
  std::array<std::size_t, keys_file_table::shard_count + 1> starts{};
  for (const auto& k : b.keys) ++starts[keys_file_table::shard_of(b.records[k.record].prefix) + 1];
  for (std::size_t s = 1; s < starts.size(); ++s) starts[s] += starts[s - 1];
  big_vector<std::uint32_t> order(b.keys.size());
  auto next = starts;
  for (std::uint32_t i = 0; i < b.keys.size(); ++i) {
    order[next[keys_file_table::shard_of(b.records[b.keys[i].record].prefix)]++] = i;
  }
  // All shards' arrays in one arena (huge pages for a large file).
  std::size_t arena_bytes = 0;
  for (std::size_t s = 0; s < keys_file_table::shard_count; ++s) {
    arena_bytes += key_shard::storage_bytes(starts[s + 1] - starts[s]);
  }
  shard_arena arena(arena_bytes);
  keys_file_table::shard_array shards;
  std::size_t duplicates = 0;
  std::vector<std::uint32_t> key_of_slot;  // per slot of the shard being built
  for (std::size_t s = 0; s < keys_file_table::shard_count; ++s) {
    key_shard shard(starts[s + 1] - starts[s], &arena);
    key_of_slot.assign(shard.slot_count(), 0);
    for (std::size_t i = starts[s]; i < starts[s + 1]; ++i) {
      if (i + gather_ahead < order.size()) __builtin_prefetch(&b.keys[order[i + gather_ahead]]);
      const auto& k = b.keys[order[i]];
      const std::uint32_t existing = shard.add(k.key, b.meta_of(k));
      if (existing == key_table::no_entry) {
        key_of_slot[shard.slot_at(shard.size() - 1)] = order[i];
        continue;
      }
      ++duplicates;
      b.records[k.record].hash &= ~key_bit;
      const std::size_t first = b.keys[key_of_slot[existing]].record + 1;
      b.problems.push_back(
          {k.record + 1, "duplicate of line " + std::to_string(first) + ", whose metadata counts"});
    }
    shards[s] = std::make_shared<const key_shard>(std::move(shard));
    if (pause) pause();
  }
  std::sort(b.problems.begin(), b.problems.end(),
            [](const problem& x, const problem& y) { return x.line < y.line; });

  table_ = std::make_shared<const keys_file_table>(std::move(shards), name_, b.keys.size());
  lines_ = std::move(b.records);
  problems_ = std::move(b.problems);
  duplicates_ = duplicates;
  key_lines_ = b.keys.size();
  incremental_ = false;
  hold(reader);
}

bool keys_file_model::update(const std::function<void()>& load_in_full) {
  const auto reload = [&] {
    if (load_in_full) {
      load_in_full();
    } else {
      load_all();
    }
  };
  if (read_) replaced_ = std::move(read_);  // not held if it cannot be read now
  line_reader reader(file_);
  const changed_window found =
      find_changed_window(reader.fd(), reader.size_at_open(), lines_, file_);
  if (found.unchanged()) {
    hold(reader);
    return false;
  }
  window w{found.begin, found.old_end, 0};
  const std::size_t most = std::max<std::size_t>(4096, lines_.size() / 8);
  const std::uint64_t window_bytes = found.end_offset - found.begin_offset;
  if (duplicates_ > 0 || w.old_end - w.begin > most ||
      window_bytes > std::max<std::uint64_t>(1 << 20, reader.size_at_open() / 8)) {
    reload();
    return true;
  }
  const std::string text =
      reader.read_at(found.begin_offset, static_cast<std::size_t>(window_bytes));
  batch b(w.begin + 1);
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t newline = text.find('\n', pos);
    const std::size_t stop = newline == std::string::npos ? text.size() : newline;
    const std::string_view piece(text.data() + pos, stop - pos);
    b.add_line(piece.substr(0, max_line_size), piece.size() >= max_line_size);
    pos = stop + 1;
  }
  w.new_end = w.begin + b.records.size();
  // Written while it was read (what was compared may not be what was parsed): read again whole.
  // The write's own change event comes next and finds the lines as they are then.
  if (reader.changed_since_open() || (w.old_end - w.begin) + b.records.size() > most ||
      !apply(w, b)) {
    reload();
    return true;
  }
  incremental_ = true;
  hold(reader);
  return true;
}

// Removes the keys of lines_[w.begin, w.old_end) and adds those of b, copying only the shards
// they belong to. False, with nothing changed, if that cannot be done exactly (a key that is
// already there, a removed line's prefix found on more or fewer than one entry).
bool keys_file_model::apply(const window& w, batch& b) {
  struct shard_change {
    std::vector<std::uint64_t> removed;  // prefixes
    std::vector<std::uint32_t> added;    // indexes in b.keys
  };
  std::map<std::size_t, shard_change> changes;
  std::size_t removed_keys = 0;
  for (std::size_t i = w.begin; i < w.old_end; ++i) {
    if ((lines_[i].hash & key_bit) == 0) continue;
    changes[keys_file_table::shard_of(lines_[i].prefix)].removed.push_back(lines_[i].prefix);
    ++removed_keys;
  }
  for (std::uint32_t i = 0; i < b.keys.size(); ++i) {
    changes[keys_file_table::shard_of(b.records[b.keys[i].record].prefix)].added.push_back(i);
  }
  keys_file_table::shard_array shards = table_->shards();
  for (const auto& [s, change] : changes) {
    const key_shard& old = *shards[s];
    std::vector<bool> gone(old.size());
    for (const std::uint64_t prefix : change.removed) {
      std::size_t matches = 0;
      std::size_t hit = 0;
      for (std::size_t j = 0; j < old.size(); ++j) {
        if (gone[j] || keys_file_table::prefix_of(old.key_at(old.slot_at(j)).data()) != prefix) {
          continue;
        }
        ++matches;
        hit = j;
      }
      if (matches != 1) return false;
      gone[hit] = true;
    }
    key_shard next(old.size() - change.removed.size() + change.added.size());
    for (std::size_t j = 0; j < old.size(); ++j) {
      if (!gone[j]) next.add(old.key_at(old.slot_at(j)), old.meta_of(old.slot_at(j)));
    }
    for (const std::uint32_t i : change.added) {
      if (next.add(b.keys[i].key, b.meta_of(b.keys[i])) != key_table::no_entry) return false;
    }
    shards[s] = std::make_shared<const key_shard>(std::move(next));
  }
  const std::size_t lines = lines_.size() - (w.old_end - w.begin) + b.records.size();
  if (lines > lines_.capacity()) lines_.reserve(std::max(lines, lines_.size() + lines_.size() / 8));
  auto table = std::make_shared<const keys_file_table>(std::move(shards), name_,
                                                       key_lines_ - removed_keys + b.keys.size());
  key_lines_ = table->file_count();
  table_ = std::move(table);
  commit_window(w, b);
  return true;
}

// The line records and problems after the window was replaced by b's lines.
void keys_file_model::commit_window(const window& w, batch& b) {
  // In place (apply() reserved the room): a copy would fault in 16 bytes a line afresh.
  const auto first = lines_.begin() + static_cast<std::ptrdiff_t>(w.begin);
  lines_.erase(first, lines_.begin() + static_cast<std::ptrdiff_t>(w.old_end));
  lines_.insert(lines_.begin() + static_cast<std::ptrdiff_t>(w.begin), b.records.begin(),
                b.records.end());

  std::vector<problem> problems;
  for (auto& p : problems_) {
    if (p.line <= w.begin) problems.push_back(std::move(p));
  }
  for (auto& p : b.problems) problems.push_back(std::move(p));
  for (auto& p : problems_) {
    if (p.line > w.old_end) {
      p.line = p.line - w.old_end + w.new_end;
      problems.push_back(std::move(p));
    }
  }
  problems_ = std::move(problems);
}

std::vector<file_problem> keys_file_model::problems() const {
  std::vector<file_problem> out;
  out.reserve(problems_.size());
  for (const auto& p : problems_) out.push_back({file_, p.reason, p.line});
  return out;
}

}  // namespace zmqsec::certs::detail
