"""realname_registry."""
