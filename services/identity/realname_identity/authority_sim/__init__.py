"""A simulator of the identity authority (the city's big-data centre), failures and closures included.

Verdicts come from ``data/people.json``; the calendar closes it at weekends and on closure days (R3); seeded
mishaps make it slow, failing or garbled. ``python -m realname_identity.authority_sim --help`` runs it.
"""
