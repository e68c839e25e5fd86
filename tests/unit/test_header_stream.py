"""``ImapConnection.fetch_headers`` reads a header fetch off the wire exactly as imaplib did.

``fetch_headers`` used to let imaplib read the whole reply (``_command_complete``), then split
the untagged FETCH data into one group per message and parse each group. It now reads the reply
itself (``storage.imap.stream.HeaderStream``). Both run here on the same canned server replies,
through imaplib's real ``IMAP4`` class reading from memory, and must give the same records
(compared by ``repr``) or the same error (class, text, and whether the connection was dropped):
Dovecot's shape, other item orders, items after the literal, NIL and quoted headers, several
literals, unsolicited responses, every completion and failure, and replies built by hypothesis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.imap import (
    HeaderRecord,
    ImapConnection,
    ImapError,
    parse_internaldate,
    stream,
    uid_sets,
)
from tests.unit.canned_imap import connection, old_fetch_headers

FIELDS = ("Message-ID", "Subject", "From", "Date")
SECTION = b"BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT FROM DATE)]"
DONE = b"TEST0 OK Fetch completed (0.001 + 0.000 secs).\r\n"


def outcome(
    fetch: Callable[[ImapConnection, Sequence[int], Sequence[str]], list[HeaderRecord]],
    reply: bytes,
    uids: Sequence[int],
) -> tuple[object, ...]:
    conn = connection(reply, pending=(b"TEST5",) if b"TEST5" in reply else ())
    try:
        records = fetch(conn, uids, FIELDS)
    except ImapError as exc:
        return (type(exc).__name__, str(exc), conn.connected)
    left = conn._client._imap.file.read()
    return ("ok", [repr(r) for r in records], left, conn._client._imap.tagged_commands)


def assert_same(reply: bytes, uids: Sequence[int] = tuple(range(1, 40))) -> tuple[object, ...]:
    new = outcome(ImapConnection.fetch_headers, reply, uids)
    assert new == outcome(old_fetch_headers, reply, uids), reply[:400]
    return new


def fetch(seq: int, items: bytes, header: bytes | None, after: bytes = b"") -> bytes:
    """One FETCH response: ``items``, then the header section as a literal (or NIL), then
    ``after`` before the closing parenthesis."""
    if header is None:
        return b"* %d FETCH (%s %s NIL%s)\r\n" % (seq, items, SECTION, after)
    return b"* %d FETCH (%s %s {%d}\r\n%s%s)\r\n" % (
        seq,
        items,
        SECTION,
        len(header),
        header,
        after,
    )


def header(n: int) -> bytes:
    return b"Message-ID: <m%d@x>\r\nSubject: s%d\r\n\r\n" % (n, n)


def dovecot(n: int, flags: bytes = b"", date: bytes = b"24-Nov-2026 07:00:23 +0000") -> bytes:
    items = b'UID %d FLAGS (%s) INTERNALDATE "%s" RFC822.SIZE %d MODSEQ (%d)' % (
        n,
        flags,
        date,
        300 + n,
        n * 3,
    )
    return fetch(n, items, header(n))


def test_dovecot_shape_is_read_by_the_fast_path() -> None:
    reply = b"".join(dovecot(n, b"\\Seen $label1" if n % 2 else b"") for n in range(1, 6)) + DONE
    result = assert_same(reply)
    assert result[0] == "ok" and len(result[1]) == 5  # type: ignore[arg-type]
    conn = connection(reply)
    records = conn.fetch_headers([5, 1, 3, 99], FIELDS)
    assert [r.uid for r in records] == [5, 1, 3]
    assert records[0].flags == ("\\Seen", "$label1")
    assert records[0].internaldate == datetime(2026, 11, 24, 7, 0, 23, tzinfo=UTC)
    assert records[1].header == header(1)
    assert conn._client._imap.sent == [
        b"TEST0 UID FETCH 1,3,5,99 (UID FLAGS INTERNALDATE RFC822.SIZE "
        b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT FROM DATE)] MODSEQ)\r\n"
    ]


REPLIES = {
    "other item orders": fetch(1, b"FLAGS (\\Flagged) UID 1 RFC822.SIZE 9", header(1))
    + fetch(2, b'MODSEQ (4) INTERNALDATE " 3-Nov-2025 10:00:00 -0130" UID 2 FLAGS ()', header(2)),
    "items after the literal": fetch(1, b"FLAGS ()", header(1), b" UID 1 MODSEQ (7)")
    + fetch(2, b"UID 9", header(2), b" UID 2 FLAGS (\\Seen)")
    + fetch(3, b"UID 3 FLAGS (\\Seen) RFC822.SIZE 5", header(3), b" FLAGS () RFC822.SIZE 0"),
    "no uid or no flags": fetch(1, b"FLAGS ()", header(1)) + fetch(2, b"UID 2", header(2)),
    "odd dates": fetch(1, b'UID 1 FLAGS () INTERNALDATE ""', header(1))
    + fetch(2, b'UID 2 FLAGS () INTERNALDATE "31-Feb-2025 10:00:00 +0000"', header(2))
    + fetch(3, b'UID 3 FLAGS () INTERNALDATE "01-Jan-2025 10:00:00 +9999"', header(3))
    + fetch(4, b'UID 4 FLAGS () INTERNALDATE "junk"', header(4)),
    "recent and keywords": fetch(
        1, b"UID 1 FLAGS (\\Recent \\Seen team:billing \\recent)", header(1)
    ),
    "quoted flags fall back": fetch(1, b'UID 1 FLAGS (\\Seen "x")', header(1)),
    "nil header": fetch(1, b"UID 1 FLAGS ()", None),
    "quoted header": b'* 1 FETCH (UID 1 FLAGS () %s "Subject: q\\"x\\"")\r\n' % SECTION,
    "empty literal": fetch(1, b"UID 1 FLAGS ()", b""),
    "literal that looks like protocol": fetch(
        1, b"UID 1 FLAGS ()", b"Subject: )\r\n* 2 FETCH (UID 2 {3}\r\nTEST0 OK\r\n\r\n"
    ),
    "two literals": b"* 1 FETCH (UID 1 FLAGS () %s {%d}\r\n%s BODY[TEXT] {4}\r\nbody)\r\n"
    % (SECTION, len(header(1)), header(1)),
    "unsolicited responses": b"* 40 EXISTS\r\n* 3 EXPUNGE\r\n* OK [ALERT] careful\r\n"
    + b"* VANISHED 7:8\r\n* 2 FETCH (FLAGS (\\Seen))\r\n* 3 FETCH (UID 3 FLAGS ())\r\n"
    + b"* OK {4}\r\nabcd more\r\n+ go on\r\n"
    + dovecot(1),
    "the same uid twice": dovecot(1) + fetch(1, b"UID 1 FLAGS (\\Seen)", header(7)),
    "extra spaces": b"* 1 FETCH (UID 1  FLAGS () %s {%d}\r\n%s )\r\n"
    % (SECTION, len(header(1)), header(1)),
    "lower-case fetch": b"* 1 fetch (UID 1 FLAGS () %s {%d}\r\n%s)\r\n"
    % (SECTION, len(header(1)), header(1)),
    "all headers": b"* 1 FETCH (UID 1 FLAGS () BODY[HEADER] {%d}\r\n%s)\r\n"
    % (len(header(1)), header(1)),
    "bad inside a fetch": b"* 1 FETCH (UID 1 FLAGS (\\Seen) {3}\r\nabc JUNK[)\r\n",
    "cr before the line end": b"* 1 FETCH (UID 1 FLAGS () %s {%d}\r\n%s)\r\r\n"
    % (SECTION, len(header(1)), header(1)),
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_unusual_replies_read_as_before(name: str) -> None:
    assert_same(REPLIES[name] + dovecot(30) + DONE)


ENDINGS = {
    "ok": DONE,
    "expunge issued": b"TEST0 NO [EXPUNGEISSUED] Some messages were expunged\r\n",
    "no": b"TEST0 NO [SERVERBUG] Internal error\r\n",
    "bad": b"TEST0 BAD Error in IMAP command UID FETCH: Invalid uidset\r\n",
    "bye": b"* BYE Server shutting down.\r\n",
    "eof": b"",
    "eof inside a literal": b"* 2 FETCH (UID 2 FLAGS () %s {50}\r\nshort" % SECTION,
    "eof inside a line": b"* 2 FETCH (UID 2",
    "garbage line": b"what is this\r\n" + DONE,
    "foreign tag": b"TEST7 OK done\r\n" + DONE,
    "another pending command's tag": b"TEST5 NO later\r\n" + DONE,
    "bare tag": b"TEST0 OK\r\n" + DONE,
    "line too long": b"* OK " + b"x" * 1_000_100 + b"\r\n" + DONE,
}


@pytest.mark.parametrize("name", sorted(ENDINGS))
def test_completions_and_failures_as_before(name: str) -> None:
    result = assert_same(dovecot(1) + ENDINGS[name])
    if name in ("ok", "expunge issued", "another pending command's tag"):
        assert result[0] == "ok"
    else:
        assert result[0] != "ok" and "secret-pw" not in str(result)


def test_several_uid_sets_are_read_one_after_the_other() -> None:
    uids = list(range(1, 3000, 2))  # isolated UIDs: more than one command
    assert len(uid_sets(uids)) > 1
    reply = DONE + DONE.replace(b"TEST0", b"TEST1")
    assert assert_same(reply, uids)[0] == "ok"


def test_internaldate_cache_gives_what_parse_internaldate_gives() -> None:
    values = [
        b"24-Nov-2026 07:00:23 +0000",
        b" 3-Nov-2025 10:00:00 +0130",
        b"03-nov-2025 10:00:00 -0000",
        b"31-Feb-2025 10:00:00 +0000",
        b"01-Jan-2025 10:00:00 +9999",
        b"01-Foo-2025 10:00:00 +0000",
        b"\xff",
        b"",
    ]
    for raw in values * 2:
        expected = parse_internaldate(raw.decode("ascii", "replace"))
        assert repr(stream._internaldate(raw)) == repr(expected)
    assert stream._internaldate(values[1]) == datetime(
        2025, 11, 3, 10, tzinfo=timezone(timedelta(hours=1, minutes=30))
    )


ATOMS = st.sampled_from([b"\\Seen", b"\\Recent", b"$label1", b"team:billing", b"\\RECENT"])
ITEM = st.one_of(
    st.integers(1, 40).map(lambda n: b"UID %d" % n),
    st.lists(ATOMS, max_size=3).map(lambda f: b"FLAGS (" + b" ".join(f) + b")"),
    st.sampled_from([b"24-Nov-2026 07:00:23 +0000", b" 1-Jan-1999 00:00:00 -0800", b""]).map(
        lambda d: b'INTERNALDATE "' + d + b'"'
    ),
    st.integers(0, 10**6).map(lambda n: b"RFC822.SIZE %d" % n),
    st.integers(1, 10**12).map(lambda n: b"MODSEQ (%d)" % n),
)
SEPARATOR = st.sampled_from([b" ", b" ", b" ", b"", b"  "])


@st.composite
def responses(draw: st.DrawFn) -> bytes:
    seq = draw(st.integers(1, 40))
    before = b"".join(draw(ITEM) + draw(SEPARATOR) for _ in range(draw(st.integers(0, 5))))
    after = b"".join(draw(SEPARATOR) + draw(ITEM) for _ in range(draw(st.integers(0, 2))))
    body = draw(st.binary(max_size=60))
    literal = b"{%d}\r\n%s" % (len(body), body)
    section = draw(st.sampled_from([SECTION, b"BODY[HEADER]", b"BODY[TEXT]"]))
    return b"* %d FETCH (%s%s %s%s)\r\n" % (seq, before, section, literal, after)


@settings(max_examples=300, deadline=None)
@given(st.lists(responses(), min_size=1, max_size=4))
def test_built_replies_read_as_before(replies: list[bytes]) -> None:
    assert_same(b"".join(replies) + DONE)


@settings(max_examples=300, deadline=None)
@given(responses())
def test_fast_record_equals_the_imaplib_form_record(response: bytes) -> None:
    line, _, rest = response.partition(b"\r\n")
    size = int(line[line.rfind(b"{") + 1 : -1])
    literal, trailer = rest[:size], rest[size:]
    text = line[2:].replace(b" FETCH ", b" ", 1)
    fast = stream.fast_header_record((line + b"\r\n", literal, trailer))
    group = stream.group_header_record([(text, literal), trailer[:-2]])
    if fast is not None:
        assert repr(fast) == repr(group)
