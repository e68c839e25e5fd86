"""The ``report`` and ``bugs`` commands: threads and customers per tag and period with spikes,
and the bug threads by team and label (table, Markdown, CSV or JSON)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import to_iso
from supportmail.tui.cli.coverage import (
    TEXT,
    bugs_json,
    write_coverage,
)
from supportmail.tui.cli.output import (
    cell_width,
    dump_json,
    md_escape,
    moment,
    pad,
    window_options,
    ymd,
)
from supportmail.tui.report_words import empty_report_reason
from supportmail.tui.spark import sparkline_text

if TYPE_CHECKING:
    from supportmail.storage.models import (
        Report,
        TagReport,
    )
    from supportmail.storage.service import Service


SPARK_PERIODS = 53
"""At most this many periods (the latest) in the table's sparkline: a year of weeks and one."""


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


def _p_value(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _latest_text(tag: TagReport, by: str) -> str:
    test = tag.latest
    if test is None:
        return "(too little history)"
    so_far = " so far" if test.partial else ""
    text = f"{test.latest}{so_far} vs {test.baseline:.1f}/{by}"
    return f"SPIKE {text} ({_p_value(test.p)})" if test.flagged else text


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
        f"Tags by {report.by}, {ymd(report.since)} to {moment(report.until)} "
        f"({n} {report.by}{'s' if n != 1 else ''}): {report.threads} threads, "
        f"{report.customers} customers, {report.companies} companies"
    )


def _report_table(report: Report, out: TextIO) -> None:
    out.write(_report_title(report) + "\n\n")
    if not report.tags:
        out.write(f"({empty_report_reason(report)})\n")
        return
    width = max(24, *(cell_width(t.tag) for t in report.tags))
    n = min(len(report.period_starts), SPARK_PERIODS)
    heading = f"PER {report.by.upper()}"
    if len(report.period_starts) > n:  # `--since 1990-01-01` by week: the latest ones fit a line
        heading += f" (LAST {n})"
    column = max(n, len(heading), 10)
    out.write(
        f"{'TAG':<{width}}  {'THREADS':>7} {'CUST':>5} {'COMP':>5}  {'TREND':<7}  "
        f"{heading:<{column}}  LATEST {report.by.upper()}\n"
    )
    for t in report.tags:
        spark = sparkline_text([p.threads for p in t.periods][-n:] if n else [])
        out.write(
            f"{pad(t.tag, width)}  {t.threads:>7} {t.customers:>5} {t.companies:>5}  "
            f"{t.trend or '-':<7}  {spark:<{column}}  {_latest_text(t, report.by)}\n"
        )


def _report_md(report: Report, out: TextIO) -> None:
    out.write(f"### {md_escape(_report_title(report))}\n\n")
    out.write(
        f"| Tag | Threads | Customers | Companies | Trend | Threads per {report.by} "
        f"(from {ymd(report.since)}) | Latest {report.by} |\n"
    )
    out.write("|---|---:|---:|---:|---|---|---|\n")
    for t in report.tags:
        counts = " ".join(f"**{p.threads}**" if p.spike else str(p.threads) for p in t.periods)
        latest = _latest_text(t, report.by)
        if t.spike is not None:
            latest = "**" + latest + "**"
        out.write(
            f"| {md_escape(t.tag)} | {t.threads} | {t.customers} | {t.companies} | "
            f"{t.trend or '–'} | {counts} | {latest} |\n"
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
                [t.tag, t.kind, ymd(p.start), p.threads, p.customers, p.companies, int(p.spike)]
            )


def cmd_report(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since, until = window_options(service, args.since, args.until)
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


def cmd_bugs(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    since, _ = window_options(service, args.since)
    if args.format == "json":
        dump_json(bugs_json(service.bugs_by_reach(since, raw=True)), out)
        return 0
    reach = service.bugs_by_reach(since)
    out.write(
        f"Bugs by reach, {ymd(reach.since)} to {moment(reach.until)}: "
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
            f"{ymd(g.last_date)}  {' '.join(g.thread_ids[:3])}\n"
        )
    return 0


REPORT_COMMANDS = {
    "report": cmd_report,
    "bugs": cmd_bugs,
}
