// PLAIN password tables: parsing (files and in-memory lists), constant-time checks.
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/core/file_read.hpp>

#include <sodium.h>

#include <array>
#include <string>
#include <unordered_map>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/certs/secure_memory.hpp>

namespace zmqsec::auth {

namespace {

using certs::secret_string;

constexpr std::size_t digest_size = crypto_generichash_BYTES;  // 32
static_assert(crypto_generichash_KEYBYTES == 32);
constexpr std::size_t max_field_size = 255;

bool is_hash(std::string_view password) noexcept {
  return password.starts_with("$argon2id$") || password.starts_with("$argon2i$");
}

// The cost parameters of an argon2 hash ("$argon2id$v=19$m=65536,t=2,p=1$salt$hash"): memory in
// KiB and passes. Called on hashes libsodium has decoded already.
bool hash_costs(std::string_view hash, std::uint64_t& memory_kib, std::uint64_t& passes) noexcept {
  auto number_after = [&](std::string_view key, std::uint64_t& out) {
    const std::size_t at = hash.find(key);
    if (at == std::string_view::npos) return false;
    out = 0;
    std::size_t i = at + key.size();
    if (i >= hash.size() || hash[i] < '0' || hash[i] > '9') return false;
    for (; i < hash.size() && hash[i] >= '0' && hash[i] <= '9'; ++i) {
      if (out > (std::uint64_t{1} << 40)) return false;
      out = out * 10 + static_cast<std::uint64_t>(hash[i] - '0');
    }
    return true;
  };
  return number_after("$m=", memory_kib) && number_after(",t=", passes);
}

// Bounds on what one PLAIN check may cost: libsodium's "sensitive" memory (1 GiB), and passes
// well above any of its presets. A hash beyond them would stall the ZAP handler for seconds.
constexpr std::uint64_t max_hash_memory_kib = crypto_pwhash_MEMLIMIT_SENSITIVE / 1024;
constexpr std::uint64_t max_hash_passes = 16;

// The key of password_table::stamp: one per process, so that stamps of two tables compare.
const secret_string& stamp_key() {
  static const secret_string key = [] {
    certs::ensure_sodium_initialised();
    secret_string k;
    k.resize(crypto_generichash_KEYBYTES);
    crypto_generichash_keygen(reinterpret_cast<unsigned char*>(k.data()));
    return k;
  }();
  return key;
}

password_stamp stamp_of(std::string_view written) noexcept {
  const secret_string& key = stamp_key();
  password_stamp out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(written.data()),
                     written.size(), reinterpret_cast<const unsigned char*>(key.data()),
                     key.size());
  return out;
}

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

}  // namespace

namespace detail {

/// The stored form of one user's password: a keyed digest or an argon2 hash. Lives in wiped
/// memory (the vector's wiping allocator, and secret_string for the hash).
struct password_secret {
  password_secret() = default;
  password_secret(password_secret&&) = default;
  password_secret& operator=(password_secret&&) = default;
  // The one made on the stack while parsing is wiped too, not only the vector's.
  ~password_secret() { sodium_memzero(digest.data(), digest.size()); }

  std::array<unsigned char, digest_size> digest{};
  secret_string hash;  // non-empty: an argon2 hash to verify with crypto_pwhash_str_verify
};

class password_data {
 public:
  password_data() {
    certs::ensure_sodium_initialised();
    key_.resize(crypto_generichash_KEYBYTES);
    crypto_generichash_keygen(reinterpret_cast<unsigned char*>(key_.data()));
  }

  // Validates and adds one entry; returns an error text or an empty string. position is the line
  // (unit "line") or entry (unit "entry") number, for the duplicate message.
  std::string add(std::string_view user, std::string_view password, std::size_t position,
                  std::string_view unit) {
    if (user.empty()) return "empty user name";
    if (is_blank(user.front()) || is_blank(user.back())) {
      return "blanks around the user name (write user=password without spaces)";
    }
    for (char c : user) {
      if (is_control(c)) return "control character in the user name";
    }
    if (user.size() > max_field_size) return "user name longer than 255 bytes";
    password_secret secret;
    if (is_hash(password)) {
      if (password.size() >= crypto_pwhash_STRBYTES) return "argon2 hash too long";
      secret.hash.assign(password);
      if (crypto_pwhash_str_needs_rehash(secret.hash.c_str(), crypto_pwhash_OPSLIMIT_MIN,
                                         crypto_pwhash_MEMLIMIT_MIN) == -1) {
        return "malformed argon2 hash";
      }
      std::uint64_t memory_kib = 0;
      std::uint64_t passes = 0;
      if (!hash_costs(password, memory_kib, passes)) return "malformed argon2 hash";
      if (memory_kib > max_hash_memory_kib || passes > max_hash_passes) {
        return "argon2 hash too costly to verify (at most m=" +
               std::to_string(max_hash_memory_kib) + ", t=" + std::to_string(max_hash_passes) + ")";
      }
    } else {
      if (password.size() > max_field_size) return "password longer than 255 bytes";
      digest(password, secret.digest);
    }
    auto [it, inserted] =
        users_.try_emplace(std::string(user), secrets_.size(), position, stamp_of(password));
    if (!inserted) {
      return "user \"" + std::string(user) + "\" listed twice (first at " + std::string(unit) +
             " " + std::to_string(it->second.position) + ")";
    }
    secrets_.push_back(std::move(secret));
    if (!secrets_.back().hash.empty() && first_hash_ == npos) first_hash_ = secrets_.size() - 1;
    return {};
  }

  password_check check(std::string_view user, std::string_view password) const noexcept {
    const auto it = users_.find(user);
    if (it == users_.end()) {
      // Spend what a known user would cost, so that timing does not tell which users exist.
      if (first_hash_ != npos) {
        (void)verify(secrets_[first_hash_], password);
      } else {
        std::array<unsigned char, digest_size> ignored;
        (void)verify_digest(dummy_, password, ignored);
      }
      return password_check::unknown_user;
    }
    return verify(secrets_[it->second.index], password) ? password_check::ok
                                                        : password_check::wrong_password;
  }

  bool contains(std::string_view user) const noexcept { return users_.find(user) != users_.end(); }
  std::optional<password_stamp> stamp(std::string_view user) const noexcept {
    const auto it = users_.find(user);
    if (it == users_.end()) return std::nullopt;
    return it->second.stamp;
  }
  std::size_t size() const noexcept { return users_.size(); }

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  struct user_entry {
    user_entry(std::size_t i, std::size_t p, const password_stamp& s) noexcept
        : index(i), position(p), stamp(s) {}
    std::size_t index;
    std::size_t position;
    password_stamp stamp;
  };

  void digest(std::string_view password,
              std::array<unsigned char, digest_size>& out) const noexcept {
    crypto_generichash(out.data(), out.size(),
                       reinterpret_cast<const unsigned char*>(password.data()), password.size(),
                       reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  }

  bool verify_digest(const std::array<unsigned char, digest_size>& stored,
                     std::string_view password,
                     std::array<unsigned char, digest_size>& scratch) const noexcept {
    digest(password, scratch);
    const bool equal = sodium_memcmp(scratch.data(), stored.data(), digest_size) == 0;
    sodium_memzero(scratch.data(), scratch.size());
    return equal;
  }

  bool verify(const password_secret& secret, std::string_view password) const noexcept {
    if (!secret.hash.empty()) {
      return crypto_pwhash_str_verify(secret.hash.c_str(), password.data(), password.size()) == 0;
    }
    std::array<unsigned char, digest_size> scratch;
    return verify_digest(secret.digest, password, scratch);
  }

  secret_string key_;
  std::unordered_map<std::string, user_entry, string_hash, std::equal_to<>> users_;
  std::vector<password_secret, certs::wiping_allocator<password_secret>> secrets_;
  std::array<unsigned char, digest_size> dummy_{};
  std::size_t first_hash_ = npos;
};

}  // namespace detail

// ---- password_file_error ------------------------------------------------------------------------

namespace {

std::string error_text(const std::filesystem::path& path, std::size_t line,
                       const std::string& reason) {
  if (path.empty()) {
    return line == 0 ? "password table: " + reason
                     : "password table entry " + std::to_string(line) + ": " + reason;
  }
  if (line == 0) return path.string() + ": " + reason;
  return path.string() + ":" + std::to_string(line) + ": " + reason;
}

}  // namespace

password_file_error::password_file_error(std::error_code code, std::filesystem::path path,
                                         std::size_t line, const std::string& reason)
    : zmqsec::error(code, error_text(path, line, reason)), path_(std::move(path)), line_(line) {}

std::string_view to_string(password_check result) noexcept {
  switch (result) {
    case password_check::ok:
      return "ok";
    case password_check::unknown_user:
      return "unknown user";
    case password_check::wrong_password:
      break;
  }
  return "wrong password";
}

// ---- password_table -----------------------------------------------------------------------------

password_table::password_table() : data_(std::make_shared<const detail::password_data>()) {}

password_table::password_table(std::initializer_list<entry> users)
    : password_table(std::span<const entry>(users.begin(), users.size())) {}

password_table::password_table(std::span<const entry> users) {
  auto data = std::make_shared<detail::password_data>();
  std::size_t position = 0;
  for (const auto& [user, password] : users) {
    ++position;
    std::string problem = data->add(user, password, position, "entry");
    if (!problem.empty()) {
      throw password_file_error(make_error_code(errc::invalid_argument), {}, position, problem);
    }
  }
  data_ = std::move(data);
}

password_table password_table::parse(std::string_view text, const std::filesystem::path& source) {
  auto data = std::make_shared<detail::password_data>();
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    std::size_t first = 0;
    while (first < line.size() && is_blank(line[first])) ++first;
    if (first == line.size() || line[first] == '#') continue;  // blank line or comment

    const std::size_t equals = line.find('=');
    std::string problem;
    if (equals == std::string_view::npos) {
      problem = "expected user=password";
    } else {
      problem = data->add(line.substr(0, equals), line.substr(equals + 1), line_number, "line");
    }
    if (!problem.empty()) {
      throw password_file_error(make_error_code(errc::invalid_argument), source, line_number,
                                problem);
    }
  }
  password_table table;
  table.data_ = std::move(data);
  return table;
}

password_check password_table::check(std::string_view user,
                                     std::string_view password) const noexcept {
  return data_->check(user, password);
}

bool password_table::contains(std::string_view user) const noexcept {
  return data_->contains(user);
}

std::optional<password_stamp> password_table::stamp(std::string_view user) const noexcept {
  return data_->stamp(user);
}

std::size_t password_table::size() const noexcept {
  return data_->size();
}

// ---- load_password_file -------------------------------------------------------------------------

password_table load_password_file(const std::filesystem::path& path) {
  // core's reader: never blocks on a FIFO or device, regular files only, bounded.
  secret_string text;
  try {
    text = core::read_regular_file<secret_string>(path, max_password_file_size);
  } catch (const core::file_read_error& e) {
    throw password_file_error(e.code(), path, 0, e.reason());
  }
  return password_table::parse(std::string_view(text.data(), text.size()), path);
}

}  // namespace zmqsec::auth
