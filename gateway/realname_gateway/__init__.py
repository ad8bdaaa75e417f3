"""realname_gateway."""
