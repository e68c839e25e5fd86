"""``storage.mime`` over the real-world fixture corpus in ``tests/corpus/realworld`` (see its
README): every file shows what ``expectations.json`` writes down, and each class of issue 13
(header repair, mixed, related, embedded messages, reports, display-name comments) is checked
on a named real fixture, differentially against the standard library's ``email`` where it helps.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path

import pytest

from supportmail.storage.mime import parse_body, parse_envelope
from supportmail.storage.sanitize import sanitize_text

ROOT = Path(__file__).resolve().parents[1] / "corpus" / "realworld"
EXPECTED: dict[str, dict[str, object]] = json.loads((ROOT / "expectations.json").read_text())
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


STDLIB_DEVIATIONS = frozenset(
    {
        "mime4j/mimetools-testmsgs/frag.msg",
        "mime4j/mimetools-testmsgs/multi-2gifs-base64.msg",
        "mime4j/testmsgs/multipartemptypart.msg",
        "mime4j/testmsgs/obsolete.msg",
        "php-mime-mail-parser/issue84",
    }
)
"""Where compat32 reads the file differently on purpose of ours (see the corpus README); the
``base64`` files hold base64-encoded forwards that compat32 leaves encoded."""


def _leaves_outside_alternatives(message: email.message.Message) -> list[email.message.Message]:
    out: list[email.message.Message] = []
    stack = [message]
    while stack:
        part = stack.pop()
        if not part.is_multipart():
            out.append(part)
        elif part.get_content_type() != "multipart/alternative":
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in reversed(payload) if isinstance(p, email.message.Message))
    return out


def words(text: str, count: int) -> str:
    return " ".join(text.split()[:count])


def read(name: str) -> bytes:
    return (ROOT / name).read_bytes()


def test_every_fixture_file_has_expectations() -> None:
    files = {
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*")
        if p.is_file() and p.name not in ("LICENSE", "NOTICE", "README.md", "expectations.json")
    }
    assert files == set(EXPECTED)
    assert len(files) >= 120


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_shows_what_is_written_down(name: str) -> None:
    expected = EXPECTED[name]
    raw = read(name)
    envelope = parse_envelope(raw)
    body = parse_body(raw)
    assert envelope.sender.name == expected["from"]
    assert " ".join(envelope.subject.split()) == expected["subject"]
    assert words(body.text, 8) == expected["text_starts"]
    flat = " ".join(body.text.split())
    for snippet in expected["contains"]:  # type: ignore[attr-defined]
        assert snippet in flat
    names = [a.filename for a in body.attachments]
    assert names[:20] == expected["attachments"]
    assert len(names) == expected["attachment_count"]
    assert not CONTROL.search(sanitize_text(body.text))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_inline_plain_part_the_stdlib_finds_is_shown(name: str) -> None:
    """Differential: each non-attachment text/plain leaf compat32 finds outside an alternative
    whose plain twin we show is in the text (bounded forwards and epilogues aside)."""
    raw = read(name)
    if name in STDLIB_DEVIATIONS or "nocrlfcrlf" in name or "base64" in name:
        pytest.skip("a documented deviation (see the corpus README)")
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    flat = " ".join(parse_body(raw).text.split())
    for part in _leaves_outside_alternatives(message):
        if part.get_content_type() != "text/plain":
            continue
        if str(part.get("Content-Disposition", "")).lower().startswith("attachment"):
            continue
        if part.get_filename():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload.decode(charset, "replace")
        except LookupError:
            continue
        first = words(text, 4)
        if first and "=" not in first and "\ufffd" not in first and first.isascii():
            assert first in flat, first


def test_bad_folding_keeps_the_header_block() -> None:
    """issue84 folds Received: lines without whitespace; From, Subject and the body survive."""
    raw = read("php-mime-mail-parser/issue84")
    envelope = parse_envelope(raw)
    assert envelope.sender.name == "Ferenc Kovacs"
    assert envelope.subject.startswith("Re: [PHP-DEV] [RFC] Remove PHP 4 Constructors")
    assert parse_body(raw).text.startswith("On Wed, Nov 19, 2014 at 12:11 AM, Levi Morrison")


def test_line_without_colon_between_headers_is_skipped() -> None:
    raw = read("mime4j/testmsgs/malformedHeader-nocrlfcrlf.msg")
    assert parse_envelope(raw).subject == "this is a subject"
    assert parse_body(raw).text.strip() == "Body text"


def test_leading_utf8_bom_is_no_header_junk() -> None:
    raw = b"\xef\xbb\xbf" + read("php-mime-mail-parser/m0011")
    plain = parse_envelope(read("php-mime-mail-parser/m0011"))
    assert parse_envelope(raw) == plain
    assert plain.sender.name == "Name"
    body = parse_body(raw)
    assert body.text.startswith("Hello World !")
    assert [a.filename for a in body.attachments] == ["file.txt"]


def test_badly_folded_content_type_keeps_the_structure() -> None:
    """A boundary parameter folded onto a line without whitespace still splits the parts."""
    raw = read("php-mime-mail-parser/m0011").replace(b";\r\n boundary", b";\r\nboundary", 1)
    raw = raw.replace(b";\n boundary", b";\nboundary", 1)
    assert parse_body(raw) == parse_body(read("php-mime-mail-parser/m0011"))


def test_mixed_shows_every_inline_text_part_in_order() -> None:
    """issue163: text, an inline image, more text: both texts, in order."""
    text = parse_body(read("php-mime-mail-parser/issue163")).text
    first = text.index("First we have a text block")
    assert text.index("Then we have more text", first) > first


def test_mixed_html_part_is_shown_converted() -> None:
    """issue158a: an HTML part then a forwarded message: the HTML is shown as text."""
    body = parse_body(read("php-mime-mail-parser/issue158a"))
    assert body.text.startswith("An RFC 822 forward with a HTML body")
    assert "<" not in body.text.split("\n")[0]


def test_related_root_is_the_html_not_the_image() -> None:
    body = parse_body(read("php-mime-mail-parser/m0129"))
    assert body.text == "Inline"
    assert body.html_only


def test_forward_as_attachment_is_shown_with_its_headers() -> None:
    text = parse_body(read("php-mime-mail-parser/issue158d")).text
    assert "---------- Forwarded message ----------\nFrom: " in text
    assert "This is the original email" in " ".join(text.split())


def test_base64_forward_is_decoded_and_shown() -> None:
    text = parse_body(read("mime4j/testmsgs/base64encoded-rfc822message.msg")).text
    assert "Text body" in text


def test_digest_shows_each_message_with_its_subject() -> None:
    text = parse_body(read("mime4j/mimetools-testmsgs/multi-digest.msg")).text
    assert text.count("---------- Forwarded message ----------") == 2
    assert "Subject: embedded message 1" in text
    assert "Subject: embedded message 2" in text


def test_bounce_shows_why_it_bounced() -> None:
    """CPython's msg_16: a multipart/report whose delivery-status part says the reason."""
    path = SHARED / "cpython-test-email" / "msg_16.txt"
    if not path.exists():
        pytest.skip("shared corpora not present")
    text = parse_body(path.read_bytes()).text
    assert "Status: 5.0.0 (recipient reached disk quota)" in text
    assert "Action: failed" in text


def test_display_name_comments_are_not_names() -> None:
    """RFC 5322 appendix A.5's examples, and stdlib's own reading of the plain forms."""
    header = (
        b"From: Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>\r\n"
        b"To: A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
        b"         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end)\r\n"
        b"Cc: jdoe@one.test (John Doe)\r\n\r\n"
    )
    envelope = parse_envelope(header)
    assert (envelope.sender.name, envelope.sender.addr) == ("Pete", "pete@silly.test")
    assert [a.name for a in envelope.to] == ["Chris Jones", "", "John"]
    assert [(a.name, a.addr) for a in envelope.cc] == [("John Doe", "jdoe@one.test")]


def test_subjects_match_the_stdlib_where_it_decodes() -> None:
    """Differential over the corpus: equal unfolded subjects, the documented deviations aside."""
    from email.header import decode_header, make_header

    deviations = {"mime4j/mimetools-testmsgs/intl.msg", "mime4j/testmsgs/obsolete.msg"}
    deviations.add("php-mime-mail-parser/issue84")
    for name in sorted(set(EXPECTED) - deviations):
        message = email.message_from_bytes(read(name), policy=email.policy.compat32)
        raw_subject = message.get("Subject")
        if raw_subject is None:
            continue
        try:
            theirs = str(make_header(decode_header(str(raw_subject))))
        except Exception:
            continue
        if "\ufffd" in theirs or not theirs.isprintable():
            continue
        ours = parse_envelope(read(name)).subject
        assert " ".join(ours.split()) == " ".join(theirs.split()), name
