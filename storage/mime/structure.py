"""The MIME tree: Content-Type/Disposition parameters (RFC 2231), splitting multiparts (with
broken or missing boundaries), and transfer decoding; bounded by depth, part and size caps."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

from supportmail.storage.mime.charsets import decode_bytes
from supportmail.storage.mime.headers import b64_lenient, first_value, header_text, part_fields
from supportmail.storage.mime.values import MAX_DEPTH, MAX_PARTS

# --------------------------------------------------------------------------------------------
# MIME parameters (Content-Type, Content-Disposition), RFC 2231
# --------------------------------------------------------------------------------------------

_PARAM_ITEM = re.compile(r'(?:"(?:[^"\\]|\\.)*"?|[^;"])+', re.DOTALL)
_MAX_PARAMS = 64
_MAX_SEGMENTS = 256


@dataclass(slots=True)
class Params:
    """Parameters of a structured header: raw values and RFC 2231 values already decoded."""

    raw: dict[str, str] = field(default_factory=dict)
    decoded: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        """The parameter's value (the RFC 2231 one when there is one), None when absent."""
        if name in self.decoded:
            return self.decoded[name]
        return self.raw.get(name)


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r"\\(.)", r"\1", value)
    return value


def parse_params(value: str) -> tuple[str, Params]:
    """``"type/sub; a=b; c*0*=utf-8''x"`` -> (``"type/sub"``, parameters). Values stay raw."""
    items = _PARAM_ITEM.findall(value)
    params = Params()
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

SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
"""Signature parts of multipart/signed: not listed among the attachments."""
DATA_TEXT_TYPES = frozenset(
    {"text/calendar", "text/vcard", "text/x-vcard", "text/directory", "text/rfc822-headers"}
)
"""text/* types that are data, not readable text: attachments, never the body."""
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_MAX_DELIMITER_CANDIDATES = 100_000


@dataclass(slots=True)
class Part:
    """One MIME entity: where its body lies in ``buf`` and what its headers say."""

    buf: bytes
    start: int
    end: int
    ctype: str
    params: Params
    disposition: str
    filename: str
    cte: str
    content_id: str = ""
    """The Content-ID without ``<>`` (what multipart/related's ``start`` names)."""
    children: list[Part] = field(default_factory=list)


def _filename(ctype_params: Params, disposition_params: Params) -> str:
    """The decoded attachment name (RFC 2231, RFC 2047, raw 8-bit), without any directory part."""
    for params, key in ((disposition_params, "filename"), (ctype_params, "name")):
        if key in params.decoded:
            name = params.decoded[key]
        elif key in params.raw:
            name = header_text(params.raw[key], None)
        else:
            continue
        name = re.split(r"[/\\]", name.strip())[-1].strip()
        if name:
            return name
    return ""


def _make_part(buf: bytes, start: int, end: int, default_type: str) -> tuple[Part, int]:
    fields, body = part_fields(buf, start, end)
    ctype, params = parse_params(first_value(fields, "content-type"))
    if "/" not in ctype or " " in ctype:
        ctype = default_type
    disposition, disposition_params = parse_params(first_value(fields, "content-disposition"))
    cte = first_value(fields, "content-transfer-encoding").strip().lower().split(" ", 1)[0]
    part = Part(
        buf=buf,
        start=body,
        end=end,
        ctype=ctype,
        params=params,
        disposition=disposition,
        filename=_filename(params, disposition_params),
        cte=cte,
        content_id=first_value(fields, "content-id").strip().strip("<>").strip(),
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


def _children(part: Part, budget: list[int], depth: int) -> list[Part]:
    buf, start, end = part.buf, part.start, part.end
    if part.cte in ("base64", "quoted-printable"):
        buf = decode_transfer(buf[start:end], part.cte)
        start, end = 0, len(buf)
    boundary = (part.params.get("boundary") or "").strip().encode("latin-1", "replace")
    ranges = _split_multipart(buf, start, end, boundary) if boundary else []
    if not ranges:
        guessed = _guess_boundary(buf, start, end)
        ranges = _split_multipart(buf, start, end, guessed) if guessed else []
    child_type = "message/rfc822" if part.ctype == "multipart/digest" else "text/plain"
    kids: list[Part] = []
    for child_start, child_end in ranges:
        if budget[0] <= 0:
            break
        kids.append(_build(buf, child_start, child_end, depth + 1, budget, child_type))
    return kids


def build_tree(buf: bytes, start: int = 0) -> Part:
    """The MIME tree of the message at ``buf[start:]``: at most :data:`MAX_PARTS` parts,
    :data:`MAX_DEPTH` deep; a part without a (valid) Content-Type is text/plain."""
    return _build(buf, start, len(buf), 0, [MAX_PARTS], "text/plain")


def _build(
    buf: bytes, start: int, end: int, depth: int, budget: list[int], default_type: str
) -> Part:
    """Parse the entity at ``buf[start:end]`` and, for multiparts, its children (bounded)."""
    budget[0] -= 1
    part, _ = _make_part(buf, start, end, default_type)
    if part.ctype.startswith("multipart/"):
        if depth >= MAX_DEPTH:  # nested past the cap: its raw text, a best effort, not nothing
            part.ctype = "text/plain"
        elif budget[0] > 0:
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


def decode_transfer(data: bytes, cte: str) -> bytes:
    """``data`` decoded from its Content-Transfer-Encoding ``cte`` (lower-case: base64, leniently;
    quoted-printable; uuencode); any other encoding, or undecodable data, as it is."""
    try:
        if cte == "base64":
            return b64_lenient(data)
        if cte == "quoted-printable":
            return binascii.a2b_qp(data)
        if cte in _UUENCODE:
            return _uudecode(data)
    except Exception:
        return data
    return data


def decoded_size(part: Part) -> int:
    """Decoded size in bytes; base64 is counted, not decoded, so huge parts stay cheap."""
    buf, start, end = part.buf, part.start, part.end
    if part.cte == "base64":
        junk = sum(buf.count(ch, start, end) for ch in (b"\n", b"\r", b" ", b"\t", b"="))
        return max(0, (end - start - junk) * 3 // 4)
    if part.cte == "quoted-printable" or part.cte in _UUENCODE:
        return len(decode_transfer(buf[start:end], part.cte))
    return max(0, end - start)
