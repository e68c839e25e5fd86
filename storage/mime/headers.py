"""Header blocks: splitting a block into fields (unfolding, skipping junk lines), repairing
8-bit header text, and RFC 2047 encoded words (:func:`decode_header_value`)."""

from __future__ import annotations

import binascii
import re

from supportmail.storage.mime.charsets import decode_bytes
from supportmail.storage.mime.values import HEADER_CAP, HEADER_FIELDS

# --------------------------------------------------------------------------------------------
# Header blocks
# --------------------------------------------------------------------------------------------

_HEADER_END = re.compile(rb"\n\r?\n")
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_FOLD = re.compile(r"[ \t]*[\r\n]+[ \t]*")
ENVELOPE_FIELDS = frozenset(name.lower() for name in HEADER_FIELDS)
"""The lower-case names of :data:`HEADER_FIELDS`: what an envelope reads."""
_PART_FIELDS = frozenset(
    {"content-type", "content-transfer-encoding", "content-disposition", "content-id"}
)
_SUBJECT_FIELD = frozenset({"subject"})

_JUNK_RUN = 8  # junk lines in a row inside a header block that are repaired, at most

Fields = dict[str, list[str]]


def header_block(data: bytes) -> str:
    """The header block of a message or header-only fetch, as a latin-1 (byte-per-char) string."""
    if data.startswith(b"\n") or data.startswith(b"\r\n"):
        return ""
    match = _HEADER_END.search(data, 0, HEADER_CAP)
    end = match.start() if match else min(len(data), HEADER_CAP)
    return data[:end].decode("latin-1")


def body_start(data: bytes) -> int:
    """Where the body of a message starts: after the first blank line within
    :data:`HEADER_CAP` bytes, else 0 (no header block found)."""
    match = _HEADER_END.search(data, 0, HEADER_CAP)
    return match.end() if match else 0


def subject_of(data: bytes) -> str:
    """The decoded Subject of the header block at the start of ``data`` ("" without one)."""
    fields = _scan_headers(header_block(data), _SUBJECT_FIELD, stop_at_junk=False)[0]
    return header_text(first_value(fields, "subject"), None)


def part_fields(buf: bytes, start: int, end: int) -> tuple[Fields, int]:
    """The MIME fields (Content-Type, -Transfer-Encoding, -Disposition, -ID) of the entity at
    ``buf[start:end]`` and the offset where its body starts."""
    if start >= end:
        return {}, end
    if buf.startswith(b"\n", start):
        return {}, start + 1
    if buf.startswith(b"\r\n", start):
        return {}, start + 2
    limit = min(end, start + HEADER_CAP)
    match = _HEADER_END.search(buf, start, limit)
    head_end, body = (match.start(), match.end()) if match else (limit, limit)
    text = buf[start:head_end].decode("latin-1")
    fields, consumed = _scan_part_fields(text)
    if consumed < len(text):
        body = start + consumed
    return fields, body


def _scan_headers(text: str, wanted: frozenset[str], stop_at_junk: bool) -> tuple[Fields, int]:
    """Split a header block into the ``wanted`` fields (lower-case names, values unfolded).

    Returns the fields (every occurrence, in order) and the offset where the headers end: the
    line after a blank line, the start of the first line that is no header when
    ``stop_at_junk``, or ``len(text)``. Junk lines are skipped otherwise.
    """
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    pos = 0
    seen_header = False
    lines = text.split("\n")
    for index, raw_line in enumerate(lines):
        start, pos = pos, pos + len(raw_line) + 1
        line = raw_line[:-1] if raw_line.endswith("\r") else raw_line
        if not line:
            return _collect(found), min(pos, len(text))
        if line[0] in " \t":
            if current is not None:
                current.append(line.strip(" \t"))
            continue
        colon = line.find(":")
        key = line[:colon].rstrip(" \t").lower() if colon > 0 else ""
        valid = bool(key) and _FIELD_NAME.fullmatch(key) is not None
        if key in wanted and valid:
            current = [line[colon + 1 :].strip(" \t")]
            found.append((key, current))
            seen_header = True
            continue
        if valid:
            seen_header, current = True, None
            continue
        if stop_at_junk:
            if not (seen_header and _header_follows(lines, index + 1)):
                return _collect(found), start
            if current is not None:
                current.append(line.strip(" \t"))  # a fold that lost its leading space
            continue
        current = None
    return _collect(found), len(text)


_NOT_A_HEADER_LINE = re.compile(r"^(?![ \t]|[!-9;-~]+[ \t]*:)", re.MULTILINE)
_PART_FIELD = re.compile(
    r"^(content-(?:type|transfer-encoding|disposition|id))[ \t]*:([^\n]*(?:\n[ \t][^\n]*)*)",
    re.MULTILINE | re.IGNORECASE,
)


def _trim(line: str) -> str:
    return (line[:-1] if line.endswith("\r") else line).strip(" \t")


def _scan_part_fields(text: str) -> tuple[Fields, int]:
    """``_scan_headers(text, _PART_FIELDS, stop_at_junk=True)`` for a header block without its
    blank line: when every line is a field or a fold (nearly all mail), two regular expressions
    do it instead of a loop over the lines (the body parser runs it for every MIME part)."""
    if _NOT_A_HEADER_LINE.search(text) is not None:
        return _scan_headers(text, _PART_FIELDS, stop_at_junk=True)
    fields: Fields = {}
    for match in _PART_FIELD.finditer(text):
        pieces = [_trim(line) for line in match.group(2).split("\n")]
        value = pieces[0] if len(pieces) == 1 else " ".join(p for p in pieces if p)
        fields.setdefault(match.group(1).lower(), []).append(value)
    return fields, len(text)


def _header_follows(lines: list[str], index: int) -> bool:
    """Whether a header line (a field, a fold or the blank end) comes within a few lines from
    ``index``.

    Junk lines between header lines (folds that lost their whitespace, lines without a colon)
    are repaired or skipped, as mature parsers do, instead of ending the headers there.
    """
    for line in lines[index : index + _JUNK_RUN]:
        line = line.rstrip("\r")
        if not line or line[0] in " \t":
            return True
        colon = line.find(":")
        if colon > 0 and _FIELD_NAME.fullmatch(line[:colon].rstrip(" \t")) is not None:
            return True
    return False


def scan_fields(text: str, wanted: frozenset[str]) -> Fields:
    """``_scan_headers(text, wanted, stop_at_junk=False)[0]``, minus offsets: the sync hot path."""
    fields: Fields = {}
    key: str | None = None
    if text.count("\n") == text.count("\r\n"):
        lines = text.split("\r\n")  # what IMAP servers send
    else:
        lines = text.replace("\r\n", "\n").split("\n")
    for line in lines:
        if not line:
            break
        if line[0] in " \t":
            piece = line.strip(" \t")
            if key is not None and piece:
                values = fields[key]
                values[-1] = values[-1] + " " + piece if values[-1] else piece
            continue
        name, colon, value = line.partition(":")
        key = name.rstrip(" \t").lower() if colon and name else None
        if key in wanted:
            fields.setdefault(key, []).append(value.strip(" \t"))
        else:
            key = None
    return fields


def _collect(found: list[tuple[str, list[str]]]) -> Fields:
    fields: Fields = {}
    for key, pieces in found:
        value = pieces[0] if len(pieces) == 1 else " ".join(p for p in pieces if p)
        fields.setdefault(key, []).append(value)
    return fields


def first_value(fields: Fields, name: str) -> str:
    """The first value of field ``name`` (lower-case), "" when absent."""
    values = fields.get(name)
    return values[0] if values else ""


def fix_8bit(raw: str, hint: str | None) -> str:
    """Turn a latin-1 (byte-per-char) header value into text: UTF-8, else ``hint``, else 1252."""
    if raw.isascii():
        return raw
    data = raw.encode("latin-1", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, hint)


# --------------------------------------------------------------------------------------------
# RFC 2047 encoded words
# --------------------------------------------------------------------------------------------

# Lenient: any charset token (with an optional RFC 2231 "*lang"), Q text that contains "?" or
# spaces, and a missing "?=" at the very end are all accepted. The text is bounded so a header
# full of "=?" openers stays linear.
_ENCODED_WORD = re.compile(
    r"=\?([^?\s]{1,80})\?([bBqQ])\?((?:[^?]|\?(?!=)){0,2000}?)(?:\?=|\Z)", re.DOTALL
)
_B64_KEEP = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_B64_DROP = bytes(b for b in range(256) if b not in _B64_KEEP)
_B64_PADDING = re.compile(rb"=+")


def b64_lenient(data: bytes) -> bytes:
    """Base64 decode that skips junk, fixes padding and survives concatenated chunks."""
    cleaned = data.translate(None, _B64_DROP)
    out: list[bytes] = []
    for chunk in _B64_PADDING.split(cleaned):
        usable = len(chunk) - (len(chunk) % 4 == 1)
        if usable <= 0:
            continue
        piece = chunk[:usable]
        piece += b"=" * (-len(piece) % 4)
        try:
            out.append(binascii.a2b_base64(piece))
        except binascii.Error:
            continue
    return b"".join(out)


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    if encoding in "bB":
        return b64_lenient(data)
    return binascii.a2b_qp(data, header=True)


def decode_words(text: str) -> str:
    """Replace RFC 2047 encoded words; adjacent words of one charset are joined before decoding."""
    if "=?" not in text:
        return text
    out: list[str] = []
    run: list[tuple[str, str]] = []  # (encoding, encoded text) of adjacent words, one charset
    charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos : match.start()]
        word_charset = match.group(1).lower()
        if gap and not (run and gap.isspace()):
            _flush_run(out, run, charset)
            out.append(gap)
        elif run and word_charset != charset:
            _flush_run(out, run, charset)
        run.append((match.group(2).lower(), match.group(3)))
        charset = word_charset
        pos = match.end()
    _flush_run(out, run, charset)
    out.append(text[pos:])
    return "".join(out)


def _flush_run(out: list[str], run: list[tuple[str, str]], charset: str) -> None:
    """Decode a run of adjacent words: their bytes joined, so split characters survive.

    Some encoders also split base64 in the middle of a 4-character group; when reading the
    run's base64 as one stream gives fewer replacement characters, that reading wins.
    """
    if not run:
        return
    text = decode_bytes(b"".join(_word_bytes(enc, payload) for enc, payload in run), charset)
    if "\ufffd" in text and sum(enc == "b" for enc, _ in run) > 1:
        joined = decode_bytes(_run_as_stream(run), charset)
        if joined.count("\ufffd") < text.count("\ufffd"):
            text = joined
    out.append(text)
    run.clear()


def _run_as_stream(run: list[tuple[str, str]]) -> bytes:
    chunks: list[bytes] = []
    base64_text: list[str] = []
    for enc, payload in [*run, ("q", "")]:
        if enc == "b":
            base64_text.append(payload)
            continue
        if base64_text:
            chunks.append(_word_bytes("b", "".join(base64_text)))
            base64_text = []
        chunks.append(_word_bytes(enc, payload))
    return b"".join(chunks)


def unfold(value: str) -> str:
    """``value`` with every line break and the blanks around it as one space."""
    if "\n" in value or "\r" in value:
        return _FOLD.sub(" ", value)
    return value


def decode_header_value(value: str | bytes) -> str:
    """Decode a header value: unfold, read raw 8-bit bytes, decode RFC 2047 words. Never raises.

    Malformed encoded words are decoded best effort (bad base64, unknown charsets, spaces or
    ``?`` inside Q text, a missing ``?=``); multi-byte characters split across adjacent words
    survive.
    """
    try:
        if isinstance(value, bytes | bytearray | memoryview):
            text = fix_8bit(bytes(value).decode("latin-1"), None)
        else:
            text = str(value)
        return decode_words(unfold(text)).strip()
    except Exception:
        return value if isinstance(value, str) else ""


def header_text(raw: str, hint: str | None) -> str:
    """A raw (latin-1, byte-per-char) header value as text: 8-bit repaired (``hint``: the
    charset to try after UTF-8), unfolded, RFC 2047 words decoded, stripped."""
    return decode_words(unfold(fix_8bit(raw, hint))).strip()
