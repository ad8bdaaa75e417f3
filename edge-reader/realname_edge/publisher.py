"""Publishes spooled card reads as ``card.read`` events through the shared confirming publisher
(``confirming.ConfirmingPublisher``): each read leaves the spool only once the broker confirms it.

Delivery is at least once: a read whose confirm was lost with the connection is sent again on the next call,
with the same envelope id (the read id), so the identity service's inbox drops the second copy. An office reads
a few cards a minute, so waiting for each confirm in turn is fast enough.

Every card is sealed with the reader account's key before it is spooled (``realname_codes.card_seal``): the
spool, the broker and any dead letter hold the read id, the employer and ciphertext, never the card (R4).
"""

from __future__ import annotations

import json
import logging
import uuid

from realname_codes.card_seal import CardSeal, is_sealed
from realname_edge.card import CardRecord
from realname_edge.confirming import ConfirmingPublisher
from realname_edge.spool import CardSpool, SpooledRead, read_of
from realname_edge.spooling import SpooledMessage

ROUTING_KEY = EVENT_TYPE = "card.read"
SOURCE = "edge-reader"

log = logging.getLogger(__name__)


class CardReadPublisher:
    def __init__(self, amqp_url: str, exchange: str, employer_id: str, spool: CardSpool, *, seal_key: str,
                 confirm_timeout: float = 10) -> None:
        self.exchange = exchange
        self.employer_id = employer_id
        self.spool = spool
        self._publisher = ConfirmingPublisher(amqp_url, spool.messages, source=SOURCE,
                                              connection_name=f"edge-reader {employer_id}", default_exchange=exchange,
                                              render=self._envelope_of, confirm_timeout=confirm_timeout)
        self._seal = CardSeal(seal_key, self._publisher.user_id)
        self._seal_plain_backlog()

    def __enter__(self) -> CardReadPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record_read(self, card: CardRecord) -> str:
        """Spool the read first (so nothing is lost whatever happens next), then try to publish the backlog."""
        read_id = str(uuid.uuid4())
        self.spool.add(read_id, self._seal.seal(read_id, card.to_event()))
        self.publish_pending()
        return read_id

    def publish_pending(self) -> int:
        """Send every spooled read; returns how many the broker confirmed. Errors are logged, never raised."""
        return self._publisher.publish_pending() or 0

    def close(self) -> None:
        self._publisher.close()

    def _seal_plain_backlog(self) -> None:
        """Reads a reader older than sealing left in the spool are sealed in place before anything is sent."""
        plain = [read for read in self.spool.pending(self.spool.count()) if not is_sealed(read.payload)]
        for read in plain:
            self.spool.replace(read.read_id, self._seal.seal(read.read_id, read.payload))
        if plain:
            log.info("%d spooled card reads of an older reader sealed", len(plain))

    def envelope(self, read: SpooledRead) -> bytes:
        """The kit's Envelope shape; its id is the read id, so every re-send of a read is recognisable."""
        data = {**read.payload, "read_id": read.read_id, "employer_id": self.employer_id}
        event = {"id": read.read_id, "type": EVENT_TYPE, "version": 1, "occurred_at": read.read_at,
                 "source": SOURCE, "correlation_id": None, "data": data}
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()

    def _envelope_of(self, message: SpooledMessage) -> bytes:
        return self.envelope(read_of(message.id, message.created_at, message.body))
