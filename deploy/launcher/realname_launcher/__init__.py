"""Runs the realname platform: all-in-one in one process, or distributed as supervised processes."""
