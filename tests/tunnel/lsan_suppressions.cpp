// LeakSanitizer settings for this test program only (ignored in builds without sanitizers).
//
// libssh2 1.10 (Debian 12) leaks one BIGNUM (24 + 32 bytes) every time it loads an ECDSA private
// key in OpenSSH format: gen_publickey_from_ecdsa_openssh_priv_data() never frees the BN_new()
// it gives EC_KEY_set_private_key() (libssh2/libssh2#2079). The leak is inside
// libssh2_userauth_publickey_fromfile_ex and, since zmqsec reads key files itself and hands
// them over from memory, libssh2_userauth_publickey_frommemory: those are what is suppressed
// (nothing else of libssh2's); the slow unwinder is
// needed to see that frame through libcrypto, which is built without frame pointers.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libssh2_userauth_publickey_fromfile_ex\n"
         "leak:libssh2_userauth_publickey_frommemory\n";
}

extern "C" const char* __lsan_default_options() {
  return "fast_unwind_on_malloc=0";
}
