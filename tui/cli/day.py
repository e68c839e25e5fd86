"""The ``day`` command: the customer day (tag the untagged threads, oldest first, interactively
or as a queue) and its summary as text, Markdown or JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import to_iso
from supportmail.storage.service import ServiceError
from supportmail.tui.cli.output import (
    UsageError,
    clip,
    customer_name,
    dump_json,
    md_escape,
    pad,
    positive_int,
    sender_label,
    ymd,
)
from supportmail.tui.cli.quotes import quote_json

if TYPE_CHECKING:
    from supportmail.storage.models import (
        DayProgress,
        DayShift,
        DaySummary,
        ThreadSummary,
    )
    from supportmail.storage.service import Service


def add_day_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
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
    who = sender_label(words.sender, words.company) if words else customer_name(service, thread)
    out.write(
        f"  {who} · {ymd(thread.first_date)} · {thread.messages} "
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
            f"{s.id}  {ymd(s.first_date)}  {pad(customer_name(service, s), 22)}  "
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
        "quotes": [quote_json(q) for q in summary.quotes],
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
            out.write(f"| {md_escape(tag.tag)} | {tag.kind} | {tag.added} | {tag.removed} |\n")
    if summary.threads:
        out.write("\n### Threads\n\n")
    for t in summary.threads:
        added = " ".join("+" + md_escape(tag) for tag in t.added)
        out.write(f"- `{t.id}` {md_escape(t.subject or '(not in the cache)')}")
        out.write(f" — {added}\n" if added else "\n")
    if summary.notes:
        out.write("\n### Notes\n\n")
    for n in summary.notes:
        text = "\n  ".join(md_escape(line) for line in n.text.splitlines())
        out.write(f"- `{n.thread_id}` **{md_escape(n.subject or '(not in the cache)')}**: {text}\n")
    if summary.quotes:
        out.write("\n### Quotes\n\n")
    for q in summary.quotes:
        day = (q.date or q.saved).strftime("%Y-%m-%d")
        out.write(
            f"> {md_escape(q.text)}\n>\n> — {md_escape(sender_label(q.sender, q.company))}, {day}"
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


DAY_COMMANDS = {
    "day": cmd_day,
}
