"""``supportmail tags``: the team tag catalog: list it, describe a tag, rename or delete one.

=====================================  ===========================================================
``tags [--json]``                      the catalog and every tag on mail, with thread counts;
                                       then the parked tag edits under their own heading
``tags --parked [--json]``             only the parked tag edits: edits whose thread is no
                                       longer on the server (kept; pushed again if it returns)
``tags set TAG [--description T]``     add a tag or change its description, ``--shortcut N`` (a
``[--shortcut N] [--color NAME]``      digit; ``none`` clears) or colour; shared on the server
``tags rename OLD NEW``                retag every thread (add NEW, remove OLD) through the
                                       outbox, and rename it in the catalog
``tags delete TAG [--yes]``            remove it from the catalog and from every thread; asks
                                       first unless ``--yes`` (no terminal: ``--yes`` required)
=====================================  ===========================================================

The catalog travels through the IMAP server (``storage.catalog_sync``): every change here is
shared at once when the server can be reached, else by the next sync. A tag edit is *parked*
when a complete sync finds none of its thread's messages on the server (another client expunged
them): it stops counting as pending and is listed here, as ``notes`` lists unmatched notes, and
the sync that sees one of those messages again pushes it. ``tui.cli`` registers the command with
:func:`add_tags_parser` and dispatches through :data:`TAGS_COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.service import CatalogInputError
from supportmail.storage.tags import TagError, canonical_tag
from supportmail.tui.cli.output import PROG, UsageError, clip, dump_json, pad, say_empty

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo
    from supportmail.storage.service import ParkedEdit, Service

__all__ = [
    "PARKED_HEADING",
    "TAGS_COMMANDS",
    "add_tags_parser",
    "cmd_tags",
    "parked_json",
    "tag_json",
]

_CLEAR = ("", "none", "-")

PARKED_HEADING = (
    "Parked tag edits (thread no longer on the server; kept, pushed again if it returns):"
)


def add_tags_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    from supportmail.tui.cli.parser import Parser

    p = sub.add_parser(
        "tags",
        parents=[common],
        help="the tag catalog with thread counts; tags set/rename/delete edit it",
    )
    p.add_argument(
        "--parked",
        action="store_true",
        help="only the parked tag edits (their thread is no longer on the server)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    actions = p.add_subparsers(dest="tags_command", metavar="ACTION", parser_class=Parser)
    s = actions.add_parser(
        "set", parents=[common], help="add a tag or change its description, shortcut, colour"
    )
    s.add_argument("tag", metavar="TAG")
    s.add_argument("--description", metavar="TEXT", help="what the tag means ('' clears)")
    s.add_argument("--shortcut", metavar="N", help="a digit 0-9 that toggles it ('none' clears)")
    s.add_argument("--color", metavar="NAME", help="a colour name ('none' clears)")
    r = actions.add_parser(
        "rename", parents=[common], help="rename a tag in the catalog and on every thread"
    )
    r.add_argument("old", metavar="OLD")
    r.add_argument("new", metavar="NEW")
    d = actions.add_parser(
        "delete", parents=[common], help="remove a tag from the catalog and from every thread"
    )
    d.add_argument("tag", metavar="TAG")
    d.add_argument("--yes", action="store_true", help="do not ask")


def tag_json(t: TagInfo) -> dict[str, Any]:
    return {
        "name": t.name,
        "kind": t.kind,
        "keyword": t.keyword,
        "description": t.description,
        "shortcut": t.shortcut,
        "color": t.color,
        "threads": t.threads,
        "in_catalog": t.in_catalog,
    }


def parked_json(edit: ParkedEdit) -> dict[str, Any]:
    return {
        "thread_id": edit.thread_id,
        "root_message_id": edit.root_message_id,
        "tag": edit.tag,
        "keyword": edit.keyword,
        "add": edit.add,
        "message_ids": list(edit.message_ids),
        "parked": edit.parked.isoformat(timespec="seconds"),
    }


def _write_parked(service: Service, edits: list[ParkedEdit], out: TextIO) -> None:
    from supportmail.storage.dates import relative_label

    now = service.now()
    for e in edits:
        root = pad(f"<{e.root_message_id}>", 48)
        when = relative_label(e.parked, now)
        out.write(f"{e.thread_id}  {pad(e.what, 32)}  {root}  parked {when}\n")


def _cmd_parked(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        dump_json([parked_json(e) for e in service.parked_edits(raw=True)], out)
        return 0
    edits = service.parked_edits()
    if not edits:
        say_empty("no parked tag edits")
        return 0
    out.write(PARKED_HEADING + "\n")
    _write_parked(service, edits, out)
    return 0


def _name(text: str, what: str) -> str:
    try:
        return canonical_tag(text)
    except TagError as exc:
        raise UsageError(f"tags {what}: {exc}") from None


def _cleared(value: str | None) -> str | None:
    """None: keep; "": clear; else the value."""
    if value is None:
        return None
    return "" if value.strip().lower() in _CLEAR else value


def _note_unshared(problem: str | None) -> None:
    if problem:
        print(f"{PROG}: saved here; the next sync shares it ({problem})", file=sys.stderr)


def cmd_tags(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    action = getattr(args, "tags_command", None)
    if action == "set":
        return _cmd_set(service, args, out)
    if action == "rename":
        return _cmd_rename(service, args, out)
    if action == "delete":
        return _cmd_delete(service, args, out)
    if args.parked:
        return _cmd_parked(service, args, out)
    tags = service.tags()
    if args.json:
        dump_json([tag_json(t) for t in tags], out)
        return 0
    for t in (t.sanitized() for t in tags):
        key = f"[{t.shortcut}]" if t.shortcut else "   "
        origin = "" if t.in_catalog else "  (on mail, not in your catalog)"
        about = f"  {clip(t.description, 60)}" if t.description else ""
        out.write(f"{key} {pad(t.name, 32)} {t.kind:<9} {t.threads:>6}{about}{origin}\n")
    parked = service.parked_edits()
    if parked:
        out.write(("\n" if tags else "") + PARKED_HEADING + "\n")
        _write_parked(service, parked, out)
    return 0


def _cmd_set(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    name = _name(args.tag, "set")
    shortcut = _cleared(args.shortcut)
    if shortcut and (len(shortcut) != 1 or shortcut not in "0123456789"):
        raise UsageError(f"tags set: --shortcut is one digit 0-9 (or 'none'), got '{shortcut}'")
    description = args.description
    if description is not None and not description.isprintable():
        raise UsageError("tags set: --description must be one line of printable text")
    try:
        info, problem = service.tag_catalog.set(
            name, description=description, shortcut=shortcut, color=_cleared(args.color)
        )
    except CatalogInputError as exc:
        raise UsageError(f"tags set: {exc}") from None
    t = info.sanitized()
    key = f"[{t.shortcut}]" if t.shortcut else "[ ]"
    about = f"  {t.description}" if t.description else ""
    color = f"  ({t.color})" if t.color else ""
    out.write(f"{key} {t.name}{about}{color}\n")
    _note_unshared(problem)
    return 0


def _state(service: Service, pending: int, problem: str | None) -> str:
    if service.is_demo:
        return "demo: stays local"
    if pending == 0 and problem is None:
        return "on the server"
    return f"{pending} edit(s) pending until the next sync"


def _cmd_rename(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    old, new = _name(args.old, "rename"), _name(args.new, "rename")
    if old == new:
        raise UsageError(f"tags rename: OLD and NEW are the same tag ({old})")
    try:
        change = service.tag_catalog.rename(old, new)
    except CatalogInputError as exc:
        raise UsageError(f"tags rename: {exc}") from None
    out.write(
        f"renamed {old} to {new} on {change.threads} thread(s) "
        f"({_state(service, change.pending, change.shared)})\n"
    )
    _note_unshared(change.shared)
    return 0


def _confirm(service: Service, name: str, out: TextIO) -> bool:
    threads = next((t.threads for t in service.tags() if t.name == name), 0)
    out.write(f"Delete {name} from the catalog and from {threads} thread(s)? [y/N] ")
    out.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _cmd_delete(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    name = _name(args.tag, "delete")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("tags delete: no terminal to ask in; add --yes to delete")
        if not _confirm(service, name, out):
            out.write("nothing deleted\n")
            return 0
    try:
        change = service.tag_catalog.delete(name)
    except CatalogInputError as exc:
        raise UsageError(f"tags delete: {exc}") from None
    out.write(
        f"deleted {name} from the catalog and {change.threads} thread(s) "
        f"({_state(service, change.pending, change.shared)})\n"
    )
    _note_unshared(change.shared)
    return 0


TAGS_COMMANDS = {"tags": cmd_tags}
