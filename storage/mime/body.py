"""Whole message -> :class:`Body`: which parts are the readable text, in what order, what is an
attachment, and inline forwarded messages."""

from __future__ import annotations

import re
from email.utils import format_datetime

from supportmail.storage.mime.charsets import decode_bytes
from supportmail.storage.mime.envelope import parse_envelope
from supportmail.storage.mime.headers import body_start, subject_of
from supportmail.storage.mime.html import html_to_text
from supportmail.storage.mime.layout import is_attachment, is_embedded, shown_leaves
from supportmail.storage.mime.structure import (
    DATA_TEXT_TYPES,
    SIGNATURE_TYPES,
    Part,
    build_tree,
    decode_transfer,
    decoded_size,
)
from supportmail.storage.mime.values import (
    BODY_ATTEMPTS,
    ENCODED_CAP,
    HEADER_CAP,
    TEXT_CAP,
    TRUNCATED,
    Body,
)
from supportmail.storage.models import Attachment

# --------------------------------------------------------------------------------------------
# Choosing the body text
# --------------------------------------------------------------------------------------------

_PLAIN, _HTML, _OTHER_TEXT, _NAMED_TEXT = 0, 1, 2, 10


def _leaf_rank(part: Part, is_root: bool) -> int | None:
    """How good a body this leaf makes (lower is better), or ``None`` when it is none."""
    if not part.ctype.startswith("text/") or part.ctype in DATA_TEXT_TYPES:
        return None
    rank = {"text/plain": _PLAIN, "text/html": _HTML}.get(part.ctype, _OTHER_TEXT)
    if not is_attachment(part) or is_root:
        return rank
    # A named text part without "attachment" is a last resort (some mailers name the body).
    return None if part.disposition == "attachment" else rank + _NAMED_TEXT


def _body_children(part: Part) -> list[Part]:
    """Children that can hold the body: a signature, an encrypted blob or a related resource not."""
    if part.ctype == "multipart/encrypted":
        return []
    if part.ctype in ("multipart/signed", "multipart/related"):
        return part.children[:1]
    return part.children


def _body_candidates(root: Part) -> list[Part]:
    """Text leaves that may be the body, best first: plain, then HTML, then other text, in order."""
    found: list[tuple[int, int, Part]] = []
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


def _part_text(part: Part) -> str:
    """The decoded (and, for HTML, converted) text of a text leaf."""
    stop = min(part.end, part.start + ENCODED_CAP)
    truncated = stop < part.end
    data = decode_transfer(part.buf[part.start : stop], part.cte)
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


def _listed_children(part: Part) -> list[Part]:
    """Children whose leaves may be attachments (signatures and inline related resources not)."""
    kids = part.children
    if part.ctype == "multipart/signed":
        return [kids[0], *(k for k in kids[1:] if k.ctype not in SIGNATURE_TYPES)] if kids else []
    if part.ctype == "multipart/encrypted":
        return [k for k in kids if k.ctype != "application/pgp-encrypted"]
    if part.ctype == "multipart/related":
        return kids[:1] + [k for k in kids[1:] if k.disposition == "attachment"]
    return kids


def _embedded_subject(part: Part) -> str:
    """The subject of a forwarded message/rfc822 part, used as its name."""
    if part.cte not in ("", "7bit", "8bit", "binary"):
        return ""
    return subject_of(part.buf[part.start : min(part.end, part.start + HEADER_CAP)])


def _attachment(part: Part) -> Attachment:
    name = part.filename
    if not name and part.ctype == "message/rfc822":
        name = _embedded_subject(part)
    return Attachment(filename=name, content_type=part.ctype, size=decoded_size(part))


def _attachments(root: Part, shown: list[Part]) -> tuple[Attachment, ...]:
    out: list[Attachment] = []
    stack = [root]
    while stack:
        part = stack.pop()
        if part.children:
            stack.extend(reversed(_listed_children(part)))
        elif not part.ctype.startswith("multipart/") and (
            (part.filename and part is not root) or not any(part is s for s in shown)
        ):
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
        start = body_start(data)
        return Body(_cap(decode_bytes(data[start : start + ENCODED_CAP], None)), (), False)
    except Exception:
        return Body("", (), False)


_FORWARDED = "---------- Forwarded message ----------\n"
_FORWARD_DEPTH = 3  # inline messages inside inline messages, at most this deep
_FORWARDS_MAX = 10  # inline messages whose text is added, at most, per message
_SEPARATOR = "\n\n"


def _embedded_text(part: Part, depth: int) -> str:
    """An inline message/rfc822: its From, Date and Subject, then its own shown text."""
    data = part.buf[part.start : min(part.end, part.start + ENCODED_CAP)]
    if part.cte not in ("", "7bit", "8bit", "binary"):
        data = decode_transfer(data, part.cte)  # a base64 or quoted-printable forward
    envelope = parse_envelope(data)
    lines = [_FORWARDED.rstrip("\n")]
    if envelope.sender.name or envelope.sender.addr:
        lines.append(f"From: {envelope.sender.formatted()}")
    if envelope.date is not None:
        lines.append(f"Date: {format_datetime(envelope.date)}")
    if envelope.subject:
        lines.append(f"Subject: {envelope.subject}")
    inner = _parse_body(data, depth + 1).text if depth + 1 < _FORWARD_DEPTH else ""
    return "\n".join(lines) + "\n\n" + inner


def _parse_body(raw: bytes, depth: int = 0) -> Body:
    start = 0
    if raw.startswith(b"\xef\xbb\xbf"):
        start = 3
    if raw.startswith(b"From ", start) or raw.startswith(b">From ", start):
        newline = raw.find(b"\n", start)
        start = len(raw) if newline < 0 else newline + 1
    root = build_tree(raw, start)
    texts: dict[int, str] = {}

    def text_of(part: Part) -> str:
        key = id(part)
        if key not in texts:
            texts[key] = "" if is_embedded(part) else _part_text(part)
        return texts[key]

    shown = shown_leaves(root, text_of)
    pieces: list[str] = []
    shown_text: list[Part] = []
    forwards = 0
    for part in shown:
        if is_embedded(part):
            if forwards >= _FORWARDS_MAX:
                continue
            forwards += 1
            pieces.append(_embedded_text(part, depth))
            continue
        text = text_of(part)
        if text.strip():
            pieces.append(text)
            shown_text.append(part)
    if not pieces:
        for part in _body_candidates(root)[:BODY_ATTEMPTS]:
            text = text_of(part)
            if text.strip():
                pieces.append(text)
                shown_text.append(part)
                break
    if len(pieces) > 1:
        text = _cap(_SEPARATOR.join(piece.strip("\n") for piece in pieces) + "\n")
    else:
        text = pieces[0] if pieces else ""
    html_only = bool(shown_text) and all(part.ctype == "text/html" for part in shown_text)
    return Body(text=text, attachments=_attachments(root, shown_text), html_only=html_only)
