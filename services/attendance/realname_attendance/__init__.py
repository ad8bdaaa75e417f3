"""realname_attendance."""
