"""``parse_envelope``'s fast path gives exactly what the general steps give, on every input.

``storage.mime.parse_envelope`` reads the usual IMAP header block by a fast path
(``_fast_envelope``) and everything else by the general steps (``_general_envelope``), which
define the result. Here both run on every input we have and the envelopes are compared field by
field, by ``repr`` (so a date's zone object counts, not only the instant): the real-mail corpora
in ``../shared/corpora`` (whole, whole with CRLF, and the header fields sync fetches), the hostile
corpus, ``tests/mailgen.py`` output, seeded byte mutations of those blocks, and header blocks
built by hypothesis. Without the corpora those cases skip, except under ``CI=true``.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportmail.storage import mime as message
from supportmail.storage.mime import HEADER_FIELDS, Envelope, envelope
from tests.corpus.generators import corpus
from tests.mailgen import support_mailbox

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
NOT_MAIL = ("README", "LICENSE", "COPYING", "MANIFEST", "UPSTREAM")
WANTED = {name.lower().encode() for name in HEADER_FIELDS}
FIELD_LINES = re.compile(rb"^[^ \t\r\n][^\n]*\n?(?:[ \t][^\n]*\n?)*", re.MULTILINE)


def as_fields(env: Envelope) -> tuple[str, ...]:
    """Every field's repr, in order: equal tuples mean byte-for-byte equal envelopes."""
    return tuple(repr(getattr(env, f.name)) for f in dataclasses.fields(env))


def same(raw: bytes) -> bool:
    """Assert that ``parse_envelope(raw)`` equals the general steps; True if the fast path
    answered (rather than handing the block to the general steps)."""
    expected = as_fields(envelope._general_envelope(raw))
    assert as_fields(message.parse_envelope(raw)) == expected, raw[:300]
    try:
        return envelope._fast_envelope(raw) is not None
    except Exception:
        return False


def crlf(data: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", data)


def header_fields(raw: bytes) -> bytes:
    """What ``BODY.PEEK[HEADER.FIELDS (...)]`` returns: the wanted fields, folds kept, CRLF,
    then the blank line."""
    head = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0] + b"\n"
    lines = FIELD_LINES.findall(head)
    kept = b"".join(f for f in lines if f.split(b":", 1)[0].strip().lower() in WANTED)
    return crlf(kept) + b"\r\n"


@pytest.fixture(scope="module")
def corpus_files() -> list[bytes]:
    if not CORPORA.is_dir():
        reason = f"mail corpora not found at {CORPORA.resolve()} (see the lead's shared/ folder)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    paths = sorted(p for p in CORPORA.rglob("*") if p.is_file() and not p.name.startswith(NOT_MAIL))
    return [p.read_bytes() for p in paths]


def generated() -> list[bytes]:
    return [m.raw for m in support_mailbox(200, seed=11)]


def test_corpora_whole_and_as_fetched(corpus_files: list[bytes]) -> None:
    assert len(corpus_files) > 300
    fast = 0
    for raw in corpus_files:
        same(raw)
        same(crlf(raw))
        fast += same(header_fields(raw))
    # the fast path must really be what these blocks exercise, or the test proves little
    assert fast > 0.9 * len(corpus_files)


def test_hostile_corpus() -> None:
    for _name, raw in corpus():
        same(raw)
        same(header_fields(raw))


def test_mailgen_output_takes_the_fast_path() -> None:
    messages = generated()
    assert len(messages) > 300
    for raw in messages:
        assert same(header_fields(raw))
        assert same(raw)


MUTATIONS = (
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\n ",
    b"\r\n\t",
    b" ",
    b"  ",
    b"\t",
    b"\x1c",
    b":",
    b"<",
    b">",
    b'"',
    b"=?",
    b"?=",
    b"=?utf-8?q?",
    b"=?iso-8859-1?b?",
    b",",
    b";",
    b"(",
    b"\\",
    b"@",
    b"\x00",
    b"\xc3\xa9",
    b"\xe9",
    b"\xff",
    b"-0000",
    b"Mon, ",
    b"31 Feb 2024 ",
    b"\r\nSubject: ",
    b"\r\nReferences: <a@b>",
    b"\r\nDate: ",
    b"\r\nfrom : ",
    b"\r\nCONTENT-TYPE: text/plain; charset=koi8-r",
    b"\r\n\r\n",
)


@pytest.mark.filterwarnings("ignore::dateutil.parser.UnknownTimezoneWarning")
def test_seeded_mutations_of_fetched_blocks(corpus_files: list[bytes]) -> None:
    rng = random.Random(5)
    blocks = [header_fields(raw) for raw in generated()[:150] + corpus_files[::4]]
    for _ in range(3000):
        data = bytearray(rng.choice(blocks))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data) + 1)
            if rng.random() < 0.3 and at < len(data):
                del data[at : at + rng.randint(1, 3)]
            else:
                data[at:at] = rng.choice(MUTATIONS)
        same(bytes(data))


NAMES = st.sampled_from(
    [spelling for name in HEADER_FIELDS for spelling in (name, name.lower(), name.upper())]
    + ["Message-Id", "X-Mailer", "Subject ", "From\t", "", "Received", "To:x", "Date "]
)
VALUES = st.sampled_from(
    [
        "<a.b@example.com>",
        "<a b@example.com>",
        "a@b",
        "<>",
        "<<x@y>>",
        "<x@y> <z@w>, junk <q@r",
        "Anna Lee <anna@example.org>",
        "Anna \t Lee  <anna@example.org>  ",
        " <anna@example.org>",
        '"Lee, Anna" <anna@example.org>, bob@example.org',
        "Team: a@x.org, B <b@y.org>;",
        "=?utf-8?q?J=C3=B6rg?= <j@x.de>",
        "=?gb2312?B?1tDOxA==?=",
        "Re: =?iso-8859-1?q?Gr=FC=DFe?= =?iso-8859-1?q?_aus?=",
        "Mon, 20 Nov 2023 10:15:00 +0100",
        "20 Nov 2023 10:15 -0000",
        "Tue, 1 Jan 2999 00:00:00 +0000",
        "Sun, 07 Jan 2029 23:41:00 +9999",
        "Fri, 31 Feb 2023 10:00:00 +0000 (CET)",
        "2023-11-20T10:15:00Z",
        "text/plain; charset=utf-8",
        'multipart/mixed; boundary="x"; charset="iso-8859-2"',
        "",
        "   ",
        "plain text",
    ]
)
RAW_VALUES = st.binary(max_size=40)


@st.composite
def header_blocks(draw: st.DrawFn) -> bytes:
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 8))):
        value = draw(st.one_of(VALUES.map(str.encode), RAW_VALUES))
        line = draw(NAMES).encode() + b":" + draw(st.sampled_from([b"", b" ", b"\t "])) + value
        if draw(st.booleans()):
            line += draw(st.sampled_from([b"\r\n ", b"\r\n\t", b"\n "])) + draw(VALUES).encode()
        lines.append(line)
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([b" x", b"junk", b""])))
    end = draw(st.sampled_from([b"\r\n\r\n", b"\r\n\r\nbody\r\n", b"\r\n", b"\n\n", b""]))
    return draw(st.sampled_from([b"\r\n", b"\n"])).join(lines) + end


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(header_blocks())
def test_built_header_blocks(raw: bytes) -> None:
    same(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    same(raw)
    same(raw + b"\r\n\r\n")


def test_dates_around_the_one_year_horizon() -> None:
    now = datetime.now(UTC)
    for days in (-400, -1, 0, 1, 365, 367, 1000):
        when = format_datetime(
            (now + timedelta(days=days)).astimezone(timezone(timedelta(hours=-7)))
        )
        raw = b"Date: " + when.encode() + b"\r\nSubject: x\r\n\r\n"
        assert same(raw)
        assert (message.parse_envelope(raw).date is None) == (days > 366), days
