"""Raw mail bytes -> plain decoded values: envelopes for sync, bodies for reading.

Who calls what:

* ``storage.sync`` fetches ``BODY.PEEK[HEADER.FIELDS (HEADER_FIELDS)]`` and calls
  :func:`parse_envelope` on each header block (250k of them on a first sync, so this path is a
  hand-written header splitter, not ``email.message``);
* ``storage.cache``/``storage.service`` call :func:`parse_body` on a whole message when it is
  opened: a bounded MIME walk over the raw bytes (depth, part, size and time caps).

Every public function here is total: hostile or broken mail yields a best-effort value, never an
exception. Strings come back *decoded* (RFC 2047, RFC 2231, charsets) but *not sanitised*: control
characters pass through untouched and ``storage.sanitize`` makes them safe before display.

Charsets follow the WHATWG Encoding Standard's label table (``gb2312`` reads as GB18030,
``iso-8859-1`` as windows-1252, ``ks_c_5601-1987`` as CP949, ...) with ``errors="replace"``.
Unknown labels, and text that claims to be ``us-ascii`` but has 8-bit bytes, are read as UTF-8 when
they are valid UTF-8 and as windows-1252 otherwise.
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import html
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_to_datetime
from functools import cache, lru_cache
from urllib.parse import unquote_to_bytes

from storage.models import Address, Attachment

__all__ = [
    "HEADER_FIELDS",
    "Body",
    "Envelope",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "normalize_message_id",
    "parse_body",
    "parse_envelope",
    "parse_message_ids",
]

HEADER_FIELDS: tuple[str, ...] = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "From",
    "To",
    "Cc",
    "Date",
    "Content-Type",
    "Reply-To",
)
"""The header fields sync fetches with ``BODY.PEEK[HEADER.FIELDS (...)]``."""

MAX_DEPTH = 100
"""MIME nesting deeper than this is not descended into."""
MAX_PARTS = 500
"""At most this many MIME parts are looked at per message."""
TEXT_CAP = 2_000_000
"""Body text longer than this many characters is cut and marked with :data:`TRUNCATED`."""
TRUNCATED = "\n[… truncated]"

_ENCODED_CAP = 8_000_000  # encoded bytes of one text part that are decoded at most
_HTML_CAP = 4_000_000  # characters of HTML converted at most
_HEADER_CAP = 1_000_000  # bytes scanned for one header block
_ADDRESS_CAP = 65_536  # characters of one address header parsed
_BODY_ATTEMPTS = 20  # blank text parts tried before giving up on a body


@dataclass(frozen=True, slots=True)
class Envelope:
    """What sync stores for every message: ids for threading, who, when, what about."""

    message_id: str
    """Bare id (no ``<>``); synthesised from a header hash when missing or unusable."""
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    """In order, deduplicated, without the message's own id."""
    subject: str
    """Decoded and unfolded, not sanitised."""
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    """Timezone-aware; ``None`` when missing, unparseable or absurd."""


@dataclass(frozen=True, slots=True)
class Body:
    """The readable part of a message and the list of its attachments."""

    text: str
    """text/plain preferred, else HTML converted to text; decoded, not sanitised."""
    attachments: tuple[Attachment, ...]
    html_only: bool
    """True when :attr:`text` was converted from HTML."""


# --------------------------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------------------------

_GUESS = "<guess>"  # read as UTF-8 if valid, else windows-1252
_USER_DEFINED = "<x-user-defined>"
_REPLACEMENT = "<replacement>"

# WHATWG Encoding Standard label table (https://encoding.spec.whatwg.org/#names-and-labels),
# keyed by the Python codec that implements each encoding. Deviations, all deliberate for mail:
# us-ascii labels guess UTF-8 first (mislabelled UTF-8 is common); iso-2022-kr and hz-gb-2312
# are real MIME charsets (RFC 1557, RFC 1842) and are decoded instead of mapped to "replacement".
_WHATWG_TABLE = """
utf-8           unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8
cp866           866 cp866 csibm866 ibm866
iso8859-2       csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987
                l2 latin2
iso8859-3       csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988
                l3 latin3
iso8859-4       csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988
                l4 latin4
iso8859-5       csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5
                iso_8859-5:1988
iso8859-6       arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6
                iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6
                iso_8859-6:1987
iso8859-7       csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7
                iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek
iso8859-8       csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8
                iso88598 iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical
iso8859-10      csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6
iso8859-13      iso-8859-13 iso8859-13 iso885913
iso8859-14      iso-8859-14 iso8859-14 iso885914
iso8859-15      csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9
iso8859-16      iso-8859-16
koi8-r          cskoi8r koi koi8 koi8-r koi8_r
koi8-u          koi8-ru koi8-u
mac-roman       csmacintosh mac macintosh x-mac-roman
cp874           dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874
cp1250          cp1250 windows-1250 x-cp1250
cp1251          cp1251 windows-1251 x-cp1251
cp1252          cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591
                iso_8859-1 iso_8859-1:1987 l1 latin1 windows-1252 x-cp1252
<guess>         ansi_x3.4-1968 ascii us-ascii
cp1253          cp1253 windows-1253 x-cp1253
cp1254          cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9
                iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254
cp1255          cp1255 windows-1255 x-cp1255
cp1256          cp1256 windows-1256 x-cp1256
cp1257          cp1257 windows-1257 x-cp1257
cp1258          cp1258 windows-1258 x-cp1258
mac-cyrillic    x-mac-cyrillic x-mac-ukrainian
gb18030         chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk
                gb18030
big5hkscs       big5 big5-hkscs cn-big5 csbig5 x-x-big5
euc_jp          cseucpkdfmtjapanese euc-jp x-euc-jp
iso2022_jp_ext  csiso2022jp iso-2022-jp
cp932           csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis
cp949           cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989
                ksc5601 ksc_5601 windows-949
iso2022_kr      csiso2022kr iso-2022-kr
hz              hz-gb-2312
<replacement>   iso-2022-cn iso-2022-cn-ext
utf-16-be       unicodefffe utf-16be
utf-16-le       csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le
<x-user-defined> x-user-defined
"""

# Labels seen in real mail that the WHATWG table lacks but Python can decode.
_MAIL_TABLE = """
utf-7           utf-7 utf7 unicode-1-1-utf-7 csunicode11utf7
utf-32          utf-32 ucs-4
utf-32-le       utf-32le
utf-32-be       utf-32be
cp437           cp437 ibm437 437
cp850           cp850 ibm850 850
cp852           cp852 ibm852 852
gb18030         cp936 ms936 windows-936 euc-cn x-euc-cn eucgb2312_cn
big5hkscs       big5_tw
cp932           cp932 windows-932 x-ms-cp932
iso2022_jp_2    iso-2022-jp-2
iso2022_jp_3    iso-2022-jp-3
shift_jisx0213  shift_jisx0213
euc_jisx0213    euc-jisx0213
mac-latin2      x-mac-ce x-mac-centraleurroman
mac-greek       x-mac-greek
mac-turkish     x-mac-turkish
mac-iceland     x-mac-icelandic
"""


@cache
def _label_maps() -> tuple[dict[str, str], dict[str, str]]:
    """label -> codec, and the same keyed by the label squeezed to letters and digits. Built on
    first use: ``codecs.lookup`` imports each codec's module (~20 ms), which opening the cache
    and the TUI's first screen never need."""
    exact: dict[str, str] = {}
    rows: list[tuple[str, list[str]]] = []
    for line in (_WHATWG_TABLE + _MAIL_TABLE).strip("\n").splitlines():
        words = line.split()
        if line[:1].isspace():
            rows[-1][1].extend(words)  # a continuation line: more labels of the same codec
        elif words:
            rows.append((words[0], words[1:]))
    for codec, labels in rows:
        if not codec.startswith("<"):
            try:
                codecs.lookup(codec)
            except LookupError:
                continue
        for label in labels:
            exact.setdefault(label, codec)
    squeezed: dict[str, str] = {}
    for label, codec in exact.items():
        squeezed.setdefault(_squeeze(label), codec)
    return exact, squeezed


def _squeeze(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label)


def __getattr__(name: str) -> dict[str, str]:
    """``_LABELS`` / ``_SQUEEZED_LABELS``: the label maps, built when first asked for."""
    if name == "_LABELS":
        return _label_maps()[0]
    if name == "_SQUEEZED_LABELS":
        return _label_maps()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_USER_DEFINED_TABLE = {b: 0xF780 + b - 0x80 for b in range(0x80, 0x100)}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # Python's UTF-7 decoder can emit them
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


@lru_cache(maxsize=512)
def _codec_for(charset: str | None) -> str:
    """The codec for a charset label, or ``_GUESS`` when the label is missing or unknown."""
    if not charset:
        return _GUESS
    label = charset.strip().strip("\"'").strip().lower()
    label = label.split("*", 1)[0].split(";", 1)[0]  # RFC 2231 language suffix: utf-8*en
    label = label.split(None, 1)[0] if label.strip() else ""  # "iso-8859-1 (Latin-1)"
    labels, squeezed_labels = _label_maps()
    codec = labels.get(label)
    if codec is None:
        codec = squeezed_labels.get(_squeeze(label), _GUESS)
    return codec


def _guess_decode(data: bytes) -> str:
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _decode_with(data: bytes, codec: str) -> str:
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, "replace")
    if codec == _GUESS:
        return _guess_decode(data)
    if codec == _USER_DEFINED:
        return data.decode("latin-1").translate(_USER_DEFINED_TABLE)
    if codec == _REPLACEMENT:
        return "\ufffd"
    return data.decode(codec, "replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` declared as ``charset`` (WHATWG label aliases, ``errors="replace"``).

    A byte-order mark wins over the label. A missing or unknown label is read as UTF-8 when the
    bytes are valid UTF-8, else as windows-1252. Never raises.
    """
    try:
        raw = bytes(data)
    except Exception:
        return ""
    if not raw:
        return ""
    try:
        codec = _codec_for(charset)
        text = _decode_with(raw, codec)
        return _LONE_SURROGATE.sub("\ufffd", text) if codec == "utf-7" else text
    except Exception:
        return raw.decode("cp1252", "replace")


# --------------------------------------------------------------------------------------------
# Header blocks
# --------------------------------------------------------------------------------------------

_HEADER_END = re.compile(rb"\n\r?\n")
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_FOLD = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_ENVELOPE_FIELDS = frozenset(name.lower() for name in HEADER_FIELDS)
_PART_FIELDS = frozenset({"content-type", "content-transfer-encoding", "content-disposition"})
_SUBJECT_FIELD = frozenset({"subject"})
_HASH_SPACE = re.compile(r"[ \t\r\n]+")
_HASHED_FIELDS = tuple(name.lower() for name in HEADER_FIELDS if name != "Message-ID")

Fields = dict[str, list[str]]


def _header_block(data: bytes) -> str:
    """The header block of a message or header-only fetch, as a latin-1 (byte-per-char) string."""
    if data.startswith(b"\n") or data.startswith(b"\r\n"):
        return ""
    match = _HEADER_END.search(data, 0, _HEADER_CAP)
    end = match.start() if match else min(len(data), _HEADER_CAP)
    return data[:end].decode("latin-1")


def _scan_headers(text: str, wanted: frozenset[str], stop_at_junk: bool) -> tuple[Fields, int]:
    """Split a header block into the ``wanted`` fields (lower-case names, values unfolded).

    Returns the fields (every occurrence, in order) and the offset where the headers end: the
    line after a blank line, the start of the first line that is no header when
    ``stop_at_junk``, or ``len(text)``. Junk lines are skipped otherwise.
    """
    found: list[tuple[str, list[str]]] = []
    current: list[str] | None = None
    pos = 0
    for raw_line in text.split("\n"):
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
        if key in wanted:
            current = [line[colon + 1 :].strip(" \t")]
            found.append((key, current))
            continue
        current = None
        if stop_at_junk and (not key or _FIELD_NAME.fullmatch(key) is None):
            return _collect(found), start
    return _collect(found), len(text)


def _scan_fields(text: str, wanted: frozenset[str]) -> Fields:
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


def _first(fields: Fields, name: str) -> str:
    values = fields.get(name)
    return values[0] if values else ""


def _fix_8bit(raw: str, hint: str | None) -> str:
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


def _b64_lenient(data: bytes) -> bytes:
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
        return _b64_lenient(data)
    return binascii.a2b_qp(data, header=True)


def _decode_words(text: str) -> str:
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


def _unfold(value: str) -> str:
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
            text = _fix_8bit(bytes(value).decode("latin-1"), None)
        else:
            text = str(value)
        return _decode_words(_unfold(text)).strip()
    except Exception:
        return value if isinstance(value, str) else ""


def _header_text(raw: str, hint: str | None) -> str:
    return _decode_words(_unfold(_fix_8bit(raw, hint))).strip()


# --------------------------------------------------------------------------------------------
# Message ids
# --------------------------------------------------------------------------------------------

_BRACKETED = re.compile(r"<([^<>]*)>")
_PLAIN_ID = re.compile(r"[^\x00-\x20\x7f]{1,998}")
_WHITESPACE = re.compile(r"\s+")
_BAD_ID_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_BARE_ID_STRIP = "\"'(),;:<>[]"
_MAX_ID = 998


def _clean_id(text: str) -> str:
    ident = _WHITESPACE.sub("", text)
    if not ident or len(ident) > _MAX_ID or _BAD_ID_CHAR.search(ident):
        return ""
    return ident


def _bare_ids(value: str) -> list[str]:
    ids: list[str] = []
    for token in value.split():
        token = token.strip(_BARE_ID_STRIP)
        if "@" in token and token.count("@") == 1:
            ident = _clean_id(token)
            if ident:
                ids.append(ident)
    return ids


def normalize_message_id(value: str) -> str:
    """``"<a@b>"`` -> ``"a@b"``: the first usable id (folding whitespace removed), else ``""``.

    Without angle brackets, a single ``local@domain`` token is accepted too.
    """
    try:
        ids = parse_message_ids(value)
    except Exception:
        return ""
    return ids[0] if ids else ""


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Every ``<...>`` id in a References/In-Reply-To value, in order, ignoring junk between.

    When the value has no angle brackets at all, bare ``local@domain`` tokens are taken instead.
    """
    try:
        text = str(value)
        if "<" not in text:
            return tuple(_bare_ids(text))
        ids = [
            ident if _PLAIN_ID.fullmatch(ident) else _clean_id(ident)
            for ident in _BRACKETED.findall(text)
        ]
        return tuple(ident for ident in ids if ident)
    except Exception:
        return ()


def _unique(ids: tuple[str, ...], exclude: str) -> tuple[str, ...]:
    seen = {exclude}
    out: list[str] = []
    for ident in ids:
        if ident not in seen:
            seen.add(ident)
            out.append(ident)
    return tuple(out)


def _synthetic_id(fields: Fields) -> str:
    """A stable id from the fetched header fields (Message-ID excluded), whitespace-normalised.

    Only :data:`HEADER_FIELDS` count, so a header-only fetch and the whole message agree.
    """
    lines: list[str] = []
    for name in _HASHED_FIELDS:
        for value in fields.get(name, ()):
            lines.append(name + ":" + _HASH_SPACE.sub(" ", value.strip(" \t\r\n")))
    digest = hashlib.sha256("\n".join(lines).encode("latin-1", "replace")).hexdigest()
    return f"sm-{digest[:24]}@supportmail.invalid"


# --------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------

_COMPLEX_ADDRESS = re.compile(r"[(\\:;\[\]]")
_ADDRESS_ITEM = re.compile(r'(?:"[^"]*"|[^,"])+')
_NAME_ADDR = re.compile(r'(?:"([^"]*)"|([^"<>@]*?))\s*<([^<>\s"]*)>')
_BARE_ADDR = re.compile(r'[^<>\s"]+')
_SINGLE_ADDRESS = re.compile(r'\s*([^"<>@,;:()\\\[\]]*?)\s*<([^<>\s",;:()\\]+)>\s*')


def _simple_pairs(value: str) -> list[tuple[str, str]] | None:
    """Fast path for plain ``Name <a@b>, "Last, First" <c@d>, e@f`` lists.

    ``None`` when the value needs the full parser (comments, groups, escapes, odd quoting).
    """
    single = _SINGLE_ADDRESS.fullmatch(value)
    if single is not None:
        name, addr = single.groups()
        return [(" ".join(name.split()), addr)]
    if _COMPLEX_ADDRESS.search(value) or value.count('"') % 2:
        return None
    pairs: list[tuple[str, str]] = []
    for match in _ADDRESS_ITEM.finditer(value):
        item = match.group(0).strip()
        if not item:
            continue
        if _BARE_ADDR.fullmatch(item):
            pairs.append(("", item))
            continue
        found = _NAME_ADDR.fullmatch(item)
        if found is None:
            return None
        quoted, plain, addr = found.groups()
        pairs.append((quoted if quoted is not None else " ".join(plain.split()), addr))
    return pairs


@lru_cache(maxsize=8192)
def _parse_addresses(raw: str, hint: str | None) -> tuple[Address, ...]:
    """Addresses of a From/To/Cc/Reply-To value. Group names vanish; their members stay.

    Cached: the team's own address and a customer's name recur on every message of a thread.
    """
    value = _unfold(_fix_8bit(raw[:_ADDRESS_CAP], hint))
    pairs = _simple_pairs(value)
    if pairs is None:
        try:
            pairs = getaddresses([value])
        except Exception:
            pairs = []
    out: list[Address] = []
    for name, addr in pairs:
        name, addr = name.strip(), addr.strip()
        if name or addr:
            out.append(Address(_decode_words(name).strip() if name else "", addr))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_FUZZY_DEFAULT = datetime(1900, 1, 1)  # a missing year lands here and is rejected as absurd
_DATE_CAP = 200
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# The RFC 5322 form nearly every mailer writes: "Mon, 20 Nov 2023 10:15:00 +0100".
_RFC5322_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-])(\d{2})(\d{2})(?:\s*\([^()]*\))?"
)


@lru_cache(maxsize=128)
def _offset(sign: str, hours: str, minutes: str) -> timezone:
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _quick_date(text: str) -> datetime | None:
    """Parse the common RFC 5322 date form without the general parsers, else ``None``."""
    match = _RFC5322_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month_number = _MONTHS.get(month.lower())
    if month_number is None or (sign == "-" and off_h == "00" and off_m == "00"):
        return None  # "-0000" means "no zone information": let the general parser decide
    try:
        return datetime(
            int(year),
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=_offset(sign, off_h, off_m),
        )
    except ValueError:
        return None


_YEAR_AHEAD = timedelta(days=366)  # a Date further ahead than this is absurd


def _sane_date(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    if value.year < 1970 or value > datetime.now(UTC) + _YEAR_AHEAD:
        return None
    return value


def _parse_date(raw: str) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    parsed = _quick_date(text)
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except Exception:
            parsed = None
    if parsed is None:
        from dateutil import parser as date_parser  # rare: imported when first needed

        try:
            parsed = date_parser.parse(text[:_DATE_CAP], fuzzy=True, default=_FUZZY_DEFAULT)
        except Exception:
            parsed = None
    try:
        return _sane_date(parsed)
    except Exception:
        return None


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
    block = _header_block(data)
    return _scan_fields(block, _ENVELOPE_FIELDS), block.isascii()


def _charset_hint(fields: Fields) -> str | None:
    """The Content-Type charset, used to read raw 8-bit headers that are not UTF-8."""
    charset = _parse_params(_first(fields, "content-type"))[1].get("charset")
    return charset or None


def _addresses(fields: Fields, name: str, hint: str | None) -> tuple[Address, ...]:
    values = fields.get(name)
    if not values:
        return ()
    return _parse_addresses(", ".join(values), hint)


def _envelope(fields: Fields, hint: str | None) -> Envelope:
    own = normalize_message_id(_fix_8bit(_first(fields, "message-id"), hint))
    if not own:
        own = _synthetic_id(fields)
    references = parse_message_ids(_fix_8bit(" ".join(fields.get("references", ())), hint))
    in_reply_to = parse_message_ids(_fix_8bit(_first(fields, "in-reply-to"), hint))
    senders = _addresses(fields, "from", hint)
    return Envelope(
        message_id=own,
        in_reply_to=_unique(in_reply_to, own),
        references=_unique(references, own),
        subject=_header_text(_first(fields, "subject"), hint),
        sender=senders[0] if senders else Address("", ""),
        to=_addresses(fields, "to", hint),
        cc=_addresses(fields, "cc", hint),
        reply_to=_addresses(fields, "reply-to", hint),
        date=_parse_date(_fix_8bit(_first(fields, "date"), hint)),
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
_MONTH_NUMBERS = {**_MONTHS, **{name.title(): number for name, number in _MONTHS.items()}}
_HINTS: dict[str, str | None] = {}
_HINTS_MAX = 1024
_PLAIN_ADDRESSES: dict[str, tuple[Address, ...]] = {}
_PLAIN_ADDRESSES_MAX = 8192


def _fast_fields(data: bytes) -> tuple[Fields, bool] | None:
    """``_envelope_fields(data)`` for a CRLF header block ended by a blank line; else None.

    As there, the block ends just after the first CR of its final CRLF CRLF, so the last
    field's value keeps that CR. The loop is ``_scan_fields``'s, with common names looked up."""
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
            if not colon or key not in _ENVELOPE_FIELDS:
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
    value = _first(fields, "content-type")
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
    """``_unique(parse_message_ids(_fix_8bit(" ".join(values), hint)), own)``; ASCII text whose
    every ``<`` opens a plain ``<id>`` is read by one regex."""
    if not values:
        return ()
    raw = values[0] if len(values) == 1 else " ".join(values)
    found = _SIMPLE_ID.findall(raw)
    if not found or len(found) != raw.count("<") or not raw.isascii():
        return _unique(parse_message_ids(_fix_8bit(raw, hint)), own)
    return _unique(tuple(found), own)


def _own_id(fields: Fields, hint: str | None) -> str:
    """The message's id as ``_envelope`` finds it; a plain ``<id>`` is taken as it is."""
    value = _first(fields, "message-id")
    simple = _SIMPLE_ID.fullmatch(value)
    own = simple.group(1) if simple is not None else normalize_message_id(_fix_8bit(value, hint))
    return own or _synthetic_id(fields)


def _fast_addresses(values: list[str], hint: str | None) -> tuple[Address, ...]:
    """``_parse_addresses(", ".join(values), hint)``. One plain ASCII value (no encoded words,
    no CR or LF: the hint cannot change it) is remembered, and ``Name <addr>`` read directly."""
    raw = values[0]
    if len(values) > 1 or not raw.isascii() or "=?" in raw or "\r" in raw or "\n" in raw:
        return _parse_addresses(", ".join(values), hint)
    known = _PLAIN_ADDRESSES.get(raw)
    if known is not None:
        return known
    single = _SINGLE_ADDRESS.fullmatch(raw) if len(raw) <= _ADDRESS_CAP else None
    if single is None:
        parsed = _parse_addresses(raw, hint)
    else:
        display, addr = single.groups()
        parsed = (Address(" ".join(display.split()), addr),)
    if len(_PLAIN_ADDRESSES) >= _PLAIN_ADDRESSES_MAX:
        _PLAIN_ADDRESSES.clear()
    _PLAIN_ADDRESSES[raw] = parsed
    return parsed


def _fast_subject(raw: str, hint: str | None) -> str:
    """``_header_text(raw, hint)``; plain ASCII (no encoded words, no CR or LF) is only stripped."""
    if raw.isascii() and "=?" not in raw and "\r" not in raw and "\n" not in raw:
        return raw.strip()
    return _header_text(raw, hint)


def _fast_date(raw: str, hint: str | None) -> datetime | None:
    """``_parse_date(_fix_8bit(raw, hint))``, with the usual RFC 5322 form read directly."""
    match = _RFC5322_DATE.fullmatch(raw) if raw.isascii() else None
    if match is None:
        return _parse_date(_fix_8bit(raw, hint))
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month_number = _MONTH_NUMBERS.get(month) or _MONTHS.get(month.lower())
    if month_number is None or (sign == "-" and off_h == "00" and off_m == "00"):
        return _parse_date(raw)
    try:
        value = datetime(
            int(year),
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            0,
            _offset(sign, off_h, off_m),
        )
    except ValueError:
        return _parse_date(raw)
    if value.year < 1970 or _beyond_horizon(value):
        return None
    return value


def _beyond_horizon(value: datetime) -> bool:
    """``value > datetime.now(UTC) + _YEAR_AHEAD`` (as ``_sane_date`` checks), without building
    "now" for every date: a horizon taken earlier is never further ahead than the current one,
    so a date before it is before the current one too (if the clock went back, it is rebuilt)."""
    global _horizon
    taken, horizon = _horizon
    now = time.time()
    if taken <= now and value <= horizon:
        return False
    horizon = datetime.fromtimestamp(now, UTC) + _YEAR_AHEAD
    _horizon = (now, horizon)
    return value > horizon


_horizon = (math.inf, datetime.min.replace(tzinfo=UTC))
"""(when it was taken, the horizon then) for ``_beyond_horizon``; the first call replaces it."""


# --------------------------------------------------------------------------------------------
# MIME parameters (Content-Type, Content-Disposition), RFC 2231
# --------------------------------------------------------------------------------------------

_PARAM_ITEM = re.compile(r'(?:"(?:[^"\\]|\\.)*"?|[^;"])+', re.DOTALL)
_MAX_PARAMS = 64
_MAX_SEGMENTS = 256


@dataclass(slots=True)
class _Params:
    """Parameters of a structured header: raw values and RFC 2231 values already decoded."""

    raw: dict[str, str] = field(default_factory=dict)
    decoded: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        if name in self.decoded:
            return self.decoded[name]
        return self.raw.get(name)


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r"\\(.)", r"\1", value)
    return value


def _parse_params(value: str) -> tuple[str, _Params]:
    """``"type/sub; a=b; c*0*=utf-8''x"`` -> (``"type/sub"``, parameters). Values stay raw."""
    items = _PARAM_ITEM.findall(value)
    params = _Params()
    if not items:
        return "", params
    segments: dict[str, dict[int, tuple[bool, str]]] = {}
    for item in items[1 : _MAX_PARAMS + 1]:
        name, equals, raw_value = item.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            continue
        if "*" not in name:
            params.raw.setdefault(name, _unquote(raw_value))
            continue
        base, _, rest = name.partition("*")
        encoded = rest.endswith("*") or rest == ""
        number = rest.rstrip("*") or "0"
        if number.isdigit() and len(number) <= 4 and int(number) < _MAX_SEGMENTS:
            segments.setdefault(base, {}).setdefault(int(number), (encoded, _unquote(raw_value)))
    for base, parts in segments.items():
        params.decoded[base] = _join_rfc2231(parts)
    return items[0].strip().lower(), params


def _join_rfc2231(parts: dict[int, tuple[bool, str]]) -> str:
    """Join RFC 2231 continuations and decode them with the charset of the first segment."""
    charset: str | None = None
    chunks: list[bytes] = []
    first = min(parts)
    for index in sorted(parts):
        encoded, text = parts[index]
        if encoded and index == first and text.count("'") >= 2:
            charset, _language, text = text.split("'", 2)
        if encoded:
            chunks.append(unquote_to_bytes(text))
        else:
            chunks.append(text.encode("latin-1", "replace"))
    return decode_bytes(b"".join(chunks), charset)


# --------------------------------------------------------------------------------------------
# MIME tree
# --------------------------------------------------------------------------------------------

_SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
_DATA_TEXT_TYPES = frozenset(
    {"text/calendar", "text/vcard", "text/x-vcard", "text/directory", "text/rfc822-headers"}
)
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_MAX_DELIMITER_CANDIDATES = 100_000


@dataclass(slots=True)
class _Part:
    """One MIME entity: where its body lies in ``buf`` and what its headers say."""

    buf: bytes
    start: int
    end: int
    ctype: str
    params: _Params
    disposition: str
    filename: str
    cte: str
    children: list[_Part] = field(default_factory=list)


def _part_headers(buf: bytes, start: int, end: int) -> tuple[Fields, int]:
    """The MIME fields of the entity at ``buf[start:end]`` and the offset where its body starts."""
    if start >= end:
        return {}, end
    if buf.startswith(b"\n", start):
        return {}, start + 1
    if buf.startswith(b"\r\n", start):
        return {}, start + 2
    limit = min(end, start + _HEADER_CAP)
    match = _HEADER_END.search(buf, start, limit)
    head_end, body = (match.start(), match.end()) if match else (limit, limit)
    text = buf[start:head_end].decode("latin-1")
    fields, consumed = _scan_headers(text, _PART_FIELDS, stop_at_junk=True)
    if consumed < len(text):
        body = start + consumed
    return fields, body


def _filename(ctype_params: _Params, disposition_params: _Params) -> str:
    """The decoded attachment name (RFC 2231, RFC 2047, raw 8-bit), without any directory part."""
    for params, key in ((disposition_params, "filename"), (ctype_params, "name")):
        if key in params.decoded:
            name = params.decoded[key]
        elif key in params.raw:
            name = _header_text(params.raw[key], None)
        else:
            continue
        name = re.split(r"[/\\]", name.strip())[-1].strip()
        if name:
            return name
    return ""


def _make_part(buf: bytes, start: int, end: int, default_type: str) -> tuple[_Part, int]:
    fields, body = _part_headers(buf, start, end)
    ctype, params = _parse_params(_first(fields, "content-type"))
    if "/" not in ctype or " " in ctype:
        ctype = default_type
    disposition, disposition_params = _parse_params(_first(fields, "content-disposition"))
    cte = _first(fields, "content-transfer-encoding").strip().lower().split(" ", 1)[0]
    part = _Part(
        buf=buf,
        start=body,
        end=end,
        ctype=ctype,
        params=params,
        disposition=disposition,
        filename=_filename(params, disposition_params),
        cte=cte,
    )
    return part, body


def _delimiter_at(buf: bytes, index: int, after: int, end: int) -> tuple[bool, bool]:
    """Whether a ``--boundary`` match at ``index`` is a delimiter line, and whether it closes."""
    if index > 0 and buf[index - 1] != 0x0A:
        return False, False
    closing = buf.startswith(b"--", after, end)
    tail = after + 2 if closing else after
    if tail < end and buf[tail] not in b" \t\r\n":
        return False, False
    return True, closing


def _split_multipart(buf: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """Byte ranges of the body parts between ``--boundary`` delimiter lines."""
    delimiter = b"--" + boundary
    ranges: list[tuple[int, int]] = []
    part_start = -1
    pos, candidates = start, 0
    while candidates < _MAX_DELIMITER_CANDIDATES:
        index = buf.find(delimiter, pos, end)
        if index < 0:
            break
        candidates += 1
        after = index + len(delimiter)
        is_delimiter, closing = _delimiter_at(buf, index, after, end)
        if not is_delimiter:
            pos = after
            continue
        if part_start >= 0:
            ranges.append((part_start, _strip_line_break(buf, part_start, index)))
        if closing:
            return ranges
        newline = buf.find(b"\n", after, end)
        part_start = pos = end if newline < 0 else newline + 1
    if part_start >= 0 and part_start < end:
        ranges.append((part_start, end))
    return ranges


def _strip_line_break(buf: bytes, start: int, index: int) -> int:
    """The end of a part: the line break before the delimiter belongs to the delimiter."""
    end = index
    if end > start and buf[end - 1] == 0x0A:
        end -= 1
        if end > start and buf[end - 1] == 0x0D:
            end -= 1
    return end


_GUESSED_DELIMITER = re.compile(rb"(?m)^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$")


def _guess_boundary(buf: bytes, start: int, end: int) -> bytes:
    """The boundary of a multipart that declares none (or a wrong one): the first ``--x`` line."""
    match = _GUESSED_DELIMITER.search(buf, start, min(end, start + 65_536))
    return match.group(1) if match else b""


def _children(part: _Part, budget: list[int], depth: int) -> list[_Part]:
    buf, start, end = part.buf, part.start, part.end
    if part.cte in ("base64", "quoted-printable"):
        buf = _decode_transfer(buf[start:end], part.cte)
        start, end = 0, len(buf)
    boundary = (part.params.get("boundary") or "").strip().encode("latin-1", "replace")
    ranges = _split_multipart(buf, start, end, boundary) if boundary else []
    if not ranges:
        guessed = _guess_boundary(buf, start, end)
        ranges = _split_multipart(buf, start, end, guessed) if guessed else []
    child_type = "message/rfc822" if part.ctype == "multipart/digest" else "text/plain"
    kids: list[_Part] = []
    for child_start, child_end in ranges:
        if budget[0] <= 0:
            break
        kids.append(_build(buf, child_start, child_end, depth + 1, budget, child_type))
    return kids


def _build(
    buf: bytes, start: int, end: int, depth: int, budget: list[int], default_type: str
) -> _Part:
    """Parse the entity at ``buf[start:end]`` and, for multiparts, its children (bounded)."""
    budget[0] -= 1
    part, _ = _make_part(buf, start, end, default_type)
    if part.ctype.startswith("multipart/") and depth < MAX_DEPTH and budget[0] > 0:
        part.children = _children(part, budget, depth)
        if not part.children:
            part.ctype = "text/plain"
    return part


# --------------------------------------------------------------------------------------------
# Transfer encodings and sizes
# --------------------------------------------------------------------------------------------


def _uudecode(data: bytes) -> bytes:
    out: list[bytes] = []
    inside = False
    for line in data.splitlines():
        if not inside:
            inside = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`"):
            break
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            try:
                count = (((line[0] - 32) & 63) * 4 + 5) // 3
                out.append(binascii.a2b_uu(line[:count]))
            except (binascii.Error, IndexError):
                continue
    return b"".join(out)


def _decode_transfer(data: bytes, cte: str) -> bytes:
    try:
        if cte == "base64":
            return _b64_lenient(data)
        if cte == "quoted-printable":
            return binascii.a2b_qp(data)
        if cte in _UUENCODE:
            return _uudecode(data)
    except Exception:
        return data
    return data


def _decoded_size(part: _Part) -> int:
    """Decoded size in bytes; base64 is counted, not decoded, so huge parts stay cheap."""
    buf, start, end = part.buf, part.start, part.end
    if part.cte == "base64":
        junk = sum(buf.count(ch, start, end) for ch in (b"\n", b"\r", b" ", b"\t", b"="))
        return max(0, (end - start - junk) * 3 // 4)
    if part.cte == "quoted-printable" or part.cte in _UUENCODE:
        return len(_decode_transfer(buf[start:end], part.cte))
    return max(0, end - start)


# --------------------------------------------------------------------------------------------
# Choosing the body text
# --------------------------------------------------------------------------------------------

_PLAIN, _HTML, _OTHER_TEXT, _NAMED_TEXT = 0, 1, 2, 10


def _is_attachment(part: _Part) -> bool:
    """Disposition ``attachment``, or a file name without an explicit ``inline``."""
    if part.disposition == "attachment":
        return True
    return bool(part.filename) and part.disposition != "inline"


def _leaf_rank(part: _Part, is_root: bool) -> int | None:
    """How good a body this leaf makes (lower is better), or ``None`` when it is none."""
    if not part.ctype.startswith("text/") or part.ctype in _DATA_TEXT_TYPES:
        return None
    rank = {"text/plain": _PLAIN, "text/html": _HTML}.get(part.ctype, _OTHER_TEXT)
    if not _is_attachment(part) or is_root:
        return rank
    # A named text part without "attachment" is a last resort (some mailers name the body).
    return None if part.disposition == "attachment" else rank + _NAMED_TEXT


def _body_children(part: _Part) -> list[_Part]:
    """Children that can hold the body: a signature, an encrypted blob or a related resource not."""
    if part.ctype == "multipart/encrypted":
        return []
    if part.ctype in ("multipart/signed", "multipart/related"):
        return part.children[:1]
    return part.children


def _body_candidates(root: _Part) -> list[_Part]:
    """Text leaves that may be the body, best first: plain, then HTML, then other text, in order."""
    found: list[tuple[int, int, _Part]] = []
    stack = [root]
    while stack:
        part = stack.pop()
        if part.children:
            stack.extend(reversed(_body_children(part)))
            continue
        rank = _leaf_rank(part, part is root)
        if rank is not None:
            found.append((rank, len(found), part))
    found.sort(key=lambda item: (item[0], item[1]))
    return [part for _, _, part in found]


def _meta_charset(data: bytes) -> str | None:
    match = re.search(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_:.\-]+)""", data[:4096])
    return match.group(1).decode("ascii") if match else None


def _part_text(part: _Part) -> str:
    """The decoded (and, for HTML, converted) text of a text leaf."""
    stop = min(part.end, part.start + _ENCODED_CAP)
    truncated = stop < part.end
    data = _decode_transfer(part.buf[part.start : stop], part.cte)
    charset = part.params.get("charset")
    if not charset and part.ctype == "text/html":
        charset = _meta_charset(data)
    text = decode_bytes(data, charset)
    if part.ctype == "text/html":
        text = html_to_text(text)
    else:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if (part.params.get("format") or "").lower() == "flowed":
            text = _unflow(text, (part.params.get("delsp") or "").lower() == "yes")
    return _cap(text, force=truncated)


def _cap(text: str, force: bool = False) -> str:
    if len(text) > TEXT_CAP:
        return text[:TEXT_CAP] + TRUNCATED
    if force and not text.endswith(TRUNCATED):
        return text + TRUNCATED
    return text


def _unflow(text: str, delsp: bool) -> str:
    """Join RFC 3676 ``format=flowed`` soft line breaks (lines ending in a space)."""
    out: list[str] = []
    joined: list[str] = []
    joined_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if joined and depth != joined_depth:
            out.append(_quoted(joined_depth, "".join(joined)))
            joined = []
        soft = content.endswith(" ") and content != "-- "
        if soft:
            joined.append(content[:-1] if delsp else content)
            joined_depth = depth
            continue
        out.append(_quoted(depth, "".join(joined) + content))
        joined = []
    if joined:
        out.append(_quoted(joined_depth, "".join(joined)))
    return "\n".join(out)


def _quoted(depth: int, text: str) -> str:
    return (">" * depth + " " + text) if depth else text


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------


def _listed_children(part: _Part) -> list[_Part]:
    """Children whose leaves may be attachments (signatures and inline related resources not)."""
    kids = part.children
    if part.ctype == "multipart/signed":
        return [kids[0], *(k for k in kids[1:] if k.ctype not in _SIGNATURE_TYPES)] if kids else []
    if part.ctype == "multipart/encrypted":
        return [k for k in kids if k.ctype != "application/pgp-encrypted"]
    if part.ctype == "multipart/related":
        return kids[:1] + [k for k in kids[1:] if k.disposition == "attachment"]
    return kids


def _embedded_subject(part: _Part) -> str:
    """The subject of a forwarded message/rfc822 part, used as its name."""
    if part.cte not in ("", "7bit", "8bit", "binary"):
        return ""
    block = _header_block(part.buf[part.start : min(part.end, part.start + _HEADER_CAP)])
    fields = _scan_headers(block, _SUBJECT_FIELD, stop_at_junk=False)[0]
    return _header_text(_first(fields, "subject"), None)


def _attachment(part: _Part) -> Attachment:
    name = part.filename
    if not name and part.ctype == "message/rfc822":
        name = _embedded_subject(part)
    return Attachment(filename=name, content_type=part.ctype, size=_decoded_size(part))


def _attachments(root: _Part, body: _Part | None) -> tuple[Attachment, ...]:
    out: list[Attachment] = []
    stack = [root]
    while stack:
        part = stack.pop()
        if part.children:
            stack.extend(reversed(_listed_children(part)))
        elif part is not body and not part.ctype.startswith("multipart/"):
            body_like = part.ctype in ("text/plain", "text/html") and not (
                part.filename or part.disposition == "attachment"
            )
            if not body_like:
                out.append(_attachment(part))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------


def parse_body(raw: bytes) -> Body:
    """Parse a whole message into its readable text and attachment list. Never raises.

    Bounded: MIME depth :data:`MAX_DEPTH`, :data:`MAX_PARTS` parts, text :data:`TEXT_CAP`
    characters; attachment sizes of base64 parts are counted without decoding them.
    """
    try:
        return _parse_body(bytes(raw))
    except Exception:
        return _fallback_body(raw)


def _fallback_body(raw: bytes) -> Body:
    try:
        data = bytes(raw)
        match = _HEADER_END.search(data, 0, _HEADER_CAP)
        start = match.end() if match else 0
        return Body(_cap(decode_bytes(data[start : start + _ENCODED_CAP], None)), (), False)
    except Exception:
        return Body("", (), False)


_FORWARDED = "\n\n---------- Forwarded message ----------\n"
_FORWARD_DEPTH = 3  # inline messages inside inline messages, at most this deep
_FORWARDS_MAX = 10  # inline messages whose text is added, at most, per message


def _inline_messages(root: _Part) -> list[_Part]:
    """Inline (not ``attachment``) message/rfc822 parts whose text belongs to the body."""
    found: list[_Part] = []
    stack = [root]
    while stack and len(found) < _FORWARDS_MAX:
        part = stack.pop()
        if part.children:
            stack.extend(reversed(_listed_children(part)))
        elif (
            part.ctype == "message/rfc822"
            and part.disposition != "attachment"
            and part.cte in ("", "7bit", "8bit", "binary")
        ):
            found.append(part)
    return found


def _with_forwarded(text: str, root: _Part, depth: int) -> str:
    """``text`` followed by the text of each inline forwarded message (its subject first)."""
    if depth >= _FORWARD_DEPTH:
        return text
    pieces = [text]
    for part in _inline_messages(root):
        inner = _parse_body(part.buf[part.start : part.end], depth + 1).text
        subject = _embedded_subject(part)
        heading = f"Subject: {subject}\n\n" if subject else ""
        if inner.strip() or heading:
            pieces.append(_FORWARDED + heading + inner)
    return _cap("".join(pieces).lstrip("\n")) if len(pieces) > 1 else text


def _parse_body(raw: bytes, depth: int = 0) -> Body:
    start = 0
    if raw.startswith(b"From ") or raw.startswith(b">From "):
        newline = raw.find(b"\n")
        start = len(raw) if newline < 0 else newline + 1
    root = _build(raw, start, len(raw), 0, [MAX_PARTS], "text/plain")
    chosen: _Part | None = None
    text = ""
    for part in _body_candidates(root)[:_BODY_ATTEMPTS]:
        text = _part_text(part)
        if text.strip():
            chosen = part
            break
    text = _with_forwarded(text if chosen is not None else "", root, depth)
    html_only = chosen is not None and chosen.ctype == "text/html"
    return Body(text=text, attachments=_attachments(root, chosen), html_only=html_only)


# --------------------------------------------------------------------------------------------
# HTML to text
# --------------------------------------------------------------------------------------------

_HTML_TOKEN = re.compile(
    r"<!--.*?(?:--!?>|\Z)"
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<[!?][^>]*(?:>|\Z)"
    r"|</?[A-Za-z][^\s/>]*(?:[^>\"'=]+|=\s*\"[^\"]*\"?|=\s*'[^']*'?|[=\"'])*(?:>|\Z)",
    re.DOTALL,
)
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?""")
_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*)(;?)")
_HTML_SPACE = re.compile(r"[ \t\n\r\f\xa0]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u034f\u00ad"))
_BLANK_RUNS = re.compile(r"\n{3,}")
_C1_WINDOWS = {
    n: bytes([n]).decode("cp1252")
    for n in range(0x80, 0xA0)
    if bytes([n]).decode("cp1252", "replace") != "\ufffd"
}

_SKIP_CONTENT = frozenset(
    {"script", "style", "title", "xmp", "iframe", "noembed", "noframes", "template", "svg"}
)
_HEAD_TAGS = frozenset(
    {"meta", "link", "base", "title", "style", "script", "noscript", "template", "html", "head"}
)
# fmt: off
_LINE_BLOCKS = frozenset({
    "div", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main",
    "figure", "figcaption", "address", "form", "fieldset", "legend", "details", "summary",
    "center", "caption", "table", "dl", "menu", "hgroup", "body", "html",
})
# fmt: on
_SKIP_END = {name: re.compile(rf"</{name}[\s/>]|\Z", re.IGNORECASE) for name in _SKIP_CONTENT}
_TAG_CAP = 16_384  # characters of one tag searched for attributes (href, alt, width, ...)
_PARAGRAPH_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})
_CELLS = frozenset({"td", "th"})
_LISTS = frozenset({"ul", "ol"})


def _charref(number: str) -> str:
    """A numeric character reference, as the HTML standard decodes it (0x80-0x9F via 1252)."""
    hexadecimal = number[1] in "xX"
    digits = (number[2:] if hexadecimal else number[1:]).lstrip("0") or "0"
    if len(digits) > 8:
        return "\ufffd"
    code = int(digits, 16 if hexadecimal else 10)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return _C1_WINDOWS.get(code, chr(code))


def _unescape(text: str, attribute: bool = False) -> str:
    """Decode character references; in attributes a name needs its ``;`` (URLs keep ``&x=``)."""
    if "&" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        ref, semicolon = match.group(1), match.group(2)
        if ref.startswith("#"):
            return _charref(ref)
        if attribute and not semicolon:
            return match.group(0)
        return html.unescape(match.group(0))

    return _ENTITY.sub(replace, text)


def _attributes(tag: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    tag = tag[:_TAG_CAP]
    name_end = _TAG_NAME.match(tag)
    body = tag[name_end.end() if name_end else 1 :].rstrip(">")
    for match in _ATTRIBUTE.finditer(body):
        key = match.group(1).lower()
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        attrs.setdefault(key, _unescape(value, attribute=True))
    return attrs


def _link_target(href: str) -> str:
    """The URL worth printing after a link's text, or ``""`` for anchors, scripts and data."""
    href = href.strip()
    lowered = href.lower()
    if not href or href.startswith("#") or lowered.startswith(("javascript:", "data:", "cid:")):
        return ""
    return href[7:] if lowered.startswith("mailto:") else href


def _same_target(text: str, target: str) -> bool:
    def norm(value: str) -> str:
        value = value.strip().lower()
        value = re.sub(r"^(?:https?://|mailto:)", "", value)
        return value.rstrip("/")

    return norm(text) == norm(target)


def _is_tracking_image(attrs: dict[str, str]) -> bool:
    for key in ("width", "height"):
        size = attrs.get(key, "").strip().lower().removesuffix("px").strip()
        if size in ("0", "1"):
            return True
    style = attrs.get("style", "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class _TextWriter:
    """Collects text with block breaks, list markers, quote prefixes and link targets."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.breaks = 0
        self.space = False
        self.quote = 0
        self.line_quote = 0
        self.lists = 0
        self.pre = 0
        self.marker = ""
        self.link: list[str] | None = None
        self.href = ""
        self.size = 0

    @property
    def full(self) -> bool:
        return self.size > TEXT_CAP

    def _prefix(self) -> str:
        return "> " * self.quote

    def _flush_breaks(self) -> None:
        if self.current:
            self.lines.append("".join(self.current))
            self.current = []
        if self.breaks >= 2 and self.lines and self.lines[-1].strip(" >"):
            self.lines.append(("> " * min(self.quote, self.line_quote)).rstrip())
        self.breaks = 0

    def _put(self, text: str) -> None:
        if self.breaks:
            self._flush_breaks()
        elif self.space and self.current:
            self.current.append(" ")
        self.space = False
        if not self.current:
            self.line_quote = self.quote
            self.current.append(self._prefix() + self.marker)
            self.marker = ""
        self.current.append(text)
        self.size += len(text) + 1
        if self.link is not None:
            self.link.append(text)

    def text(self, raw: str) -> None:
        text = _unescape(raw).translate(_INVISIBLE)
        if self.pre:
            self._pre_text(text)
            return
        text = _HTML_SPACE.sub(" ", text)
        if not text.strip(" "):
            self.space = self.space or bool(text)
            return
        leading, trailing = text.startswith(" "), text.endswith(" ")
        self.space = self.space or leading
        self._put(text.strip(" "))
        self.space = trailing

    def _pre_text(self, text: str) -> None:
        for index, line in enumerate(text.replace("\r\n", "\n").split("\n")):
            if index:
                self.line_break()
            if line:
                self._put(line)

    def block(self, breaks: int) -> None:
        self.breaks = max(self.breaks, breaks)
        self.space = False

    def line_break(self) -> None:
        if self.breaks:
            self._flush_breaks()
        self.lines.append("".join(self.current) if self.current else self._prefix().rstrip())
        self.current = []
        self.space = False
        self.size += 1

    def list_item(self) -> None:
        self.block(1)
        self.marker = "  " * max(0, self.lists - 1) + "- "

    def open_link(self, href: str) -> None:
        self.close_link()
        self.link = []
        self.href = _link_target(href)

    def close_link(self) -> None:
        if self.link is None:
            return
        label = "".join(self.link).strip()
        self.link = None
        if label and self.href and not _same_target(label, self.href):
            self.space = True
            self._put(f"({self.href})")

    def image(self, attrs: dict[str, str]) -> None:
        alt = " ".join(attrs.get("alt", "").split())
        if alt and not _is_tracking_image(attrs):
            self._put(f"[image: {alt}]")

    def result(self) -> str:
        self.close_link()
        if self.current:
            self.lines.append("".join(self.current))
        lines = (line.rstrip() for line in self.lines)
        text = "\n".join(
            line if line.strip(" >\u200c") else line.strip(" \u200c") for line in lines
        )
        return _BLANK_RUNS.sub("\n\n", text).strip("\n")


class _HtmlConverter:
    """Walks the tokens of an HTML document and feeds a :class:`_TextWriter`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _TextWriter()
        self.in_head = False

    def run(self) -> str:
        source, pos = self.source, 0
        while pos < len(source) and not self.out.full:
            match = _HTML_TOKEN.search(source, pos)
            if match is None:
                self._text(source[pos:])
                break
            if match.start() > pos:
                self._text(source[pos : match.start()])
            pos = self._markup(match.group(0), match.end())
        text = self.out.result()
        return text[:TEXT_CAP] + TRUNCATED if self.out.full else text

    def _text(self, text: str) -> None:
        if not self.in_head:
            self.out.text(text)

    def _markup(self, token: str, end: int) -> int:
        """Handle one tag (comments and declarations are dropped); return where to continue."""
        name_match = _TAG_NAME.match(token)
        if name_match is None:
            return end
        name = name_match.group(1).lower()
        if token.startswith("</"):
            self._end_tag(name)
            return end
        self._start_tag(name, token)
        skip = _SKIP_END.get(name)
        if skip is not None and not token.rstrip(">").endswith("/"):
            found = skip.search(self.source, end)
            return found.start() if found else len(self.source)
        return end

    def _start_tag(self, name: str, token: str) -> None:
        if name == "head":
            self.in_head = True
        elif self.in_head and (name == "body" or name not in _HEAD_TAGS):
            self.in_head = False
        if self.in_head:
            return
        out = self.out
        if name == "br":
            out.line_break()
        elif name in _PARAGRAPH_BLOCKS or name in ("blockquote", "pre"):
            out.block(2)
            out.quote += name == "blockquote"
            out.pre += name == "pre"
        elif name in _LISTS:
            out.block(1 if out.lists else 2)
            out.lists += 1
        elif name == "li":
            out.list_item()
        elif name in _LINE_BLOCKS:
            out.block(1)
        elif name in _CELLS:
            out.space = True
        elif name == "a":
            out.open_link(_attributes(token).get("href", ""))
        elif name == "img":
            out.image(_attributes(token))

    def _end_tag(self, name: str) -> None:
        if name == "head":
            self.in_head = False
            return
        out = self.out
        if name in _PARAGRAPH_BLOCKS or name in ("blockquote", "pre"):
            out.block(2)
            out.quote = max(0, out.quote - (name == "blockquote"))
            out.pre = max(0, out.pre - (name == "pre"))
        elif name in _LISTS:
            out.lists = max(0, out.lists - 1)
            out.block(1 if out.lists else 2)
        elif name in _LINE_BLOCKS or name == "li":
            out.block(1)
        elif name in _CELLS:
            out.space = True
        elif name == "a":
            out.close_link()
        elif name == "br":
            out.line_break()


def html_to_text(html_source: str) -> str:
    """Readable text from HTML; never fetches anything, never raises.

    Blocks become line breaks, list items ``- ``, blockquotes ``> ``; links read
    ``text (url)`` when the URL differs from the text; images read ``[image: alt]`` (tracking
    pixels and images without alt text vanish); script, style and head are dropped; character
    references are decoded as the HTML standard says (``&#27;`` stays ESC for the sanitiser).
    """
    try:
        source = str(html_source)
        truncated = len(source) > _HTML_CAP
        text = _HtmlConverter(source[:_HTML_CAP]).run()
        return text + TRUNCATED if truncated and not text.endswith(TRUNCATED) else text
    except Exception:
        return ""
