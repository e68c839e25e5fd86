"""The mail commands of ``supportmail``: sync, threads, show, tag, note, read and unread, with
their JSON shapes (``thread_json``, ``detail_json``)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import parse_when, relative_label, to_iso
from supportmail.storage.models import (
    ThreadQuery,
)
from supportmail.storage.service import ServiceError
from supportmail.storage.tags import TagError, canonical_tag
from supportmail.tui.cli.answer import report_outbox
from supportmail.tui.cli.output import (
    PROG,
    UsageError,
    address_json,
    clip,
    customer_name,
    dump_json,
    pad,
    say_empty,
)
from supportmail.tui.cli.responses import waiting_json, waiting_label
from supportmail.tui.cli.search import server_query
from supportmail.tui.units import format_size

if TYPE_CHECKING:
    from supportmail.storage.models import (
        SyncProgress,
        ThreadDetail,
        ThreadSummary,
    )
    from supportmail.storage.service import Service


def thread_json(summary: ThreadSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "root_message_id": summary.root_message_id,
        "subject": summary.subject,
        "participants": [address_json(p) for p in summary.participants],
        "messages": summary.messages,
        "first_date": to_iso(summary.first_date),
        "last_date": to_iso(summary.last_date),
        "tags": list(summary.tags),
        "pending_tags": list(summary.pending_tags),
        "unread": summary.unread,
        "has_note": summary.has_note,
        **waiting_json(summary),
    }


def detail_json(detail: ThreadDetail) -> dict[str, Any]:
    return {
        "id": detail.summary.id,
        "root_message_id": detail.summary.root_message_id,
        "subject": detail.summary.subject,
        "tags": list(detail.summary.tags),
        "note": detail.note,
        "messages": [
            {
                "message_id": m.message_id,
                "folder": m.folder,
                "from": address_json(m.sender),
                "to": [address_json(a) for a in m.to],
                "cc": [address_json(a) for a in m.cc],
                "date": to_iso(m.date) if m.date is not None else None,
                "subject": m.subject,
                "text": m.text,
                "body_loaded": m.body_loaded,
                "unread": m.unread,
                "attachments": [
                    {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                    for a in m.attachments
                ],
            }
            for m in detail.messages
        ],
    }


SYNC_ATTENTION = 3
"""``sync``'s exit status when it ran but the server refused edits or a configured folder is
missing (the summary line says which); 1 is a failed sync, 2 a usage or config mistake."""


def _progress_room() -> int:
    """Cells a progress line may take on stderr's terminal: one less than its width."""
    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):  # not a real terminal (io.UnsupportedOperation is both)
        columns = shutil.get_terminal_size().columns
    return max(1, columns - 1)


def cmd_sync(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    interactive = sys.stderr.isatty()
    # A progress line replaces the one before (carriage return, clear to the end of the line);
    # it must fit the terminal's width, since a wrapped line cannot be taken back.
    room = _progress_room() if interactive else 0

    def show(line: str) -> None:
        sys.stderr.write(f"\r\x1b[K{clip(line, room)}")
        sys.stderr.flush()

    def progress(p: SyncProgress) -> None:
        if interactive and p.phase == "headers" and p.total:
            show(f"{p.folder}: {p.done}/{p.total} headers")
        elif interactive and p.phase == "bodies" and p.total:
            show(f"bodies: {p.done}/{p.total}")

    result = service.sync(progress, bodies=not args.headers_only)
    if interactive:
        sys.stderr.write("\r\x1b[K")
    out.write(result.summary_line() + "\n")
    report_outbox(service, out)
    return SYNC_ATTENTION if result.needs_attention else 0


def cmd_threads(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since: datetime | None = None
    if args.since:
        try:
            since = parse_when(args.since, service.now())
        except ValueError as exc:
            raise UsageError(f"--since: {exc}") from None
    query = ThreadQuery(
        tags=tuple(args.tag),
        untagged=args.untagged,
        unread=args.unread,
        since=since,
        search=args.search,
        limit=args.limit,
        awaiting=args.awaiting,
    )
    if args.server:
        query = server_query(service, query)
    if args.json:
        dump_json([thread_json(s) for s in service.list_threads(query, raw=True)], out)
        return 0
    now = service.now()
    found = service.list_threads(query)
    if not found:
        say_empty(_no_match(service, args))
    for s in found:
        marks = ("●" if s.unread else " ") + ("✎" if s.has_note else " ")
        marks += "↑" if s.pending_tags else " "
        tags = " ".join(s.tags)
        when = waiting_label(s, now) or relative_label(s.last_date, now)
        line = (
            f"{s.id}  {when:>11}  {marks} "
            f"{pad(customer_name(service, s), 22)}  {s.messages:>3}  {clip(s.subject, 60)}"
        )
        if tags:
            line += f"  [{tags}]"
        out.write(line + "\n")
    return 0


def _no_match(service: Service, args: argparse.Namespace) -> str:
    """What ``threads`` looked for, in words: "no threads match 'foo', unread in INBOX"."""
    words = []
    if args.search:
        words.append(f"'{args.search}'" + (" on the server" if args.server else ""))
    words += [f"tag {tag}" for tag in args.tag]
    words += [w for w, on in (("untagged", args.untagged), ("unread", args.unread)) if on]
    if args.awaiting:
        words.append("awaiting an answer")
    if args.since:
        words.append(f"since {args.since}")
    where = ", ".join(service.folders) or service.account
    if not words:
        return f"no threads in {where} yet: `{PROG} sync` fetches them"
    return f"no threads match {', '.join(words)} in {where}"


def cmd_show(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        dump_json(detail_json(service.thread(args.thread, raw=True)), out)
        return 0
    detail = service.thread(args.thread)
    s = detail.summary
    out.write(f"Thread {s.id}: {s.subject}\n")
    out.write(f"Tags: {' '.join(s.tags) if s.tags else '(none)'}")
    out.write(f"  (pending: {' '.join(s.pending_tags)})\n" if s.pending_tags else "\n")
    if detail.note:
        out.write("Note: " + detail.note.replace("\n", "\n      ") + "\n")
    for n, m in enumerate(detail.messages, 1):
        out.write("\n" + "─" * 72 + "\n")
        out.write(f"[{n}/{len(detail.messages)}] From: {m.sender.formatted()}\n")
        if m.to:
            out.write("To: " + ", ".join(a.formatted() for a in m.to) + "\n")
        if m.cc:
            out.write("Cc: " + ", ".join(a.formatted() for a in m.cc) + "\n")
        out.write("Date: " + (to_iso(m.date) if m.date else "(unknown)") + "\n")
        out.write(f"Subject: {m.subject}\n\n")
        if m.body_loaded:
            out.write(m.text.rstrip("\n") + "\n")
        else:
            out.write("(body not available: not cached and the server could not be reached)\n")
        for a in m.attachments:
            out.write(f"📎 {a.filename or '(unnamed)'}  {a.content_type}  {format_size(a.size)}\n")
    return 0


def cmd_tag(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    add: list[str] = []
    remove: list[str] = []
    push = False
    for item in args.edits:
        if item == "--push":
            push = True
        elif item == "--":
            continue
        elif item.startswith("+") and len(item) > 1:
            add.append(item[1:])
        elif item.startswith("-") and len(item) > 1 and not item.startswith("--"):
            remove.append(item[1:])
        else:
            raise UsageError(f"tag: expected +TAG or -TAG, got '{item}'")
    if not add and not remove:
        raise UsageError("tag: nothing to do: give +TAG to add or -TAG to remove")
    for name in (*add, *remove):
        try:
            canonical_tag(name)  # a bad name or a too-long keyword is a usage mistake
        except TagError as exc:
            raise UsageError(f"tag: {exc}") from None
    result = service.edit_tags(args.thread, add, remove, push=push)
    state = "pushed" if result.pushed else f"{result.pending} edit(s) pending until the next sync"
    if service.is_demo:
        state = "demo: tags stay local"
    tags = " ".join(result.tags) or "(no tags)"
    out.write(f"{result.thread_id}: {tags} ({state})\n")
    if result.push_error:
        print(
            f"{PROG}: saved locally, not pushed: {result.push_error} (the next sync pushes it)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_note(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.show or (args.text is None and not args.clear):
        note = service.note(args.thread)
        if note is None:
            out.write("(no note)\n")
        else:
            from supportmail.storage.sanitize import sanitize_text

            out.write(sanitize_text(note).rstrip("\n") + "\n")
        return 0
    if args.clear:
        if args.text is not None:
            raise UsageError("note: give TEXT or --clear, not both")
        service.set_note(args.thread, "")
        out.write("note cleared\n")
        return 0
    try:
        service.set_note(args.thread, args.text)
    except ServiceError as exc:  # a full disk, a lock: the previous note is kept
        raise ServiceError(f"note not saved: {exc}") from exc
    out.write("note saved (private: it never leaves this machine)\n")
    return 0


def cmd_mark(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    pending = service.mark_read(args.thread, read=args.command == "read")
    where = (
        "demo: stays local" if service.is_demo else f"{pending} edit(s) pending until the next sync"
    )
    out.write(f"marked {args.command} ({where})\n")
    return 0


THREADS_COMMANDS = {
    "sync": cmd_sync,
    "threads": cmd_threads,
    "show": cmd_show,
    "tag": cmd_tag,
    "note": cmd_note,
    "read": cmd_mark,
    "unread": cmd_mark,
}
