#include "server_sockets.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace zmqsec::metrics::detail {
namespace {

// The local port of fd, if it is an IPv4 or IPv6 socket; its address as text into address.
int local_port(int fd, std::string& address) noexcept {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return -1;
  char text[INET6_ADDRSTRLEN] = "";
  if (local.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&local);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    address = text;
    return ntohs(v4->sin_port);
  }
  if (local.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&local);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    address = std::string("[") + text + "]";
    return ntohs(v6->sin6_port);
  }
  return -1;
}

bool is_tcp_socket(int fd) noexcept {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  int type = 0;
  socklen_t length = sizeof type;
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
}

// Whether host is an address the sockets must have (a numeric one, not a wildcard), rather than
// a wildcard or a name (whose address the server chose).
bool names_one_address(std::string_view host) noexcept {
  std::string bare(host.starts_with('[') && host.ends_with(']') ? host.substr(1, host.size() - 2)
                                                                : host);
  unsigned char ignored[sizeof(in6_addr)];
  const bool numeric = ::inet_pton(AF_INET, bare.c_str(), ignored) == 1 ||
                       ::inet_pton(AF_INET6, bare.c_str(), ignored) == 1;
  return numeric && bare != "0.0.0.0" && bare != "::";
}

}  // namespace

int shut_down_server_sockets(std::string_view host, std::uint16_t port) noexcept {
  const bool any_address = !names_one_address(host);
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return 0;
  int count = 0;
  std::string address;
  while (const dirent* entry = ::readdir(fds)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == ::dirfd(fds) || !is_tcp_socket(fd)) continue;
    if (local_port(fd, address) != port) continue;
    if (!any_address && address != host) continue;
    if (::shutdown(fd, SHUT_RDWR) == 0) ++count;
  }
  ::closedir(fds);
  return count;
}

}  // namespace zmqsec::metrics::detail
