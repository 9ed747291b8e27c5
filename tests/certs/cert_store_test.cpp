// Filled in by the cert store work.
