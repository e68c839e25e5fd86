"""One IMAP connection: login, capabilities, folder status, bulk fetches, keyword stores, IDLE.

Built on IMAPClient for connecting, TLS, LOGIN, SELECT, LIST and IDLE. The bulk commands (all UIDs,
all flags, header batches, bodies, stores) go through the command layer of IMAPClient's underlying
``imaplib`` connection and are parsed here, because IMAPClient cannot express ``1:*`` (its
``fetch("1:*")`` raises ValueError) and its response parser is slow for tens of thousands of
messages. ``fetch_headers`` is the single place that knows how header batches are fetched; it
reads their reply off the socket itself (``_HeaderStream``), a few calls per message, and hands
any response of an unusual shape to the general FETCH parser.

Errors: every socket, TLS, ``imaplib`` and IMAPClient exception leaves this module as one of the
``ImapError`` classes with a one-line message that never contains the password:

* ``ImapConnectionLost`` - the socket closed, reset or timed out (or was never open): reconnect;
* ``ImapAuthError`` - the server rejected the user name or password;
* ``ImapRefused`` - we will not or cannot talk to this server safely (plaintext to a remote host,
  an untrusted certificate, a certificate that does not match the pinned fingerprint, a failed
  TLS handshake, no STARTTLS);
* ``ImapError`` - anything else the server said no to (the server's text is in the message).

Nothing here ever sets ``\\Seen`` implicitly: headers and bodies are fetched with ``BODY.PEEK``.
Flags are returned without the session flag ``\\Recent``.
"""

from __future__ import annotations

import contextlib
import functools
import imaplib
import logging
import re
import selectors
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NoReturn, TypeAlias

from imapclient import IMAPClient, SocketTimeout, imap_utf7

from storage import tlspin, unreadable
from storage.hosts import is_loopback
from storage.sanitize import one_line
from storage.tags import is_keyword_atom

log = logging.getLogger(__name__)

__all__ = [
    "FlagRecord",
    "FolderStatus",
    "HeaderRecord",
    "ImapAuthError",
    "ImapConnection",
    "ImapConnectionLost",
    "ImapError",
    "ImapRefused",
    "TlsMode",
    "is_loopback",
]

TlsMode: TypeAlias = Literal["implicit", "starttls", "none"]

_SEEN = "\\Seen"
_RECENT = "\\RECENT"
_MAX_SET_CHARS = 4000
"""Longest UID set put in one command (servers cap command lines; Dovecot at 64 KiB)."""
_ESEARCH_SINGLE_MAX = 50_000
"""Up to this many messages one ``UID SEARCH RETURN (ALL)`` reply stays far below imaplib's 1 MB
line limit even when no two UIDs are adjacent (11 bytes per UID)."""
_ESEARCH_SPAN = 100_000
"""UID span per ``UID SEARCH`` chunk in big folders: at most 50,000 isolated UIDs per reply."""
_MESSAGE_MAX_CHARS = 300


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


class ImapError(Exception):
    """The server refused a command, or talking to it failed; ``str(e)`` is one clear line."""


class ImapAuthError(ImapError):
    """LOGIN failed: wrong user name or password, or the server forbids this way of logging in."""


class ImapConnectionLost(ImapError):
    """The connection closed, reset or timed out (or is not open): reconnect and retry."""


class ImapRefused(ImapError):
    """We will not or cannot talk to this server safely (plaintext to a remote host, bad TLS)."""


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FolderStatus:
    """What SELECT reported about a folder."""

    name: str
    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None
    """None when the server lacks CONDSTORE (or the folder has no mod-sequences)."""
    permanent_keywords: bool
    """Whether new keywords can be stored permanently (``\\*`` in PERMANENTFLAGS)."""


@dataclass(frozen=True, slots=True)
class HeaderRecord:
    """One message's flags, metadata and the requested header fields (raw bytes)."""

    uid: int
    flags: tuple[str, ...]
    modseq: int | None
    internaldate: datetime | None
    size: int
    header: bytes


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """One message's flags and mod-sequence."""

    uid: int
    flags: tuple[str, ...]
    modseq: int | None


# ---------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------


def _uid_ranges(uids: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted, merged (first, last) runs of the distinct UIDs."""
    runs: list[tuple[int, int]] = []
    for uid in sorted(set(uids)):
        if uid < 1:
            raise ValueError(f"UIDs are positive integers, got {uid}")
        if runs and uid == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], uid)
        else:
            runs.append((uid, uid))
    return runs


def uid_sets(uids: Iterable[int], max_chars: int = _MAX_SET_CHARS) -> list[str]:
    """Compact IMAP UID sets (``1:5,7,9:12``), split so that none is longer than ``max_chars``."""
    sets: list[str] = []
    parts: list[str] = []
    length = 0
    for first, last in _uid_ranges(uids):
        part = str(first) if first == last else f"{first}:{last}"
        if parts and length + 1 + len(part) > max_chars:
            sets.append(",".join(parts))
            parts, length = [], 0
        length += len(part) + (1 if parts else 0)
        parts.append(part)
    if parts:
        sets.append(",".join(parts))
    return sets


def parse_uid_set(text: str) -> list[int]:
    """Expand an IMAP set such as ``1:3,7,10:9`` into sorted distinct integers."""
    result: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition(":")
        low, high = int(first), int(last or first)
        result.update(range(min(low, high), max(low, high) + 1))
    return sorted(result)


_HEADER_FIELD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def _check_keyword(keyword: str) -> None:
    """A keyword must be a 7-bit IMAP atom; anything else could break (or inject) the command."""
    if not is_keyword_atom(keyword):
        raise ImapError(
            f"{keyword!r} is not a valid IMAP keyword (7-bit text without spaces, controls "
            'or any of ( ) { % * " \\ ])'
        )


_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_INTERNALDATE = re.compile(
    r"^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\s*$"
)


def parse_internaldate(text: str) -> datetime | None:
    """``"24-Nov-2025 09:15:00 +0100"`` -> an aware datetime (locale-independent); None if bad."""
    match = _INTERNALDATE.match(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    try:
        return datetime(
            int(year),
            _MONTHS[month.upper()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=_zone(sign, off_h, off_m),
        )
    except (KeyError, ValueError):
        return None


@functools.lru_cache(maxsize=256)
def _zone(sign: str, hours: str, minutes: str) -> timezone:
    """The fixed zone of ``+hhmm``/``-hhmm`` (ValueError when out of range); one object each."""
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-offset if sign == "-" else offset)


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
    """``_split_flags``, remembered: a folder has few distinct flag sets."""
    if raw in _FLAGS:
        return _FLAGS[raw]
    if len(_FLAGS) >= _CACHE_MAX:
        _FLAGS.clear()
    flags = _FLAGS[raw] = _split_flags(raw)
    return flags


def _one_line(text: str | bytes, secret: str = "") -> str:
    """Server or library text as one short line: no CR/LF, no ``b'...'``, never the password."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = re.sub(r"\bb(['\"])(.*?)\1", r"\2", text)
    text = re.sub(r"\s*\(\d+\.\d+ \+ [\d. +]+secs\)", "", text)  # Dovecot's timing suffix
    text = one_line(text)
    if len(secret) >= 3:  # shorter ones would garble ordinary words and are never echoed
        text = text.replace(secret, "***")
    if len(text) > _MESSAGE_MAX_CHARS:
        text = text[: _MESSAGE_MAX_CHARS - 3] + "..."
    return text


def _quoted_string(text: str) -> str:
    """An IMAP quoted string (imaplib quotes the LOGIN password but not the user name)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(text: str) -> bytes:
    """A mailbox name as an IMAP quoted string in modified UTF-7."""
    encoded: bytes = imap_utf7.encode(text)
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


# ---------------------------------------------------------------------------------------------
# FETCH response parsing
# ---------------------------------------------------------------------------------------------


class _String(bytes):
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


class _ParseError(ValueError):
    pass


def _tokens_into(stack: list[list[Value]], text: bytes, literal: bytes | None) -> list[Value]:
    """Feed one piece of response text into ``stack``; returns the messages it completed."""
    done: list[Value] = []
    pos, end = 0, len(text.rstrip(b" "))
    if not stack:
        start = _FETCH_START.match(text)
        if start is None:
            raise _ParseError(text[:80])
        stack.append([])
        pos = start.end()
    while pos < end:
        match = _TOKEN.match(text, pos, end)
        if match is None or not stack:
            raise _ParseError(text[pos : pos + 80])
        pos = match.end()
        kind = match.lastgroup
        if kind == "open":
            stack.append([])
        elif kind == "close":
            item = stack.pop()
            (stack[-1].append(item) if stack else done.append(item))
        elif kind == "literal":
            if literal is None:
                raise _ParseError(b"literal without data")
            stack[-1].append(_String(literal))
        elif kind == "quoted":
            stack[-1].append(_String(_QUOTED_ESCAPE.sub(rb"\1", match.group(kind))))
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
                raise _ParseError(b"odd FETCH item list")
            messages.append(
                {
                    bytes(key).upper(): value
                    for key, value in zip(items[::2], items[1::2], strict=True)
                    if isinstance(key, bytes)
                }
            )
    if stack:
        raise _ParseError(b"unterminated FETCH response")
    return messages


_FAST_HEADER = re.compile(
    rb"^\d+ \((?:(?:UID (\d+)|FLAGS \(([^()]*)\)|INTERNALDATE \"([^\"]*)\"|RFC822\.SIZE (\d+)"
    rb"|MODSEQ \((\d+)\)|BODY\[HEADER[^\]]*\] (\{\})) ?)+\)$"
)


def _group_header_record(group: Sequence[Any]) -> HeaderRecord | None:
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
        flags=_split_flags(flags),
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

_RawFetch: TypeAlias = tuple[bytes, bytes, bytes]
"""One FETCH response with one literal as read off the wire: the first line, the literal and
the line after it, line ends included."""


def _fast_header_record(raw: _RawFetch) -> HeaderRecord | None:
    """A HeaderRecord from one response read off the wire, for the shapes ``_group_header_record``
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


def _salvaged_records(group: Sequence[Any], exc: Exception) -> list[HeaderRecord]:
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


def _text_of(value: object) -> str:
    """A NAMESPACE prefix or delimiter as text (imapclient gives bytes, str or None)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _header_record(item: dict[bytes, Value]) -> HeaderRecord | None:
    """A HeaderRecord from generally parsed FETCH items; None without UID or header."""
    uid = _as_int(item.get(b"UID"))
    header: bytes | None = None
    for key, value in item.items():
        if key.startswith(b"BODY[HEADER"):
            header = _as_bytes(value)
    if uid is None or header is None:
        return None
    date = _as_bytes(item.get(b"INTERNALDATE"))
    return HeaderRecord(
        uid=uid,
        flags=_as_flags(item.get(b"FLAGS")),
        modseq=_as_int(item.get(b"MODSEQ")),
        internaldate=parse_internaldate(date.decode("ascii", "replace")) if date else None,
        size=_as_int(item.get(b"RFC822.SIZE")) or 0,
        header=header,
    )


def _split_flags(raw: bytes) -> tuple[str, ...]:
    """The inside of a FLAGS list (atoms only) without ``\\Recent``."""
    return tuple(
        flag for flag in raw.decode("utf-8", "surrogateescape").split() if flag.upper() != _RECENT
    )


def _as_int(value: Value | None) -> int | None:
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if isinstance(value, bytes) and value.isdigit():
        return int(value)
    return None


def _as_flags(value: Value | None) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        flag.decode("utf-8", "surrogateescape")
        for flag in value
        if isinstance(flag, bytes) and flag.upper() != b"\\RECENT"
    )


def _as_bytes(value: Value | None) -> bytes | None:
    """A string value; None for NIL."""
    if isinstance(value, _String):
        return bytes(value)
    return None


def _flag_record(line: bytes) -> FlagRecord | None:
    """Fast path for ``* n FETCH (UID u FLAGS (...) MODSEQ (m))`` lines."""
    match = _FLAGS_ONLY.match(line)
    if match is None or match.group(1) is None or match.group(2) is None:
        return None
    modseq = match.group(3)
    return FlagRecord(
        int(match.group(1)), _split_flags(match.group(2)), int(modseq) if modseq else None
    )


# ---------------------------------------------------------------------------------------------
# Reading a header fetch off the wire
# ---------------------------------------------------------------------------------------------

# imaplib's response grammar (``imaplib.IMAP4._get_response``), for the lines read here.
_UNTAGGED_RESPONSE = re.compile(rb"\* (?P<type>[A-Z-]+)( (?P<data>.*))?", re.ASCII)
_UNTAGGED_STATUS = re.compile(rb"\* (?P<data>\d+) (?P<type>[A-Z-]+)( (?P<data2>.*))?", re.ASCII)
_CONTINUATION = re.compile(rb"\+( (?P<data>.*))?")
_LITERAL = re.compile(rb".*{(?P<size>\d+)}$", re.ASCII)
_FETCH_WITH_LITERAL = re.compile(rb"\* \d+ FETCH .*\{(\d+)\}\r\n")
"""The first line of a FETCH response that carries a literal (imaplib reads it as one)."""
_LINE_END = b"\r\n"
_LITERAL_END = b"}\r\n"


_WHOLE_ITEMS = "(UID BODY.PEEK[])"
_WHOLE_HEAD = re.compile(rb"\* \d+ FETCH \(UID (\d+) BODY\[\] \{\d+\}\r\n")


def _fast_whole(raw: _RawFetch) -> tuple[int, bytes] | None:
    """(UID, message) from ``* n FETCH (UID u BODY[] {size}`` + literal + ``)``; None: any
    other shape (read by the general parser)."""
    line, literal, trailer = raw
    head = _WHOLE_HEAD.fullmatch(line)
    if head is None or trailer != _SIMPLE_TAIL:
        return None
    return int(head.group(1)), literal


class _HeaderStream:
    """Reads the reply to one ``UID FETCH`` of headers through imaplib's ``readline``/``read``,
    doing what imaplib's ``_command_complete`` would do but with a few calls per message instead
    of imaplib's per-line regexes, logging and bookkeeping: the messages' FETCH responses go to
    :attr:`entries` (a record for the common shape, imaplib's element list for any other); other
    untagged responses are dropped (the caller forgets them anyway) except BYE, which aborts,
    as imaplib does. Errors are imaplib's exceptions with imaplib's texts."""

    def __init__(
        self, wire: Any, tag: bytes, fast: Callable[[_RawFetch], Any] = _fast_header_record
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


class ImapConnection:
    """One authenticated IMAP session. ``connect()`` opens it; it is not thread-safe."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: TlsMode,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        ca_file: str | None = None,
        tls_fingerprint: str | None = None,
        account: str | None = None,
    ) -> None:
        """``ca_file``: PEM certificates to trust instead of the system's CAs. ``tls_fingerprint``:
        trust exactly the server certificate with this SHA-256 (no CA or host name check; see
        ``storage.tlspin``); not together with ``ca_file``. ``account`` names the config section
        in the hint of an untrusted-certificate error."""
        if tls not in ("implicit", "starttls", "none"):
            raise ValueError(f"tls must be 'implicit', 'starttls' or 'none', not {tls!r}")
        if tls_fingerprint is not None and (ca_file is not None or tls == "none"):
            raise ValueError("tls_fingerprint needs TLS and excludes ca_file")
        self.host = host
        self.port = port
        self.tls: TlsMode = tls
        self.username = username
        self._password = password
        self.timeout = timeout
        self.ca_file = ca_file
        self.tls_fingerprint = tls_fingerprint
        self.account = account
        self._client: Any = None  # IMAPClient (untyped library)
        self._capabilities: frozenset[str] = frozenset()
        self._condstore = False
        self._qresync = False
        self._selected: str | None = None

    def __repr__(self) -> str:
        return f"ImapConnection({self.username}@{self.host}:{self.port}, tls={self.tls})"

    def __enter__(self) -> ImapConnection:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- properties -----------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """The server's capabilities after login, upper-case (empty before ``connect``)."""
        return self._capabilities

    @property
    def condstore(self) -> bool:
        """CONDSTORE is available (mod-sequences in FETCH, CHANGEDSINCE)."""
        return self._condstore

    @property
    def qresync(self) -> bool:
        """QRESYNC was enabled on this connection."""
        return self._qresync

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def selected(self) -> str | None:
        """The currently selected folder, if any."""
        return self._selected

    # -- connecting -----------------------------------------------------------------------------

    def connect(self) -> None:
        """Open the connection, secure it, log in and enable QRESYNC/CONDSTORE. Reconnects if
        already connected. ``tls="none"`` to a non-loopback host raises ``ImapRefused`` before
        any socket is opened."""
        self.close()
        if self.tls == "none" and not is_loopback(self.host):
            raise ImapRefused(
                f"refusing to send the password for {self.username} unencrypted to {self.host}: "
                'tls = "none" is only allowed for localhost; use "implicit" (port 993) or '
                '"starttls" (port 143)'
            )
        context = self._ssl_context()
        with self._translated("connect", connecting=True):
            try:
                self._client = self._open(context)
            except ssl.SSLCertVerificationError as exc:
                raise self._untrusted(exc) from None
            self._login()
            self._enable_extensions()

    def _open(self, context: ssl.SSLContext | None) -> Any:
        """A new IMAPClient, connected and (with TLS) secured; not logged in. With a pinned
        fingerprint the handshake itself fails on another certificate, before any IMAP byte."""
        client = IMAPClient(
            self.host,
            self.port,
            ssl=self.tls == "implicit",
            ssl_context=context,
            timeout=SocketTimeout(connect=self.timeout, read=self.timeout),
        )
        client._imap.debug = 0  # no per-line debug formatting; never log the LOGIN line
        try:
            if self.tls == "starttls":
                self._starttls(client, context)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def close(self) -> None:
        """Log out and close the socket; never raises."""
        client, self._client = self._client, None
        self._selected = None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.socket().settimeout(min(self.timeout, 5.0))
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.tls == "none":
            return None
        if self.tls_fingerprint is not None:
            return tlspin.pinned_context(self.tls_fingerprint)
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise ImapRefused(
                f"cannot use ca_file {self.ca_file}: {_one_line(str(reason))}"
            ) from None

    def _starttls(self, client: Any, context: ssl.SSLContext | None) -> None:
        if "STARTTLS" not in _capability_set(client):
            raise ImapRefused(
                f'{self.host}:{self.port} does not offer STARTTLS; use tls = "implicit" '
                "(usually port 993)"
            )
        client.starttls(context)

    def _untrusted(self, exc: ssl.SSLCertVerificationError) -> ImapRefused:
        """The refusal of an unverifiable certificate, naming the fingerprint the server
        presented so the user can check it out of band and pin it (as ``ssh`` does)."""
        reason = _one_line(exc.verify_message or exc.reason or str(exc))
        where = f"{self.host}:{self.port}"
        presented = self._presented_fingerprint()
        if presented is None:
            return ImapRefused(
                f"{where}: certificate not trusted ({reason}); set ca_file or tls_fingerprint "
                "to trust it"
            )
        return ImapRefused(
            f"{where}: certificate not trusted ({reason}); if you trust it, add "
            f'tls_fingerprint = "{presented}" to {self._section()}'
        )

    def _section(self) -> str:
        """Where the account's keys go in the config file, for hints."""
        if not self.account:
            return "the account's config"
        bare = re.fullmatch(r"[A-Za-z0-9_-]+", self.account)
        return f"[accounts.{self.account}]" if bare else f'[accounts."{self.account}"]'

    def _presented_fingerprint(self) -> str | None:
        """The SHA-256 of the certificate the server presents, read over a second connection
        that verifies nothing and sends no credentials (at most CAPABILITY and STARTTLS); None
        if that fails too."""
        try:
            probe = self._open(tlspin.unverified_context())
        except (OSError, EOFError, imaplib.IMAP4.error, ValueError, ImapError):
            return None
        try:
            der = probe.socket().getpeercert(binary_form=True)
        except (OSError, ValueError):
            der = None
        finally:
            with contextlib.suppress(Exception):
                probe.shutdown()
        return tlspin.certificate_fingerprint(der) if der else None

    def _login(self) -> None:
        try:
            if self.username.isascii() and self._password.isascii():
                self._client.login(_quoted_string(self.username), self._password)
            elif "AUTH=PLAIN" in self._server_capabilities():
                self._client.plain_login(self.username, self._password)
            else:
                raise ImapAuthError(
                    f"login failed for user {self.username}: the server offers no way to send "
                    "a non-ASCII user name or password (AUTH=PLAIN)"
                )
        except imaplib.IMAP4.error as exc:
            cause = exc.__context__
            if isinstance(cause, imaplib.IMAP4.abort | OSError):
                raise cause from None
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            hint = ""
            if "LOGINDISABLED" in self._server_capabilities():
                hint = " (the server refuses plaintext login; use TLS)"
            reason = _one_line(str(exc), self._password).removeprefix("login failed: ")
            raise ImapAuthError(f"login failed for user {self.username}: {reason}{hint}") from None

    def _server_capabilities(self) -> frozenset[str]:
        """Capabilities as the server currently advertises them (pre-login ones before LOGIN)."""
        return _capability_set(self._client)

    def _enable_extensions(self) -> None:
        self._capabilities = self._server_capabilities()
        wanted = "QRESYNC" if "QRESYNC" in self._capabilities else "CONDSTORE"
        enabled: set[str] = set()
        if wanted in self._capabilities and "ENABLE" in self._capabilities:
            enabled = {
                (c.decode() if isinstance(c, bytes) else str(c)).upper()
                for c in self._client.enable(wanted)
            }
        self._qresync = "QRESYNC" in enabled
        self._condstore = self._qresync or "CONDSTORE" in self._capabilities

    # -- error translation ----------------------------------------------------------------------

    def _wire(self) -> Any:
        """The ``imaplib.IMAP4`` object under IMAPClient (its command layer is used directly)."""
        if self._client is None:
            raise ImapConnectionLost(f"not connected to {self.host}:{self.port}")
        return self._client._imap

    @contextlib.contextmanager
    def _translated(self, action: str, *, connecting: bool = False) -> Iterator[None]:
        """Turn every library, socket and TLS exception into an ``ImapError``."""
        try:
            yield
        except ImapError as exc:
            if isinstance(exc, ImapConnectionLost | ImapRefused | ImapAuthError) or connecting:
                self._drop()
            raise
        except (OSError, EOFError, imaplib.IMAP4.error, ValueError) as exc:
            error = self._translate(exc, action, connecting)
            if connecting or isinstance(error, ImapConnectionLost):
                self._drop()
            raise error from None

    def _translate(self, exc: BaseException, action: str, connecting: bool) -> ImapError:
        where = f"{self.host}:{self.port}"
        detail = _one_line(str(exc), self._password)
        if isinstance(exc, tlspin.FingerprintMismatch):
            return ImapRefused(
                f"{where}: certificate does not match tls_fingerprint in {self._section()} "
                f"(the server presented {exc.presented or 'none'}); not logging in (if it was "
                "renewed, check the new one out of band and update the pin)"
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = _one_line(exc.verify_message or exc.reason or detail)
            return ImapRefused(f"{where}: certificate not trusted ({reason})")
        if isinstance(exc, ssl.SSLError) and connecting:
            return ImapRefused(
                f"TLS handshake with {where} failed ({_one_line(exc.reason or detail)}); "
                'check tls ("implicit" for port 993, "starttls" for 143)'
            )
        if isinstance(exc, TimeoutError):
            return ImapConnectionLost(f"{action}: {where} did not answer within {self.timeout:g} s")
        if isinstance(exc, socket.gaierror):
            return ImapConnectionLost(f"cannot resolve host {self.host}: {exc.strerror}")
        if isinstance(exc, ConnectionRefusedError):
            return ImapConnectionLost(f"cannot connect to {where}: connection refused")
        if isinstance(exc, OSError | EOFError | imaplib.IMAP4.abort):
            reason = getattr(exc, "strerror", None) or detail or type(exc).__name__
            reason = re.sub(r"^command: \S+ => |socket error: ", "", _one_line(reason))
            if reason in ("EOF", ""):
                reason = "closed by the server"
            return ImapConnectionLost(f"{action}: connection to {where} lost ({reason})")
        if isinstance(exc, ValueError):  # our parser, or IMAPClient choking on a reply
            return ImapError(f"{action}: unexpected response from {where}: {detail}")
        return ImapError(f"{action} failed: {detail}")

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()

    # -- low-level commands ---------------------------------------------------------------------

    def _command(self, action: str, *args: str | bytes) -> tuple[str, str]:
        """Run one command; returns (OK|NO, server text). BAD raises ``ImapError``."""
        wire = self._wire()
        with self._translated(action):
            tag = wire._command(*args)
            typ, data = wire._command_complete(str(args[0]), tag)
        text = data[-1] if data and data[-1] is not None else b""
        return str(typ), _one_line(text, self._password)

    def _untagged(self, name: str) -> list[Any]:
        """Pop the untagged responses of one kind collected by the last command."""
        data: list[Any] = self._wire().untagged_responses.pop(name, [])
        return data

    def _forget_untagged(self) -> None:
        """Drop everything else the server volunteered, so nothing piles up in memory."""
        if self._client is not None:
            self._wire().untagged_responses.clear()

    def _require_selected(self) -> str:
        self._wire()
        if self._selected is None:
            raise ImapError("no folder selected; call select() first")
        return self._selected

    def _uid_fetch(self, action: str, uid_set: str, items: str, modifiers: str = "") -> list[Any]:
        """Run ``UID FETCH``; returns the raw untagged FETCH data (NO raises, except for
        messages expunged meanwhile, which are simply missing)."""
        self._forget_untagged()
        args = ["UID", "FETCH", uid_set, items] + ([modifiers] if modifiers else [])
        typ, text = self._command(action, *args)
        data = self._untagged("FETCH")
        if typ != "OK" and "EXPUNGEISSUED" not in text.upper():
            raise ImapError(f"{action} failed: {text}")
        return data

    def _check_ok(self, action: str, result: tuple[str, str]) -> None:
        typ, text = result
        if typ != "OK":
            raise ImapError(f"{action} failed: {text}")

    # -- folders --------------------------------------------------------------------------------

    def list_folders(self) -> list[str]:
        """Names of all selectable folders (``\\Noselect``/``\\NonExistent`` ones are left out)."""
        client = self._client_or_fail()
        with self._translated("LIST"):
            entries = client.list_folders()
        self._forget_untagged()
        names: list[str] = []
        for flags, _delimiter, name in entries:
            upper = {(f.decode() if isinstance(f, bytes) else str(f)).upper() for f in flags}
            if upper & {"\\NOSELECT", "\\NONEXISTENT"}:
                continue
            names.append(name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name))
        return names

    def _client_or_fail(self) -> Any:
        if self._client is None:
            raise ImapConnectionLost(f"not connected to {self.host}:{self.port}")
        return self._client

    def select(self, folder: str, *, readonly: bool = False) -> FolderStatus:
        """SELECT ``folder`` read-write (EXAMINE if the server only allows reading it, or
        with ``readonly``: the watcher only listens)."""
        client = self._client_or_fail()
        self._selected = None
        read_only = readonly
        with self._translated(f"SELECT {folder}"):
            try:
                response = client.select_folder(folder, readonly=readonly)
            except imaplib.IMAP4.readonly:
                response = client.select_folder(folder, readonly=True)
                read_only = True
            except imaplib.IMAP4.error as exc:
                if isinstance(exc, imaplib.IMAP4.abort):
                    raise
                self._raise_select_failed(folder, exc)
        self._forget_untagged()
        self._selected = folder
        return self._folder_status(folder, response, read_only)

    def _raise_select_failed(self, folder: str, exc: imaplib.IMAP4.error) -> NoReturn:
        reason = _one_line(str(exc), self._password).removeprefix("select failed: ")
        if not self._folder_exists(folder):
            raise ImapError(f"folder '{folder}' does not exist") from None
        raise ImapError(f"cannot select folder '{folder}': {reason}") from None

    def _folder_exists(self, folder: str) -> bool:
        typ, _text = self._command("LIST", "LIST", b'""', _quote(folder))
        found = [line for line in self._untagged("LIST") if line]
        return typ == "OK" and bool(found)

    def _folder_status(
        self, folder: str, response: dict[bytes, Any], read_only: bool
    ) -> FolderStatus:
        uidvalidity = response.get(b"UIDVALIDITY")
        if uidvalidity is None:
            raise ImapError(f"the server sent no UIDVALIDITY for folder '{folder}'")
        uidnext = response.get(b"UIDNEXT")
        if uidnext is None:
            uidnext = self._status_uidnext(folder)
        permanent = {bytes(f).upper() for f in response.get(b"PERMANENTFLAGS", ())}
        highest = response.get(b"HIGHESTMODSEQ") if self._condstore else None
        return FolderStatus(
            name=folder,
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext),
            exists=int(response.get(b"EXISTS", 0)),
            highestmodseq=int(highest) if highest is not None else None,
            permanent_keywords=b"\\*" in permanent and not read_only,
        )

    def status(self, folder: str) -> dict[str, int]:
        """STATUS of a folder (not the selected one): MESSAGES, UIDNEXT, UIDVALIDITY and, with
        CONDSTORE, HIGHESTMODSEQ, as far as the server reported them. Changes the server
        reports meanwhile for the selected folder stay for ``take_changes``."""
        items = "MESSAGES UIDNEXT UIDVALIDITY" + (" HIGHESTMODSEQ" if self._condstore else "")
        self._check_ok("STATUS", self._command("STATUS", "STATUS", _quote(folder), f"({items})"))
        found: dict[str, int] = {}
        for line in self._untagged("STATUS"):
            values = line.rsplit(b"(", 1)[-1] if isinstance(line, bytes) else b""
            for name, value in re.findall(rb"([A-Za-z]+) (\d+)", values):
                found[name.decode("ascii").upper()] = int(value)
        return found

    def take_changes(self) -> bool:
        """Whether the server reported a change of the selected folder (EXISTS, EXPUNGE,
        FETCH, VANISHED) with the last commands; forgets what it reported."""
        changed = self._client is not None and any(
            self._wire().untagged_responses.get(name)
            for name in ("EXISTS", "EXPUNGE", "FETCH", "VANISHED")
        )
        self._forget_untagged()
        return changed

    def abort(self) -> None:
        """Shut the socket down, from any thread: a command blocked on it fails at once with
        ``ImapConnectionLost`` (``close`` must not run while another thread uses it)."""
        client = self._client
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.socket().shutdown(socket.SHUT_RDWR)

    def _status_uidnext(self, folder: str) -> int:
        self._check_ok("STATUS", self._command("STATUS", "STATUS", _quote(folder), "(UIDNEXT)"))
        for line in self._untagged("STATUS"):
            match = re.search(rb"UIDNEXT (\d+)", line if isinstance(line, bytes) else b"")
            if match:
                return int(match.group(1))
        raise ImapError(f"the server sent no UIDNEXT for folder '{folder}'")

    # -- reading --------------------------------------------------------------------------------

    def uids(self) -> list[int]:
        """All UIDs of the selected folder, ascending (works on folders of any size)."""
        self._require_selected()
        if "ESEARCH" not in self._capabilities:
            return self._uids_by_fetch()
        count, low, high = self._esearch_bounds()
        if count == 0:
            return []
        if count <= _ESEARCH_SINGLE_MAX:
            return self._esearch_all("ALL")
        found: list[int] = []
        for start in range(low, high + 1, _ESEARCH_SPAN):
            found += self._esearch_all(f"UID {start}:{min(start + _ESEARCH_SPAN - 1, high)}")
        return sorted(set(found))

    def _esearch(self, returns: str, criteria: str) -> bytes:
        self._forget_untagged()
        result = self._command("UID SEARCH", "UID", "SEARCH", "RETURN", returns, criteria)
        self._check_ok("UID SEARCH", result)
        lines = [line for line in self._untagged("ESEARCH") if isinstance(line, bytes)]
        return lines[-1] if lines else b""

    def _esearch_bounds(self) -> tuple[int, int, int]:
        line = self._esearch("(MIN MAX COUNT)", "ALL")
        values = dict(re.findall(rb"\b(MIN|MAX|COUNT) (\d+)", line.upper()))
        count = int(values.get(b"COUNT", 0))
        return count, int(values.get(b"MIN", 1)), int(values.get(b"MAX", 0))

    def _esearch_all(self, criteria: str) -> list[int]:
        match = re.search(rb"\bALL ([0-9:,]+)", self._esearch("(ALL)", criteria))
        return parse_uid_set(match.group(1).decode()) if match else []

    def _uids_by_fetch(self) -> list[int]:
        """Without ESEARCH: one ``UID FETCH 1:* (UID)``; the reply has one short line per message,
        so imaplib's 1 MB line limit never applies."""
        data = self._uid_fetch("UID FETCH", "1:*", "(UID)")
        found = {
            int(match.group(1))
            for line in data
            if isinstance(line, bytes) and (match := re.search(rb"UID (\d+)", line))
        }
        return sorted(found)

    def uid_search(
        self, criteria: Sequence[str], *, charset: str | None = None, literal: bytes | None = None
    ) -> list[int]:
        """``UID SEARCH`` in the selected folder; the matching UIDs, ascending. ``criteria`` are
        search keys already in IMAP syntax (atoms, quoted strings: ``storage.serversearch``
        builds them, never from raw user text); ``literal`` follows them as an IMAP literal
        (imaplib sends one per command, last), e.g. the value of a final ``TEXT``. With
        ESEARCH (RFC 4731) the reply is ``RETURN (ALL)``'s compact UID set, else the plain
        ``* SEARCH`` list; either must stay below imaplib's 1 MB line (the caller bounds the
        UID range of big folders)."""
        self._require_selected()
        esearch = "ESEARCH" in self._capabilities
        args = ["UID", "SEARCH", *(["RETURN", "(ALL)"] if esearch else [])]
        args += [*(["CHARSET", charset] if charset else []), *criteria]
        wire = self._wire()
        self._forget_untagged()
        wire.literal = literal
        try:
            result = self._command("UID SEARCH", *args)
        finally:
            wire.literal = None
        self._check_ok("UID SEARCH", result)
        if esearch:
            lines = [line for line in self._untagged("ESEARCH") if isinstance(line, bytes)]
            match = re.search(rb"\bALL ([0-9:,]+)", lines[-1]) if lines else None
            return parse_uid_set(match.group(1).decode()) if match else []
        found = {
            int(uid)
            for line in self._untagged("SEARCH")
            if isinstance(line, bytes)
            for uid in line.split()
            if uid.isdigit()
        }
        return sorted(found)

    def fetch_headers(self, uids: Sequence[int], fields: Sequence[str]) -> list[HeaderRecord]:
        """Flags, INTERNALDATE, size and the named header fields (all headers if ``fields`` is
        empty) of ``uids``, in the order given; UIDs that no longer exist are left out. Never
        sets ``\\Seen``."""
        self._require_selected()
        for field in fields:
            if not _HEADER_FIELD.match(field):
                raise ImapError(f"{field!r} is not a header field name")
        section = f"HEADER.FIELDS ({' '.join(f.upper() for f in fields)})" if fields else "HEADER"
        items = f"(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[{section}]"
        items += " MODSEQ)" if self._condstore else ")"
        records: dict[int, HeaderRecord] = {}
        for uid_set in uid_sets(uids):
            for entry in self._stream_headers(uid_set, items):
                if isinstance(entry, HeaderRecord):
                    records[entry.uid] = entry
                    continue
                for record in self._header_records(entry):
                    records[record.uid] = record
        self._forget_untagged()
        return [records[uid] for uid in dict.fromkeys(uids) if uid in records]

    def _stream_headers(
        self,
        uid_set: str,
        items: str,
        action: str = "fetching headers",
        fast: Callable[[_RawFetch], Any] = _fast_header_record,
    ) -> list[Any]:
        """Run one ``UID FETCH`` and read its reply straight off the socket: what ``fast``
        makes of each message of the common shape (a header record by default), imaplib's
        ``[(text, literal), ..., trailer]`` for any other FETCH response (NO raises, except
        for messages expunged meanwhile)."""
        wire = self._wire()
        self._forget_untagged()
        with self._translated(action):
            tag = wire._command("UID", "FETCH", uid_set, items)
            stream = _HeaderStream(wire, tag, fast)
            try:
                typ, text = stream.run()
            except imaplib.IMAP4.abort as exc:
                raise imaplib.IMAP4.abort(f"command: UID => {exc}") from None
            except imaplib.IMAP4.error as exc:
                raise imaplib.IMAP4.error(f"command: UID => {exc}") from None
            if typ == "BAD":
                raise imaplib.IMAP4.error(f"UID command error: {typ} {[text]}")
        message = _one_line(text, self._password)
        if typ != "OK" and "EXPUNGEISSUED" not in message.upper():
            raise ImapError(f"{action} failed: {message}")
        return stream.entries

    def _header_records(self, group: Sequence[Any]) -> list[HeaderRecord]:
        fast = _group_header_record(group)
        if fast is not None:
            return [fast]
        try:
            items = parse_fetch(group)
        except (_ParseError, ValueError, IndexError, TypeError) as exc:
            return _salvaged_records(group, exc)
        parsed = (_header_record(item) for item in items)
        return [record for record in parsed if record is not None]

    def _parsed(self, action: str, data: Sequence[Any]) -> list[dict[bytes, Value]]:
        with self._translated(action):
            return parse_fetch(data)

    def fetch_flags(self, changedsince: int | None = None) -> list[FlagRecord]:
        """Flags (and mod-sequences) of every message in the selected folder, by UID; with
        ``changedsince`` only of messages whose flags changed after that mod-sequence."""
        self._require_selected()
        if changedsince is not None and not self._condstore:
            raise ImapError("the server does not support CONDSTORE, so CHANGEDSINCE is unavailable")
        items = "(UID FLAGS MODSEQ)" if self._condstore else "(UID FLAGS)"
        modifiers = f"(CHANGEDSINCE {int(changedsince)})" if changedsince is not None else ""
        data = self._uid_fetch("fetching flags", "1:*", items, modifiers)
        self._forget_untagged()
        records: dict[int, FlagRecord] = {}
        slow: list[Any] = []
        for line in data:
            record = _flag_record(line) if isinstance(line, bytes) else None
            if record is None:
                slow.append(line)
            else:
                records[record.uid] = record
        for item in self._parsed("fetching flags", slow):
            uid = _as_int(item.get(b"UID"))
            if uid is not None and b"FLAGS" in item:
                records[uid] = FlagRecord(
                    uid, _as_flags(item[b"FLAGS"]), _as_int(item.get(b"MODSEQ"))
                )
        return [records[uid] for uid in sorted(records)]

    def fetch_body(self, uid: int) -> bytes | None:
        """The whole raw message (``BODY.PEEK[]``, so ``\\Seen`` is not set); None if it is gone."""
        self._require_selected()
        data = self._uid_fetch("fetching a message", str(int(uid)), "(UID BODY.PEEK[])")
        self._forget_untagged()
        for item in self._parsed("fetching a message", data):
            if _as_int(item.get(b"UID")) == uid and b"BODY[]" in item:
                return _as_bytes(item[b"BODY[]"])
        return None

    def fetch_whole(self, uids: Sequence[int]) -> dict[int, bytes]:
        """The whole raw messages (``BODY.PEEK[]``, so ``\\Seen`` is not set) of ``uids`` by
        UID, read off the wire as ``fetch_headers`` reads headers; UIDs that no longer exist
        are left out."""
        self._require_selected()
        action = "fetching messages"
        out: dict[int, bytes] = {}
        for uid_set in uid_sets(uids):
            for entry in self._stream_headers(uid_set, _WHOLE_ITEMS, action, _fast_whole):
                if isinstance(entry, tuple):
                    out[entry[0]] = entry[1]
                    continue
                for item in self._parsed(action, entry):
                    uid, data = _as_int(item.get(b"UID")), _as_bytes(item.get(b"BODY[]"))
                    if uid is not None and data is not None:
                        out[uid] = data
        self._forget_untagged()
        return out

    def fetch_items(self, uids: Sequence[int], items: str) -> list[dict[bytes, Value]]:
        """``UID FETCH`` of ``items`` (e.g. ``"(UID BODYSTRUCTURE)"``) for ``uids``: one dict of
        parsed items per message (keys upper-cased, as :func:`parse_fetch`); messages that no
        longer exist are left out. The body mirror (``storage.bodymirror``) reads through this."""
        self._require_selected()
        out: list[dict[bytes, Value]] = []
        for uid_set in uid_sets(uids):
            data = self._uid_fetch("fetching messages", uid_set, items)
            self._forget_untagged()
            out.extend(self._parsed("fetching messages", data))
            del data
        return out

    # -- writing --------------------------------------------------------------------------------

    def store_keyword(self, uids: Sequence[int], keyword: str, add: bool) -> None:
        """Add (``+FLAGS.SILENT``) or remove (``-FLAGS.SILENT``) one keyword on ``uids``; other
        flags are never touched. The server's refusal raises ``ImapError`` with its text."""
        _check_keyword(keyword)
        self._store(uids, keyword, add, f"storing keyword {keyword}")

    def set_seen(self, uids: Sequence[int], seen: bool) -> None:
        """Mark messages read (``seen=True``) or unread."""
        self._store(uids, _SEEN, seen, "marking messages read" if seen else "marking unread")

    def append(
        self, folder: str, raw: bytes, flags: Sequence[str] = (_SEEN,)
    ) -> tuple[int, int] | None:
        """APPEND a message to ``folder`` (created when the server says TRYCREATE); returns
        (UIDVALIDITY, UID) from the server's APPENDUID (UIDPLUS), or None without it."""
        client = self._client_or_fail()
        action = f"filing a copy in {folder}"
        with self._translated(action):
            try:
                response = client.append(folder, raw, flags=tuple(flags))
            except imaplib.IMAP4.error as exc:
                if isinstance(exc, imaplib.IMAP4.abort) or "TRYCREATE" not in str(exc).upper():
                    raise
                client.create_folder(folder)
                response = client.append(folder, raw, flags=tuple(flags))
        text = response if isinstance(response, bytes) else str(response).encode()
        found = _APPENDUID.search(text)
        return (int(found.group(1)), int(found.group(2))) if found else None

    def keyword_carriers(self, uids: Sequence[int], keyword: str) -> list[int]:
        """Which of ``uids`` (selected folder) carry ``keyword``, by the server's SEARCH."""
        _check_keyword(keyword)
        client = self._client_or_fail()
        self._require_selected()
        found: set[int] = set()
        with self._translated(f"searching for keyword {keyword}"):
            for uid_set in uid_sets(uids):
                found.update(
                    int(uid) for uid in client.search(["UID", uid_set, "KEYWORD", keyword])
                )
        self._forget_untagged()
        return sorted(found)

    def personal_namespaces(self) -> list[tuple[str, str]]:
        """The server's personal namespaces as (prefix, delimiter) (RFC 2342); [] without
        NAMESPACE. Courier answers ``(("INBOX." "."))``: its folders are ``INBOX.Sent``, ..."""
        if "NAMESPACE" not in self._capabilities:
            return []
        client = self._client_or_fail()
        with self._translated("NAMESPACE"):
            personal = client.namespace().personal
        self._forget_untagged()
        out: list[tuple[str, str]] = []
        for prefix, delimiter in personal or ():
            text = [
                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v or "")
                for v in (prefix, delimiter)
            ]
            out.append((text[0], text[1]))
        return out

    def search_message_id(self, message_id: str) -> list[int]:
        """UIDs in the selected folder whose Message-ID header contains ``message_id``."""
        client = self._client_or_fail()
        self._require_selected()
        with self._translated("searching by Message-ID"):
            found = client.search(["HEADER", "Message-ID", message_id.strip("<>")])
        self._forget_untagged()
        return sorted(int(uid) for uid in found)

    def _store(self, uids: Sequence[int], flag: str, add: bool, action: str) -> None:
        self._require_selected()
        command = "+FLAGS.SILENT" if add else "-FLAGS.SILENT"
        for uid_set in uid_sets(uids):
            result = self._command(action, "UID", "STORE", uid_set, command, f"({flag})")
            self._forget_untagged()
            self._check_ok(action, result)

    # -- waiting --------------------------------------------------------------------------------

    def noop(self) -> None:
        """NOOP: keeps the connection alive and lets the server report changes."""
        self._check_ok("NOOP", self._command("NOOP", "NOOP"))
        self._forget_untagged()

    def idle_wait(self, timeout: float, *, wake: int | None = None) -> bool:
        """IDLE until the server reports a change in the selected folder, ``timeout`` seconds
        pass or the file descriptor ``wake`` becomes readable (another thread wants this one
        back; the caller drains it); True if something changed. Without IDLE: wait the same
        way, then NOOP (not after a wake-up)."""
        self._require_selected()
        deadline = time.monotonic() + max(timeout, 0.0)
        if "IDLE" not in self._capabilities:
            if _wait_readable(wake, deadline):
                return False
            return self._noop_reports_changes()
        client = self._client_or_fail()
        with self._translated("IDLE"):
            client.idle()
            changed = self._idle_until(deadline, wake)
            _text, late = client.idle_done()
        self._forget_untagged()
        return changed or any(_is_change_response(response) for response in late)

    def _idle_until(self, deadline: float, wake: int | None = None) -> bool:
        """Read IDLE's untagged lines until a change arrives (True), the deadline passes or
        ``wake`` is readable (False).

        Waits with a selector, never with a socket timeout: a read that times out leaves
        the socket's file object unusable. Lines already read into a buffer (behind a
        ``* FLAGS`` line that announces a new keyword, say) are read before it waits."""
        wire = self._wire()
        with selectors.DefaultSelector() as selector:
            selector.register(wire.sock, selectors.EVENT_READ, "server")
            if wake is not None:
                selector.register(wake, selectors.EVENT_READ, "wake")
            while (remaining := deadline - time.monotonic()) > 0:
                if not _buffered(wire):
                    ready = {key.data for key, _mask in selector.select(remaining)}
                    if "wake" in ready:
                        return False
                    if "server" not in ready:
                        return False
                line: bytes = wire._get_line()
                if _is_change_line(line):
                    return True
        return False

    def _noop_reports_changes(self) -> bool:
        changed = self.take_changes()
        self._check_ok("NOOP", self._command("NOOP", "NOOP"))
        return self.take_changes() or changed


def _buffered(wire: Any) -> bool:
    """Whether some of the server's bytes were already read off the socket (into the TLS
    layer or the file object's buffer), where a selector cannot see them. Looks without
    waiting: the socket is non-blocking for the look (a read that *times out* would leave the
    file object unusable; one that finds nothing does not)."""
    pending = getattr(wire.sock, "pending", None)
    if pending is not None and pending():
        return True
    timeout = wire.sock.gettimeout()
    wire.sock.settimeout(0.0)
    try:
        return bool(wire.file.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        wire.sock.settimeout(timeout)


def _wait_readable(fd: int | None, deadline: float) -> bool:
    """Sleep until ``deadline`` or until ``fd`` is readable (True)."""
    remaining = max(deadline - time.monotonic(), 0.0)
    if fd is None:
        time.sleep(remaining)
        return False
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(remaining))


_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)
_CHANGE_LINE = re.compile(rb"^\* (?:\d+ (?:EXISTS|EXPUNGE|FETCH)\b|VANISHED\b)", re.IGNORECASE)


def _capability_set(client: Any) -> frozenset[str]:
    """An IMAPClient's current capabilities, upper-case."""
    raw = client.capabilities()
    return frozenset(
        (c.decode("ascii", "replace") if isinstance(c, bytes) else str(c)).upper() for c in raw
    )


def _is_change_line(line: bytes) -> bool:
    return _CHANGE_LINE.match(line) is not None


def _is_change_response(response: Any) -> bool:
    """IMAPClient's parsed untagged responses, e.g. ``(3, b'EXISTS')``."""
    if not isinstance(response, tuple) or len(response) < 2:
        return False
    kind = response[1]
    return isinstance(kind, bytes) and kind.upper() in (
        b"EXISTS",
        b"EXPUNGE",
        b"FETCH",
        b"VANISHED",
    )
