"""R1, R12: whose card read decides a worker's identity. Their employer's, no one else's.

The identity authority answers for a card number and a name, never for who held the card in the reader: any
employer can read any number, and a browser's read carries whatever address and issuing authority were typed in.
So a read verifies a worker with its fields, or rejects them, only when it was made by the employer the worker's
registration belongs to: the one employing them now (one at a time, R12), or between two employments the last
one (the next employer brings its own read when it registers them). A read by any other enterprise changes
nothing of the worker; the employer employing them now is told that it was tried, the former ones are not (the
person has moved on, and so has their privacy).

Regulators hold no card readers (the identity service takes reads from employers only), so no read of theirs
can come to decide.
"""

from __future__ import annotations


def read_decides(read_employer_id: str, holder_employer_id: str | None) -> bool:
    """Whether a read may change the worker: made by the employer holding the worker's registration."""
    return holder_employer_id is not None and read_employer_id == holder_employer_id


def employer_told(holder_status: str | None) -> bool:
    """Whether the holder of the registration is told of another enterprise's read: while it employs the worker."""
    return holder_status == "active"
