"""Registration rules as pure functions: a request body in, the list of findings out (no I/O)."""
