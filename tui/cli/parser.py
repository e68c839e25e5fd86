"""The ``supportmail`` argument parser (argparse): the common options, the mail commands'
options, and the subcommands each command family adds (``add_*_parser(s)`` in its module).
``tui.cli.commandline.parse_args`` reads the terminal UI's command line without this module
(and without argparse); everything else comes here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from supportmail.tui.cli.output import PROG, UsageError, positive_int

__all__ = ["Parser", "build_parser", "common_options"]


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are a ``UsageError`` (one line, exit 2)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


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


def common_options() -> Parser:
    """The options every command takes, and the terminal UI."""
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
    return common


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: the common options and every command's (``add_*_parser(s)`` in each
    command family's module, imported here)."""
    from supportmail.tui.cli.answer import add_answer_parsers
    from supportmail.tui.cli.day import add_day_parsers
    from supportmail.tui.cli.digest import add_digest_parsers
    from supportmail.tui.cli.files import add_files_parsers
    from supportmail.tui.cli.notes import add_notes_parser
    from supportmail.tui.cli.quotes import add_quote_parsers
    from supportmail.tui.cli.report import add_report_parsers
    from supportmail.tui.cli.tags import add_tags_parser
    from supportmail.tui.cli.watch import add_watch_parser

    common = common_options()
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
    add_digest_parsers(sub, common)
    add_quote_parsers(sub, common)
    add_day_parsers(sub, common)
    add_answer_parsers(sub, common)
    add_watch_parser(sub, common)
    return parser
