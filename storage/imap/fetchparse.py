"""The general FETCH response parser and the conversions of its items.

:func:`parse_fetch` turns imaplib's untagged FETCH data (bytes, and (text, literal) tuples) into
one dict of items per message; it reads any response shape (nested lists, quoted strings,
literals, NIL). The ``as_*`` helpers read single items back out of those dicts;
:func:`header_record` and :func:`flag_record` build the records the connection returns, and
:func:`salvaged_records` lists a response that did not parse as a row saying so (see
``storage.unreadable``). The faster readers of the common shapes are in ``storage.imap.stream``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, TypeAlias

from supportmail.storage import unreadable
from supportmail.storage.imap.records import FlagRecord, HeaderRecord
from supportmail.storage.imap.syntax import parse_internaldate

log = logging.getLogger(__name__)

__all__ = [
    "FetchParseError",
    "String",
    "Value",
    "as_bytes",
    "as_flags",
    "as_int",
    "flag_record",
    "header_record",
    "parse_fetch",
    "salvaged_records",
    "split_flags",
]

_RECENT = "\\RECENT"


class String(bytes):
    """A quoted string or literal (as opposed to an atom such as NIL)."""


Value: TypeAlias = "bytes | list[Value]"

_FETCH_START = re.compile(rb"\s*\d+ \(")
_TOKEN = re.compile(
    rb" *(?:(?P<open>\()|(?P<close>\))"
    rb'|"(?P<quoted>(?:[^"\\]|\\.)*)"'
    rb"|(?P<section>(?:BODY|BINARY)(?:\.PEEK)?\[[^\]]*\](?:<\d+>)?)"
    rb"|\{(?P<literal>\d+)\+?\}$"
    rb'|(?P<atom>[^ ()"{}\]]+))',
    re.IGNORECASE,
)
_QUOTED_ESCAPE = re.compile(rb"\\(.)")
_FLAGS_ONLY = re.compile(rb"^\d+ \((?:(?:UID (\d+)|FLAGS \(([^()]*)\)|MODSEQ \((\d+)\)) ?)+\)$")


class FetchParseError(ValueError):
    """A FETCH response this parser cannot read (the message names the bad bytes)."""


def _tokens_into(stack: list[list[Value]], text: bytes, literal: bytes | None) -> list[Value]:
    """Feed one piece of response text into ``stack``; returns the messages it completed."""
    done: list[Value] = []
    pos, end = 0, len(text.rstrip(b" "))
    if not stack:
        start = _FETCH_START.match(text)
        if start is None:
            raise FetchParseError(text[:80])
        stack.append([])
        pos = start.end()
    while pos < end:
        match = _TOKEN.match(text, pos, end)
        if match is None or not stack:
            raise FetchParseError(text[pos : pos + 80])
        pos = match.end()
        kind = match.lastgroup
        if kind == "open":
            stack.append([])
        elif kind == "close":
            item = stack.pop()
            (stack[-1].append(item) if stack else done.append(item))
        elif kind == "literal":
            if literal is None:
                raise FetchParseError(b"literal without data")
            stack[-1].append(String(literal))
        elif kind == "quoted":
            stack[-1].append(String(_QUOTED_ESCAPE.sub(rb"\1", match.group(kind))))
        else:
            stack[-1].append(match.group(kind or "atom"))
    return done


def parse_fetch(data: Sequence[Any]) -> list[dict[bytes, Value]]:
    """imaplib's untagged FETCH data (bytes, and (text, literal) tuples) -> one dict of items per
    message, keys upper-cased (``b"UID"``, ``b"FLAGS"``, ``b"BODY[HEADER.FIELDS (FROM)]"``)."""
    stack: list[list[Value]] = []
    messages: list[dict[bytes, Value]] = []
    for element in data:
        if isinstance(element, tuple):
            text, literal = bytes(element[0]), bytes(element[1])
        elif isinstance(element, bytes):
            text, literal = element, None
        else:
            continue
        for items in _tokens_into(stack, text, literal):
            if not isinstance(items, list) or len(items) % 2:
                raise FetchParseError(b"odd FETCH item list")
            messages.append(
                {
                    bytes(key).upper(): value
                    for key, value in zip(items[::2], items[1::2], strict=True)
                    if isinstance(key, bytes)
                }
            )
    if stack:
        raise FetchParseError(b"unterminated FETCH response")
    return messages


def salvaged_records(group: Sequence[Any], exc: Exception) -> list[HeaderRecord]:
    """One FETCH response that did not parse: logged, and listed as a row saying so (see
    ``storage.unreadable``) instead of failing the folder."""
    reason = exc.args[0] if exc.args else type(exc).__name__
    if isinstance(reason, bytes):
        reason = reason.decode("ascii", "replace")
    salvaged = unreadable.salvage(group, str(reason))
    log.warning(
        "unparseable FETCH response (%s) for UID %s; listed as unreadable, the folder goes on",
        reason,
        salvaged.uid if salvaged is not None else "unknown",
        exc_info=True,
    )
    if salvaged is None:
        return []
    record = HeaderRecord(
        uid=salvaged.uid,
        flags=salvaged.flags,
        modseq=None,
        internaldate=None,
        size=salvaged.size,
        header=salvaged.header,
    )
    return [record]


def header_record(item: dict[bytes, Value]) -> HeaderRecord | None:
    """A HeaderRecord from generally parsed FETCH items; None without UID or header."""
    uid = as_int(item.get(b"UID"))
    header: bytes | None = None
    for key, value in item.items():
        if key.startswith(b"BODY[HEADER"):
            header = as_bytes(value)
    if uid is None or header is None:
        return None
    date = as_bytes(item.get(b"INTERNALDATE"))
    return HeaderRecord(
        uid=uid,
        flags=as_flags(item.get(b"FLAGS")),
        modseq=as_int(item.get(b"MODSEQ")),
        internaldate=parse_internaldate(date.decode("ascii", "replace")) if date else None,
        size=as_int(item.get(b"RFC822.SIZE")) or 0,
        header=header,
    )


def split_flags(raw: bytes) -> tuple[str, ...]:
    """The inside of a FLAGS list (atoms only) without ``\\Recent``."""
    return tuple(
        flag for flag in raw.decode("utf-8", "surrogateescape").split() if flag.upper() != _RECENT
    )


def as_int(value: Value | None) -> int | None:
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, bytes) and value.isdigit():
        return int(value)
    return None


def as_flags(value: Value | None) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        flag.decode("utf-8", "surrogateescape")
        for flag in value
        if isinstance(flag, bytes) and flag.upper() != b"\\RECENT"
    )


def as_bytes(value: Value | None) -> bytes | None:
    """A string value; None for NIL."""
    if isinstance(value, String):
        return bytes(value)
    return None


def flag_record(line: bytes) -> FlagRecord | None:
    """Fast path for ``* n FETCH (UID u FLAGS (...) MODSEQ (m))`` lines."""
    match = _FLAGS_ONLY.match(line)
    if match is None or match.group(1) is None or match.group(2) is None:
        return None
    modseq = match.group(3)
    return FlagRecord(
        int(match.group(1)), split_flags(match.group(2)), int(modseq) if modseq else None
    )


# ---------------------------------------------------------------------------------------------
# Reading a header fetch off the wire
# ---------------------------------------------------------------------------------------------
