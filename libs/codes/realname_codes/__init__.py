"""Code tables and identity-number rules of the realname domain (pure functions, no I/O)."""
