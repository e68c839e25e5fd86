"""``storage.mime`` over the real-mail corpora in ``../shared/corpora`` (see its README).

Every message must parse with ``parse_envelope`` and ``parse_body`` without an exception; a few
spot checks pin values verified by reading the raw files by hand. Without the corpora the tests
skip, except under ``CI=true``, where a missing corpus is a failure.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from supportmail.storage.mime import HEADER_FIELDS, Body, Envelope, parse_body, parse_envelope
from supportmail.storage.models import Address, Attachment

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
NOT_MAIL = ("README", "LICENSE", "COPYING", "MANIFEST", "UPSTREAM")


@pytest.fixture(scope="module")
def corpora() -> Path:
    if not CORPORA.is_dir():
        reason = f"mail corpora not found at {CORPORA.resolve()} (see the lead's shared/ folder)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return CORPORA


def mail_files(root: Path) -> list[Path]:
    """Every message file: all files except the corpora's README/licence/manifest files."""
    return sorted(
        path for path in root.rglob("*") if path.is_file() and not path.name.startswith(NOT_MAIL)
    )


def read(corpora: Path, name: str) -> bytes:
    return (corpora / name).read_bytes()


def test_every_corpus_message_parses(corpora: Path) -> None:
    files = mail_files(corpora)
    manifest = (corpora / "notmuch" / "MANIFEST.tsv").read_text().splitlines()[1:]
    notmuch = [f for f in files if f.is_relative_to(corpora / "notmuch")]
    assert len(notmuch) == len(manifest) == 320
    assert len(files) == 320 + 48
    failures: list[str] = []
    for path in files:
        data = path.read_bytes()
        try:
            envelope, body = parse_envelope(data), parse_body(data)
        except Exception as exc:  # the point of the test: report every file, not just the first
            failures.append(f"{path.relative_to(corpora)}: {exc!r}")
            continue
        assert isinstance(envelope, Envelope) and envelope.message_id
        assert isinstance(body, Body)
    assert failures == []


def header_fields_block(data: bytes) -> bytes:
    """What ``UID FETCH BODY.PEEK[HEADER.FIELDS (HEADER_FIELDS)]`` returns for a message."""
    head = re.split(rb"\r?\n\r?\n", data, maxsplit=1)[0]
    wanted = {name.lower().encode() for name in HEADER_FIELDS}
    fields = re.findall(rb"^[^ \t\r\n][^\n]*\n?(?:[ \t][^\n]*\n?)*", head + b"\n", re.MULTILINE)
    kept = [f for f in fields if f.split(b":", 1)[0].strip().lower() in wanted]
    return b"".join(line if line.endswith(b"\n") else line + b"\n" for line in kept) + b"\r\n"


def test_header_fetch_and_whole_message_give_the_same_envelope(corpora: Path) -> None:
    """Sync parses header-only fetches; a full fetch of the same message must agree with it."""
    for path in mail_files(corpora):
        data = path.read_bytes()
        assert parse_envelope(header_fields_block(data)) == parse_envelope(data), path


def test_notmuch_encoded_subject_and_sender(corpora: Path) -> None:
    data = read(corpora, "notmuch/html/embedded-image")
    envelope = parse_envelope(data)
    assert envelope.subject == "Tack alla trafikanter och fotgängare!"
    assert envelope.sender == Address("malmoborg", "daemon@lublin.se")
    assert envelope.to == (Address("boende.malmoborg", "daemon@lublin.se"),)
    assert envelope.message_id == "boendemalmoborg-1834@eltanin.uberspace.de"
    assert envelope.date == datetime(2016, 7, 19, 11, 54, 24, tzinfo=timezone(timedelta(hours=2)))
    body = parse_body(data)
    assert "Malmö 2016-07-09" in body.text
    assert body.attachments == ()  # the embedded image sits in multipart/related
    assert not body.html_only


def test_notmuch_unlisted_recipients(corpora: Path) -> None:
    """The header the stdlib trips over with policy.default (AttributeError on 'Group')."""
    data = read(corpora, "notmuch/lkml/cur/1382298770.002930_2,")
    with pytest.raises(AttributeError):
        str(email.message_from_bytes(data, policy=email.policy.default)["To"])
    envelope = parse_envelope(data)
    assert envelope.to == ()
    assert envelope.sender == Address(
        "David Howells", "dhowells-H+wXaHxf7aLQT0dZR+AlfA@public.gmane.org"
    )
    assert envelope.message_id == "23204.1277472412@redhat.com"
    assert envelope.references[:2] == ("22746.1277470713@redhat.com", "4C24A4A0.90408@suse.de")
    assert len(envelope.cc) == 6


def test_notmuch_two_cc_headers(corpora: Path) -> None:
    envelope = parse_envelope(read(corpora, "notmuch/broken/broken-cc"))
    assert envelope.cc == (
        Address("Bob", "bob@example.org"),
        Address("Charles", "charles@example.org"),
    )


def test_notmuch_html_attribute_text_is_not_body_text(corpora: Path) -> None:
    body = parse_body(read(corpora, "notmuch/html/attribute-text"))
    assert body == Body("hunter2", (), True)


def test_notmuch_tarball_attachment(corpora: Path) -> None:
    body = parse_body(read(corpora, "notmuch/attachment/x-gtar-compressed.eml"))
    assert body.text.startswith("And obviously I forget the frigging attachment.")
    assert [(a.filename, a.content_type) for a in body.attachments] == [
        ("zendesk-email-loop2.tgz", "application/x-gtar-compressed")
    ]


def test_cpython_attachment_size_matches_the_decoded_payload(corpora: Path) -> None:
    data = read(corpora, "cpython-test-email/msg_07.txt")
    stdlib = email.message_from_bytes(data, policy=email.policy.compat32)
    payloads = [p.get_payload(decode=True) for p in stdlib.walk() if p.get_filename()]
    body = parse_body(data)
    assert body.attachments == (Attachment("dingusfish.gif", "image/gif", len(payloads[0])),)
    assert body.text.startswith("Hi there,")


def test_cpython_rfc2231_boundary_parameter(corpora: Path) -> None:
    """msg_33 declares ``boundary*="ansi-x3.4-1968''EeQfGwPcQSOJBaQU"`` (RFC 2231)."""
    body = parse_body(read(corpora, "cpython-test-email/msg_33.txt"))
    assert body.text == "part 1\n"


def test_cpython_named_inline_text_is_the_body(corpora: Path) -> None:
    """msg_04 has two ``inline; filename="msg.txt"`` text parts: both are shown, in order, and
    both are listed (they have names, so they can be saved)."""
    body = parse_body(read(corpora, "cpython-test-email/msg_04.txt"))
    mirror = "a simple kind of mirror\nto reflect upon our own"
    assert body.text == f"{mirror}\n\n{mirror}\n"
    assert body.attachments == (Attachment("msg.txt", "text/plain", 48),) * 2


def test_cpython_multipart_without_parts_shows_its_text(corpora: Path) -> None:
    """msg_17 says multipart/mixed but has no delimiter lines: the text is still shown."""
    body = parse_body(read(corpora, "cpython-test-email/msg_17.txt"))
    assert body.text.startswith("Hi there,\n\nThis is the dingus fish.")
