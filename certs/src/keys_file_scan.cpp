#include "keys_file_scan.hpp"

#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <vector>

#include <zmqsec/core/worker.hpp>
#include <zmqsec/error.hpp>

#include "keys_file_lines.hpp"

namespace zmqsec::certs::detail {
namespace {

// A claim: large enough for a line of max_line_size to fit whole, small enough to stay in the
// core's cache between the kernel's copy and the hashing.
constexpr std::size_t piece_size = 128 * 1024;
static_assert(piece_size > max_line_size);

using records = std::span<const keys_file_model::line_record>;

bool same_line(std::string_view line, const keys_file_model::line_record& record,
               std::uint64_t seed) noexcept {
  return (line_hash(line.substr(0, max_line_size), seed) >> 1) == (record.hash >> 1);
}

// Calls at_newline(p) for each newline p in [begin, end), in order, while it returns true;
// false if it returned false. Lines of keys are short (41 bytes): a memchr() call a line costs
// more than a mask of the newlines of 64 bytes at a time (SSE2: every x86-64 processor), which
// found the newlines of a million lines in 2-3 ms instead of 5-6 ms on the 2-core VM.
template <class Function>
bool for_each_newline(const char* begin, const char* end, Function&& at_newline) {
  const char* p = begin;
#if defined(__SSE2__)
  const __m128i newline = _mm_set1_epi8('\n');
  const auto mask_of = [&](const char* at) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    return static_cast<std::uint64_t>(
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, newline))));
  };
  for (; end - p >= 64; p += 64) {
    std::uint64_t mask =
        mask_of(p) | mask_of(p + 16) << 16 | mask_of(p + 32) << 32 | mask_of(p + 48) << 48;
    for (; mask != 0; mask &= mask - 1) {
      if (!at_newline(p + __builtin_ctzll(mask))) return false;
    }
  }
#endif
  for (; p < end; ++p) {
    if (*p == '\n' && !at_newline(p)) return false;
  }
  return true;
}

// Reads up to size bytes at offset; fewer only at the end of the file.
std::size_t read_at(int fd, char* out, std::uint64_t offset, std::size_t size,
                    const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got == 0) {
      break;
    } else if (errno != EINTR) {
      const int code = errno;
      throw zmqsec::error(std::error_code(code, std::generic_category()),
                          path.string() + ": cannot read: " + std::strerror(code));
    }
  }
  return done;
}

// Where the two sides stand. Each claims the next piece of the file next to the bytes it has
// compared; a side finds nothing left to claim when the other holds the bytes ahead of it, and
// then waits until that side stops (at a difference or at the bytes this one compared) or waits
// too; a side that waits lets the other run on to its position. A side that stops or waits
// gives the start of the first line it has not compared (the front) or the start of the last
// one it has (the back): lines are never compared by both, and the line cut by the boundary
// between their claims is compared by the one that goes on.
class meeting {
 public:
  explicit meeting(std::uint64_t size) : back_begin_(size), back_pos_(size) {}

  // The front, at pos (a line start): the end of its next piece, beyond after (the end of a
  // piece that held no whole line: the back claimed what follows); pos if it is to stop.
  std::uint64_t front_claim(std::uint64_t pos, std::uint64_t after) {
    std::unique_lock lock(mutex_);
    for (;;) {
      const bool held = back_ == side::running;
      const std::uint64_t end = std::min(pos + piece_size, held ? back_begin_ : back_pos_);
      if (!abandoned_ && end > std::max(pos, after)) {
        front_end_ = std::max(front_end_, end);
        front_ = side::running;
        return end;
      }
      front_pos_ = pos;
      if (abandoned_ || !held) {
        front_ = side::stopped;
        changed_.notify_all();
        return pos;
      }
      front_ = side::waiting;
      changed_.notify_all();
      changed_.wait(lock);
    }
  }

  // The back, at pos (a line start or the end): the start of its next piece, before before
  // (the start of a piece that held no line start: the front claimed what precedes); pos if
  // it is to stop. starts_line: that start is a line start (it need not look for one).
  std::uint64_t back_claim(std::uint64_t pos, std::uint64_t before, bool& starts_line) {
    std::unique_lock lock(mutex_);
    for (;;) {
      const bool held = front_ == side::running;
      const std::uint64_t lower = held ? front_end_ : front_pos_;
      const std::uint64_t begin = std::max(lower, pos > piece_size ? pos - piece_size : 0);
      if (!abandoned_ && begin < std::min(pos, before)) {
        back_begin_ = std::min(back_begin_, begin);
        back_ = side::running;
        starts_line = begin == 0 || (!held && begin == front_pos_);
        return begin;
      }
      back_pos_ = pos;
      if (abandoned_ || !held) {
        back_ = side::stopped;
        changed_.notify_all();
        return pos;
      }
      back_ = side::waiting;
      changed_.notify_all();
      changed_.wait(lock);
    }
  }

  // A side found a difference: the other may run on to pos.
  void front_stop(std::uint64_t pos) { stop(front_, front_pos_, pos); }
  void back_stop(std::uint64_t pos) { stop(back_, back_pos_, pos); }

  // A side failed: the other stops at its next claim.
  void abandon() noexcept {
    std::lock_guard lock(mutex_);
    abandoned_ = true;
    changed_.notify_all();
  }

 private:
  enum class side { running, waiting, stopped };

  void stop(side& who, std::uint64_t& where, std::uint64_t pos) {
    std::lock_guard lock(mutex_);
    who = side::stopped;
    where = pos;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  side front_ = side::running;
  side back_ = side::waiting;    // until it claims: the front may read on to the end
  std::uint64_t front_end_ = 0;  // the front claimed [0, front_end_)
  std::uint64_t back_begin_;     // the back claimed [back_begin_, size)
  std::uint64_t front_pos_ = 0;  // where a waiting or stopped side stands
  std::uint64_t back_pos_;
  bool abandoned_ = false;
};

// What a side found: lines equal, and where they end (front) or begin (back).
struct side_result {
  std::size_t lines = 0;
  std::uint64_t offset = 0;
};

// The offset after the newline that ends the line going on at from; the end if none does.
std::uint64_t after_line_end(int fd, std::uint64_t from, char* buffer,
                             const std::filesystem::path& path) {
  for (;;) {
    const std::size_t got = read_at(fd, buffer, from, piece_size, path);
    const auto* newline = static_cast<const char*>(std::memchr(buffer, '\n', got));
    if (newline != nullptr) return from + static_cast<std::uint64_t>(newline - buffer) + 1;
    from += got;
    if (got < piece_size) return from;
  }
}

// The offset after count more newlines from from (the end if fewer follow).
std::uint64_t after_lines(int fd, std::uint64_t from, std::size_t count, char* buffer,
                          const std::filesystem::path& path) {
  while (count > 0) {
    const std::size_t got = read_at(fd, buffer, from, piece_size, path);
    std::size_t at = 0;
    while (count > 0) {
      const auto* newline = static_cast<const char*>(std::memchr(buffer + at, '\n', got - at));
      if (newline == nullptr) break;
      at = static_cast<std::size_t>(newline - buffer) + 1;
      --count;
    }
    from += count == 0 ? at : got;
    if (got < piece_size) break;
  }
  return from;
}

class front_side {
 public:
  front_side(int fd, std::uint64_t size, records lines, meeting& m,
             const std::filesystem::path& path)
      : fd_(fd),
        size_(size),
        lines_(lines),
        meeting_(m),
        path_(path),
        buffer_(new char[piece_size]) {}

  side_result run() {
    std::uint64_t after = 0;  // see meeting::front_claim()
    for (;;) {
      const std::uint64_t end = meeting_.front_claim(pos_, after);
      if (end == pos_) return {count_, pos_};
      const std::size_t want = static_cast<std::size_t>(end - pos_);
      const std::size_t got = read_at(fd_, buffer_.get(), pos_, want, path_);
      const std::uint64_t start = pos_;
      if (!compare_lines(got)) return stop();
      const std::size_t rest = static_cast<std::size_t>(start + got - pos_);
      if (got < want) return stop();  // cut short since it was opened
      if (rest > 0 && (end == size_ || rest >= max_line_size)) {
        // The last line, without a newline, or one too long to hold: its first bytes count.
        const std::string_view line(buffer_.get() + (pos_ - start), rest);
        if (!next_is(line)) return stop();
        pos_ = end == size_ ? size_ : after_line_end(fd_, pos_ + rest, buffer_.get(), path_);
      }
      after = pos_ == start ? end : 0;
    }
  }

 private:
  // Compares the whole lines of the got bytes read at pos_, moving pos_ past the equal ones.
  bool compare_lines(std::size_t got) {
    const char* const base = buffer_.get();
    const char* at = base;
    const bool equal = for_each_newline(base, base + got, [&](const char* newline) {
      if (!next_is({at, static_cast<std::size_t>(newline - at)})) return false;
      at = newline + 1;
      return true;
    });
    pos_ += static_cast<std::uint64_t>(at - base);
    return equal;
  }

  bool next_is(std::string_view line) {
    if (count_ == lines_.size() || !same_line(line, lines_[count_], seed_)) return false;
    ++count_;
    return true;
  }

  side_result stop() {
    meeting_.front_stop(pos_);
    return {count_, pos_};
  }

  const int fd_;
  const std::uint64_t size_;
  const records lines_;
  meeting& meeting_;
  const std::filesystem::path& path_;
  std::unique_ptr<char[]> buffer_;
  const std::uint64_t seed_ = process_seed();
  std::uint64_t pos_ = 0;  // the start of the first line not compared
  std::size_t count_ = 0;  // lines equal
};

class back_side {
 public:
  back_side(int fd, std::uint64_t size, records lines, meeting& m,
            const std::filesystem::path& path)
      : fd_(fd),
        lines_(lines),
        meeting_(m),
        path_(path),
        buffer_(new char[piece_size]),
        pos_(size) {}

  side_result run() {
    std::uint64_t before = pos_;  // see meeting::back_claim()
    for (;;) {
      bool starts_line = false;
      const std::uint64_t begin = meeting_.back_claim(pos_, before, starts_line);
      if (begin == pos_) return {count_, pos_};
      const auto want = static_cast<std::size_t>(pos_ - begin);
      if (read_at(fd_, buffer_.get(), begin, want, path_) < want) return stop();  // cut short
      std::size_t first = 0;
      if (!starts_line) {
        // The piece starts within a line: its lines start after the first newline (not the one
        // that ends the piece).
        const auto* newline = static_cast<const char*>(std::memchr(buffer_.get(), '\n', want - 1));
        if (newline == nullptr && want >= max_line_size) return stop();  // too long to compare
        before = newline == nullptr ? begin : pos_;
        if (newline == nullptr) continue;
        first = static_cast<std::size_t>(newline - buffer_.get()) + 1;
      }
      if (!compare_lines(begin, first, want)) return stop();
      before = pos_;
    }
  }

 private:
  // Compares the lines in buffer_[first, size) (read at begin) from the last, moving pos_ down
  // to the start of the last equal one. Their starts are found forwards (64 bytes at a time,
  // instead of a backwards search a line) and kept for the piece only.
  bool compare_lines(std::uint64_t begin, std::size_t first, std::size_t size) {
    const char* const base = buffer_.get();
    starts_.clear();
    starts_.push_back(static_cast<std::uint32_t>(first));
    for_each_newline(base + first, base + size - 1, [&](const char* newline) {
      starts_.push_back(static_cast<std::uint32_t>(newline - base + 1));
      return true;
    });
    std::size_t end = size;  // of the line compared next, its newline included
    for (std::size_t j = starts_.size(); j-- > 0;) {
      const std::size_t start = starts_[j];
      const std::size_t length = end - start - (base[end - 1] == '\n' ? 1 : 0);
      if (length >= max_line_size || count_ == lines_.size() ||
          !same_line({base + start, length}, lines_[lines_.size() - 1 - count_], seed_)) {
        return false;
      }
      ++count_;
      pos_ = begin + start;
      end = start;
    }
    return true;
  }

  side_result stop() {
    meeting_.back_stop(pos_);
    return {count_, pos_};
  }

  const int fd_;
  const records lines_;
  meeting& meeting_;
  const std::filesystem::path& path_;
  std::unique_ptr<char[]> buffer_;
  const std::uint64_t seed_ = process_seed();
  std::vector<std::uint32_t> starts_;  // of the lines of a piece
  std::uint64_t pos_;                  // the start of the last line equal (the end at first)
  std::size_t count_ = 0;              // lines equal
};

// Both sides, the back on a second thread; one after the other if there is no thread to be had.
void run_both(front_side& front, back_side& back, meeting& m, side_result& f, side_result& b) {
  core::worker helper;
  try {
    helper.start(
        "zmqsec-keyscan",
        [&](const core::stop_view&) {
          try {
            b = back.run();
          } catch (...) {
            m.abandon();
            throw;
          }
        },
        [](std::exception_ptr) {});  // rethrown below from failure()
  } catch (const zmqsec::error&) {
    f = front.run();
    b = back.run();
    return;
  }
  try {
    f = front.run();
  } catch (...) {
    m.abandon();
    throw;  // the helper's destructor joins it
  }
  helper.stop();  // the body ignores the request: it ends when the back side does
  if (const auto failure = helper.failure()) std::rethrow_exception(failure);
}

}  // namespace

changed_window find_changed_window(int fd, std::uint64_t size, records lines,
                                   const std::filesystem::path& path) {
  meeting m(size);
  front_side front(fd, size, lines, m, path);
  back_side back(fd, size, lines, m, path);
  side_result f;
  side_result b;
  if (size >= two_sided_scan_from) {
    run_both(front, back, m, f, b);
  } else {
    f = front.run();  // to a difference or the end: the back is not running yet
    b = back.run();   // down to the front's stop
  }
  changed_window w;
  w.begin = f.lines;
  w.begin_offset = f.offset;
  w.end_offset = b.offset;
  if (f.lines + b.lines > lines.size()) {
    // Lines the two sides both matched to the same loaded lines (from [A, B] to [A, A, B], the
    // front matched the first A and the back the second): the end keeps those it can.
    const std::size_t extra = f.lines + b.lines - lines.size();
    std::unique_ptr<char[]> buffer(new char[piece_size]);
    w.end_offset = after_lines(fd, b.offset, extra, buffer.get(), path);
    b.lines -= extra;
  }
  w.old_end = lines.size() - b.lines;
  if (w.end_offset < w.begin_offset) {  // cannot happen: the claims never cross; a full load
    return {0, lines.size(), 0, size};
  }
  return w;
}

}  // namespace zmqsec::certs::detail
