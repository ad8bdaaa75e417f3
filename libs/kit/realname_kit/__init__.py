"""Shared plumbing of the realname services. No domain code lives here."""
