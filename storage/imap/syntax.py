"""Small pure pieces of IMAP syntax: UID sets, INTERNALDATE, quoting, keywords, server text.

* :func:`uid_sets` / :func:`parse_uid_set` - compact ``1:5,7`` sets, split to fit a command line;
* :func:`parse_internaldate` - ``"24-Nov-2025 09:15:00 +0100"`` without the locale;
* :func:`check_keyword` - the one keyword rule (``storage.tags.is_keyword_atom``) as an
  ``ImapError``;
* :func:`quoted_string`, :func:`quote_mailbox` - IMAP quoted strings (mailboxes in modified
  UTF-7);
* :func:`server_line` - server or library text as one short line that never holds the password.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from supportmail.storage.imap.errors import ImapError
from supportmail.storage.sanitize import one_line, sanitize_line
from supportmail.storage.tags import is_keyword_atom

__all__ = [
    "HEADER_FIELD",
    "MAX_SET_CHARS",
    "check_keyword",
    "parse_internaldate",
    "parse_uid_set",
    "quote_mailbox",
    "quoted_string",
    "server_line",
    "uid_sets",
]

MAX_SET_CHARS = 4000
"""Longest UID set put in one command (servers cap command lines; Dovecot at 64 KiB)."""
_MESSAGE_MAX_CHARS = 300

HEADER_FIELD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
"""A header field name that may go into ``BODY.PEEK[HEADER.FIELDS (...)]``."""


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


def uid_sets(uids: Iterable[int], max_chars: int = MAX_SET_CHARS) -> list[str]:
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


def check_keyword(keyword: str) -> None:
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


def server_line(text: str | bytes, secret: str = "") -> str:
    """Server or library text as one short line: no CR/LF, no ``b'...'``, never the password,
    and sanitised (a server's ``NO`` text is untrusted: ESC shows as ``␛``, never reaching a
    terminal as an escape sequence)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = re.sub(r"\bb(['\"])(.*?)\1", r"\2", text)
    text = re.sub(r"\s*\(\d+\.\d+ \+ [\d. +]+secs\)", "", text)  # Dovecot's timing suffix
    text = one_line(text)
    if len(secret) >= 3:  # shorter ones would garble ordinary words and are never echoed
        text = text.replace(secret, "***")
    text = sanitize_line(text)
    if len(text) > _MESSAGE_MAX_CHARS:
        text = text[: _MESSAGE_MAX_CHARS - 3] + "..."
    return text


def quoted_string(text: str) -> str:
    """An IMAP quoted string (imaplib quotes the LOGIN password but not the user name)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_mailbox(text: str) -> bytes:
    """A mailbox name as an IMAP quoted string in modified UTF-7."""
    from imapclient import imap_utf7  # IMAPClient is imported only once a command is sent

    encoded: bytes = imap_utf7.encode(text)
    return b'"' + encoded.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
