"""The ``quote`` and ``quotes`` commands: keep a customer's words from a thread, list or remove
the saved quotes."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import to_iso
from supportmail.tui.cli.output import (
    PROG,
    UsageError,
    address_json,
    dump_json,
    positive_int,
    say_empty,
)
from supportmail.tui.cli.parser import Parser

if TYPE_CHECKING:
    from supportmail.storage.models import (
        SavedQuote,
    )
    from supportmail.storage.service import Service


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


def add_quote_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
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


def quote_json(q: SavedQuote) -> dict[str, Any]:
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
    from supportmail.storage.service import UnknownMessageError

    try:
        text = _quote_paragraph(service, args, out)
        if text is None:
            return 0
        saved = service.save_quote(args.thread, args.message, text)
    except UnknownMessageError as exc:  # --message names no message: a usage mistake, as links
        raise UsageError(f"--message: {exc}") from None
    out.write(f"saved quote {saved.id} (private): {service.quote_with_attribution(saved)}\n")
    return 0


def cmd_quotes(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if args.json:
        dump_json([quote_json(q) for q in service.quotes(args.thread, raw=True)], out)
        return 0
    found = service.quotes(args.thread)
    if not found:
        say_empty("no saved quotes: `supportmail quote THREAD ...` keeps one")
    for q in found:
        out.write(f"{q.id:>4}  {service.quote_with_attribution(q)}\n")
    return 0


QUOTE_COMMANDS = {
    "quote": cmd_quote,
    "quotes": cmd_quotes,
}
