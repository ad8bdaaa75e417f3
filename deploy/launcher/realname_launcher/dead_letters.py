"""``realname dead-letters list|show|replay``: a service's dead-lettered messages, for an operator after a fix.

It acts on the platform the settings describe: the broker's dead-letter queues in distributed mode (with
``--distributed``, the local broker as ``up --distributed`` uses it), the in-process bus's file in all-in-one
mode. Bodies may hold personal data: only ``show`` prints one, for the message asked for.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from realname_kit.bus.dead_letters import AmqpDeadLetters, DeadLetter, FileDeadLetters
from realname_kit.bus.processing import MessageProcessor
from realname_kit.bus.topology import queues_of
from realname_kit.db import Database
from realname_kit.runtime import processors_for
from realname_kit.service import load_spec
from realname_kit.settings import SERVICES, Settings
from realname_launcher.platform import topology

DeadLetters = AmqpDeadLetters | FileDeadLetters


def dead_letter_file(settings: Settings) -> Path:
    """Where all-in-one mode's in-process bus keeps its dead letters."""
    return settings.data_dir / "dead-letters.jsonl"


def add_dead_letter_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dead-letters", help="list, show and replay a service's dead-lettered messages")
    parser.add_argument("--distributed", action="store_true",
                        help="the local RabbitMQ and PostgreSQL, as `up --distributed` uses them (unless "
                             "REALNAME_AMQP_URL and REALNAME_DATABASE_URL say otherwise)")
    commands = parser.add_subparsers(dest="dead_letter_command", required=True)
    listing = commands.add_parser("list", help="queue, message id, event type, count, first death, reason")
    listing.add_argument("service", choices=SERVICES)
    listing.add_argument("--queue", help="one queue's purpose (e.g. imports); all of the service's by default")
    listing.add_argument("--limit", type=int, default=1000)
    show = commands.add_parser("show", help="one message's headers and body (which may hold personal data)")
    replay = commands.add_parser("replay", help="back into its queue, once each, after a fix")
    for cmd in (show, replay):
        cmd.add_argument("service", choices=SERVICES)
        cmd.add_argument("queue", help="the queue's purpose, e.g. imports")
    show.add_argument("message_id")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("message_id", nargs="?")
    which.add_argument("--all", action="store_true", help="every dead letter of the queue")


def run_dead_letters(settings: Settings, args: argparse.Namespace) -> int:
    queues = {spec.purpose: topology(settings).queue_name(spec) for spec in queues_of(args.service)}
    if not queues:
        print(f"{args.service} consumes no queue: it has no dead letters")
        return 0
    queue = getattr(args, "queue", None)
    if queue is not None and queue not in queues:
        print(f"{args.service} has no queue {queue!r}; its queues: {', '.join(queues)}")
        return 2
    box = _box(settings, args.service, list(queues.values()))
    name = queues[queue] if queue is not None else None
    if args.dead_letter_command == "list":
        _print_table(box.browse(name, limit=args.limit))
        return 0
    assert name is not None
    if args.dead_letter_command == "show":
        return _show(box, name, args.message_id)
    return _replay(box, name, None if args.all else args.message_id)


def _show(box: DeadLetters, name: str, message_id: str) -> int:
    found = [x for x in box.browse(name) if x.message_id == message_id]
    if not found:
        print(f"no dead letter {message_id} in {name}")
        return 1
    _print_one(found[0])
    return 0


def _replay(box: DeadLetters, name: str, message_id: str | None) -> int:
    replayed = box.replay(name, message_id)
    for letter in replayed:
        print(f"replayed {letter.message_id} ({letter.event_type}) into {name}")
    if not replayed:
        print(f"nothing to replay in {name}")
        return 0 if message_id is None else 1
    still = len(box.browse(name))
    print(f"{len(replayed)} replayed; {still} dead letter(s) left in {name}")
    return 0


def _box(settings: Settings, service: str, queues: list[str]) -> DeadLetters:
    if settings.distributed:
        return AmqpDeadLetters(settings.amqp_url, queues)
    # All-in-one has no broker: the in-process bus wrote its dead letters to a file, and a replay is handled
    # here, in the service's own database, through the same processors (the inbox keeps it once).
    def processors() -> list[MessageProcessor]:
        spec = load_spec(service)
        return [p for _, p in processors_for(spec, Database(settings.database_url_for(service)),
                                             topology(settings), settings)]
    return FileDeadLetters(dead_letter_file(settings), processors)


def _print_table(letters: list[DeadLetter]) -> None:
    if not letters:
        print("no dead letters")
        return
    rows = [("QUEUE", "MESSAGE ID", "EVENT TYPE", "COUNT", "FIRST DEATH", "REASON")]
    rows += [(x.queue, x.message_id, x.event_type, str(x.count), x.first_death, x.reason[:120]) for x in letters]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5])


def _print_one(letter: DeadLetter) -> None:
    print(json.dumps({"queue": letter.queue, "message_id": letter.message_id, "event_type": letter.event_type,
                      "reason": letter.reason, "count": letter.count, "first_death": letter.first_death,
                      "headers": _plain(letter.headers), "body": _body(letter.body)},
                     ensure_ascii=False, indent=2, default=str))


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")
