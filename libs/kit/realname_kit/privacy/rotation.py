"""Re-encrypting a service's personal data under the keyring's active key (after ``add_key``)."""

from __future__ import annotations

from realname_kit.db import Database
from realname_kit.privacy.columns import rekey_rows
from realname_kit.privacy.keyring import Keyring
from realname_kit.service import ServiceSpec


def rekey_service(spec: ServiceSpec, db: Database, keyring: Keyring) -> int:
    """Every protected value of the service not under the active key, re-encrypted; returns rows changed."""
    changed = 0
    for protected in spec.protected:
        table = spec.metadata.tables[protected.table]
        with db.sessions() as session:  # rekey_rows commits batch by batch
            changed += rekey_rows(session, table, protected.fields, protected.context_prefix, keyring)
    return changed
