"""The ``voice``, ``digest`` and ``skim`` commands: what customers wrote (feature requests in
their own words, new mail by category), as Markdown, text or JSON."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import to_iso
from supportmail.storage.service import ServiceError
from supportmail.tui.cli.coverage import (
    EXCERPTS,
    QUOTES,
    coverage_json,
    digest_json,
    write_coverage,
)
from supportmail.tui.cli.output import (
    UsageError,
    address_json,
    dump_json,
    md_escape,
    moment,
    sender_label,
    window_options,
    ymd,
)

if TYPE_CHECKING:
    from supportmail.storage.models import (
        Digest,
        VoiceReport,
    )
    from supportmail.storage.service import Service


def add_digest_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    when = "e.g. 2026-08-01, 'last month', '12 weeks ago'"

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


def _window_args(service: Service, args: argparse.Namespace) -> tuple[datetime | None, Any]:
    if args.quarter:
        try:
            start, end = service.quarter(args.quarter)
        except ServiceError as exc:
            raise UsageError(f"--quarter: {exc}") from None
        return start, end
    return window_options(service, args.since)[0], None


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
        f"## Top feature requests, {ymd(voice.since)} to "
        f"{ymd(voice.until - timedelta(microseconds=1))}\n\n"
        f"{voice.threads} feature requests; ranked by distinct customers.\n\n"
    )
    write_coverage(voice.coverage, QUOTES, out, md=True)
    if not voice.requests:
        out.write("No threads tagged category:feature-request in this window.\n")
        return
    out.write("| # | Request | Customers | Companies | Threads |\n|---:|---|---:|---:|---:|\n")
    for n, r in enumerate(voice.requests, 1):
        out.write(f"| {n} | {md_escape(r.tag)} | {r.customers} | {r.companies} | {r.threads} |\n")
    for n, r in enumerate(voice.requests, 1):
        people = f"{r.customers} customer{'s' if r.customers != 1 else ''}"
        out.write(f"\n### {n}. {md_escape(r.tag)} ({people})\n\n")
        for q in r.quotes:
            out.write(
                f"> {md_escape(q.text)}\n>\n> — {md_escape(sender_label(q.sender, q.company))}, "
                f"{ymd(q.date)} (thread {q.thread_id})\n\n"
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
        f"## {title} {moment(digest.since)} to {moment(digest.until)}: "
        f"{digest.threads} thread{'s' if digest.threads != 1 else ''}\n\n"
    )
    write_coverage(digest.coverage, EXCERPTS, out, md=True)
    counts = [
        f"{md_escape(g.category or 'not categorised')}: {len(g.items)}" for g in digest.groups
    ]
    out.write((" · ".join(counts) or "Nothing new from customers.") + "\n")
    for g in digest.groups:
        out.write(f"\n### {md_escape(g.category or 'not categorised')} ({len(g.items)})\n\n")
        for item in g.items:
            who = sender_label(item.customer, item.company) if item.customer else "?"
            new = "" if item.new else " (follow-up)"
            out.write(
                f"- **{md_escape(item.subject or '(no subject)')}**{new} — {md_escape(who)}, "
                f"{moment(item.date)} · `{item.thread_id}`\n"
            )
            if item.text:
                out.write(f"  > {md_escape(item.text)}\n")


def _digest_text(digest: Digest, out: TextIO, title: str = "Digest") -> None:
    out.write(
        f"{title} {moment(digest.since)} to {moment(digest.until)}: {digest.threads} threads\n"
    )
    write_coverage(digest.coverage, EXCERPTS, out)
    for g in digest.groups:
        out.write(f"\n{(g.category or 'not categorised').upper()} ({len(g.items)})\n")
        for item in g.items:
            who = sender_label(item.customer, item.company) if item.customer else "?"
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
    since, _ = window_options(service, args.since)
    if args.format == "json":
        dump_json(digest_json(service.digest(since, raw=True)), out)
        return 0
    digest = service.digest(since)
    if args.format == "text":
        _digest_text(digest, out)
    else:
        _digest_md(digest, out)
    return 0


DIGEST_COMMANDS = {
    "voice": cmd_voice,
    "digest": cmd_digest,
    "skim": cmd_skim,
}
