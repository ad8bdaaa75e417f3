"""realname_reporting."""
