"""The ``supportmail`` command: the scriptable CLI over ``storage.service``.

Exit codes: 0 success; 1 a runtime failure (server, lock, unknown thread); 2 bad usage or config.
Every failure prints exactly one line on stderr. Human output is sanitised for the terminal (mail
is untrusted); ``--json`` output holds the decoded text as valid UTF-8.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from supportmail.storage.sanitize import sanitize_line
from supportmail.storage.service import ServiceError
from supportmail.storage.settings import ConfigError
from supportmail.tui import logfile
from supportmail.tui.cli.commandline import parse_args
from supportmail.tui.cli.opening import launch_tui, open_service
from supportmail.tui.cli.output import PROG, UsageError

if TYPE_CHECKING:
    import argparse

    from supportmail.storage.service import Service
    from supportmail.tui.cli.commandline import Arguments

Command = Callable[["Service", "argparse.Namespace", TextIO], int]

FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "threads": ("THREADS_COMMANDS", ("sync", "threads", "show", "tag", "note", "read", "unread")),
    "tags": ("TAGS_COMMANDS", ("tags",)),
    "files": ("FILES_COMMANDS", ("save", "links")),
    "notes": ("NOTES_COMMANDS", ("notes",)),
    "report": ("REPORT_COMMANDS", ("report", "bugs")),
    "digest": ("DIGEST_COMMANDS", ("voice", "digest", "skim")),
    "quotes": ("QUOTE_COMMANDS", ("quote", "quotes")),
    "day": ("DAY_COMMANDS", ("day",)),
    "answer": ("ANSWER_COMMANDS", ("responses", "reply", "forward", "drafts")),
    "watch": ("WATCH_COMMANDS", ("watch",)),
}
"""Each command family's module of ``tui.cli``: (its table of commands, their names)."""


class CommandTable(dict[str, Command]):
    """Command name -> its function; a family's module is imported when one of its commands is
    first looked up (the terminal UI imports none of them)."""

    def __missing__(self, name: str) -> Command:
        for module, (table, names) in FAMILIES.items():
            if name in names:
                loaded: dict[str, Command] = getattr(
                    importlib.import_module(f"supportmail.tui.cli.{module}"), table
                )
                for each in names:
                    self.setdefault(each, loaded[each])
                return self[name]
        raise KeyError(name)


COMMANDS = CommandTable()


def _say(line: str) -> None:
    """One line on stderr, sanitised: it may quote a server's reply, a config file or what was
    typed, and none of them may drive the terminal."""
    print(sanitize_line(line), file=sys.stderr)


def _no_empty_paths(args: Arguments) -> None:
    """``--config=`` or ``--data-dir ""`` (a script's unset variable) is a mistake, said in one
    line; read as absent it would open the default config or data directory instead."""
    for dest, option in (("config", "--config"), ("data_dir", "--data-dir")):
        if getattr(args, dest, None) == "":
            raise UsageError(f"{option}: an empty path (leave the option out for the default)")


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code. Errors are one line on stderr."""
    stdout = out or sys.stdout
    for stream in (sys.stdout, sys.stderr):
        # A terminal whose encoding is not UTF-8 (LANG=de_DE.ISO-8859-1, PYTHONIOENCODING=ascii)
        # shows '?' for a character it cannot write (a CJK name, ●), where printing it raised.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    log: Path | None = None
    try:
        args = parse_args(argv)
        _no_empty_paths(args)
        log = logfile.setup(debug=getattr(args, "debug", False))
        if args.command in (None, "demo"):
            return launch_tui(args, stdout)  # the UI enables the collector after a frame
        # Off while ``tui.launch`` started up. A sync runs without it: it allocates millions
        # of objects that live for a chunk and makes almost no cyclic garbage (about 500
        # objects over a first sync of 50k messages), and the collector's passes over them
        # cost 4.3 s of a first sync of 250k (docs/bodies.md). ``watch`` runs for days: on.
        if args.command == "sync":
            gc.disable()
        else:
            gc.enable()
        try:
            service = open_service(args)
            notice = service.take_notice()
            if notice:
                _say(f"{PROG}: {notice}")
            try:
                import argparse  # a command's line came through the whole parser

                assert isinstance(args, argparse.Namespace)
                return COMMANDS[args.command](service, args, stdout)
            finally:
                service.close()
        finally:
            gc.enable()
    except UsageError as exc:
        _say(f"{PROG}: error: {exc}")
        return 2
    except ConfigError as exc:
        _say(f"{PROG}: config error: {exc}")
        return 2
    except ServiceError as exc:
        logfile.log_failure(str(exc), exc, name="cli")
        _say(f"{PROG}: {exc}")
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
        _say(f"{PROG}: unexpected error: {exc or type(exc).__name__} (details: {where})")
        return 1
