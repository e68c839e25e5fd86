"""``supportmail responses`` and ``threads --awaiting``: first-reply times and who waits.

The numbers come from ``Service.answers`` (``storage.insight.responses``); this module only
prints them as a table, Markdown, CSV or JSON.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import format_duration, to_iso, waited
from supportmail.storage.sanitize import sanitize_line
from supportmail.tui.cli.output import dump_json, window_options
from supportmail.tui.units import format_share

if TYPE_CHECKING:
    from supportmail.storage.models import ResponseReport, ResponseStats, ThreadSummary
    from supportmail.storage.service import Service


def waiting_json(summary: ThreadSummary) -> dict[str, Any]:
    """``{"waiting_since": ISO}`` for a thread of the awaiting view, else nothing."""
    if summary.waiting_since is None:
        return {}
    return {"waiting_since": to_iso(summary.waiting_since)}


def waiting_label(summary: ThreadSummary, now: datetime) -> str | None:
    """'waits 3h05m' (at most 11 characters, the date column's width) for a thread of the
    awaiting view, else None."""
    if summary.waiting_since is None:
        return None
    seconds = int(waited(summary.waiting_since, now).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days >= 100:
        return f"waits {days}d"
    if days:
        return f"waits {days}d{hours}h"
    if hours:
        return f"waits {hours}h{minutes:02d}m"
    return f"waits {minutes}m"


def stats_json(stats: ResponseStats) -> dict[str, Any]:
    return {
        "threads": stats.threads,
        "answered": stats.answered,
        "first_reply_median_s": stats.first_reply_median_s,
        "first_reply_p90_s": stats.first_reply_p90_s,
        "within_1h": stats.within_1h,
        "within_24h": stats.within_24h,
    }


def _periods_json(periods: tuple[tuple[datetime, ResponseStats], ...]) -> list[dict[str, Any]]:
    return [{"start": to_iso(start), **stats_json(stats)} for start, stats in periods]


def responses_json(report: ResponseReport) -> dict[str, Any]:
    """The documented JSON shape: since, until, tags (with periods), waiting; plus ``by`` and
    ``total`` (every thread of the window, tagged or not)."""
    return {
        "since": to_iso(report.since),
        "until": to_iso(report.until),
        "by": report.by,
        "tags": [
            {
                "tag": t.tag,
                "kind": t.kind,
                **stats_json(t.stats),
                "periods": _periods_json(t.periods),
            }
            for t in report.tags
        ],
        "total": {**stats_json(report.total), "periods": _periods_json(report.total_periods)},
        "waiting": [{"thread_id": w.thread_id, "since": to_iso(w.since)} for w in report.waiting],
    }


def _title(report: ResponseReport) -> str:
    return (
        f"First replies, {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d %H:%M}, "
        f"by {report.by}: {report.total.threads} threads, {report.total.answered} answered"
    )


def _rows(report: ResponseReport) -> list[tuple[str, ResponseStats]]:
    rows = [("(all threads)", report.total)]
    rows += [(sanitize_line(t.tag), t.stats) for t in report.tags]
    return rows


def _table(report: ResponseReport, now: datetime, out: TextIO) -> None:
    out.write(_title(report) + "\n\n")
    rows = _rows(report)
    width = max(24, *(len(name) for name, _ in rows))
    out.write(
        f"{'TAG':<{width}}  {'THREADS':>7} {'ANSWERED':>8}  {'MEDIAN':>8} {'P90':>8}  "
        f"{'≤1H':>4} {'≤24H':>5}\n"
    )
    for name, s in rows:
        out.write(
            f"{name:<{width}}  {s.threads:>7} {s.answered:>8}  "
            f"{format_duration(s.first_reply_median_s):>8} "
            f"{format_duration(s.first_reply_p90_s):>8}  "
            f"{format_share(s.within_1h):>4} {format_share(s.within_24h):>5}\n"
        )
    waiting = report.waiting
    if waiting:
        longest = format_duration(waited(waiting[0].since, now).total_seconds())
        out.write(f"\n{len(waiting)} threads wait for a reply; the longest for {longest}.\n")
    else:
        out.write("\nNo thread waits for a reply.\n")


def _md(text: str) -> str:
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def _markdown(report: ResponseReport, out: TextIO) -> None:
    out.write(f"### {_md(_title(report))}\n\n")
    out.write("| Tag | Threads | Answered | Median | P90 | Within 1 h | Within 24 h |\n")
    out.write("|---|---:|---:|---:|---:|---:|---:|\n")
    for name, s in _rows(report):
        out.write(
            f"| {_md(name)} | {s.threads} | {s.answered} | "
            f"{format_duration(s.first_reply_median_s)} | "
            f"{format_duration(s.first_reply_p90_s)} | {format_share(s.within_1h)} | "
            f"{format_share(s.within_24h)} |\n"
        )
    out.write(
        f"\nFirst reply: from a thread's first customer message to the team's first message "
        f"after it. {len(report.waiting)} threads wait for a reply now.\n"
    )


def _csv(report: ResponseReport, out: TextIO) -> None:
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "tag",
            "kind",
            "period_start",
            "threads",
            "answered",
            "first_reply_median_s",
            "first_reply_p90_s",
            "within_1h",
            "within_24h",
        ]
    )

    def cell(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    series = [("", "all", report.total_periods)]
    series += [(sanitize_line(t.tag), t.kind, t.periods) for t in report.tags]
    for tag, kind, periods in series:
        for start, s in periods:
            writer.writerow(
                [
                    tag,
                    kind,
                    f"{start:%Y-%m-%d}",
                    s.threads,
                    s.answered,
                    cell(s.first_reply_median_s),
                    cell(s.first_reply_p90_s),
                    cell(s.within_1h),
                    cell(s.within_24h),
                ]
            )


def cmd_responses(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since, until = window_options(service, args.since, args.until)
    report = service.answers.responses(since, until, by=args.by, kind=args.kind)
    if args.format == "json":
        dump_json(responses_json(report), out)
    elif args.format == "csv":
        _csv(report, out)
    elif args.format == "md":
        _markdown(report, out)
    else:
        _table(report, service.now(), out)
    return 0


def add_responses_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "responses",
        parents=[common],
        help="first-reply times per tag and period, and how many threads wait",
    )
    p.add_argument("--since", metavar="WHEN", help="start (default: 12 periods back)")
    p.add_argument("--until", metavar="WHEN", help="end (default: now)")
    p.add_argument("--by", choices=("day", "week", "month"), default="week")
    p.add_argument("--kind", choices=("team", "category", "label"), help="only tags of this kind")
    p.add_argument("--format", choices=("table", "md", "csv", "json"), default="table")
