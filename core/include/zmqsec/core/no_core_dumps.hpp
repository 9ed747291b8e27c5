// Keeping secrets out of core dumps and debuggers, the way ssh-agent does: while a process holds
// a password or a secret key (in its own memory, libzmq's socket options or libssh2's session),
// it is marked non-dumpable (prctl PR_SET_DUMPABLE 0). The kernel then writes no core file for
// it, and no other process of the same user may attach to it (ptrace: gdb, gcore) or read its
// /proc/PID/mem; root (CAP_SYS_PTRACE) still can, so the secrets themselves are also wiped as
// soon as they are no longer needed (certs::secret_string, sodium_memzero).
//
//   zmqsec::core::no_core_dumps guard;   // from here to the end of the scope
//
// Guards nest: the process is dumpable again once the last one ends, if it was before the first.
#pragma once

namespace zmqsec::core {

class no_core_dumps {
 public:
  /// Marks the process non-dumpable. Throws zmqsec::error (errno) if prctl fails.
  no_core_dumps();
  no_core_dumps(const no_core_dumps&) = delete;
  no_core_dumps& operator=(const no_core_dumps&) = delete;
  /// The last guard restores the dumpable flag the first one found.
  ~no_core_dumps();

  /// Whether the process is dumpable now (prctl PR_GET_DUMPABLE).
  static bool process_dumpable() noexcept;
};

}  // namespace zmqsec::core
