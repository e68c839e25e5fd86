"""Header block -> :class:`Envelope`: the general path and the fast path for the header blocks
sync fetches (250k of them on a first sync)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from supportmail.storage.mime.addresses import SINGLE_ADDRESS, parse_addresses
from supportmail.storage.mime.dates import MONTHS, RFC5322_DATE, YEAR_AHEAD, parse_date, zone_offset
from supportmail.storage.mime.headers import (
    ENVELOPE_FIELDS,
    Fields,
    first_value,
    fix_8bit,
    header_block,
    header_text,
    scan_fields,
)
from supportmail.storage.mime.ids import (
    normalize_message_id,
    parse_message_ids,
    synthetic_id,
    unique_ids,
)
from supportmail.storage.mime.structure import parse_params
from supportmail.storage.mime.values import ADDRESS_CAP, HEADER_FIELDS, Envelope
from supportmail.storage.models import Address

# --------------------------------------------------------------------------------------------
# Envelopes
# --------------------------------------------------------------------------------------------


def parse_envelope(data: bytes) -> Envelope:
    """Parse a header block (or a whole message) into an :class:`Envelope`. Never raises.

    The usual header block of an IMAP fetch takes a fast path (:func:`_fast_envelope`); every
    other input, and any piece the fast path does not handle, takes the general steps, which
    define the result (:func:`_general_envelope`)."""
    try:
        raw = bytes(data)
    except Exception:
        return _envelope({}, None)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a UTF-8 byte-order mark some webmail exports put before the headers
    try:
        fast = _fast_envelope(raw)
    except Exception:
        fast = None
    return fast if fast is not None else _general_envelope(raw)


def _general_envelope(raw: bytes) -> Envelope:
    """The envelope of any input by the general steps: the reference the fast path must equal."""
    try:
        fields, block_is_ascii = _envelope_fields(raw)
        return _envelope(fields, None if block_is_ascii else _charset_hint(fields))
    except Exception:
        return _envelope({}, None)


def _envelope_fields(data: bytes) -> tuple[Fields, bool]:
    block = header_block(data)
    return scan_fields(block, ENVELOPE_FIELDS), block.isascii()


def _charset_hint(fields: Fields) -> str | None:
    """The Content-Type charset, used to read raw 8-bit headers that are not UTF-8."""
    charset = parse_params(first_value(fields, "content-type"))[1].get("charset")
    return charset or None


def _addresses(fields: Fields, name: str, hint: str | None) -> tuple[Address, ...]:
    values = fields.get(name)
    if not values:
        return ()
    return parse_addresses(", ".join(values), hint)


def _envelope(fields: Fields, hint: str | None) -> Envelope:
    own = normalize_message_id(fix_8bit(first_value(fields, "message-id"), hint))
    if not own:
        own = synthetic_id(fields)
    references = parse_message_ids(fix_8bit(" ".join(fields.get("references", ())), hint))
    in_reply_to = parse_message_ids(fix_8bit(first_value(fields, "in-reply-to"), hint))
    senders = _addresses(fields, "from", hint)
    return Envelope(
        message_id=own,
        in_reply_to=unique_ids(in_reply_to, own),
        references=unique_ids(references, own),
        subject=header_text(first_value(fields, "subject"), hint),
        sender=senders[0] if senders else Address("", ""),
        to=_addresses(fields, "to", hint),
        cc=_addresses(fields, "cc", hint),
        reply_to=_addresses(fields, "reply-to", hint),
        date=parse_date(fix_8bit(first_value(fields, "date"), hint)),
    )


# --------------------------------------------------------------------------------------------
# Envelopes: the fast path for what sync fetches
# --------------------------------------------------------------------------------------------
#
# Sync parses 250k header blocks on a first run, nearly all shaped alike: CRLF lines, a blank
# line at the end, plain ASCII ids, dates in the RFC 5322 form. For those, the steps below give
# exactly what the general steps give, with fewer Python-level operations: one pass over the
# lines with the usual field names looked up, and a shortcut for each value that is plain
# (an ``<id>``, ``Name <addr>``, an ASCII subject, an RFC 5322 date). Whatever they do not
# recognise goes to the general function for that piece, or (``None``) for the whole block;
# tests/unit/test_envelope_fast_path.py holds them equal on the corpora, generated mail and
# fuzzed input.

_FAST_BLOCK_CAP = 65_536  # longer header blocks take the general path
_FIELD_KEYS = {
    spelling: name.lower()
    for name in (*HEADER_FIELDS, "Message-Id", "CC", "Content-type", "Reply-to", "In-reply-to")
    for spelling in (name, name.lower(), name.upper())
}
"""Field names as mailers spell them -> their key; other spellings take the longer way."""
_SIMPLE_ID = re.compile(r"<([!-;=?-~]{1,998})>")  # printable ASCII, no <>: kept as it is
_MONTH_NUMBERS = {**MONTHS, **{name.title(): number for name, number in MONTHS.items()}}
_HINTS: dict[str, str | None] = {}
_HINTS_MAX = 1024
_PLAIN_ADDRESSES: dict[str, tuple[Address, ...]] = {}
_PLAIN_ADDRESSES_MAX = 8192


def _fast_fields(data: bytes) -> tuple[Fields, bool] | None:
    """``_envelope_fields(data)`` for a CRLF header block ended by a blank line; else None.

    As there, the block ends just after the first CR of its final CRLF CRLF, so the last
    field's value keeps that CR. The loop is ``scan_fields``'s, with common names looked up."""
    end = data.find(b"\r\n\r\n", 0, _FAST_BLOCK_CAP)
    if end <= 0 or data.startswith(b"\r\n"):
        return None
    block = data[: end + 1]
    text = block.decode("latin-1")
    lines = text.split("\r\n")
    if block.count(b"\n") != len(lines) - 1:
        return None  # a bare LF: the general splitter decides what a line is
    fields: Fields = {}
    values: list[str] | None = None  # the values of the field the last line belonged to
    for line in lines:
        name, colon, value = line.partition(":")
        key = _FIELD_KEYS.get(name) if colon else None
        if key is None:
            if not line:
                break
            if line[0] in " \t":  # a folded line continues the field before it
                piece = line.strip(" \t")
                if values is not None and piece:
                    values[-1] = values[-1] + " " + piece if values[-1] else piece
                continue
            key = name.rstrip(" \t").lower()
            if not colon or key not in ENVELOPE_FIELDS:
                values = None
                continue
        values = fields.get(key)
        if values is None:
            values = fields[key] = [value.strip(" \t")]
        else:
            values.append(value.strip(" \t"))
    return fields, block.isascii()


def _fast_hint(fields: Fields) -> str | None:
    """``_charset_hint(fields)``, remembered per Content-Type value (a mailbox has few)."""
    value = first_value(fields, "content-type")
    if value in _HINTS:
        return _HINTS[value]
    if len(_HINTS) >= _HINTS_MAX:
        _HINTS.clear()
    hint = _HINTS[value] = _charset_hint(fields)
    return hint


def _fast_envelope(data: bytes) -> Envelope | None:
    """``_general_envelope(data)`` for the usual header block of an IMAP fetch; else None."""
    scanned = _fast_fields(data)
    if scanned is None:
        return None
    fields, block_is_ascii = scanned
    hint = None if block_is_ascii else _fast_hint(fields)
    get = fields.get
    own = _own_id(fields, hint)
    senders, to, cc, reply_to = get("from"), get("to"), get("cc"), get("reply-to")
    sender = _fast_addresses(senders, hint)[:1] if senders else ()
    subject, date = get("subject"), get("date")
    return Envelope(
        own,
        _fast_id_list(get("in-reply-to", ())[:1], own, hint),
        _fast_id_list(get("references", ()), own, hint),
        _fast_subject(subject[0], hint) if subject else "",
        sender[0] if sender else Address("", ""),
        _fast_addresses(to, hint) if to else (),
        _fast_addresses(cc, hint) if cc else (),
        _fast_addresses(reply_to, hint) if reply_to else (),
        _fast_date(date[0], hint) if date else None,
    )


def _fast_id_list(values: Sequence[str], own: str, hint: str | None) -> tuple[str, ...]:
    """``unique_ids(parse_message_ids(fix_8bit(" ".join(values), hint)), own)``; ASCII text whose
    every ``<`` opens a plain ``<id>`` is read by one regex."""
    if not values:
        return ()
    raw = values[0] if len(values) == 1 else " ".join(values)
    found = _SIMPLE_ID.findall(raw)
    if not found or len(found) != raw.count("<") or not raw.isascii():
        return unique_ids(parse_message_ids(fix_8bit(raw, hint)), own)
    return unique_ids(tuple(found), own)


def _own_id(fields: Fields, hint: str | None) -> str:
    """The message's id as ``_envelope`` finds it; a plain ``<id>`` is taken as it is."""
    value = first_value(fields, "message-id")
    simple = _SIMPLE_ID.fullmatch(value)
    own = simple.group(1) if simple is not None else normalize_message_id(fix_8bit(value, hint))
    return own or synthetic_id(fields)


def _fast_addresses(values: list[str], hint: str | None) -> tuple[Address, ...]:
    """``parse_addresses(", ".join(values), hint)``. One plain ASCII value (no encoded words,
    no CR or LF: the hint cannot change it) is remembered, and ``Name <addr>`` read directly."""
    raw = values[0]
    if len(values) > 1 or not raw.isascii() or "=?" in raw or "\r" in raw or "\n" in raw:
        return parse_addresses(", ".join(values), hint)
    known = _PLAIN_ADDRESSES.get(raw)
    if known is not None:
        return known
    single = SINGLE_ADDRESS.fullmatch(raw) if len(raw) <= ADDRESS_CAP else None
    if single is None:
        parsed = parse_addresses(raw, hint)
    else:
        display, addr = single.groups()
        parsed = (Address(" ".join(display.split()), addr),)
    if len(_PLAIN_ADDRESSES) >= _PLAIN_ADDRESSES_MAX:
        _PLAIN_ADDRESSES.clear()
    _PLAIN_ADDRESSES[raw] = parsed
    return parsed


def _fast_subject(raw: str, hint: str | None) -> str:
    """``header_text(raw, hint)``; plain ASCII (no encoded words, no CR or LF) is only stripped."""
    if raw.isascii() and "=?" not in raw and "\r" not in raw and "\n" not in raw:
        return raw.strip()
    return header_text(raw, hint)


def _fast_date(raw: str, hint: str | None) -> datetime | None:
    """``parse_date(fix_8bit(raw, hint))``, with the usual RFC 5322 form read directly."""
    match = RFC5322_DATE.fullmatch(raw) if raw.isascii() else None
    if match is None:
        return parse_date(fix_8bit(raw, hint))
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month_number = _MONTH_NUMBERS.get(month) or MONTHS.get(month.lower())
    if month_number is None or (sign == "-" and off_h == "00" and off_m == "00"):
        return parse_date(raw)
    try:
        value = datetime(
            int(year),
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            0,
            zone_offset(sign, off_h, off_m),
        )
    except ValueError:
        return parse_date(raw)
    if value.year < 1970 or _beyond_horizon(value):
        return None
    return value


def _beyond_horizon(value: datetime) -> bool:
    """``value > datetime.now(UTC) + YEAR_AHEAD`` (as ``_sane_date`` checks), without building
    "now" for every date: a horizon taken earlier is never further ahead than the current one,
    so a date before it is before the current one too (if the clock went back, it is rebuilt)."""
    global _horizon
    taken, horizon = _horizon
    now = time.time()
    if taken <= now and value <= horizon:
        return False
    horizon = datetime.fromtimestamp(now, UTC) + YEAR_AHEAD
    _horizon = (now, horizon)
    return value > horizon


_horizon = (math.inf, datetime.min.replace(tzinfo=UTC))
"""(when it was taken, the horizon then) for ``_beyond_horizon``; the first call replaces it."""
