"""Reading a FETCH reply off the wire, and the fast readers of its common shapes.

``fetch_headers`` and ``fetch_whole`` (``storage.imap.fetch``) read their reply themselves
(:class:`HeaderStream`), a few calls per message instead of imaplib's per-line regexes, logging
and bookkeeping. Each response of the common shape (one literal, simple items) becomes a record
by one regex (:func:`fast_header_record`, :func:`fast_whole`); any other shape is kept in
imaplib's form for :func:`group_header_record` or the general parser
(``storage.imap.fetchparse``). INTERNALDATE and FLAGS values are parsed once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from supportmail.storage.imap.fetchparse import split_flags
from supportmail.storage.imap.records import HeaderRecord
from supportmail.storage.imap.syntax import parse_internaldate

__all__ = [
    "WHOLE_ITEMS",
    "HeaderStream",
    "RawFetch",
    "fast_header_record",
    "fast_whole",
    "group_header_record",
]

_CACHE_MAX = 4096
_DATES: dict[bytes, datetime | None] = {}
_FLAGS: dict[bytes, tuple[str, ...]] = {}


def _internaldate(raw: bytes) -> datetime | None:
    """``parse_internaldate`` of a quoted INTERNALDATE's bytes, remembered: a bulk import gives
    thousands of messages the same arrival second."""
    if raw in _DATES:
        return _DATES[raw]
    if len(_DATES) >= _CACHE_MAX:
        _DATES.clear()
    parsed = _DATES[raw] = parse_internaldate(raw.decode("ascii", "replace"))
    return parsed


def _flags(raw: bytes) -> tuple[str, ...]:
    """``split_flags``, remembered: a folder has few distinct flag sets."""
    if raw in _FLAGS:
        return _FLAGS[raw]
    if len(_FLAGS) >= _CACHE_MAX:
        _FLAGS.clear()
    flags = _FLAGS[raw] = split_flags(raw)
    return flags


_FAST_HEADER = re.compile(
    rb"^\d+ \((?:(?:UID (\d+)|FLAGS \(([^()]*)\)|INTERNALDATE \"([^\"]*)\"|RFC822\.SIZE (\d+)"
    rb"|MODSEQ \((\d+)\)|BODY\[HEADER[^\]]*\] (\{\})) ?)+\)$"
)


def group_header_record(group: Sequence[Any]) -> HeaderRecord | None:
    """The common shape of one response in imaplib's form (``[(text, literal), trailer]``: one
    header literal, simple items in any order) by one regex; None means "use the general
    parser"."""
    if len(group) != 2 or not isinstance(group[0], tuple) or not isinstance(group[1], bytes):
        return None
    text, literal = group[0]
    marker = text.rfind(b"{")
    match = _FAST_HEADER.match(text[:marker] + b"{}" + group[1]) if marker > 0 else None
    if match is None or None in (match.group(1), match.group(2), match.group(6)):
        return None
    uid, flags, date, size, modseq = match.group(1, 2, 3, 4, 5)
    return HeaderRecord(
        uid=int(uid),
        flags=split_flags(flags),
        modseq=int(modseq) if modseq else None,
        internaldate=parse_internaldate(date.decode("ascii", "replace")) if date else None,
        size=int(size) if size else 0,
        header=bytes(literal),
    )


# The same grammar as ``_FAST_HEADER``, split at the literal and applied to the raw lines.
_WIRE_ITEM = (
    rb"(?:UID (\d+)|FLAGS \(([^()]*)\)|INTERNALDATE \"([^\"]*)\"|RFC822\.SIZE (\d+)"
    rb"|MODSEQ \((\d+)\))"
)
_WIRE_HEAD = re.compile(
    rb"\* \d+ FETCH \((?:" + _WIRE_ITEM + rb" ?)*BODY\[HEADER[^\]]*\] \{\d+\}\r\n"
)
_WIRE_TAIL = re.compile(rb" ?(?:" + _WIRE_ITEM + rb" ?)*\)\r\n")
_SIMPLE_TAIL = b")\r\n"

RawFetch: TypeAlias = tuple[bytes, bytes, bytes]
"""One FETCH response with one literal as read off the wire: the first line, the literal and
the line after it, line ends included."""


def fast_header_record(raw: RawFetch) -> HeaderRecord | None:
    """A HeaderRecord from one response read off the wire, for the shapes ``group_header_record``
    accepts with nothing after the literal but simple items; None: use the imaplib-form parsers.
    Same values as they give, with INTERNALDATE and FLAGS parsed once per distinct value."""
    line, literal, trailer = raw
    head = _WIRE_HEAD.fullmatch(line)
    if head is None:
        return None
    uid, flags, date, size, modseq = head.groups()
    if trailer != _SIMPLE_TAIL:
        tail = _WIRE_TAIL.fullmatch(trailer)
        if tail is None:
            return None
        later = tail.groups()
        uid, flags, date, size, modseq = (
            new if new is not None else old
            for new, old in zip(later, (uid, flags, date, size, modseq), strict=True)
        )
    if uid is None or flags is None:
        return None
    return HeaderRecord(
        uid=int(uid),
        flags=_flags(flags),
        modseq=int(modseq) if modseq else None,
        internaldate=_internaldate(date) if date else None,
        size=int(size) if size else 0,
        header=literal,
    )


# imaplib's response grammar (``imaplib.IMAP4._get_response``), for the lines read here.
_UNTAGGED_RESPONSE = re.compile(rb"\* (?P<type>[A-Z-]+)( (?P<data>.*))?", re.ASCII)
_UNTAGGED_STATUS = re.compile(rb"\* (?P<data>\d+) (?P<type>[A-Z-]+)( (?P<data2>.*))?", re.ASCII)
_CONTINUATION = re.compile(rb"\+( (?P<data>.*))?")
_LITERAL = re.compile(rb".*{(?P<size>\d+)}$", re.ASCII)
_FETCH_WITH_LITERAL = re.compile(rb"\* \d+ FETCH .*\{(\d+)\}\r\n")
"""The first line of a FETCH response that carries a literal (imaplib reads it as one)."""
_LINE_END = b"\r\n"
_LITERAL_END = b"}\r\n"


WHOLE_ITEMS = "(UID BODY.PEEK[])"
_WHOLE_HEAD = re.compile(rb"\* \d+ FETCH \(UID (\d+) BODY\[\] \{\d+\}\r\n")


def fast_whole(raw: RawFetch) -> tuple[int, bytes] | None:
    """(UID, message) from ``* n FETCH (UID u BODY[] {size}`` + literal + ``)``; None: any
    other shape (read by the general parser)."""
    line, literal, trailer = raw
    head = _WHOLE_HEAD.fullmatch(line)
    if head is None or trailer != _SIMPLE_TAIL:
        return None
    return int(head.group(1)), literal


class HeaderStream:
    """Reads the reply to one ``UID FETCH`` of headers through imaplib's ``readline``/``read``,
    doing what imaplib's ``_command_complete`` would do but with a few calls per message instead
    of imaplib's per-line regexes, logging and bookkeeping: the messages' FETCH responses go to
    :attr:`entries` (a record for the common shape, imaplib's element list for any other); other
    untagged responses are dropped (the caller forgets them anyway) except BYE, which aborts,
    as imaplib does. Errors are imaplib's exceptions with imaplib's texts."""

    def __init__(
        self, wire: Any, tag: bytes, fast: Callable[[RawFetch], Any] = fast_header_record
    ) -> None:
        self.wire = wire
        self.tag = tag
        self.fast = fast
        """The common shape's reader (a record, or None for "use imaplib's form")."""
        self.entries: list[Any] = []

    def checked(self, line: bytes) -> bytes:
        """A line as read, after imaplib's checks of ``_get_line`` (EOF, no CRLF)."""
        if not line:
            raise self.wire.abort("socket error: EOF")
        if not line.endswith(_LINE_END):
            raise self.wire.abort(f"socket error: unterminated line: {line!r}")
        return line

    def run(self) -> tuple[str, bytes]:
        """Read up to the tagged completion; returns its type (OK, NO, BAD) and text."""
        read, readline, checked = self.wire.read, self.wire.readline, self.checked
        entries, fast = self.entries, self.fast
        while True:
            line = readline()
            start = _FETCH_WITH_LITERAL.match(line)
            if start is None:
                done = self.other(checked(line))
                if done is not None:
                    return done
                continue
            literal = read(int(start.group(1)))
            trailer = readline()
            if trailer == _SIMPLE_TAIL or not checked(trailer).endswith(_LITERAL_END):
                record = fast((line, literal, trailer))
                if record is not None:
                    entries.append(record)
                    continue
            status = _UNTAGGED_STATUS.match(line[:-2])
            if status is None:  # cannot happen after _FETCH_WITH_LITERAL; keeps the types honest
                raise self.wire.abort(f"unexpected response: {line[:-2]!r}")
            first = status.group("data") + b" " + status.group("data2")
            entries.append(self.rest([(first, literal)], trailer[:-2]))

    def rest(self, elements: list[Any], data: bytes) -> list[Any]:
        """Finish one untagged response in imaplib's form: literals while ``data`` ends with
        one, then the last line's text."""
        while (match := _LITERAL.match(data)) is not None:
            literal = self.wire.read(int(match.group("size")))
            elements.append((data, literal))
            data = self.checked(self.wire.readline())[:-2]
        elements.append(data)
        return elements

    def other(self, line: bytes) -> tuple[str, bytes] | None:
        """Any line but the start of a common FETCH response: the tagged completion (returned),
        another untagged response (read whole; a FETCH kept in imaplib's form, BYE raised), a
        continuation (ignored), or anything else (abort, as imaplib does)."""
        resp = line[:-2]
        tagged = self.wire.tagre.match(resp)
        if tagged is not None:
            return self.tagged(
                resp, tagged.group("tag"), tagged.group("type"), tagged.group("data")
            )
        match = _UNTAGGED_RESPONSE.match(resp)
        if match is not None:
            kind, data = match.group("type"), match.group("data") or b""
        elif (match := _UNTAGGED_STATUS.match(resp)) is not None:
            kind, data = match.group("type"), match.group("data")
            if match.group("data2"):
                data = data + b" " + match.group("data2")
        elif _CONTINUATION.match(resp) is not None:
            return None
        else:
            raise self.wire.abort(f"unexpected response: {resp!r}")
        elements = self.rest([], data)
        if kind == b"FETCH":
            self.entries.append(elements)
        elif kind == b"BYE":
            raise self.wire.abort(elements[-1].decode("ascii", "replace"))
        return None

    def tagged(self, resp: bytes, tag: bytes, kind: bytes, data: bytes) -> tuple[str, bytes] | None:
        """A command's completion: ours ends the reply; another pending one's is stored."""
        commands = self.wire.tagged_commands
        if tag not in commands:
            raise self.wire.abort(f"unexpected tagged response: {resp!r}")
        if tag != self.tag:
            commands[tag] = (kind.decode("ascii"), [data])
            return None
        del commands[tag]
        return kind.decode("ascii"), data


# ---------------------------------------------------------------------------------------------
# The connection
# ---------------------------------------------------------------------------------------------
