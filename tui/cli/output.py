"""Shared pieces of the ``supportmail`` command line: errors, a count option's type, and
output helpers (JSON, clipping, sizes, dates, Markdown escaping, what an empty list says) the
command modules share."""

from __future__ import annotations

import codecs
import json
import sys
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from supportmail.storage.dates import parse_when
from supportmail.storage.sanitize import escape_json_controls, sanitize_line
from supportmail.tui.units import first_customer

if TYPE_CHECKING:
    from supportmail.storage.models import (
        Address,
        ThreadSummary,
    )
    from supportmail.storage.service import Service

PROG = "supportmail"
DEMO_ACCOUNT = "demo"


class UsageError(Exception):
    """Bad command-line input: one line, exit 2."""


MAX_COUNT = 1_000_000_000
"""The largest count or number a flag takes (sqlite's integers stop at 2**63 - 1)."""


def positive_int(text: str) -> int:
    """A count option's value (``--limit``): a whole number from 1 to ``MAX_COUNT``."""
    import argparse  # loaded already: only the whole parser calls this

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected a number of at most {MAX_COUNT}, got {value}")
    return value


def say_empty(text: str) -> None:
    """An empty list, said to a person: ``(text)`` on stderr, only when stderr is a terminal.

    The list commands (``threads``, ``notes``, ``quotes``, ``drafts``, ``links``, ``tags
    --parked``) print one row per item; with no item stdout stays empty, as ``notmuch search``
    does, so ``| wc -l`` counts 0 and ``while read`` gets no fake row (``--json`` prints
    ``[]``). Cron mails whatever reaches stderr, so the line is not written there either."""
    if sys.stderr.isatty():
        sys.stderr.write(f"({sanitize_line(text)})\n")
        sys.stderr.flush()


def address_json(a: Address) -> dict[str, str]:
    return {"name": a.name, "address": a.addr}


def customer_name(service: Service, summary: ThreadSummary) -> str:
    person = first_customer(summary, service.is_team_address)
    return person.display() if person is not None else ""


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: East Asian wide and fullwidth characters (CJK, most
    emoji) take two, combining marks and zero-width format characters none, the rest one."""
    if text.isascii():
        return len(text)
    return sum(_char_cells(ch) for ch in text)


def _char_cells(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, with ``…`` where it was cut."""
    if cell_width(text) <= width:
        return text
    used = 0
    for index, ch in enumerate(text):
        used += _char_cells(ch)
        if used > width - 1:
            return text[:index] + "…"
    return text


def pad(text: str, width: int) -> str:
    """``text`` clipped to ``width`` cells and padded with spaces to exactly ``width`` cells
    (what ``f"{text:<{width}}"`` does for ASCII: a CJK name would shift the columns after it)."""
    text = clip(text, width)
    return text + " " * max(0, width - cell_width(text))


def dump_json(value: object, out: TextIO) -> None:
    # ensure_ascii=False keeps the customers' words readable; surrogates from broken mail are
    # replaced so the output is always valid UTF-8, and controls are escaped (``\u0085``,
    # ``\u202e``) so JSON printed to a terminal cannot drive it.
    # (No indent: that switches json to its slow pure-Python encoder; pipe through `jq`.)
    # A terminal or file whose encoding is not UTF-8 (LANG=de_DE.ISO-8859-1) gets ASCII-only
    # JSON: the same value, every other character as a \uXXXX escape, nothing lost.
    if not writes_utf8(out):
        out.write(json.dumps(value, ensure_ascii=True) + "\n")
        return
    text = escape_json_controls(json.dumps(value, ensure_ascii=False))
    out.write(text.encode("utf-8", "replace").decode("utf-8") + "\n")


def writes_utf8(out: TextIO) -> bool:
    """Whether ``out`` encodes as UTF-8 (a stream without an encoding, StringIO: yes)."""
    encoding = getattr(out, "encoding", None)
    if not encoding:
        return True
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def when_option(service: Service, text: str | None, option: str) -> datetime | None:
    """``text`` (an option's WHEN) as a moment, None when not given; a bad one is a usage error."""
    if not text:
        return None
    try:
        return parse_when(text, service.now())
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def window_options(
    service: Service, since_text: str | None, until_text: str | None = None
) -> tuple[datetime | None, datetime | None]:
    """A report's ``--since`` and ``--until`` as moments (None when not given); a start that is
    not before the end (``--until``, else now) is a usage error, said in one line."""
    since = when_option(service, since_text, "--since")
    until = when_option(service, until_text, "--until")
    if since is not None and since >= (until or service.now()):
        end = f"--until '{until_text}'" if until is not None else "now"
        raise UsageError(f"--since '{since_text}' is not before {end}: nothing to report")
    return since, until


def ymd(dt: datetime) -> str:
    """``2026-08-01``."""
    return dt.strftime("%Y-%m-%d")


def moment(dt: datetime) -> str:
    """The day, with the time when it is not midnight."""
    return dt.strftime("%Y-%m-%d %H:%M") if (dt.hour, dt.minute) != (0, 0) else ymd(dt)


def md_escape(text: str) -> str:
    """Text for a Markdown line or table cell: characters Markdown would act on are escaped."""
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return "\\" + text if text.startswith(("#", "+", "-", "=")) else text


def sender_label(sender: Address, company: str | None) -> str:
    """A sender's name (or address), with the company when known."""
    name = sender.name or sender.addr
    return f"{name} ({company})" if company else name
