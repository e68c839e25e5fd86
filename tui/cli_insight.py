"""The insight commands of ``supportmail``: report, bugs, voice, digest, skim, quote(s), day.

They read the local cache through ``storage.service`` (no network) and print tables, Markdown,
CSV or JSON; ``tui.cli`` registers them with ``add_report_parsers``/``add_day_parsers`` and
dispatches through ``INSIGHT_COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from storage.dates import parse_when, to_iso
from storage.models import (
    Address,
    DayProgress,
    DayShift,
    DaySummary,
    Digest,
    Report,
    SavedQuote,
    TagReport,
    ThreadSummary,
    VoiceReport,
)
from storage.service import Service, ServiceError
from tui.cli_coverage import (
    EXCERPTS,
    QUOTES,
    TEXT,
    bugs_json,
    coverage_json,
    digest_json,
    write_coverage,
)
from tui.cli_output import (
    PROG,
    Parser,
    UsageError,
    address_json,
    cell_width,
    clip,
    customer_name,
    dump_json,
    pad,
    positive_int,
)
from tui.report_words import empty_report_reason
from tui.spark import sparkline_text


def add_report_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
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
    p.add_argument("--format", choices=("md", "text", "json"), default="md")

    p = sub.add_parser(
        "skim", parents=[common], help="what customers wrote since your last skim, by category"
    )
    p.add_argument("--format", choices=("text", "md", "json"), default="text")
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
        out.write(f"({empty_report_reason(report)})\n")
        return
    width = max(24, *(cell_width(t.tag) for t in report.tags))
    n = len(report.period_starts)
    out.write(
        f"{'TAG':<{width}}  {'THREADS':>7} {'CUST':>5} {'COMP':>5}  {'TREND':<7}  "
        f"{'PER ' + report.by.upper():<{max(n, 10)}}  LATEST {report.by.upper()}\n"
    )
    for t in report.tags:
        spark = sparkline_text([p.threads for p in t.periods])
        out.write(
            f"{pad(t.tag, width)}  {t.threads:>7} {t.customers:>5} {t.companies:>5}  "
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
        dump_json(report_json(report), out)
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
        dump_json(bugs_json(service.bugs_by_reach(since, raw=True)), out)
        return 0
    reach = service.bugs_by_reach(since)
    out.write(
        f"Bugs by reach, {_day(reach.since)} to {_moment(reach.until)}: "
        f"{reach.threads} category:bug threads\n"
    )
    write_coverage(reach.coverage, TEXT, out)
    out.write("\n")
    if not reach.groups:
        out.write("(no category:bug threads in this window)\n")
        return 0
    width = max(24, *(cell_width(g.tag or "") for g in reach.groups))
    out.write(f" #  {'TEAM / LABEL':<{width}}  {'CUST':>5} {'COMP':>5} {'THREADS':>7}  NEWEST\n")
    for n, g in enumerate(reach.groups, 1):
        name = g.tag or "(no team or label)"
        out.write(
            f"{n:>2}  {pad(name, width)}  {g.customers:>5} {g.companies:>5} {g.threads:>7}  "
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
                        "from": address_json(q.sender),
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
        "coverage": coverage_json(voice.coverage),
    }


def _voice_md(voice: VoiceReport, out: TextIO) -> None:
    out.write(
        f"## Top feature requests, {_day(voice.since)} to "
        f"{_day(voice.until - timedelta(microseconds=1))}\n\n"
        f"{voice.threads} feature requests; ranked by distinct customers.\n\n"
    )
    write_coverage(voice.coverage, QUOTES, out, md=True)
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
        dump_json(voice_json(service.voice(since, until, raw=True)), out)
    else:
        _voice_md(service.voice(since, until), out)
    return 0


def _digest_md(digest: Digest, out: TextIO, title: str = "Digest") -> None:
    out.write(
        f"## {title} {_moment(digest.since)} to {_moment(digest.until)}: "
        f"{digest.threads} thread{'s' if digest.threads != 1 else ''}\n\n"
    )
    write_coverage(digest.coverage, EXCERPTS, out, md=True)
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


def _digest_text(digest: Digest, out: TextIO, title: str = "Digest") -> None:
    out.write(
        f"{title} {_moment(digest.since)} to {_moment(digest.until)}: {digest.threads} threads\n"
    )
    write_coverage(digest.coverage, EXCERPTS, out)
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
    digest = service.skim(remember=not args.peek, raw=args.format == "json")
    if args.format == "json":
        dump_json({**digest_json(digest), "first": last is None, "peek": args.peek}, out)
        return 0
    if last is None:
        out.write("First skim: showing the last 24 hours.\n")
    title = "Skim (peek)" if args.peek else "Skim"
    if args.format == "md":
        _digest_md(digest, out, title)
    else:
        _digest_text(digest, out, title)
    if args.peek:
        out.write("(peek: the last skim stays where it was)\n")
    return 0


def cmd_digest(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since = _when(service, args.since, "--since")
    if args.format == "json":
        dump_json(digest_json(service.digest(since, raw=True)), out)
        return 0
    digest = service.digest(since)
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
        type=positive_int,
        metavar="N",
        help="keep the Nth paragraph the customer wrote (without TEXT or N: list them)",
    )


# What follows THREAD in `quote THREAD --message 2 TEXT` (argparse cannot mix an optional
# positional after options itself): parsed with parse_intermixed_args.
_QUOTE_REST = Parser(prog=f"{PROG} quote THREAD", add_help=False)
_quote_options(_QUOTE_REST)
_QUOTE_REST.add_argument("text", nargs="*")


def add_day_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "quote",
        parents=[common],
        help="keep a customer's words: quote THREAD [--message M] (TEXT | --paragraph N)",
    )
    _quote_options(p)
    p.add_argument("--remove", type=positive_int, metavar="ID", help="delete saved quote ID")
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
        "--limit", type=positive_int, default=20, metavar="N", help="queue lines (no terminal)"
    )


def _quote_json(q: SavedQuote) -> dict[str, Any]:
    return {
        "id": q.id,
        "thread_id": q.thread_id,
        "root_message_id": q.root_message_id,
        "message_id": q.message_id,
        "text": q.text,
        "from": address_json(q.sender),
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
        number, sender = service.quoted_message(args.thread, args.message)
        paragraphs = service.customer_paragraphs(args.thread, args.message)
        who = f"{sender.name} <{sender.addr}>" if sender.name else sender.addr
        out.write(f"message {number} from {who}:\n")
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
    chosen: str = paragraphs[args.paragraph - 1]
    return chosen


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
        dump_json([_quote_json(q) for q in service.quotes(args.thread, raw=True)], out)
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
    out.write(f"{thread.id}  {clip(thread.subject or '(no subject)', 90)}\n")
    who = _who(words.sender, words.company) if words else customer_name(service, thread)
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
            raise UsageError(f"'{clip(item, 30)}': type +TAG -TAG, n or q")
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
            f"{s.id}  {_day(s.first_date)}  {pad(customer_name(service, s), 22)}  "
            f"{pad(s.subject, 50)}  {' '.join(s.tags) or '-'} ({_missing(s.tags)})\n"
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
        line = f"  {t.id}  {clip(t.subject or '(not in the cache)', 60)}  {added}"
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
        dump_json(day_json(summary_of(True)), out)
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
        raise UsageError(f"--date: expected YYYY-MM-DD, got '{clip(text, 20)}'") from None


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


INSIGHT_COMMANDS = {
    "report": cmd_report,
    "bugs": cmd_bugs,
    "voice": cmd_voice,
    "digest": cmd_digest,
    "skim": cmd_skim,
    "quote": cmd_quote,
    "quotes": cmd_quotes,
    "day": cmd_day,
}
