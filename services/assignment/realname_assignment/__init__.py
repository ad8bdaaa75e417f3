"""realname_assignment."""
