"""realname_identity."""
