"""The ``supportmail`` command: the scriptable CLI over ``storage.service``.

Exit codes: 0 success; 1 a runtime failure (server, lock, unknown thread); 2 bad usage or config.
Every failure prints exactly one line on stderr. Human output is sanitised for the terminal (mail
is untrusted); ``--json`` output holds the decoded text as valid UTF-8.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NoReturn, TextIO

from storage.dates import parse_when, relative_label, to_iso
from storage.models import (
    Address,
    DayProgress,
    DayShift,
    DaySummary,
    Digest,
    Report,
    SavedQuote,
    SyncProgress,
    TagReport,
    ThreadDetail,
    ThreadQuery,
    ThreadSummary,
    VoiceReport,
)
from storage.service import Service, ServiceError
from storage.settings import ConfigError, config_path, data_dir, load_settings

PROG = "supportmail"
DEMO_ACCOUNT = "demo"


class UsageError(Exception):
    """Bad command-line input: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    common.add_argument(
        "--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="local data directory"
    )
    common.add_argument(
        "--account", metavar="NAME", default=argparse.SUPPRESS, help="account from the config"
    )

    parser = _Parser(
        prog=PROG,
        parents=[common],
        description="Read and tag a team's shared customer-support mailbox.",
        epilog="Run a command with --help for its options. See README.md for the config file.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    sub.add_parser(
        "sync",
        parents=[common],
        help="pull new mail and flag changes, push pending tag edits",
    )

    p = sub.add_parser("threads", parents=[common], help="list threads, newest activity first")
    p.add_argument("--tag", action="append", default=[], metavar="T", help="only threads with T")
    p.add_argument("--untagged", action="store_true", help="missing a team or a category tag")
    p.add_argument("--unread", action="store_true", help="only threads with unread messages")
    p.add_argument("--since", metavar="WHEN", help="e.g. 2026-11-01, yesterday, '3 days ago'")
    p.add_argument("--search", metavar="TEXT", help="words in subject, people or fetched bodies")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="at most N threads")
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

    for name, what in (("read", "read"), ("unread", "unread")):
        p = sub.add_parser(
            name, parents=[common], help=f"mark every message of a thread {what} on the server"
        )
        p.add_argument("thread", metavar="THREAD")

    p = sub.add_parser("tags", parents=[common], help="the tag catalog with thread counts")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    sub.add_parser(
        "demo",
        parents=[common],
        help="open the app on the bundled demo mailbox (no server, nothing to configure)",
    )
    _add_report_parsers(sub, common)
    _add_day_parsers(sub, common)
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


def open_service(args: argparse.Namespace) -> Service:
    cfg_path = config_path(getattr(args, "config", None))
    base = data_dir(getattr(args, "data_dir", None))
    settings = load_settings(cfg_path)
    name = getattr(args, "account", None)
    if name == DEMO_ACCOUNT and DEMO_ACCOUNT not in settings.accounts:
        return Service.open_demo(base)
    if not settings.accounts:
        raise ConfigError(
            f"{cfg_path}: no [accounts.NAME] table: write one (see README, Configuration), "
            "or try `supportmail --account demo threads`"
        )
    account = settings.account(name)
    return Service.open(settings, account, base)


# -- output helpers --------------------------------------------------------------------------


def _address_json(a: Address) -> dict[str, str]:
    return {"name": a.name, "address": a.addr}


def _customer(service: Service, summary: ThreadSummary) -> str:
    for person in summary.participants:
        if not service.is_team_address(person):
            return person.display()
    return summary.participants[0].display() if summary.participants else ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def thread_json(summary: ThreadSummary) -> dict[str, Any]:
    return {
        "id": summary.id,
        "root_message_id": summary.root_message_id,
        "subject": summary.subject,
        "participants": [_address_json(p) for p in summary.participants],
        "messages": summary.messages,
        "first_date": to_iso(summary.first_date),
        "last_date": to_iso(summary.last_date),
        "tags": list(summary.tags),
        "pending_tags": list(summary.pending_tags),
        "unread": summary.unread,
        "has_note": summary.has_note,
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
                "from": _address_json(m.sender),
                "to": [_address_json(a) for a in m.to],
                "cc": [_address_json(a) for a in m.cc],
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


def _dump_json(value: object, out: TextIO) -> None:
    # ensure_ascii=False keeps the customers' words readable; surrogates from broken mail are
    # replaced so the output is always valid UTF-8.
    # (No indent: that switches json to its slow pure-Python encoder; pipe through `jq`.)
    text = json.dumps(value, ensure_ascii=False)
    out.write(text.encode("utf-8", "replace").decode("utf-8") + "\n")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


# -- commands --------------------------------------------------------------------------------


def cmd_sync(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    interactive = sys.stderr.isatty()

    def progress(p: SyncProgress) -> None:
        if interactive and p.phase == "headers" and p.total:
            sys.stderr.write(f"\r{p.folder}: {p.done}/{p.total} headers")
            sys.stderr.flush()

    result = service.sync(progress)
    if interactive:
        sys.stderr.write("\r\x1b[K")
    out.write(result.summary_line() + "\n")
    return 0


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
    )
    if args.json:
        _dump_json([thread_json(s) for s in service.list_threads(query, raw=True)], out)
        return 0
    now = service.now()
    for s in service.list_threads(query):
        marks = ("●" if s.unread else " ") + ("✎" if s.has_note else " ")
        marks += "↑" if s.pending_tags else " "
        tags = " ".join(s.tags)
        line = (
            f"{s.id}  {relative_label(s.last_date, now):>11}  {marks} "
            f"{_clip(_customer(service, s), 22):<22}  {s.messages:>3}  {_clip(s.subject, 60)}"
        )
        if tags:
            line += f"  [{tags}]"
        out.write(line + "\n")
    return 0


def cmd_show(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        _dump_json(detail_json(service.thread(args.thread, raw=True)), out)
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
            out.write(f"📎 {a.filename or '(unnamed)'}  {a.content_type}  {_size(a.size)}\n")
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
    service.set_note(args.thread, args.text)
    out.write("note saved (private: it never leaves this machine)\n")
    return 0


def cmd_mark(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    pending = service.mark_read(args.thread, read=args.command == "read")
    where = (
        "demo: stays local" if service.is_demo else f"{pending} edit(s) pending until the next sync"
    )
    out.write(f"marked {args.command} ({where})\n")
    return 0


def cmd_tags(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    tags = service.tags()
    if args.json:
        _dump_json(
            [
                {
                    "name": t.name,
                    "kind": t.kind,
                    "keyword": t.keyword,
                    "threads": t.threads,
                    "in_catalog": t.in_catalog,
                    "shortcut": t.shortcut,
                }
                for t in tags
            ],
            out,
        )
        return 0
    for t in (t.sanitized() for t in tags):
        key = f"[{t.shortcut}]" if t.shortcut else "   "
        origin = "" if t.in_catalog else "  (on mail, not in your catalog)"
        out.write(f"{key} {t.name:<32} {t.kind:<9} {t.threads:>6}{origin}\n")
    return 0


def _keymap(settings_keymap: str) -> dict[str, str]:
    from keymaps import KeymapError, load_keymap

    try:
        return load_keymap(settings_keymap)
    except KeymapError as exc:
        raise UsageError(f"keymap: {exc}") from None


def launch_tui(args: argparse.Namespace, out: TextIO) -> int:
    """``supportmail`` (the configured account) or ``supportmail demo``: the terminal UI."""
    from tui.app import run_app

    cfg_path = config_path(getattr(args, "config", None))
    settings = load_settings(cfg_path)
    keymap = _keymap(settings.keymap)
    if args.command == "demo":
        service = Service.open_demo(data_dir(getattr(args, "data_dir", None)))
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
        service = open_service(args)
    try:
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

_SPARK = "▁▂▃▄▅▆▇█"


def _add_report_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    when = "e.g. 2026-08-01, 'last month', '12 weeks ago'"
    p = sub.add_parser(
        "report", parents=[common], help="threads and customers per tag and period, with spikes"
    )
    p.add_argument("--since", metavar="WHEN", help=f"start (default: 12 periods back); {when}")
    p.add_argument("--until", metavar="WHEN", help="end (default: now)")
    p.add_argument("--by", choices=("day", "week", "month"), default="week")
    p.add_argument("--kind", choices=("team", "category", "label"), help="only tags of this kind")
    p.add_argument("--format", choices=("table", "md", "csv", "json"), default="table")

    p = sub.add_parser(
        "bugs", parents=[common], help="category:bug threads by team and label, by customers hit"
    )
    p.add_argument("--since", metavar="WHEN", help=f"start (default: 12 weeks ago); {when}")
    p.add_argument("--format", choices=("table", "json"), default="table")

    p = sub.add_parser(
        "voice", parents=[common], help="the top 10 feature requests in the customers' own words"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--quarter", metavar="YYYYQN", help="a calendar quarter, e.g. 2026Q3")
    group.add_argument("--since", metavar="WHEN", help=f"start (default: 3 months ago); {when}")
    p.add_argument("--format", choices=("md", "json"), default="md")

    p = sub.add_parser(
        "digest", parents=[common], help="what customers wrote since WHEN, by category"
    )
    p.add_argument("--since", metavar="WHEN", help="start (default: 24 hours ago)")
    p.add_argument("--format", choices=("md", "text"), default="md")

    p = sub.add_parser(
        "skim", parents=[common], help="what customers wrote since your last skim, by category"
    )
    p.add_argument("--format", choices=("text", "md"), default="text")
    p.add_argument("--peek", action="store_true", help="do not remember this skim")


def _when(service: Service, text: str | None, option: str) -> datetime | None:
    if not text:
        return None
    try:
        return parse_when(text, service.now())
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _day(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d")


def _moment(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if (dt.hour, dt.minute) != (0, 0) else _day(dt)


def _p_value(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _sparkline(values: Sequence[int]) -> str:
    top = max(values, default=0)
    if top == 0:
        return "·" * len(values)
    return "".join("·" if v == 0 else _SPARK[min(7, (v * 7 + top - 1) // top)] for v in values)


def _latest_text(tag: TagReport, by: str) -> str:
    test = tag.latest
    if test is None:
        return "(too little history)"
    so_far = " so far" if test.partial else ""
    text = f"{test.latest}{so_far} vs {test.baseline:.1f}/{by}"
    return f"SPIKE {text} ({_p_value(test.p)})" if test.flagged else text


def _md(text: str) -> str:
    """Text for a Markdown line or table cell: characters Markdown would act on are escaped."""
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return "\\" + text if text.startswith(("#", "+", "-", "=")) else text


def _spike_json(tag: TagReport) -> dict[str, Any] | None:
    spike = tag.spike
    if spike is None:
        return None
    return {
        "latest": spike.latest,
        "baseline": spike.baseline,
        "p": spike.p,
        "history": spike.history,
        "partial": spike.partial,
    }


def report_json(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "tag": t.tag,
            "kind": t.kind,
            "threads": t.threads,
            "customers": t.customers,
            "companies": t.companies,
            "periods": [
                {
                    "start": to_iso(p.start),
                    "threads": p.threads,
                    "customers": p.customers,
                    "companies": p.companies,
                    "spike": p.spike,
                }
                for p in t.periods
            ],
            "spike": _spike_json(t),
            "trend": t.trend,
        }
        for t in report.tags
    ]


def _report_title(report: Report) -> str:
    n = len(report.period_starts)
    return (
        f"Tags by {report.by}, {_day(report.since)} to {_moment(report.until)} "
        f"({n} {report.by}{'s' if n != 1 else ''}): {report.threads} threads, "
        f"{report.customers} customers, {report.companies} companies"
    )


def _report_table(report: Report, out: TextIO) -> None:
    out.write(_report_title(report) + "\n\n")
    if not report.tags:
        out.write("(no tagged threads in this window)\n")
        return
    width = max(24, *(len(t.tag) for t in report.tags))
    n = len(report.period_starts)
    out.write(
        f"{'TAG':<{width}}  {'THREADS':>7} {'CUST':>5} {'COMP':>5}  {'TREND':<7}  "
        f"{'PER ' + report.by.upper():<{max(n, 10)}}  LATEST {report.by.upper()}\n"
    )
    for t in report.tags:
        spark = _sparkline([p.threads for p in t.periods])
        out.write(
            f"{t.tag:<{width}}  {t.threads:>7} {t.customers:>5} {t.companies:>5}  "
            f"{t.trend or '-':<7}  {spark:<{max(n, 10)}}  {_latest_text(t, report.by)}\n"
        )


def _report_md(report: Report, out: TextIO) -> None:
    out.write(f"### {_md(_report_title(report))}\n\n")
    out.write(
        f"| Tag | Threads | Customers | Companies | Trend | Threads per {report.by} "
        f"(from {_day(report.since)}) | Latest {report.by} |\n"
    )
    out.write("|---|---:|---:|---:|---|---|---|\n")
    for t in report.tags:
        counts = " ".join(f"**{p.threads}**" if p.spike else str(p.threads) for p in t.periods)
        latest = _latest_text(t, report.by)
        if t.spike is not None:
            latest = "**" + latest + "**"
        out.write(
            f"| {_md(t.tag)} | {t.threads} | {t.customers} | {t.companies} | {t.trend or '–'} | "
            f"{counts} | {latest} |\n"
        )
    out.write(
        "\nSpike: a one-sided Poisson test against the previous 8 periods (p < 0.01 and at "
        "least 3 threads; bold counts). Trend: Mann-Kendall over the complete periods.\n"
    )


def _report_csv(report: Report, out: TextIO) -> None:
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["tag", "kind", "period_start", "threads", "customers", "companies", "spike"])
    for t in report.tags:
        for p in t.periods:
            writer.writerow(
                [t.tag, t.kind, _day(p.start), p.threads, p.customers, p.companies, int(p.spike)]
            )


def cmd_report(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since = _when(service, args.since, "--since")
    until = _when(service, args.until, "--until")
    raw = args.format == "json"  # csv is read on terminals too: sanitised like the table
    report = service.report(since, until, by=args.by, kind=args.kind, raw=raw)
    if args.format == "json":
        _dump_json(report_json(report), out)
    elif args.format == "csv":
        _report_csv(report, out)
    elif args.format == "md":
        _report_md(report, out)
    else:
        _report_table(report, out)
    return 0


def _who(sender: Address, company: str | None) -> str:
    name = sender.name or sender.addr
    return f"{name} ({company})" if company else name


def cmd_bugs(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since = _when(service, args.since, "--since")
    if args.format == "json":
        reach = service.bugs_by_reach(since, raw=True)
        _dump_json(
            [
                {
                    "tag": g.tag,
                    "kind": g.kind,
                    "threads": g.threads,
                    "customers": g.customers,
                    "companies": g.companies,
                    "last_date": to_iso(g.last_date),
                    "thread_ids": list(g.thread_ids),
                }
                for g in reach.groups
            ],
            out,
        )
        return 0
    reach = service.bugs_by_reach(since)
    out.write(
        f"Bugs by reach, {_day(reach.since)} to {_moment(reach.until)}: "
        f"{reach.threads} category:bug threads\n\n"
    )
    if not reach.groups:
        out.write("(no category:bug threads in this window)\n")
        return 0
    width = max(24, *(len(g.tag or "") for g in reach.groups))
    out.write(f" #  {'TEAM / LABEL':<{width}}  {'CUST':>5} {'COMP':>5} {'THREADS':>7}  NEWEST\n")
    for n, g in enumerate(reach.groups, 1):
        name = g.tag or "(no team or label)"
        out.write(
            f"{n:>2}  {name:<{width}}  {g.customers:>5} {g.companies:>5} {g.threads:>7}  "
            f"{_day(g.last_date)}  {' '.join(g.thread_ids[:3])}\n"
        )
    return 0


def _window_args(service: Service, args: argparse.Namespace) -> tuple[datetime | None, Any]:
    if args.quarter:
        try:
            start, end = service.quarter(args.quarter)
        except ServiceError as exc:
            raise UsageError(f"--quarter: {exc}") from None
        return start, end
    return _when(service, args.since, "--since"), None


def voice_json(voice: VoiceReport) -> dict[str, Any]:
    return {
        "since": to_iso(voice.since),
        "until": to_iso(voice.until),
        "threads": voice.threads,
        "unlabelled": voice.unlabelled,
        "requests": [
            {
                "tag": r.tag,
                "kind": r.kind,
                "customers": r.customers,
                "companies": r.companies,
                "threads": r.threads,
                "thread_ids": list(r.thread_ids),
                "quotes": [
                    {
                        "text": q.text,
                        "from": _address_json(q.sender),
                        "company": q.company,
                        "date": to_iso(q.date),
                        "thread_id": q.thread_id,
                        "saved": q.saved,
                    }
                    for q in r.quotes
                ],
            }
            for r in voice.requests
        ],
    }


def _voice_md(voice: VoiceReport, out: TextIO) -> None:
    out.write(
        f"## Top feature requests, {_day(voice.since)} to "
        f"{_day(voice.until - timedelta(microseconds=1))}\n\n"
        f"{voice.threads} feature requests; ranked by distinct customers.\n\n"
    )
    if not voice.requests:
        out.write("No threads tagged category:feature-request in this window.\n")
        return
    out.write("| # | Request | Customers | Companies | Threads |\n|---:|---|---:|---:|---:|\n")
    for n, r in enumerate(voice.requests, 1):
        out.write(f"| {n} | {_md(r.tag)} | {r.customers} | {r.companies} | {r.threads} |\n")
    for n, r in enumerate(voice.requests, 1):
        people = f"{r.customers} customer{'s' if r.customers != 1 else ''}"
        out.write(f"\n### {n}. {_md(r.tag)} ({people})\n\n")
        for q in r.quotes:
            out.write(
                f"> {_md(q.text)}\n>\n> — {_md(_who(q.sender, q.company))}, {_day(q.date)}"
                f" (thread {q.thread_id})\n\n"
            )
        out.write(f"Threads: {', '.join(r.thread_ids)}\n")
    if voice.unlabelled:
        out.write(f"\n{voice.unlabelled} feature requests carry no label or team tag yet.\n")


def cmd_voice(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since, until = _window_args(service, args)
    if args.format == "json":
        _dump_json(voice_json(service.voice(since, until, raw=True)), out)
    else:
        _voice_md(service.voice(since, until), out)
    return 0


def _digest_md(digest: Digest, out: TextIO) -> None:
    out.write(
        f"## Digest {_moment(digest.since)} to {_moment(digest.until)}: "
        f"{digest.threads} thread{'s' if digest.threads != 1 else ''}\n\n"
    )
    counts = [f"{_md(g.category or 'not categorised')}: {len(g.items)}" for g in digest.groups]
    out.write((" · ".join(counts) or "Nothing new from customers.") + "\n")
    for g in digest.groups:
        out.write(f"\n### {_md(g.category or 'not categorised')} ({len(g.items)})\n\n")
        for item in g.items:
            who = _who(item.customer, item.company) if item.customer else "?"
            new = "" if item.new else " (follow-up)"
            out.write(
                f"- **{_md(item.subject or '(no subject)')}**{new} — {_md(who)}, "
                f"{_moment(item.date)} · `{item.thread_id}`\n"
            )
            if item.text:
                out.write(f"  > {_md(item.text)}\n")


def _digest_text(digest: Digest, out: TextIO) -> None:
    out.write(
        f"Digest {_moment(digest.since)} to {_moment(digest.until)}: {digest.threads} threads\n"
    )
    for g in digest.groups:
        out.write(f"\n{(g.category or 'not categorised').upper()} ({len(g.items)})\n")
        for item in g.items:
            who = _who(item.customer, item.company) if item.customer else "?"
            new = "" if item.new else " (follow-up)"
            out.write(f"  {item.thread_id}  {item.subject or '(no subject)'}{new} — {who}\n")
            if item.text:
                out.write(f"      {item.text}\n")


def cmd_skim(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    last = service.last_skim()
    digest = service.skim(remember=not args.peek)
    if last is None:
        out.write("First skim: showing the last 24 hours.\n")
    if args.format == "md":
        _digest_md(digest, out)
    else:
        _digest_text(digest, out)
    if args.peek:
        out.write("(peek: the last skim stays where it was)\n")
    return 0


def cmd_digest(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    digest = service.digest(_when(service, args.since, "--since"))
    if args.format == "text":
        _digest_text(digest, out)
    else:
        _digest_md(digest, out)
    return 0


# -- saved quotes and the customer day: quote, quotes, day -----------------------------------


def _quote_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--message",
        metavar="MSG",
        help="Message-ID or number as `show` prints it (default: the first customer message)",
    )
    p.add_argument(
        "--paragraph",
        type=_positive_int,
        metavar="N",
        help="keep the Nth paragraph the customer wrote (without TEXT or N: list them)",
    )


# What follows THREAD in `quote THREAD --message 2 TEXT` (argparse cannot mix an optional
# positional after options itself): parsed with parse_intermixed_args.
_QUOTE_REST = _Parser(prog=f"{PROG} quote THREAD", add_help=False)
_quote_options(_QUOTE_REST)
_QUOTE_REST.add_argument("text", nargs="*")


def _add_day_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "quote",
        parents=[common],
        help="keep a customer's words: quote THREAD [--message M] (TEXT | --paragraph N)",
    )
    _quote_options(p)
    p.add_argument("--remove", type=_positive_int, metavar="ID", help="delete saved quote ID")
    p.add_argument("thread", nargs="?", metavar="THREAD")
    p.add_argument("rest", nargs=argparse.REMAINDER, metavar="TEXT", help="the words to keep")

    p = sub.add_parser("quotes", parents=[common], help="your saved quotes (of one thread)")
    p.add_argument("thread", nargs="?", metavar="THREAD")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = sub.add_parser(
        "day",
        parents=[common],
        help="customer day: tag the untagged threads, oldest first, then a summary",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--summary", action="store_true", help="print the day's summary")
    group.add_argument("--end", action="store_true", help="end today's shift, print its summary")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="the summary of that day's shifts")
    p.add_argument("--format", choices=("text", "md", "json"), default="text")
    p.add_argument(
        "--limit", type=_positive_int, default=20, metavar="N", help="queue lines (no terminal)"
    )


def _quote_json(q: SavedQuote) -> dict[str, Any]:
    return {
        "id": q.id,
        "thread_id": q.thread_id,
        "root_message_id": q.root_message_id,
        "message_id": q.message_id,
        "text": q.text,
        "from": _address_json(q.sender),
        "company": q.company,
        "date": None if q.date is None else to_iso(q.date),
        "saved": to_iso(q.saved),
    }


def _quote_paragraph(service: Service, args: argparse.Namespace, out: TextIO) -> str | None:
    """The text to save: TEXT, or the chosen paragraph; None after listing the paragraphs."""
    if args.text is not None:
        if args.paragraph is not None:
            raise UsageError("quote: give TEXT or --paragraph N, not both")
        return str(args.text)
    if args.paragraph is None:
        paragraphs = service.customer_paragraphs(args.thread, args.message)
        for n, paragraph in enumerate(paragraphs, 1):
            out.write(f"{n:>2}  {paragraph}\n")
        out.write(
            "(keep one with --paragraph N)\n"
            if paragraphs
            else "(no customer paragraphs in that message)\n"
        )
        return None
    paragraphs = service.customer_paragraphs(args.thread, args.message, raw=True)
    if args.paragraph > len(paragraphs):
        raise UsageError(
            f"--paragraph {args.paragraph}: that message has {len(paragraphs)} customer "
            f"paragraph{'s' if len(paragraphs) != 1 else ''}"
        )
    return paragraphs[args.paragraph - 1]


def cmd_quote(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.remove is not None:
        if args.thread or args.rest or args.message or args.paragraph:
            raise UsageError("quote --remove ID takes nothing else")
        service.remove_quote(args.remove)
        out.write(f"quote {args.remove} removed\n")
        return 0
    if not args.thread:
        raise UsageError("quote: give THREAD (or --remove ID)")
    rest = _QUOTE_REST.parse_intermixed_args(args.rest)
    args.message = rest.message or args.message
    args.paragraph = rest.paragraph or args.paragraph
    args.text = " ".join(rest.text) if rest.text else None
    text = _quote_paragraph(service, args, out)
    if text is None:
        return 0
    saved = service.save_quote(args.thread, args.message, text)
    out.write(f"saved quote {saved.id} (private): {service.quote_with_attribution(saved)}\n")
    return 0


def cmd_quotes(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        _dump_json([_quote_json(q) for q in service.quotes(args.thread, raw=True)], out)
        return 0
    found = service.quotes(args.thread)
    if not found:
        out.write("(no saved quotes: `supportmail quote THREAD ...` keeps one)\n")
    for q in found:
        out.write(f"{q.id:>4}  {service.quote_with_attribution(q)}\n")
    return 0


def _bar(done: int, total: int, width: int = 10) -> str:
    """``[#####-----] 5/10``."""
    filled = width if total == 0 else min(width, done * width // total)
    return f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total}"


def _duration(elapsed: timedelta) -> str:
    minutes = int(elapsed.total_seconds()) // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _clock(service: Service, dt: datetime) -> str:
    return dt.astimezone(service.now().tzinfo).strftime("%H:%M")


def _missing(tags: Sequence[str]) -> str:
    kinds = {t.split(":", 1)[0] for t in tags if t.startswith(("team:", "category:"))}
    need = [k for k in ("team", "category") if k not in kinds]
    return f"needs a {' and a '.join(need)} tag" if need else "tagged"


def _progress_line(service: Service, progress: DayProgress) -> str:
    line = f"{_bar(progress.done, progress.queue_size)} · {progress.remaining} to go"
    if progress.skipped:
        line += f" ({progress.skipped} skipped)"
    return f"{line} · {_duration(progress.elapsed)} since {_clock(service, progress.started)}"


def _day_card(service: Service, thread: ThreadSummary, out: TextIO) -> None:
    words = service.first_customer_words(thread.id)
    out.write(f"{thread.id}  {_clip(thread.subject or '(no subject)', 90)}\n")
    who = _who(words.sender, words.company) if words else _customer(service, thread)
    out.write(
        f"  {who} · {_day(thread.first_date)} · {thread.messages} "
        f"message{'s' if thread.messages != 1 else ''}\n"
    )
    tags = " ".join(thread.tags) or "(no tags)"
    out.write(f"  Tags: {tags} ({_missing(thread.tags)})\n")
    out.write(f"  > {words.text}\n" if words else "  (no customer text in the cache)\n")


def _day_edits(line: str) -> tuple[list[str], list[str]]:
    add: list[str] = []
    remove: list[str] = []
    for item in line.split():
        if item.startswith("+") and len(item) > 1:
            add.append(item[1:])
        elif item.startswith("-") and len(item) > 1:
            remove.append(item[1:])
        else:
            raise UsageError(f"'{_clip(item, 30)}': type +TAG -TAG, n or q")
    return add, remove


def _day_step(service: Service, thread: ThreadSummary, line: str, out: TextIO) -> bool:
    """Act on one typed line; False when the user ends the day."""
    command = line.strip()
    if command.lower() in ("q", "quit", "exit"):
        return False
    if command.lower() in ("n", "next", "s", "skip"):
        service.day_skip(thread.id)
        return True
    if not command:
        return True
    try:
        add, remove = _day_edits(command)
        result = service.edit_tags(thread.id, add, remove)
    except (UsageError, ServiceError) as exc:
        out.write(f"  ! {exc}\n")
        return True
    out.write(f"  {result.thread_id}: {' '.join(result.tags) or '(no tags)'}\n")
    return True


def _day_interactive(service: Service, out: TextIO, stdin: TextIO) -> None:
    out.write("+TAG -TAG tags the thread (e.g. +team:billing +category:bug), n skips it, q ends.\n")
    while True:
        thread = service.day_next()
        if thread is None:
            out.write("\nThe queue is through.\n")
            return
        out.write("\n" + _progress_line(service, service.day_status()) + "\n")
        _day_card(service, thread, out)
        out.write("> ")
        out.flush()
        line = stdin.readline()
        if not line:  # end of input (Ctrl-D)
            out.write("\n")
            return
        if not _day_step(service, thread, line, out):
            return


def _day_queue(service: Service, shift: DayShift, limit: int, out: TextIO) -> None:
    how = "resumed" if shift.resumed else "started"
    out.write(
        f"Customer day {how} at {_clock(service, shift.started)}: {shift.queue_size} threads "
        "missing a team or a category tag, oldest first.\n"
    )
    progress = service.day_status()
    out.write(_progress_line(service, progress) + "\n")
    if progress.remaining == 0:
        out.write("The queue is through.\n")
        return
    for s in service.day_queue(limit):
        out.write(
            f"{s.id}  {_day(s.first_date)}  {_clip(_customer(service, s), 22):<22}  "
            f"{_clip(s.subject, 50):<50}  {' '.join(s.tags) or '-'} ({_missing(s.tags)})\n"
        )
    if progress.remaining > limit:
        out.write(f"… and {progress.remaining - limit} more\n")
    out.write(
        "Tag with `supportmail tag THREAD +team:… +category:…`; "
        "`supportmail day --end` ends the day.\n"
    )


def day_json(summary: DaySummary) -> dict[str, Any]:
    return {
        "day": summary.day.isoformat(),
        "started": to_iso(summary.started),
        "ended": None if summary.ended is None else to_iso(summary.ended),
        "elapsed_seconds": int(summary.elapsed.total_seconds()),
        "shifts": summary.shifts,
        "queue_size": summary.queue_size,
        "done": summary.done,
        "skipped": summary.skipped,
        "threads_handled": len(summary.threads),
        "added_by_kind": summary.added_by_kind(),
        "marked_read": summary.marked_read,
        "tags": [
            {"tag": t.tag, "kind": t.kind, "added": t.added, "removed": t.removed}
            for t in summary.tags
        ],
        "threads": [
            {"id": t.id, "subject": t.subject, "tags": list(t.tags), "added": list(t.added)}
            for t in summary.threads
        ],
        "notes": [
            {"thread_id": n.thread_id, "subject": n.subject, "text": n.text} for n in summary.notes
        ],
        "quotes": [_quote_json(q) for q in summary.quotes],
    }


def _day_span(service: Service, summary: DaySummary) -> str:
    end = "now" if summary.ended is None else _clock(service, summary.ended)
    shifts = f"{summary.shifts} shift{'s' if summary.shifts != 1 else ''}"
    return f"{_clock(service, summary.started)}–{end}, {_duration(summary.elapsed)}, {shifts}"


def _day_facts(summary: DaySummary) -> list[str]:
    done = "?" if summary.done is None else str(summary.done)
    added = summary.added_by_kind()
    removed = sum(t.removed for t in summary.tags)
    return [
        f"Queue: {done} of {summary.queue_size} done, {summary.skipped} skipped",
        f"Threads handled: {len(summary.threads)}",
        f"Tags added: {added['team']} team, {added['category']} category, "
        f"{added['label']} label; {removed} removed",
        f"Marked read/unread: {summary.marked_read}",
    ]


def _day_text(service: Service, summary: DaySummary, out: TextIO) -> None:
    out.write(f"Customer day {summary.day.isoformat()}: {_day_span(service, summary)}\n")
    for fact in _day_facts(summary):
        out.write(f"  {fact}\n")
    if summary.threads:
        out.write("\nThreads:\n")
    for t in summary.threads:
        added = " ".join("+" + tag for tag in t.added)
        line = f"  {t.id}  {_clip(t.subject or '(not in the cache)', 60)}  {added}"
        out.write(line.rstrip() + "\n")
    if summary.notes:
        out.write("\nNotes:\n")
    for n in summary.notes:
        out.write(f"  {n.thread_id}  {n.subject}\n      " + n.text.replace("\n", "\n      ") + "\n")
    if summary.quotes:
        out.write("\nQuotes:\n")
    for q in summary.quotes:
        out.write(f"  {service.quote_with_attribution(q)}\n")


def _day_md(service: Service, summary: DaySummary, out: TextIO) -> None:
    out.write(f"## Customer day, {summary.day.isoformat()}\n\n{_day_span(service, summary)}\n\n")
    out.write("".join(f"- {fact}\n" for fact in _day_facts(summary)))
    if summary.tags:
        out.write("\n### Tags\n\n| Tag | Kind | Added | Removed |\n|---|---|---:|---:|\n")
        for tag in summary.tags:
            out.write(f"| {_md(tag.tag)} | {tag.kind} | {tag.added} | {tag.removed} |\n")
    if summary.threads:
        out.write("\n### Threads\n\n")
    for t in summary.threads:
        added = " ".join("+" + _md(tag) for tag in t.added)
        out.write(f"- `{t.id}` {_md(t.subject or '(not in the cache)')}")
        out.write(f" — {added}\n" if added else "\n")
    if summary.notes:
        out.write("\n### Notes\n\n")
    for n in summary.notes:
        text = "\n  ".join(_md(line) for line in n.text.splitlines())
        out.write(f"- `{n.thread_id}` **{_md(n.subject or '(not in the cache)')}**: {text}\n")
    if summary.quotes:
        out.write("\n### Quotes\n\n")
    for q in summary.quotes:
        day = (q.date or q.saved).strftime("%Y-%m-%d")
        out.write(
            f"> {_md(q.text)}\n>\n> — {_md(_who(q.sender, q.company))}, {day}"
            f" (thread {q.thread_id})\n\n"
        )


def _print_day(
    service: Service, summary_of: Callable[[bool], DaySummary], fmt: str, out: TextIO
) -> None:
    """The summary in ``fmt``; ``summary_of(raw)`` builds it (JSON holds the decoded text)."""
    if fmt == "json":
        _dump_json(day_json(summary_of(True)), out)
    elif fmt == "md":
        _day_md(service, summary_of(False), out)
    else:
        _day_text(service, summary_of(False), out)


def _summary_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--date: expected YYYY-MM-DD, got '{_clip(text, 20)}'") from None


def cmd_day(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    on = _summary_date(args.date)
    if args.summary or on is not None:
        if args.end:
            raise UsageError("day: --date goes with --summary, not --end")
        _print_day(service, lambda raw: service.day_summary(on, raw=raw), args.format, out)
        return 0
    if args.end:
        service.day_end()
        _print_day(service, lambda raw: service.day_summary(raw=raw), args.format, out)
        return 0
    shift = service.day_start()
    if not sys.stdin.isatty():
        _day_queue(service, shift, args.limit, out)
        return 0
    if shift.resumed:
        out.write(f"Resuming today's customer day (started {_clock(service, shift.started)}).\n")
    _day_interactive(service, out, sys.stdin)
    summary = service.day_end()
    out.write("\n")
    _day_text(service, summary, out)
    return 0


COMMANDS = {
    "sync": cmd_sync,
    "threads": cmd_threads,
    "show": cmd_show,
    "tag": cmd_tag,
    "note": cmd_note,
    "tags": cmd_tags,
    "read": cmd_mark,
    "unread": cmd_mark,
    "report": cmd_report,
    "bugs": cmd_bugs,
    "voice": cmd_voice,
    "digest": cmd_digest,
    "skim": cmd_skim,
    "quote": cmd_quote,
    "quotes": cmd_quotes,
    "day": cmd_day,
}


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code. Errors are one line on stderr."""
    stdout = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command in (None, "demo"):
            return launch_tui(args, stdout)
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


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
