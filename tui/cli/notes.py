"""``supportmail notes``: list your private notes, including the unmatched ones.

A note is keyed by its thread's root Message-ID. When that thread is no longer in the cache (the
server expunged its messages, the folder was recreated without them, or the folder left the
config) the note is *unmatched*: it is kept, never deleted, listed here under its own heading,
and it re-attaches when a message with that root shows up again. ``note ID --show`` / ``--clear``
take an unmatched note's id too. ``tui.cli`` registers this command with ``add_notes_parser`` and
dispatches through ``NOTES_COMMANDS``.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.tui.cli.output import clip, dump_json, pad, say_empty

if TYPE_CHECKING:
    from supportmail.storage.service import NoteEntry, Service

UNMATCHED_HEADING = "Unmatched notes (thread not in the cache; kept, never deleted):"


def add_notes_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "notes",
        parents=[common],
        help="list your private notes, and those whose thread is no longer in the cache",
    )
    p.add_argument(
        "--orphans",
        action="store_true",
        help="only the unmatched notes (thread not in the cache)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def note_json(entry: NoteEntry) -> dict[str, Any]:
    return {
        "thread_id": entry.thread_id,
        "root_message_id": entry.root_message_id,
        "subject": entry.subject if not entry.orphan else None,
        "text": entry.text,
        "orphan": entry.orphan,
    }


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _write_matched(entries: Sequence[NoteEntry], out: TextIO) -> None:
    for e in entries:
        out.write(f"{e.thread_id}  {pad(e.subject, 48)}  {clip(_first_line(e.text), 60)}\n")


def _write_unmatched(entries: Sequence[NoteEntry], out: TextIO) -> None:
    for e in entries:
        root = pad(f"<{e.root_message_id}>", 48)
        out.write(f"{e.thread_id}  {root}  {clip(_first_line(e.text), 60)}\n")


def cmd_notes(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        entries = service.notes(orphans_only=args.orphans, raw=True)
        dump_json([note_json(e) for e in entries], out)
        return 0
    entries = service.notes(orphans_only=args.orphans)
    matched = [e for e in entries if not e.orphan]
    unmatched = [e for e in entries if e.orphan]
    if not entries:
        say_empty("no unmatched notes" if args.orphans else "no notes")
        return 0
    _write_matched(matched, out)
    if unmatched:
        if matched:
            out.write("\n")
        out.write(UNMATCHED_HEADING + "\n")
        _write_unmatched(unmatched, out)
    return 0


NOTES_COMMANDS = {"notes": cmd_notes}
