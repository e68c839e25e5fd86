"""Deterministic generators of hostile mail: each returns ``(name, raw_bytes)`` pairs.

Every message is a complete RFC 5322 message with CRLF line endings, a Date and (unless the
case is about Message-IDs) a unique Message-ID. Nothing here is random, so a failing case can
be named and rebuilt. ``corpus()`` is every case; ``corpus(big=False)`` leaves out the three
multi-megabyte messages. ``PAYLOADS`` are the byte strings that must never reach a terminal.
"""

from __future__ import annotations

import base64
import codecs
from collections.abc import Iterator

__all__ = [
    "ESCAPES",
    "EVIL_URL",
    "PAYLOADS",
    "Case",
    "charset_messages",
    "corpus",
    "escape_messages",
    "hash_text",
    "header_messages",
    "html_messages",
    "id_messages",
    "markup_messages",
    "message",
    "mime_messages",
    "size_messages",
    "whatwg_charsets",
]

Case = tuple[str, bytes]

EVIL_URL = "https://evil.example/osc8"
ESCAPES: dict[str, str] = {
    "clear": "\x1b[2J\x1b[H",
    "osc52": "\x1b]52;c;SGVsbG8=\x07",
    "osc8": f"\x1b]8;;{EVIL_URL}\x1b\\click me\x1b]8;;\x1b\\",
    "title": "\x1b]0;pwned\x07",
    "dcs": "\x1bPpwned-dcs\x1b\\",
    "c1csi": "\x9b2J",
}
"""Terminal control sequences a mail could carry, by name."""

PAYLOADS: dict[str, bytes] = {
    "title": b"\x1b]0;pwned",
    "osc52": b"\x1b]52;c;SGVsbG8",
    "osc8": b"\x1b]8;;" + EVIL_URL.encode(),
    "dcs": b"\x1bPpwned-dcs",
    "clear-c1": "\x9b2J".encode(),
}
"""What must never appear in a terminal's input stream (the UTF-8 form of U+009B included)."""

ALL_ESCAPES = "".join(ESCAPES.values())
DATE = "Tue, 24 Nov 2026 09:00:00 +0000"
SENDER = "Hostile Sender <hostile@evil.example>"
TEAM = "Support <support@example.com>"
SAMPLE = "Hello Grüße café Привет 日本語 ok"

# WHATWG Encoding Standard: encoding name -> labels. "replacement" and "x-user-defined" have no
# Python codec and are left out; UTF-16 needs an explicit byte order.
_WHATWG: dict[str, str] = {
    "utf-8": "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8",
    "ibm866": "866 cp866 csibm866 ibm866",
    "iso-8859-2": "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 "
    "iso_8859-2:1987 l2 latin2",
    "iso-8859-3": "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 "
    "iso_8859-3:1988 l3 latin3",
    "iso-8859-4": "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 "
    "iso_8859-4:1988 l4 latin4",
    "iso-8859-5": "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 "
    "iso_8859-5 iso_8859-5:1988",
    "iso-8859-6": "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 "
    "iso-8859-6 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 "
    "iso_8859-6:1987",
    "iso-8859-7": "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 "
    "iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    "iso-8859-8": "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 "
    "iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical",
    "iso-8859-10": "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    "iso-8859-13": "iso-8859-13 iso8859-13 iso885913",
    "iso-8859-14": "iso-8859-14 iso8859-14 iso885914",
    "iso-8859-15": "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9",
    "iso-8859-16": "iso-8859-16",
    "koi8-r": "cskoi8r koi koi8 koi8-r koi8_r",
    "koi8-u": "koi8-ru koi8-u",
    "mac-roman": "csmacintosh mac macintosh x-mac-roman",
    "cp874": "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874",
    "cp1250": "cp1250 windows-1250 x-cp1250",
    "cp1251": "cp1251 windows-1251 x-cp1251",
    "cp1252": "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 "
    "iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    "cp1253": "cp1253 windows-1253 x-cp1253",
    "cp1254": "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 "
    "iso_8859-9:1989 l5 latin5 windows-1254 x-cp1254",
    "cp1255": "cp1255 windows-1255 x-cp1255",
    "cp1256": "cp1256 windows-1256 x-cp1256",
    "cp1257": "cp1257 windows-1257 x-cp1257",
    "cp1258": "cp1258 windows-1258 x-cp1258",
    "mac-cyrillic": "x-mac-cyrillic x-mac-ukrainian",
    "gbk": "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    "gb18030": "gb18030",
    "big5hkscs": "big5 big5-hkscs cn-big5 csbig5 x-x-big5",
    "euc-jp": "cseucpkdfmtjapanese euc-jp x-euc-jp",
    "iso-2022-jp": "csiso2022jp iso-2022-jp",
    "cp932": "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    "cp949": "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 "
    "ksc5601 ksc_5601 windows-949",
    "utf-16-be": "unicodefffe utf-16be",
    "utf-16-le": "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
}


def whatwg_charsets() -> list[tuple[str, str]]:
    """``(label, python_codec)`` for every WHATWG label whose encoding Python can decode."""
    pairs: list[tuple[str, str]] = []
    for codec, labels in _WHATWG.items():
        try:
            codecs.lookup(codec)
        except LookupError:
            continue
        pairs.extend((label, codec) for label in labels.split())
    return pairs


def message(
    headers: list[tuple[str, str]] | bytes,
    body: bytes | str = b"Hello.\r\n",
    *,
    message_id: str | None = "",
    subject: str | None = "A message",
) -> bytes:
    """A raw message: ``headers`` (pairs or raw bytes) after Date/From/To/Subject/Message-ID.

    ``message_id=""`` derives an id from the subject; ``None`` leaves the header out.
    ``subject=None`` leaves the Subject out (when ``headers`` carries its own)."""
    head: list[tuple[str, str]] = [("Date", DATE), ("From", SENDER), ("To", TEAM)]
    if subject is not None:
        head.append(("Subject", subject))
    if message_id == "":
        message_id = f"<{abs(hash_text(subject or repr(headers))):x}@corpus.example>"
    if message_id is not None:
        head.append(("Message-ID", message_id))
    raw = b"".join(f"{k}: {v}\r\n".encode("utf-8", "surrogateescape") for k, v in head)
    if isinstance(headers, bytes):
        raw += headers
    else:
        raw += b"".join(f"{k}: {v}\r\n".encode("utf-8", "surrogateescape") for k, v in headers)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return raw + b"\r\n" + data


def hash_text(text: str) -> int:
    """A stable (not per-process salted) hash for ids: FNV-1a over UTF-8."""
    value = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogatepass"):
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def _b64(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _word(charset: str, text: str, codec: str = "utf-8") -> str:
    data = text.encode(codec, "replace")
    return f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?="


def charset_messages() -> Iterator[Case]:
    """One small message per WHATWG label: a base64 body and an RFC 2047 subject in it."""
    for label, codec in whatwg_charsets():
        text = SAMPLE.encode(codec, "replace")
        headers = [
            ("MIME-Version", "1.0"),
            ("Content-Type", f'text/plain; charset="{label}"'),
            ("Content-Transfer-Encoding", "base64"),
        ]
        subject = f"charset {label} {_word(label, SAMPLE, codec)}"
        yield f"charset-{label}", message(headers, _b64(text) + "\r\n", subject=subject)


def header_messages() -> Iterator[Case]:
    """RFC 2047 in every header, malformed encoded words, 10k subjects, 2,000 Received lines."""
    enc = _word("utf-8", "Ünïcödé ☃")
    everywhere = [
        ("Sender", f"{enc} <a@evil.example>"),
        ("Cc", f"{enc} <b@evil.example>, =?iso-8859-1?Q?J=F6rg?= <c@evil.example>"),
        ("Reply-To", f"{enc} <d@evil.example>"),
        ("X-Mailer", enc),
        ("Content-Type", f"text/plain; charset=utf-8; name={enc}"),
    ]
    yield "rfc2047-all-headers", message(everywhere, subject=f"all {enc} headers {enc}")
    malformed = [
        "=?utf-8?B?not*base64?=",
        "=?utf-8?Q?unterminated",
        "=?no-such-charset?Q?x?=",
        "=?utf-8?X?unknown-encoding?=",
        "=??Q?empty-charset?=",
        "=?utf-8?B?" + "QUJD" * 3000 + "?=",
        "=?utf-8?Q?=E2=98?= =?utf-8?Q?=83?=",
        "=?utf-8*en?Q?lang?= =?UTF-7?B?K0FHRS0=?=",
        "=?utf-8?B?7w==?= =?utf-16?B?2D0=?=",
        "=?utf-8?q?=1B]0;pwned=07?=",
    ]
    for n, word in enumerate(malformed):
        yield f"malformed-word-{n}", message([("X-Note", word)], subject=f"bad {word}")
    yield "subject-10k", message([], subject="S" * 5000 + " " + "é" * 5000)
    yield "subject-10k-word", message([], subject=_word("utf-8", "W" * 10_000))
    received = [
        ("Received", f"from relay{n}.evil.example by mx.example.com; {DATE}") for n in range(2000)
    ]
    yield "received-2000", message(received, subject="two thousand Received lines")
    yield "header-no-colon", message(b"This is not a header\r\n\x00\x1b[2J: x\r\n")
    yield "header-8bit-raw", message(b"X-Raw: \xff\xfe\x9b2J \xc3\x28\r\n", subject="raw bytes")


def id_messages() -> Iterator[Case]:
    """References loops, self references, duplicate and missing Message-IDs."""
    a, b = "<loop-a@corpus.example>", "<loop-b@corpus.example>"
    yield (
        "refs-loop-a",
        message([("References", b), ("In-Reply-To", b)], message_id=a, subject="loop a"),
    )
    yield (
        "refs-loop-b",
        message([("References", a), ("In-Reply-To", a)], message_id=b, subject="Re: loop a"),
    )
    own = "<self@corpus.example>"
    yield (
        "refs-self",
        message(
            [("References", own), ("In-Reply-To", own)], message_id=own, subject="refers to itself"
        ),
    )
    chain = " ".join(f"<chain{n}@corpus.example>" for n in range(500))
    yield "refs-500", message([("References", chain)], subject="five hundred references")
    dup = "<duplicate@corpus.example>"
    yield "dup-id-1", message([], message_id=dup, subject="duplicate one")
    yield "dup-id-2", message([], message_id=dup, subject="duplicate two")
    yield "no-id-1", message([], message_id=None, subject="no message id")
    yield "no-id-2", message([], message_id=None, subject="no message id")
    yield "empty-id", message([], message_id="<>", subject="")
    yield "garbage-id", message([], message_id="<<>>\x1b]0;pwned\x07 <", subject="garbage id")
    twice = [("Message-ID", "<second@corpus.example>")]
    yield "two-ids", message(twice, message_id="<first@corpus.example>", subject="two ids")


def _html(name: str, html: str) -> Case:
    headers = [("MIME-Version", "1.0"), ("Content-Type", "text/html; charset=utf-8")]
    return name, message(headers, html, subject=f"html {name}")


def html_messages() -> Iterator[Case]:
    """Script, tracking pixels, and entities that decode to control characters."""
    yield _html(
        "html-script",
        "<html><head><script>alert(1)</script><style>p{}</style></head><body>"
        "<p>Hi</p><script>document.title='\x1b]0;pwned\x07'</script></body></html>",
    )
    yield _html(
        "html-pixel",
        '<p>Read</p><img src="https://evil.example/t.gif" width="1" height="1">'
        '<img src="https://evil.example/p?id=1" style="display:none">',
    )
    yield _html(
        "html-entities",
        "<p>&#27;[2J &#x1b;]0;pwned&#7; &#x9b;2J &#155;2J &#0; &#x7f; &#xd800; "
        "&#x110000; &#27;]52;c;SGVsbG8=&#7; &#27;Ppwned-dcs&#27;\\</p>",
    )
    yield _html(
        "html-link-osc8",
        f'<a href="{EVIL_URL}\x1b]8;;{EVIL_URL}\x07">x</a> <a href="javascript:alert(1)">js</a>',
    )
    yield _html("html-unclosed", "<p><b><i><table><tr><td>" * 2000 + "<!-- never closed")
    yield _html("html-raw-escapes", f"<pre>{ALL_ESCAPES}</pre><p>{ALL_ESCAPES}</p>")


def markup_messages() -> Iterator[Case]:
    """Rich/Textual markup in the subject, the sender name and the body."""
    markup = "[bold]bold[/bold] [@click=app.quit]x[/] [/] [red on blue]c[/] [link=x]y[/link]"
    sender = [("Reply-To", '"[@click=app.quit]quit[/]" <q@evil.example>')]
    yield "markup", message(sender, f"{markup}\r\n[/]\r\n", subject=markup)
    yield "markup-lone-close", message([], "[/]\r\n", subject="[/]")


def escape_messages() -> Iterator[Case]:
    """ESC/CSI/OSC/DCS sequences raw in headers and bodies; C1 CSI as byte and as U+009B."""
    for name, seq in ESCAPES.items():
        yield f"esc-{name}", message([], f"before {seq} after\r\n", subject=f"{name} {seq} end")
    sender = f"{ESCAPES['title']}Evil{ESCAPES['osc52']} <e@evil.example>"
    yield "esc-from", message([("Reply-To", sender)], f"{ALL_ESCAPES}\r\n", subject="esc from")
    raw_from = b"From: \x1b]0;pwned\x07 <f@evil.example>\r\n"
    yield "esc-from-raw", message(raw_from, ALL_ESCAPES + "\r\n", subject="raw from")
    latin1 = [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=iso-8859-1")]
    yield "c1-latin1-byte", message(latin1, b"csi \x9b2J and \x9b31m red\r\n", subject="c1 byte")
    utf8 = [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8")]
    yield "c1-utf8", message(utf8, "csi \x9b2J and \x9d0;pwned\x9c\r\n", subject="c1 \x9b2J")
    qp = [*utf8, ("Content-Transfer-Encoding", "quoted-printable")]
    yield (
        "esc-qp",
        message(qp, "=1B]0;pwned=07 =C2=9B2J =1B]52;c;SGVsbG8=3D=07\r\n", subject="qp escapes"),
    )
    bidi = "\u202egnp.exe\u202c \u2066x\u2069 \u2028line\u2029 \x7f \x00"
    yield "bidi-and-c0", message(utf8, bidi + "\r\n", subject=bidi)


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    out = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return out + b"--" + boundary.encode() + b"--\r\n"


def mime_messages() -> Iterator[Case]:
    """Broken base64/QP and MIME nested 1,000 deep."""
    b64 = [
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "base64"),
    ]
    yield "b64-broken", message(b64, "SGVsbG8gd29ybGQ*!!!=\r\nG9vZA\r\n==x=\r\n", subject="b64")
    yield "b64-truncated", message(b64, "SGVsbG8gd29yb", subject="b64 truncated")
    qp = [
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    yield "qp-broken", message(qp, "bad =ZZ =\r\n=4 soft= =E2=98 end=", subject="qp broken")
    depth = 1000
    body = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for n in reversed(range(depth)):
        boundary = f"b{n}"
        body = f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'.encode() + (
            _multipart(boundary, [body])
        )
    head, _, rest = body.partition(b"\r\n\r\n")
    yield "nested-1000", message(head + b"\r\nMIME-Version: 1.0\r\n", rest, subject="nested")
    # Alternatives inside alternatives, two children each: choosing one must not re-walk the
    # others at every level (2**depth work if it did).
    body = b"Content-Type: text/plain\r\n\r\ninnermost\r\n"
    for n in reversed(range(60)):
        boundary = f"a{n}"
        blank = b"Content-Type: text/plain\r\n\r\n \r\n"
        body = f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode() + (
            _multipart(boundary, [blank, body])
        )
    head, _, rest = body.partition(b"\r\n\r\n")
    yield "alternatives-60", message(head + b"\r\nMIME-Version: 1.0\r\n", rest, subject="alt")
    unclosed = [("MIME-Version", "1.0"), ("Content-Type", 'multipart/mixed; boundary="x"')]
    yield "multipart-unclosed", message(unclosed, "--x\r\n\r\npart\r\n--x\r\n", subject="open")


def size_messages() -> Iterator[Case]:
    """A 20 MB attachment and a 5 MB single line."""
    attachment = _b64(bytes(range(256)) * (20 * 1024 * 1024 // 256)).encode()
    parts = [
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nSee the attachment.",
        b"Content-Type: application/octet-stream; name=big.bin\r\n"
        b"Content-Disposition: attachment; filename=big.bin\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + attachment,
    ]
    head = [("MIME-Version", "1.0"), ("Content-Type", 'multipart/mixed; boundary="big"')]
    yield "attachment-20mb", message(head, _multipart("big", parts), subject="20 MB attachment")
    line = ("word " * (5 * 1024 * 1024 // 5)).encode()
    yield "line-5mb", message([], line + b"\r\n", subject="5 MB on one line")


def corpus(*, big: bool = True) -> list[Case]:
    """Every hostile case, in a fixed order; ``big=False`` skips the multi-megabyte ones."""
    cases: list[Case] = []
    for generator in (
        charset_messages,
        header_messages,
        id_messages,
        html_messages,
        markup_messages,
        escape_messages,
        mime_messages,
    ):
        cases.extend(generator())
    if big:
        cases.extend(size_messages())
    return cases
