"""realname_edge."""
