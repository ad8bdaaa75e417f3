"""How a gate's own list differs from what the platform wants on it (reconciliation by digest). No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Drift:
    missing: frozenset[str]  # wanted on, not on the gate
    extra: frozenset[str]  # on the gate, not wanted there
    stale_faces: frozenset[str]  # on the gate with another face than the one wanted

    @property
    def enrol_again(self) -> frozenset[str]:
        return self.missing | self.stale_faces


def drift(wanted: Mapping[str, str], held: Mapping[str, str]) -> Drift:
    """``wanted``/``held``: worker key → face hash. A held key without a hash holds no face: stale when one is
    wanted."""
    missing = frozenset(k for k in wanted if k not in held)
    extra = frozenset(k for k in held if k not in wanted)
    stale = frozenset(k for k, sha in wanted.items() if k in held and held[k] != sha)
    return Drift(missing, extra, stale)
