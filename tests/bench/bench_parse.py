"""Benchmark for ``storage.mime`` and the header-fetch reader of ``storage.imap``.

Run on purpose, not in the test suite::

    .venv/bin/python tests/bench/bench_parse.py            # 50,000 headers, 5,000 bodies
    .venv/bin/python tests/bench/bench_parse.py 2000       # a smoke size

Generated headers look like what sync fetches (``BODY.PEEK[HEADER.FIELDS (...)]``) from a support
mailbox: Gmail/Outlook-style Message-IDs, reply chains with References, a fifth of the names and
subjects RFC 2047-encoded (UTF-8, ISO-8859-1, GB2312), quoted "Last, First" names, Cc on some.
``tests/mailgen.py`` headers are the plainer kind the benchmark mailboxes hold. Both are parsed
by ``parse_envelope`` and by its general steps alone (``_general_envelope``, what every block
took before the fast path), so the two lines show what the fast path saves. A canned Dovecot
reply to one header ``UID FETCH`` of the mailgen messages is read the old way (imaplib, then
the per-message parser) and the new way (``fetch_headers``'s streaming reader), no server
needed. Generated bodies mix plain, multipart/alternative, HTML-only and messages with an
attachment. The corpora in ``../shared/corpora`` are parsed whole and as header-only blocks.
Last, the hostile sizes from the product issue (5 MB single line, 20 MB attachment, 1000-level
nesting) are timed.
"""

from __future__ import annotations

import base64
import itertools
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supportmail.storage.imap import ImapConnection
from supportmail.storage.mime import HEADER_FIELDS, addresses, envelope, parse_body, parse_envelope
from tests.mailgen import support_mailbox
from tests.unit.canned_imap import connection, old_fetch_headers

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
NOT_MAIL = ("README", "LICENSE", "COPYING", "MANIFEST", "UPSTREAM")

FIRST = ("Anna", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Jörg", "Lena", "Zhang")
LAST = ("Schmidt", "Okafor", "Lee", "Novák", "García", "Müller", "Wei", "Brown")
SUBJECTS = (
    "Cannot log in after password reset",
    "Invoice #{n} charged twice",
    "Rückerstattung für Bestellung {n}",
    "订单 {n} 还没有发货",
    "Export to CSV fails with error 500",
    "Feature request: dark mode",
)
HTML = (
    "<html><head><style>p{{margin:0}}</style></head><body><p>Hello,</p><p>{text}</p>"
    "<ul><li>one</li><li>two</li></ul><p><a href='https://help.example.com/a/{n}'>Help centre"
    "</a></p><img src='https://t.example.com/p.gif' width=1 height=1></body></html>"
)


def encoded(text: str, rng: random.Random) -> str:
    """Plain ASCII as is; otherwise RFC 2047 (B or Q) in one of the charsets support mail uses."""
    if text.isascii() and rng.random() < 0.8:
        return text
    for charset in ("iso-8859-1", "gb2312", "utf-8"):
        try:
            data = text.encode(charset)
        except UnicodeEncodeError:
            continue
        if rng.random() < 0.5 or charset == "utf-8":
            break
    if rng.random() < 0.5:
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    quoted = "".join(chr(b) if chr(b).isalnum() else f"={b:02X}" for b in data)
    return f"=?{charset}?Q?{quoted}?="


def person(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    addr = f"{first.lower()}.{last.lower()}@example.org".encode("ascii", "ignore").decode()
    if rng.random() < 0.15:
        return f'"{last}, {first}" <{addr}>'
    return f"{encoded(f'{first} {last}', rng)} <{addr}>"


def message_id(rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        token = base64.urlsafe_b64encode(rng.randbytes(30)).decode()
        return f"<CA{token}@mail.gmail.com>"
    if style == 1:
        return f"<{rng.randbytes(16).hex().upper()}@AM0PR01MB1234.eurprd01.prod.outlook.com>"
    return f"<{rng.getrandbits(40):x}.{rng.getrandbits(20)}@support.example.com>"


def header_block(rng: random.Random, n: int, when: datetime) -> bytes:
    refs = [message_id(rng) for _ in range(rng.choice((0, 0, 1, 2, 3, 5, 8)))]
    subject = rng.choice(SUBJECTS).format(n=n)
    lines = [f"Message-ID: {message_id(rng)}"]
    if refs:
        lines += [f"In-Reply-To: {refs[-1]}", "References: " + "\r\n ".join(refs)]
        subject = "Re: " + subject
    lines += [
        f"Subject: {encoded(subject, rng)}",
        f"From: {person(rng)}",
        "To: Support <support@example.com>",
        f"Date: {format_datetime(when)}" + (" (UTC)" if rng.random() < 0.2 else ""),
        'Content-Type: multipart/alternative; boundary="000000000000b1e2f3"',
    ]
    if rng.random() < 0.3:
        lines.append(f"Cc: {person(rng)}, {person(rng)}")
    if rng.random() < 0.1:
        lines.append(f"Reply-To: {person(rng)}")
    rng.shuffle(lines)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def body_message(rng: random.Random, n: int) -> bytes:
    text = f"Order {n} has not arrived. Können Sie helfen? 谢谢! " * rng.randint(1, 30)
    html = HTML.format(text=text, n=n)
    kind = rng.random()
    headers = f"From: {person(rng)}\r\nSubject: ticket {n}\r\nMIME-Version: 1.0\r\n"
    plain = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    html_part = f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    if kind < 0.5:
        return (headers + plain).encode()
    if kind < 0.8:
        body = f"--a\r\n{plain}--a\r\n{html_part}--a--\r\n"
        return (
            headers + 'Content-Type: multipart/alternative; boundary="a"\r\n\r\n' + body
        ).encode()
    if kind < 0.95:
        return (headers + html_part).encode()
    attachment = base64.encodebytes(rng.randbytes(200_000)).decode()
    body = (
        f"--m\r\n{plain}--m\r\nContent-Type: application/pdf; name=invoice.pdf\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{attachment}--m--\r\n"
    )
    return (headers + 'Content-Type: multipart/mixed; boundary="m"\r\n\r\n' + body).encode()


def cold() -> None:
    """Empty the parsers' caches, so that no run profits from the one before."""
    addresses.parse_addresses.cache_clear()
    envelope._PLAIN_ADDRESSES.clear()
    envelope._HINTS.clear()


def rate(label: str, items: Sequence[bytes], parse: Callable[[bytes], object], rounds: int) -> None:
    """Print items/second of CPU time (the machine is shared; wall time is shown too)."""
    cold()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for item in items:
            parse(item)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    count = len(items) * rounds
    print(
        f"{label:<46} {count:>8,} in {cpu:6.2f}s CPU = {count / cpu:>9,.0f}/s"
        f"  (wall {count / wall:,.0f}/s)"
    )


def header_fields_only(data: bytes) -> bytes:
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0] + b"\n"
    wanted = {name.lower().encode() for name in HEADER_FIELDS}
    fields = re.findall(rb"^[^ \t\r\n][^\n]*\n?(?:[ \t][^\n]*\n?)*", head, re.MULTILINE)
    return b"".join(f for f in fields if f.split(b":", 1)[0].strip().lower() in wanted) + b"\r\n"


def dovecot_reply(headers: Sequence[bytes]) -> bytes:
    """Dovecot's reply to ``UID FETCH 1:n`` of flags, date, size, header fields and MODSEQ."""
    section = f"BODY[HEADER.FIELDS ({' '.join(HEADER_FIELDS).upper()})]".encode()
    lines = [
        b'* %d FETCH (UID %d FLAGS (%s) INTERNALDATE "%02d-Nov-2026 07:%02d:%02d +0000" '
        b"RFC822.SIZE %d MODSEQ (%d) %s {%d}\r\n%s)\r\n"
        % (
            n,
            n,
            b"\\Seen" if n % 3 else b"",
            n % 28 + 1,
            n % 60,
            n % 59,
            400 + n % 900,
            n,
            section,
            len(head),
            head,
        )
        for n, head in enumerate(headers, start=1)
    ]
    return b"".join(lines) + b"TEST0 OK Fetch completed (0.001 + 0.000 secs).\r\n"


def fetch_rate(label: str, reply: bytes, count: int, fetch: Callable[..., object]) -> None:
    """Records/second of CPU time reading one canned header fetch of ``count`` messages."""
    uids, fields = range(1, count + 1), HEADER_FIELDS
    best = float("inf")
    for _ in range(3):
        conn = connection(reply)
        cpu = time.process_time()
        fetch(conn, uids, fields)
        best = min(best, time.process_time() - cpu)
    print(f"{label:<46} {count:>8,} in {best:6.2f}s CPU = {count / best:>9,.0f}/s")


def timed(label: str, data: bytes) -> None:
    start = time.perf_counter()
    body = parse_body(data)
    seconds = time.perf_counter() - start
    print(
        f"{label:<46} {len(data) / 1e6:6.1f} MB in {seconds:6.3f}s (text {len(body.text):,} chars)"
    )


def hostile() -> None:
    line = b"Content-Type: text/plain\r\n\r\n" + b"x" * 5_000_000
    timed("hostile: 5 MB single line", line)
    video = base64.encodebytes(bytes(range(256)) * 81920)
    attachment = (
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\n\r\nsee video\r\n--m\r\n'
        b"Content-Type: video/mp4; name=a.mp4\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + video
        + b"--m--\r\n"
    )
    timed("hostile: 20 MB attachment", attachment)
    text = "Content-Type: text/plain\r\n\r\ndeep"
    for level in range(1000):
        boundary = f"b{level}"
        text = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\n{text}\r\n--{boundary}--"
        )
    timed("hostile: 1000 nested multiparts", text.encode())
    timed(
        "hostile: 1 MB of unclosed HTML tags", b"Content-Type: text/html\r\n\r\n" + b"<a " * 350_000
    )


def main() -> None:
    headers = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    bodies = max(100, headers // 10)
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    blocks = [header_block(rng, n, start + timedelta(minutes=7 * n)) for n in range(headers)]
    rate("generated header blocks: parse_envelope", blocks, parse_envelope, 1)
    rate("generated header blocks: general steps only", blocks, envelope._general_envelope, 1)
    fetched = [
        header_fields_only(m.raw).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        for m in itertools.islice(support_mailbox(headers), headers)
    ]
    rate("mailgen header fields: parse_envelope", fetched, parse_envelope, 1)
    rate("mailgen header fields: general steps only", fetched, envelope._general_envelope, 1)
    reply = dovecot_reply(fetched)
    fetch_rate("header fetch reply: imaplib, then parse", reply, len(fetched), old_fetch_headers)
    fetch_rate(
        "header fetch reply: streaming reader", reply, len(fetched), ImapConnection.fetch_headers
    )
    messages = [body_message(rng, n) for n in range(bodies)]
    rate("generated messages: parse_body", messages, parse_body, 1)

    files = [
        p for p in sorted(CORPORA.rglob("*")) if p.is_file() and not p.name.startswith(NOT_MAIL)
    ]
    if not files:
        print(f"corpora not found at {CORPORA.resolve()}: skipped")
    else:
        corpus = [p.read_bytes() for p in files]
        rounds = max(1, headers // (10 * len(corpus)))
        fields = [header_fields_only(data) for data in corpus]
        rate(
            f"corpora ({len(corpus)}) header fields: parse_envelope", fields, parse_envelope, rounds
        )
        rate(f"corpora ({len(corpus)}) whole: parse_envelope", corpus, parse_envelope, rounds)
        rate(f"corpora ({len(corpus)}) whole: parse_body", corpus, parse_body, rounds)
    hostile()


if __name__ == "__main__":
    main()
