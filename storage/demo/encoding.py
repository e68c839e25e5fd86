"""Encoding mail the way real clients do: RFC 2047 headers, folding, quoted-printable and
base64 bodies in UTF-8 / ISO-8859-1 / windows-1252 / GB2312 / GBK, multiparts, HTML."""

from __future__ import annotations

import base64
import binascii
import html
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.entities import codepoint2name


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def fit_charset(text: str, charset: str) -> str:
    """``charset``, or the nearest wider one that can encode ``text`` (UTF-8 at the end)."""
    chains = {
        "iso-8859-1": ("iso-8859-1", "windows-1252", "utf-8"),
        "windows-1252": ("windows-1252", "utf-8"),
        "gb2312": ("gb2312", "gbk", "gb18030"),
        "gbk": ("gbk", "gb18030"),
    }
    for candidate in chains.get(charset, (charset,)):
        if _encodable(text, candidate):
            return candidate
    return "utf-8"


def _encoded_words(text: str, charset: str) -> list[str]:
    """RFC 2047 encoded words of at most 75 characters, never splitting a character."""
    q = charset not in ("utf-8", "gb2312", "gbk", "gb18030") or (
        charset == "utf-8" and sum(ord(c) > 127 for c in text) * 4 < len(text)
    )
    prefix = f"=?{charset}?{'Q' if q else 'B'}?"
    budget = 75 - len(prefix) - 2
    words: list[str] = []
    chunk = ""
    for ch in text:
        trial = chunk + ch
        if len(_ew_payload(trial, charset, q)) > budget and chunk:
            words.append(prefix + _ew_payload(chunk, charset, q) + "?=")
            trial = ch
        chunk = trial
    if chunk:
        words.append(prefix + _ew_payload(chunk, charset, q) + "?=")
    return words


def _ew_payload(text: str, charset: str, q: bool) -> str:
    data = text.encode(charset)
    if not q:
        return base64.b64encode(data).decode("ascii")
    safe = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/"
    return "".join("_" if b == 32 else chr(b) if b in safe else f"={b:02X}" for b in data)


def header_text(text: str, charset: str) -> str:
    """A header value: ASCII as is, else an ASCII prefix plus encoded words."""
    if text.isascii() and not any(ord(c) < 32 for c in text):
        return text
    charset = fit_charset(text, charset)
    cut = 0
    for i, ch in enumerate(text):
        if not ch.isascii() or ord(ch) < 32:
            break
        if ch == " ":
            cut = i + 1
    head, tail = text[:cut], text[cut:]
    return head + " ".join(_encoded_words(tail, charset))


def address_header(name: str, addr: str, charset: str) -> str:
    """``Name <addr>`` for a header, the name quoted or encoded as needed."""
    if not name:
        return addr
    if name.isascii() and not any(ord(c) < 32 for c in name):
        if re.search(r"[()<>\[\]:;@\\,.\"]", name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    return f"{header_text(name, charset)} <{addr}>"


def fold_header(name: str, value: str) -> str:
    """``Name: value`` folded at spaces so lines stay under 78 characters where possible."""
    line = f"{name}: "
    out: list[str] = []
    for word in value.split(" "):
        if len(line) + len(word) > 77 and line.strip() and not line.endswith(": "):
            out.append(line.rstrip(" "))
            line = " "
        line += word + " "
    out.append(line.rstrip(" ") if line.strip() else line)
    return "\r\n".join(out)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _transfer(text: str, charset: str, prefer: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, payload) for text in a charset; CRLF line ends."""
    data = _crlf(text).encode(charset)
    long_lines = any(len(line) > 900 for line in data.split(b"\r\n"))
    if data.isascii() and not long_lines and prefer != "base64":
        return "7bit", data
    if prefer == "8bit" and not long_lines:
        return "8bit", data
    if prefer == "base64":
        return "base64", base64.encodebytes(data).replace(b"\n", b"\r\n")
    return "quoted-printable", binascii.b2a_qp(data, istext=True)


def preferred_encoding(charset: str, lang: str, rng: random.Random) -> str:
    """The transfer encoding a mailer of this language would pick for a text part."""
    if lang == "zh":
        return "8bit" if charset == "gbk" and rng.random() < 0.5 else "base64"
    if lang == "de" and charset == "utf-8" and rng.random() < 0.5:
        return "8bit"
    return "quoted-printable"


@dataclass(frozen=True, slots=True)
class Part:
    """One MIME part: its header lines and its encoded body."""

    headers: tuple[str, ...]
    body: bytes

    def encode(self) -> bytes:
        return "\r\n".join(self.headers).encode("ascii") + b"\r\n\r\n" + self.body


def text_part(subtype: str, text: str, charset: str, prefer: str) -> Part:
    """A ``text/<subtype>`` part in ``charset`` (widened to fit) with the preferred encoding."""
    charset = fit_charset(text, charset)
    cte, payload = _transfer(text, charset, prefer)
    return Part(
        (f'Content-Type: text/{subtype}; charset="{charset}"', f"Content-Transfer-Encoding: {cte}"),
        payload,
    )


def multipart(subtype: str, parts: Sequence[Part], boundary: str) -> Part:
    """A ``multipart/<subtype>`` part holding ``parts``."""
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p.encode() + b"\r\n" for p in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return Part((f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"',), body)


def _entities(text: str) -> str:
    """HTML-escape and write Latin-1 letters as named entities, as many HTML mailers do."""
    out = html.escape(text, quote=False)
    return "".join(
        f"&{codepoint2name[ord(c)]};" if 160 <= ord(c) < 256 and ord(c) in codepoint2name else c
        for c in out
    )


def _html_blocks(lines: list[str], loud: bool) -> str:
    """Paragraphs, quote runs as nested blockquotes, the signature in its own div."""
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            style = ' style="margin:0 0 12px 0"' if loud else ""
            out.append(f"<p{style}>" + "<br>\n".join(para) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith(">"):
            flush()
            run = []
            while i < len(lines) and lines[i].startswith(">"):
                run.append(lines[i][2:] if lines[i].startswith("> ") else lines[i][1:])
                i += 1
            out.append(
                '<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;'
                'padding-left:1ex">' + _html_blocks(run, loud) + "</blockquote>"
            )
            continue
        if line == "-- ":
            flush()
            sig = []
            i += 1
            while i < len(lines) and lines[i]:
                sig.append(_entities(lines[i]) if loud else html.escape(lines[i], quote=False))
                i += 1
            out.append(
                '<div class="signature" style="color:#777">-- <br>' + "<br>".join(sig) + "</div>"
            )
            continue
        if line:
            esc = _entities(line) if loud else html.escape(line, quote=False)
            para.append(esc.replace(",  ", ",&nbsp; ").replace(". ", ".&nbsp; ") if loud else esc)
        else:
            flush()
        i += 1
    flush()
    return "\n".join(out)


def html_body(text: str, loud: bool, charset: str, pixel: str) -> str:
    """``text`` as HTML: a plain ``div``, or (``loud``) a styled page with a tracking pixel."""
    body = _html_blocks(text.split("\n"), loud)
    if not loud:
        return f'<div dir="ltr">\n{body}\n</div>\n'
    return (
        "<html><head>\n"
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        "</head>\n"
        '<body style="margin:0;padding:0">\n'
        '<div style="font-family:Calibri,Arial,Helvetica,sans-serif;font-size:11pt;color:#1f1f1f">'
        f"\n{body}\n"
        "<p>&nbsp;</p>\n</div>\n"
        f'<img src="{pixel}" width="1" height="1" alt="" style="display:block;border:0">\n'
        "</body></html>\n"
    )
