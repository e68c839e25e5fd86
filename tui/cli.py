"""The ``supportmail`` command: the scriptable CLI over ``storage.service``.

Exit codes: 0 success; 1 a runtime failure (server, lock, unknown thread); 2 bad usage or config.
Every failure prints exactly one line on stderr. Human output is sanitised for the terminal (mail
is untrusted); ``--json`` output holds the decoded text as valid UTF-8.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from storage.dates import parse_when, relative_label, to_iso
from storage.models import (
    SyncProgress,
    ThreadDetail,
    ThreadQuery,
    ThreadSummary,
)
from storage.service import Service, ServiceError
from storage.settings import ConfigError, Settings, config_path, data_dir, load_settings
from storage.tags import TagError, canonical_tag
from tui import logfile
from tui.cli_answer import ANSWER_COMMANDS, add_answer_parsers, report_outbox
from tui.cli_files import FILES_COMMANDS, add_files_parsers
from tui.cli_insight import INSIGHT_COMMANDS, add_day_parsers, add_report_parsers
from tui.cli_notes import NOTES_COMMANDS, add_notes_parser
from tui.cli_output import (
    DEMO_ACCOUNT,
    PROG,
    Parser,
    UsageError,
    address_json,
    clip,
    customer_name,
    dump_json,
    pad,
    positive_int,
    size_text,
)
from tui.cli_responses import waiting_json, waiting_label
from tui.cli_search import server_query
from tui.cli_tags import TAGS_COMMANDS, add_tags_parser
from tui.cli_watch import WATCH_COMMANDS, add_watch_parser


class _Version(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version(PROG)
        except PackageNotFoundError:  # run from a checkout without installing
            number = "unknown (not installed)"
        sys.stdout.write(f"{PROG} {number}\n")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    common = Parser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    common.add_argument(
        "--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="local data directory"
    )
    common.add_argument(
        "--account", metavar="NAME", default=argparse.SUPPRESS, help="account from the config"
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="log at debug level (the log file: $SUPPORTMAIL_LOG or the platform's log dir)",
    )

    parser = Parser(
        prog=PROG,
        parents=[common],
        description="Read and tag a team's shared customer-support mailbox.",
        epilog="Run a command with --help for its options. See README.md for the config file.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser(
        "sync",
        parents=[common],
        help="pull new mail and flag changes, push pending tag edits, mirror message text",
    )
    p.add_argument(
        "--headers-only",
        action="store_true",
        help="skip the body mirror (the quick path; a later plain sync fetches the bodies)",
    )

    p = sub.add_parser("threads", parents=[common], help="list threads, newest activity first")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="only threads with T")
    p.add_argument("--untagged", action="store_true", help="missing a team or a category tag")
    p.add_argument("--unread", action="store_true", help="only threads with unread messages")
    p.add_argument(
        "--awaiting",
        action="store_true",
        help="only threads whose newest message is a customer's, longest waiting first",
    )
    p.add_argument("--since", metavar="WHEN", help="e.g. 2026-11-01, yesterday, '3 days ago'")
    p.add_argument("--search", metavar="TEXT", help="words in subject, people or mirrored bodies")
    p.add_argument(
        "--server", action="store_true", help="run --search on the server (IMAP SEARCH) instead"
    )
    p.add_argument("--limit", type=positive_int, metavar="N", help="at most N threads")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser("show", parents=[common], help="show a thread's messages")
    p.add_argument("thread", metavar="THREAD", help="short id, unique prefix or root Message-ID")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser(
        "tag",
        parents=[common],
        help="add/remove tags: tag THREAD +team:billing -category:bug [--push]",
    )
    p.add_argument("thread", metavar="THREAD")
    p.add_argument("edits", nargs=argparse.REMAINDER, metavar="+T/-T")

    p = sub.add_parser("note", parents=[common], help="your private note on a thread")
    p.add_argument("thread", metavar="THREAD")
    p.add_argument("text", nargs="?", metavar="TEXT", help="the note (replaces the old one)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--clear", action="store_true", help="delete the note")
    group.add_argument("--show", action="store_true", help="print the note")
    add_notes_parser(sub, common)

    for name, what in (("read", "read"), ("unread", "unread")):
        p = sub.add_parser(
            name, parents=[common], help=f"mark every message of a thread {what} on the server"
        )
        p.add_argument("thread", metavar="THREAD")

    add_tags_parser(sub, common)
    add_files_parsers(sub, common)

    p = sub.add_parser(
        "demo",
        parents=[common],
        help="open the app on the bundled demo mailbox (no server, nothing to configure)",
    )
    p.add_argument(
        "--reset", action="store_true", help="start the demo afresh (drops its tags and notes)"
    )
    add_report_parsers(sub, common)
    add_day_parsers(sub, common)
    add_answer_parsers(sub, common)
    add_watch_parser(sub, common)
    return parser


# -- opening the service ---------------------------------------------------------------------


FIRST_RUN = """\
Welcome to supportmail.

No mailbox is configured yet. Write {path} like this:

    [accounts.support]
    host = "imap.example.com"
    username = "support@example.com"
    folders = ["INBOX", "Sent"]
    password_command = "pass show mail/support"

(password_keyring = true or password_env = "VAR" work too; see README, Configuration.)
Then run `supportmail sync` once, and `supportmail` again.

To look around first: `supportmail demo` opens a bundled demo mailbox.
"""


def _settings(args: argparse.Namespace) -> tuple[Path, Settings]:
    """The config file's path and its settings (a missing file has no accounts)."""
    cfg_path = config_path(getattr(args, "config", None))
    return cfg_path, load_settings(cfg_path)


def open_service(args: argparse.Namespace) -> Service:
    cfg_path, settings = _settings(args)
    base = data_dir(getattr(args, "data_dir", None))
    name = getattr(args, "account", None)
    if name == DEMO_ACCOUNT and DEMO_ACCOUNT not in settings.accounts:
        return Service.open_demo(base)
    if not settings.accounts:
        problem = "no [accounts.NAME] table" if cfg_path.exists() else "no such file"
        raise ConfigError(
            f"{cfg_path}: {problem}: write one (see README, Configuration), "
            "or try `supportmail --account demo threads`"
        )
    account = settings.account(name)
    return Service.open(settings, account, base)


# -- output helpers --------------------------------------------------------------------------


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


# -- commands --------------------------------------------------------------------------------


SYNC_ATTENTION = 3
"""``sync``'s exit status when it ran but the server refused edits or a configured folder is
missing (the summary line says which); 1 is a failed sync, 2 a usage or config mistake."""


def cmd_sync(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    interactive = sys.stderr.isatty()

    def progress(p: SyncProgress) -> None:
        if interactive and p.phase == "headers" and p.total:
            sys.stderr.write(f"\r{p.folder}: {p.done}/{p.total} headers")
            sys.stderr.flush()
        elif interactive and p.phase == "bodies" and p.total:
            sys.stderr.write(f"\r\x1b[Kbodies: {p.done}/{p.total}")
            sys.stderr.flush()

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
    for s in service.list_threads(query):
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
            out.write(f"📎 {a.filename or '(unnamed)'}  {a.content_type}  {size_text(a.size)}\n")
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
            from storage.sanitize import sanitize_text

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


def _keymap(settings_keymap: str) -> dict[str, str]:
    from keymaps import KeymapError, load_keymap

    try:
        return load_keymap(settings_keymap)
    except KeymapError as exc:
        raise UsageError(f"keymap: {exc}") from None


def _open_in_background(open_service: Callable[[], Service]) -> Callable[[], Service]:
    """Start ``open_service`` in a thread; the returned function waits for the service (or
    raises what opening raised). Opening is mostly sqlite work, which releases the GIL, so it
    overlaps the import of Textual and the screens that follows it."""
    opened: list[Service] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            opened.append(open_service())
        except BaseException as exc:  # handed to the waiting thread as it is
            failed.append(exc)

    thread = threading.Thread(target=run, name="open-service", daemon=True)
    thread.start()

    def wait() -> Service:
        thread.join()
        if failed:
            raise failed[0]
        return opened[0]

    return wait


def launch_tui(args: argparse.Namespace, out: TextIO) -> int:
    """``supportmail`` (the configured account) or ``supportmail demo``: the terminal UI."""
    cfg_path, settings = _settings(args)
    keymap = _keymap(settings.keymap)
    if args.command == "demo":
        base = data_dir(getattr(args, "data_dir", None))
        reset = bool(getattr(args, "reset", False))
        opening = _open_in_background(lambda: Service.open_demo(base, reset=reset))
    elif not settings.accounts and getattr(args, "account", None) != DEMO_ACCOUNT:
        out.write(FIRST_RUN.format(path=cfg_path))
        if sys.stdin.isatty() and out.isatty():
            out.write("\nOpen the demo now? [Y/n] ")
            out.flush()
            answer = sys.stdin.readline().strip().lower()
            if answer in ("", "y", "yes"):
                args.command = "demo"
                return launch_tui(args, out)
        return 0
    else:
        opening = _open_in_background(lambda: open_service(args))
    from tui.app import run_app  # Textual: imported while the service opens

    service = opening()
    try:
        service.claim_window()  # one window per account; CLI commands share the data dir
        run_app(
            service,
            keymap,
            keymap_name=settings.keymap,
            poll_seconds=float(settings.poll_seconds),
        )
    finally:
        service.close()
    return 0


# -- reports: report, bugs, voice, digest --------------------------------------------------


COMMANDS = {
    "sync": cmd_sync,
    "threads": cmd_threads,
    "show": cmd_show,
    "tag": cmd_tag,
    "note": cmd_note,
    **TAGS_COMMANDS,
    **FILES_COMMANDS,
    "read": cmd_mark,
    "unread": cmd_mark,
    **NOTES_COMMANDS,
    **INSIGHT_COMMANDS,
    **ANSWER_COMMANDS,
    **WATCH_COMMANDS,
}


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code. Errors are one line on stderr."""
    stdout = out or sys.stdout
    parser = build_parser()
    log: Path | None = None
    try:
        args = parser.parse_args(argv)
        log = logfile.setup(debug=getattr(args, "debug", False))
        if args.command in (None, "demo"):
            return launch_tui(args, stdout)  # the UI enables the collector after a frame
        gc.enable()  # off while ``tui.launch`` started up; a long sync needs it
        service = open_service(args)
        notice = service.take_notice()
        if notice:
            print(f"{PROG}: {notice}", file=sys.stderr)
        try:
            return COMMANDS[args.command](service, args, stdout)
        finally:
            service.close()
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"{PROG}: config error: {exc}", file=sys.stderr)
        return 2
    except ServiceError as exc:
        logfile.log_failure(str(exc), exc, name="cli")
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `supportmail threads | head`: the reader went away; that is not an error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line here, the traceback in the log
        logfile.log_failure("unexpected error", exc, name="cli")
        where = log if log is not None else "no log file could be opened"
        print(
            f"{PROG}: unexpected error: {exc or type(exc).__name__} (details: {where})",
            file=sys.stderr,
        )
        return 1
