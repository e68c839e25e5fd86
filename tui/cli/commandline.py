"""Reading the ``supportmail`` command line: ``parse_args``.

The terminal UI's own command line (``supportmail`` with only the common options: ``--config``,
``--data-dir``, ``--account``, ``--debug``) is read here by a small scanner, without argparse
(whose import and parser cost the window's start a tenth of its own part). Anything else, a
command, ``--help``, ``--version``, an abbreviation or a mistake, goes to the whole parser
(``tui.cli.parser.build_parser``), which gives the same result or the same error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import argparse

    Arguments: TypeAlias = argparse.Namespace | SimpleNamespace
    """What ``parse_args`` gives: the whole parser's namespace, or the scanner's (the same
    attributes, read with ``getattr(args, name, default)`` where an option may be absent)."""

__all__ = ["parse_args"]

_VALUED = {"--config": "config", "--data-dir": "data_dir", "--account": "account"}
"""The common options that take a value, and where the value goes."""


def parse_args(argv: Sequence[str] | None = None) -> Arguments:
    """The command line, as ``build_parser().parse_args(argv)`` reads it."""
    words = list(sys.argv[1:] if argv is None else argv)
    quick = _window_options(words)
    if quick is not None:
        return quick
    from supportmail.tui.cli.parser import build_parser

    return build_parser().parse_args(words)


def _window_options(words: Sequence[str]) -> SimpleNamespace | None:
    """The options of ``words`` when they are the common options alone, each spelled out
    (``--config PATH`` or ``--config=PATH``); None for anything else. A value that starts with
    ``-`` is left to argparse, which takes it for an option."""
    found: dict[str, object] = {}
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == "--debug":
            found["debug"] = True
            continue
        name, equals, value = word.partition("=")
        dest = _VALUED.get(name)
        if dest is None:
            return None
        if not equals:
            if index == len(words) or words[index].startswith("-"):
                return None
            value = words[index]
            index += 1
        found[dest] = value
    return SimpleNamespace(**found, command=None)
