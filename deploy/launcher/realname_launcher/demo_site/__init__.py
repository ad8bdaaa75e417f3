"""The demo site ``./realname up`` starts (REALNAME_DEMO_SITE, default on): a demo project with five workers and one
face gate of each kind, seeded through the gateway's public API as its users would, and where to watch its sync."""
