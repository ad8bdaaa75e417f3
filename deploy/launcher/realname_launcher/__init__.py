"""realname_launcher."""
