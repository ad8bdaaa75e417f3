"""Login, tokens, accounts and delegation: what the gateway owns (R31, R32)."""
