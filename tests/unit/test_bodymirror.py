"""The body mirror's pure pieces: BODYSTRUCTURE -> parts, the message assembled from fetched
sections, attachment sizes from the structure; the work list, the chunk write (siblings and
the search index) in an in-memory cache; the summary line."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from supportmail.storage.cache import Cache
from supportmail.storage.cache.bodystore import ALL_DATES
from supportmail.storage.imap import parse_fetch
from supportmail.storage.mime import Body, parse_body, parse_envelope
from supportmail.storage.models import Attachment, SyncResult, ThreadQuery
from supportmail.storage.sync import bodystructure
from supportmail.storage.sync.bodystructure import Leaf

STRUCTURE = (
    b'1 (UID 7 BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL'
    b' "quoted-printable" 120 4 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL'
    b' "7bit" 300 9 NIL NIL NIL NIL) "alternative" ("boundary" "b2") NIL NIL NIL)'
    b'("image" "png" ("name" "crash.png") NIL NIL "base64" 27962026 NIL'
    b' ("attachment" ("filename" "crash.png")) NIL NIL)'
    b'("application" "pdf" ("name*" "utf-8\'\'Rechnung%20%E2%82%AC.pdf") NIL NIL "base64"'
    b' 7800 NIL ("attachment" NIL) NIL NIL)'
    b'("message" "rfc822" NIL NIL NIL "7bit" 500 ("date" "subj" NIL NIL NIL NIL NIL NIL NIL NIL)'
    b' ("text" "plain" NIL NIL NIL "7bit" 10 1 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)'
    b'("application" "pgp-signature" NIL NIL NIL "7bit" 400 NIL NIL NIL NIL)'
    b' "mixed" ("boundary" "b1") NIL NIL NIL))'
)


def _structure() -> list[Leaf]:
    [item] = parse_fetch([STRUCTURE])
    return bodystructure.leaves(item[b"BODYSTRUCTURE"])


def test_leaves_number_the_sections_and_read_the_dispositions() -> None:
    parts = _structure()
    assert [(p.section, p.ctype) for p in parts] == [
        ("1.1", "text/plain"),
        ("1.2", "text/html"),
        ("2", "image/png"),
        ("3", "application/pdf"),
        ("4", "message/rfc822"),
        ("5", "application/pgp-signature"),
    ]
    plain, _html, png, pdf, forwarded, _sig = parts
    assert plain.params == {"charset": "utf-8", "format": "flowed"}
    assert (plain.encoding, plain.size) == ("quoted-printable", 120)
    assert (png.disposition, png.filename, png.size) == ("attachment", "crash.png", 27962026)
    assert pdf.filename == "Rechnung €.pdf"
    assert forwarded.disposition == ""
    # Of the alternative (1.1 plain, 1.2 HTML) only the plain text is read, as parse_body does.
    assert [p.section for p in bodystructure.readable(parts)] == ["1.1", "4"]


def test_a_single_part_message_is_fetched_as_its_text() -> None:
    [item] = parse_fetch(
        [
            b'1 (UID 3 BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2'
            b" NIL NIL NIL NIL))"
        ]
    )
    [part] = bodystructure.leaves(item[b"BODYSTRUCTURE"])
    assert (part.section, part.fetch_section, part.ctype) == ("", "TEXT", "text/plain")


def test_malformed_structures_give_what_they_can() -> None:
    assert bodystructure.leaves(None) == []
    assert bodystructure.leaves(b"NIL") == []
    assert bodystructure.leaves([]) == []
    [part] = bodystructure.leaves([b"TEXT", b"PLAIN"])
    assert (part.ctype, part.size, part.encoding) == ("text/plain", 0, "")


def test_attachments_are_listed_from_the_structure_with_decoded_sizes() -> None:
    parts = _structure()
    png = bodystructure.attachment(parts[2])
    assert png is not None and png.filename == "crash.png"
    encoded = base64.encodebytes(b"x" * 20_000_000).replace(b"\n", b"\r\n")
    estimate = bodystructure.attachment(
        Leaf("2", "image/png", encoding="base64", size=len(encoded))
    )
    assert estimate is not None and abs(estimate.size - 20_000_000) < 20_000
    assert bodystructure.attachment(parts[5]) is None  # the signature is not listed


def test_assembled_sections_read_as_the_whole_message_would() -> None:
    parts = _structure()
    plain, html, _png, _pdf, forwarded, _sig = parts
    flowed_qp = b"Caf=C3=A9 crashes when I open the =\r\nattachment \r\nview.\r\n"
    inner = b"Subject: Original complaint\r\nFrom: a@b.example\r\n\r\nIt broke.\r\n"
    body = parse_body(
        bodystructure.assemble(
            [(plain, flowed_qp), (html, b"<p>Caf\xc3\xa9 crashes</p>"), (forwarded, inner)]
        )
    )
    assert body.text.startswith("Café crashes when I open the attachment view.")
    assert "Subject: Original complaint\n\nIt broke." in body.text
    assert body.html_only is False
    assert [a.content_type for a in body.attachments] == ["message/rfc822"]


def test_a_quote_in_a_parameter_cannot_break_the_assembled_header() -> None:
    part = Leaf("1", "text/plain", params={"charset": 'utf-8"\r\nX: y'}, encoding="8bit")
    body = parse_body(bodystructure.assemble([(part, b"hello")]))
    assert body.text.strip() == "hello"


# -- the cache side -----------------------------------------------------------------------------


NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _raw(n: int, days_ago: int, mid: str | None = None) -> bytes:
    date = (NOW - timedelta(days=days_ago)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        f"Message-ID: <{mid or f'm{n}@x.example'}>\r\nSubject: Question {n}\r\n"
        f"From: Customer {n} <c{n}@x.example>\r\nDate: {date}\r\n\r\nBody {n}\r\n"
    ).encode()


def _cache() -> Cache:
    cache = Cache(":memory:")
    items = [(uid, parse_envelope(_raw(uid, uid)), (), 100 * uid, None, None) for uid in (1, 2, 3)]
    cache.add_messages("acct", "INBOX", items)
    sent = [(1, parse_envelope(_raw(1, 1)), (), 100, None, None)]  # the same message in Sent
    cache.add_messages("acct", "Sent", sent)
    return cache


def test_the_work_list_is_newest_first_within_the_window() -> None:
    cache = _cache()
    rows = cache.rowids("acct")
    work = list(cache.bodies_missing("acct"))
    assert work[:2] == sorted([rows[("INBOX", 1)], rows[("Sent", 1)]], reverse=True)
    assert work[2:] == [rows[("INBOX", 2)], rows[("INBOX", 3)]]
    since = int((NOW - timedelta(days=2, hours=1)).timestamp())
    assert len(cache.bodies_missing("acct", since)) == 3
    targets = cache.body_targets([rows[("INBOX", 3)], rows[("INBOX", 2)]])
    assert [(t.folder, t.uid, t.size, t.message_id) for t in targets] == [
        ("INBOX", 3, 300, "m3@x.example"),
        ("INBOX", 2, 200, "m2@x.example"),
    ]


def test_a_chunk_is_stored_for_every_copy_and_indexed_for_search() -> None:
    cache = _cache()
    rows = cache.rowids("acct")
    body = Body(
        "The export drops a column, narwhalword.", (Attachment("a.csv", "text/csv", 9),), False
    )
    stored = cache.save_bodies("acct", [(rows[("INBOX", 1)], "m1@x.example", body)])
    assert stored == 2  # the copy in Sent too
    assert cache.body(rows[("Sent", 1)]) == body
    assert len(cache.bodies_missing("acct", ALL_DATES)) == 2
    assert cache.body_targets([rows[("Sent", 1)], rows[("INBOX", 2)]])[0].uid == 2
    cache.thread_pending("acct")
    cache.rebuild_threads("acct")
    hits = cache.list_threads("acct", ThreadQuery(search="narwhalword"))
    assert [h.subject for h in hits] == ["Question 1"]


def test_a_lone_surrogate_does_not_fail_the_chunk() -> None:
    cache = _cache()
    rows = cache.rowids("acct")
    body = Body("bad \udcff text", (), False)
    assert cache.save_bodies("acct", [(rows[("INBOX", 2)], "m2@x.example", body)]) == 1
    saved = cache.body(rows[("INBOX", 2)])
    assert saved is not None and saved.text.startswith("bad ") and saved.text.endswith(" text")


def test_the_summary_line_counts_the_bodies() -> None:
    line = SyncResult(account="a", folders=1, bodies=1200, unreadable=2).summary_line()
    assert "1200 bodies fetched" in line
    assert "2 message(s) could not be read" in line
    assert "bod" not in SyncResult(account="a").summary_line()
    assert "1 body fetched" in SyncResult(account="a", bodies=1).summary_line()


def test_a_lone_surrogate_in_an_opened_thread_is_stored() -> None:
    cache = _cache()
    rowid = cache.rowids("acct")[("INBOX", 3)]
    cache.save_body(rowid, Body("bad \udcff text", (), False))
    saved = cache.body(rowid)
    assert saved is not None and saved.text.startswith("bad ") and saved.text.endswith(" text")
