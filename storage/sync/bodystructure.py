"""Reading a message without its attachments: IMAP ``BODYSTRUCTURE`` -> the parts to fetch.

The body mirror fetches a big message (one with a large attachment) in two steps: its
``BODYSTRUCTURE``, then only the readable sections (text/plain, text/html, inline
message/rfc822), each capped. This module holds the pure pieces of that: :func:`leaves` turns
a parsed ``BODYSTRUCTURE`` (as :func:`storage.imap.parse_fetch` gives it) into its leaf parts
with their IMAP section numbers; :func:`readable` says which of them hold text;
:func:`assemble` builds a small MIME message of the fetched sections for
:func:`storage.mime.parse_body`; :func:`attachment` lists a part that was not fetched
(name, type, size) from the structure alone.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from supportmail.storage.imap import Value
from supportmail.storage.mime import MAX_DEPTH, MAX_PARTS, decode_header_value
from supportmail.storage.models import Attachment

__all__ = ["Leaf", "assemble", "attachment", "leaves", "readable"]

_TEXT_TYPES = frozenset({"text/plain", "text/html"})
_NOT_LISTED = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-encrypted",
    }
)
_PLAIN_ENCODINGS = frozenset({"", "7bit", "8bit", "binary"})
_REPORT_TYPES = frozenset({"message/delivery-status", "text/rfc822-headers"})
_TOKEN_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')
READABLE_MAX = 20
"""Readable sections fetched per message at most."""


@dataclass(frozen=True, slots=True)
class Leaf:
    """One non-multipart part of a message, as ``BODYSTRUCTURE`` describes it."""

    section: str
    """IMAP section number (``"1"``, ``"2.1"``); ``""`` for a message that is a single part."""
    ctype: str
    """Lower-cased ``type/subtype``."""
    params: dict[str, str] = field(default_factory=dict)
    """Content-Type parameters, names lower-cased."""
    encoding: str = ""
    size: int = 0
    """Encoded size in octets."""
    disposition: str = ""
    filename: str = ""
    alternative: tuple[str, int] | None = None
    """For a part inside a multipart/alternative: that multipart's section and which of its
    children (0-based) this part is in; only one child of an alternative is read."""

    @property
    def fetch_section(self) -> str:
        """What to put in ``BODY.PEEK[...]`` for this part's content."""
        return self.section or "TEXT"


def _text(value: Value | None) -> str:
    if isinstance(value, bytes) and value.upper() != b"NIL":
        return value.decode("utf-8", "replace")
    return ""


def _int(value: Value | None) -> int:
    text = _text(value)
    return int(text) if text.isdigit() else 0


def _pairs(value: Value | None) -> dict[str, str]:
    """A ``("name" "value" ...)`` list -> dict with lower-cased names (RFC 2231 ``name*`` values
    decoded, encoded words too)."""
    out: dict[str, str] = {}
    if not isinstance(value, list):
        return out
    for key, item in zip(value[::2], value[1::2], strict=False):
        name, text = _text(key).lower(), _text(item)
        if name.endswith("*"):
            name = name[:-1]
            text = _rfc2231(text)
        elif "=?" in text:
            text = decode_header_value(text)
        out.setdefault(name, text)
    return out


def _rfc2231(text: str) -> str:
    """``utf-8'en'%E2%82%AC.pdf`` -> ``€.pdf`` (undecodable: as it came)."""
    charset, quote, rest = text.partition("'")
    if not quote:
        return urllib.parse.unquote(text)
    _lang, _quote, encoded = rest.partition("'")
    try:
        return urllib.parse.unquote(encoded, encoding=charset or "utf-8", errors="replace")
    except LookupError:
        return urllib.parse.unquote(encoded, errors="replace")


def _disposition(value: Value | None) -> tuple[str, dict[str, str]]:
    if isinstance(value, list) and value:
        return _text(value[0]).lower(), _pairs(value[1] if len(value) > 1 else None)
    return "", {}


def _leaf(node: list[Value], section: str, alternative: tuple[str, int] | None) -> Leaf:
    ctype = f"{_text(node[0])}/{_text(node[1] if len(node) > 1 else None)}".lower()
    params = _pairs(node[2] if len(node) > 2 else None)
    # Extension data follows the basic fields: text/* has "lines" first; message/rfc822 has
    # its envelope, body structure and lines first; then MD5, then the disposition.
    at = 9 if ctype.startswith("text/") else 11 if ctype == "message/rfc822" else 8
    disposition, dparams = _disposition(node[at] if len(node) > at else None)
    return Leaf(
        section=section,
        ctype=ctype,
        params=params,
        encoding=_text(node[5] if len(node) > 5 else None).lower(),
        size=_int(node[6] if len(node) > 6 else None),
        disposition=disposition,
        filename=dparams.get("filename") or params.get("name", ""),
        alternative=alternative,
    )


def leaves(structure: Value | None) -> list[Leaf]:
    """The leaf parts of a ``BODYSTRUCTURE`` value in order (bounded like the MIME parser:
    :data:`MAX_DEPTH` levels, :data:`MAX_PARTS` parts); a malformed one gives what it could."""
    out: list[Leaf] = []
    if not isinstance(structure, list):
        return out
    stack: list[tuple[list[Value], str, int, tuple[str, int] | None]] = [(structure, "", 0, None)]
    while stack and len(out) < MAX_PARTS:
        node, section, depth, alternative = stack.pop()
        if node and isinstance(node[0], list):  # multipart: children first, then its subtype
            if depth >= MAX_DEPTH:
                continue
            # The children come first; after them the subtype, then extension data (lists too).
            count = next((i for i, c in enumerate(node) if not isinstance(c, list)), len(node))
            children = [c for c in node[:count] if isinstance(c, list)][: MAX_PARTS - len(out)]
            is_alternative = count < len(node) and _text(node[count]).lower() == "alternative"
            for n in range(len(children), 0, -1):
                child = children[n - 1]
                branch = (section, n - 1) if is_alternative else alternative
                stack.append((child, f"{section}.{n}" if section else str(n), depth + 1, branch))
        elif len(node) >= 2:
            out.append(_leaf(node, section, alternative))
    return out


def readable(parts: Sequence[Leaf]) -> list[Leaf]:
    """The parts that hold readable text, as ``storage.mime`` shows them: text/plain and
    text/html not marked ``attachment`` (of a multipart/alternative only the child holding
    plain text, else the first holding HTML), forwarded messages (message/rfc822) and the
    report parts of a bounce."""
    found = [
        p
        for p in parts
        if (p.disposition != "attachment" and p.ctype in _TEXT_TYPES)
        or p.ctype in _REPORT_TYPES
        or (p.ctype == "message/rfc822" and p.encoding in _PLAIN_ENCODINGS)
    ]
    best: dict[str, tuple[int, int]] = {}
    for p in found:
        if p.alternative is not None:
            key, branch = p.alternative
            rank = (0 if p.ctype == "text/plain" else 1, branch)
            best[key] = min(best.get(key, rank), rank)
    found = [
        p for p in found if p.alternative is None or best[p.alternative[0]][1] == p.alternative[1]
    ]
    return found[:READABLE_MAX]


def _param(value: str) -> str:
    return '"' + _TOKEN_UNSAFE.sub("", value) + '"'


def _header(part: Leaf) -> bytes:
    """A MIME header for ``part`` rebuilt from its structure (type, the parameters that change
    how text reads, transfer encoding)."""
    ctype = part.ctype if "/" in part.ctype and "\r" not in part.ctype else "text/plain"
    line = ctype
    for name in ("charset", "format", "delsp"):
        if name in part.params:
            line += f"; {name}={_param(part.params[name])}"
    header = f"Content-Type: {line}\r\n"
    if part.encoding and _TOKEN_UNSAFE.search(part.encoding) is None:
        header += f"Content-Transfer-Encoding: {part.encoding}\r\n"
    if part.filename:
        header += f"Content-Disposition: inline; filename={_param(part.filename)}\r\n"
    return (header + "\r\n").encode("utf-8", "replace")


def assemble(sections: Sequence[tuple[Leaf, bytes]]) -> bytes:
    """One multipart/mixed message of the fetched sections, for ``parse_body``."""
    boundary = b"=_mirror_" + secrets.token_hex(12).encode("ascii")
    pieces = [b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n']
    for part, data in sections:
        pieces += [b"--", boundary, b"\r\n", _header(part), data, b"\r\n"]
    pieces += [b"--", boundary, b"--\r\n"]
    return b"".join(pieces)


def attachment(part: Leaf) -> Attachment | None:
    """How a part that was not fetched is listed (None: not listed, e.g. a signature).
    base64 sizes are estimated from the encoded size (76 characters and CRLF per line)."""
    if part.ctype in _NOT_LISTED:
        return None
    if part.ctype in _TEXT_TYPES and not part.filename and part.disposition != "attachment":
        return None  # the alternative not read (HTML beside plain text), as parse_body does
    size = part.size
    if part.encoding == "base64":
        size = max(0, (size - 2 * (size // 78)) * 3 // 4)
    return Attachment(filename=part.filename, content_type=part.ctype, size=size)
