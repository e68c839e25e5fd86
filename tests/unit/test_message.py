"""Unit tests for ``storage.mime``: hostile and broken mail in, plain decoded values out.

Every public function must be total (no exception on any input), so next to the hand-written
cases each function also gets a Hypothesis "never raises" property.
"""

from __future__ import annotations

import base64
import re
import socket
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from supportmail.storage.mime import (
    HEADER_FIELDS,
    MAX_PARTS,
    TEXT_CAP,
    TRUNCATED,
    Body,
    Envelope,
    charsets,
    decode_bytes,
    decode_header_value,
    html_to_text,
    normalize_message_id,
    parse_body,
    parse_envelope,
    parse_message_ids,
)
from supportmail.storage.models import Address, Attachment
from supportmail.storage.sanitize import sanitize_text

SYNTHETIC_ID = re.compile(r"sm-[0-9a-f]{24}@supportmail\.invalid")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def crlf(text: str) -> bytes:
    """A message written with ``\\n`` in the test, sent with CRLF as on the wire (UTF-8)."""
    return text.replace("\n", "\r\n").encode("utf-8")


def mime(headers: str, body: bytes | str) -> bytes:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return crlf(headers.strip("\n") + "\n\n") + raw


# ------------------------------------------------------------------------------------------------
# decode_bytes
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("gb2312", "你好，世界".encode("gb18030"), "你好，世界"),
        ("GBK", "客户支持".encode("gb18030"), "客户支持"),
        ("gb_2312-80", "邮件".encode("gb18030"), "邮件"),
        ("iso-8859-1", b"Gr\xfc\xdfe \x80", "Grüße €"),  # windows-1252 semantics, as browsers
        ("latin1", b"M\xfcller", "Müller"),
        ("us-ascii", b"caf\xe9", "café"),  # 8-bit in "ascii": not UTF-8, so windows-1252
        ("us-ascii", "café".encode(), "café"),  # 8-bit in "ascii": valid UTF-8 wins
        ("windows-1252", b"\x93quoted\x94 \x80", "\u201cquoted\u201d €"),
        ("ks_c_5601-1987", "안녕하세요".encode("cp949"), "안녕하세요"),
        ("shift_jis", "①お問い合わせ".encode("cp932"), "①お問い合わせ"),
        ("x-sjis", "テスト".encode("cp932"), "テスト"),
        ("iso-8859-8-i", "שלום".encode("iso8859_8"), "שלום"),
        ("x-mac-roman", "café".encode("mac_roman"), "café"),
        ("utf8", "Grüße".encode(), "Grüße"),
        ("unicode-1-1-utf-8", "Grüße".encode(), "Grüße"),
        ("big5", "中文".encode("big5hkscs"), "中文"),
        ("koi8-r", "привет".encode("koi8_r"), "привет"),
        ("windows-1251", "привет".encode("cp1251"), "привет"),
        ("iso-8859-15", b"\xa4", "€"),
        ("iso-2022-jp", "日本語".encode("iso2022_jp"), "日本語"),
        ("euc-kr", "한국".encode("cp949"), "한국"),
        ("utf-16", "hi".encode("utf-16-le"), "hi"),
        ("tis-620", "ไทย".encode("cp874"), "ไทย"),
        # Label clean-up: case, quotes, spaces, RFC 2231 language, Python-style spellings.
        (' "UTF-8" ', "ü".encode(), "ü"),
        ("utf-8*en", "ü".encode(), "ü"),
        ("ISO_8859-1", b"\xfc", "ü"),
        ("iso8859_15", b"\xa4", "€"),
        ("iso-8859-1 (Latin-1)", b"\xfc", "ü"),
    ],
)
def test_decode_bytes_whatwg_labels(label: str, data: bytes, expected: str) -> None:
    assert decode_bytes(data, label) == expected


def test_every_label_in_the_table_decodes() -> None:
    for label in charsets._LABELS:
        assert isinstance(decode_bytes(bytes(range(256)), label), str), label
        if not charsets._codec_for(label).startswith(("utf-16", "utf-32", "<")):
            assert decode_bytes(b"Hello, world", label) == "Hello, world", label


@pytest.mark.parametrize("label", [None, "", "x-unknown", "bogus-charset", "utf-99"])
def test_unknown_charset_tries_utf8_then_windows_1252(label: str | None) -> None:
    assert decode_bytes("Grüße".encode(), label) == "Grüße"
    assert decode_bytes(b"Gr\xfc\xdfe \x80", label) == "Grüße €"


@pytest.mark.parametrize("label", ["rot13", "base64", "undefined", "idna", "zlib", "hex"])
def test_python_only_codecs_are_not_charsets(label: str) -> None:
    """Python accepts these names; mail must not reach them (some raise, some transform)."""
    assert decode_bytes(b"caf\xe9", label) == "café"


def test_byte_order_mark_wins_over_the_label() -> None:
    assert decode_bytes(b"\xef\xbb\xbfcaf\xc3\xa9", "iso-8859-1") == "café"
    assert decode_bytes(b"\xff\xfeh\x00i\x00", "utf-8") == "hi"


def test_replacement_and_user_defined_encodings() -> None:
    assert decode_bytes(b"\x1b$A...", "iso-2022-cn") == "\ufffd"
    assert decode_bytes(b"a\x80", "x-user-defined") == "a\uf780"


def test_utf7_lone_surrogates_become_replacement_characters() -> None:
    assert decode_bytes(b"+2D0-", "utf-7") == "\ufffd"


def test_invalid_bytes_are_replaced_not_raised() -> None:
    assert decode_bytes(b"ok \xff\xfe\xfd", "utf-8") == "ok \ufffd\ufffd\ufffd"
    assert decode_bytes(b"", "utf-8") == ""


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.one_of(st.none(), st.text(max_size=20)))
def test_decode_bytes_never_raises(data: bytes, label: str | None) -> None:
    assert isinstance(decode_bytes(data, label), str)


# ------------------------------------------------------------------------------------------------
# decode_header_value
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
        ("=?UTF-8?B?5L2g5aW9?= =?UTF-8?B?5LiW55WM?=", "你好世界"),
        ("=?gb2312?B?xOO6ww==?=", "你好"),
        ("=?iso-8859-1?q?J=F6rg_M=FCller?=", "Jörg Müller"),
        ("=?windows-1252?q?=80_50?=", "€ 50"),
        ("Re: =?utf-8?q?caf=C3=A9?= order", "Re: café order"),
        # Whitespace between adjacent encoded words vanishes; around plain text it stays.
        ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),
        ("=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"),
        ("=?utf-8?q?a?= b =?utf-8?q?c?=", "a b c"),
        # A character split across two words (bytes are joined before decoding).
        ("=?utf-8?q?=E2=82?= =?utf-8?q?=AC?=", "€"),
        ("=?utf-8?b?4oI=?= =?utf-8?b?rA==?=", "€"),
        # Malformed: base64 split mid-group, missing padding, junk, missing "?=".
        ("=?utf-8?b?5L?= =?utf-8?b?2g5aW9?=", "你好"),
        ("=?utf-8?b?SGVsbG8?= =?utf-8?b?V29ybGQ?=", "HelloWorld"),
        ("=?utf-8?B?SGVs bG8=?=", "Hello"),
        ("=?utf-8?B?SGVsbG8", "Hello"),
        ("=?utf-8?B?!!!?=", ""),
        # Malformed: spaces or "?" inside Q text, words glued to text, unknown charsets.
        ("=?utf-8?q?hello world?=", "hello world"),
        ("=?utf-8?q?Really??=", "Really?"),
        ("a=?utf-8?q?b?=c", "abc"),
        ("=?x-unknown?q?caf=C3=A9?=", "café"),
        ("=?x-unknown?q?caf=E9?=", "café"),
        ("=?utf-8*en?q?x?=", "x"),
        ("=?utf-8?x?abc?=", "=?utf-8?x?abc?="),
        ("=?=?=?", "=?=?=?"),
        # CR/LF inside an encoded word decode to CR/LF: sanitising is the sanitiser's job.
        ("=?utf-8?q?a=0D=0Ab?=", "a\r\nb"),
        ("=?utf-8?q?=1B[2J?=", "\x1b[2J"),
        # Folded plain values unfold; Rich markup is just text.
        ("Hello\r\n world", "Hello world"),
        ("[bold red]not markup[/] [@click=quit]", "[bold red]not markup[/] [@click=quit]"),
    ],
)
def test_decode_header_value(value: str, expected: str) -> None:
    assert decode_header_value(value) == expected


def test_decode_header_value_raw_8bit_bytes() -> None:
    assert decode_header_value("Grüße".encode()) == "Grüße"
    assert decode_header_value(b"Gr\xfc\xdfe") == "Grüße"
    assert decode_header_value(b"=?utf-8?q?a?= \xc3\xbc") == "a ü"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=10),
            st.sampled_from(["=?", "?=", "?q?", "?b?", "utf-8", "=C3", "=?utf-8?b?", "\r\n "]),
        ),
        max_size=12,
    ).map("".join)
)
def test_decode_header_value_never_raises(value: str) -> None:
    assert isinstance(decode_header_value(value), str)
    assert isinstance(decode_header_value(value.encode("utf-8", "surrogatepass")), str)


# ------------------------------------------------------------------------------------------------
# Message ids
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@b>", "a@b"),
        ("  <CAF3x9=abc+def@mail.gmail.com>  ", "CAF3x9=abc+def@mail.gmail.com"),
        ("<a@b> (added by postmaster)", "a@b"),
        ("<a\r\n @b>", "a@b"),
        ("<<a@b>>", "a@b"),
        ("<>  <real@id>", "real@id"),
        ("bare@example.com", "bare@example.com"),
        ("12345", ""),
        ("", ""),
        ("   ", ""),
        ("<>", ""),
        ("no id here at all", ""),
        ("<a\x1b@b>", ""),
        ("<" + "x" * 2000 + "@b>", ""),
    ],
)
def test_normalize_message_id(value: str, expected: str) -> None:
    assert normalize_message_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@b> <c@d>", ("a@b", "c@d")),
        ("<a@b>,<c@d>\r\n\t<e@f>", ("a@b", "c@d", "e@f")),
        ('junk <a@b> (Jane\'s message of "Mon, 1 Jan") more <c@d>', ("a@b", "c@d")),
        ("<a@b> <yes> <> <c@d>", ("a@b", "yes", "c@d")),
        ("<a@b> <a@b>", ("a@b", "a@b")),
        ("a@b c@d", ("a@b", "c@d")),
        ("Your message of Monday", ()),
        ("", ()),
    ],
)
def test_parse_message_ids(value: str, expected: tuple[str, ...]) -> None:
    assert parse_message_ids(value) == expected


@given(st.text(max_size=80))
@example("0>@")
def test_message_id_functions_never_raise(value: str) -> None:
    assert isinstance(normalize_message_id(value), str)
    ids = parse_message_ids(value)
    assert all(ident and not re.search(r"\s|[<>]", ident) for ident in ids)


# ------------------------------------------------------------------------------------------------
# parse_envelope
# ------------------------------------------------------------------------------------------------

TYPICAL = crlf(
    """Message-ID: <CAF3x9=abc.def@mail.gmail.com>
In-Reply-To: <t-2@support.example.com>
References: <t-1@support.example.com>
 <t-2@support.example.com>
Subject: Re: [Ticket #48213] Cannot log in
From: Jane Customer <jane@example.org>
To: Support <support@example.com>, ops@example.com
Cc: "Doe, John" <john@example.org>
Reply-To: jane.private@example.org
Date: Mon, 20 Nov 2023 10:15:00 +0100
Content-Type: text/plain; charset=utf-8

"""
)


def test_parse_envelope_typical_headers() -> None:
    env = parse_envelope(TYPICAL)
    assert env == Envelope(
        message_id="CAF3x9=abc.def@mail.gmail.com",
        in_reply_to=("t-2@support.example.com",),
        references=("t-1@support.example.com", "t-2@support.example.com"),
        subject="Re: [Ticket #48213] Cannot log in",
        sender=Address("Jane Customer", "jane@example.org"),
        to=(Address("Support", "support@example.com"), Address("", "ops@example.com")),
        cc=(Address("Doe, John", "john@example.org"),),
        reply_to=(Address("", "jane.private@example.org"),),
        date=datetime(2023, 11, 20, 10, 15, tzinfo=timezone(timedelta(hours=1))),
    )


def test_header_fields_are_what_sync_fetches() -> None:
    assert HEADER_FIELDS == (
        "Message-ID",
        "In-Reply-To",
        "References",
        "Subject",
        "From",
        "To",
        "Cc",
        "Date",
        "Content-Type",
        "Reply-To",
    )


def test_rfc2047_in_every_header() -> None:
    env = parse_envelope(
        crlf(
            """Message-ID: <x@y>
Subject: =?utf-8?q?R=C3=BCckerstattung?= =?gb2312?B?xOO6ww==?=
From: =?iso-8859-1?q?J=F6rg_M=FCller?= <joerg@example.de>
To: =?utf-8?b?5byg5Lyf?= <zhang@example.cn>, "=?utf-8?q?Doe=2C_J=C3=B6rg?=" <d@x>
Cc: =?windows-1252?q?Ren=E9e?= <renee@example.fr>
Reply-To: =?koi8-r?b?8NLJ18XU?= <privet@example.ru>

"""
        )
    )
    assert env.subject == "Rückerstattung你好"
    assert env.sender == Address("Jörg Müller", "joerg@example.de")
    assert env.to == (Address("张伟", "zhang@example.cn"), Address("Doe, Jörg", "d@x"))
    assert env.cc == (Address("Renée", "renee@example.fr"),)
    assert env.reply_to == (Address("Привет", "privet@example.ru"),)


def test_encoded_display_name_with_a_comma_stays_one_address() -> None:
    env = parse_envelope(b"From: =?utf-8?q?Doe=2C_John?= <john@x.org>\r\n\r\n")
    assert env.sender == Address("Doe, John", "john@x.org")


def test_missing_message_id_is_synthesised_and_stable() -> None:
    headers = b"Subject: Help\r\nFrom: a@b.c\r\nDate: Mon, 20 Nov 2023 10:15:00 +0100\r\n\r\n"
    first = parse_envelope(headers).message_id
    assert SYNTHETIC_ID.fullmatch(first)
    assert parse_envelope(headers).message_id == first
    # The same fields refolded, reordered, with LF endings, extra headers and a body: same id.
    whole = (
        b"Received: from mx by mx\r\nDate: Mon, 20 Nov 2023\r\n  10:15:00 +0100\r\n"
        b"From: a@b.c\r\nX-Mailer: x\r\nSubject:   Help\r\n\r\nbody text\r\n"
    )
    assert parse_envelope(whole).message_id == first
    assert parse_envelope(headers.replace(b"\r\n", b"\n")).message_id == first
    # A different subject is a different message.
    assert parse_envelope(headers.replace(b"Help", b"Help!")).message_id != first


@pytest.mark.parametrize("value", [b"", b"   ", b"<>", b"not an id", b"(comment only)"])
def test_blank_or_garbage_message_id_is_synthesised(value: bytes) -> None:
    env = parse_envelope(b"Message-ID: " + value + b"\r\nSubject: x\r\n\r\n")
    assert SYNTHETIC_ID.fullmatch(env.message_id)
    assert env.message_id == parse_envelope(b"Subject: x\r\n\r\n").message_id


def test_references_in_order_deduplicated_without_own_id_and_junk() -> None:
    env = parse_envelope(
        b"Message-ID: <me@x>\r\n"
        b"References: <r1@x> junk text <r2@x>,<r1@x>\r\n\t<me@x> (comment) <r3@x>\r\n"
        b'In-Reply-To: <r3@x> (Jane\'s message of "Mon, 20 Nov") <me@x>\r\n\r\n'
    )
    assert env.references == ("r1@x", "r2@x", "r3@x")
    assert env.in_reply_to == ("r3@x",)


def test_unlisted_recipients_group_yields_no_address() -> None:
    """The stdlib raises AttributeError reading this real sendmail header with policy.default."""
    env = parse_envelope(
        b"To: unlisted-recipients:; (no To-header on input)\r\nCc: undisclosed-recipients:;\r\n\r\n"
    )
    assert env.to == ()
    assert env.cc == ()


def test_group_members_are_kept() -> None:
    env = parse_envelope(b"To: Team: a@x.org, B <b@y.org>;, c@z.org\r\n\r\n")
    assert env.to == (Address("", "a@x.org"), Address("B", "b@y.org"), Address("", "c@z.org"))


def test_repeated_address_headers_are_merged() -> None:
    env = parse_envelope(b"Cc: Bob <bob@x.org>\r\nSubject: s\r\ncc: Charles <c@x.org>\r\n\r\n")
    assert env.cc == (Address("Bob", "bob@x.org"), Address("Charles", "c@x.org"))


def test_odd_addresses() -> None:
    env = parse_envelope(
        b"From: jane@example.org (Jane Doe)\r\n"
        b'To: "unterminated <a@b>, , <>, MAILER-DAEMON\r\n'
        b'Cc: "Quote \\"this\\"" <q@x.org>\r\n\r\n'
    )
    assert env.sender == Address("Jane Doe", "jane@example.org")
    assert all(isinstance(a, Address) for a in env.to)
    assert env.cc == (Address('Quote "this"', "q@x.org"),)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"Bob [Support] <bob@x.org>", (Address("Bob [Support]", "bob@x.org"),)),
        (
            b'"Doe, Jane" [ACME] <jane@x.org>, Al [Sales] <al@y.org>, c@z.org',
            (
                Address("Doe, Jane [ACME]", "jane@x.org"),
                Address("Al [Sales]", "al@y.org"),
                Address("", "c@z.org"),
            ),
        ),
        (b"[bold]Eve[/] <eve@x.org>", (Address("[bold]Eve[/]", "eve@x.org"),)),
        (b"\x1b[31mEve\x1b[0m <eve@x.org>", (Address("\x1b[31mEve\x1b[0m", "eve@x.org"),)),
        (b"Bob <bob@[192.0.2.1]>", (Address("Bob", "bob@[192.0.2.1]"),)),
    ],
)
def test_a_display_name_with_unquoted_brackets_keeps_its_address(
    header: bytes, expected: tuple[Address, ...]
) -> None:
    """Clients write ``Name [Company] <addr>`` unquoted; the stdlib reads the brackets as
    domain literals and gave ``Bob``, ``Support`` and the address as three "addresses"."""
    assert parse_envelope(b"From: " + header + b"\r\nTo: " + header + b"\r\n\r\n").to == expected
    assert parse_envelope(b"From: " + header + b"\r\n\r\n").sender == expected[0]


def test_a_forwarded_sender_with_brackets_keeps_its_address() -> None:
    inner = b"From: Bob [Support] <bob@x.org>\r\nSubject: s\r\n\r\nhello\r\n"
    body = parse_body(b"Content-Type: message/rfc822\r\n\r\n" + inner)
    assert "From: Bob [Support] <bob@x.org>" in body.text


def test_no_from_gives_an_empty_sender() -> None:
    assert parse_envelope(b"Subject: x\r\n\r\n").sender == Address("", "")


def test_raw_8bit_headers() -> None:
    utf8 = parse_envelope("Subject: Grüße\r\nFrom: Jörg <j@x.de>\r\n\r\n".encode())
    assert (utf8.subject, utf8.sender.name) == ("Grüße", "Jörg")
    latin = parse_envelope(b"Subject: Gr\xfc\xdfe aus K\xf6ln\r\n\r\n")
    assert latin.subject == "Grüße aus Köln"
    # Not UTF-8: the message's own charset is the best guess for raw 8-bit header bytes.
    koi8 = parse_envelope(
        b"Subject: " + "привет".encode("koi8_r") + b"\r\nContent-Type: text/plain; charset=koi8-r"
        b"\r\n\r\n"
    )
    assert koi8.subject == "привет"


def test_subject_is_unfolded_and_not_sanitised() -> None:
    env = parse_envelope(
        b"Subject: a very\r\n long subject\r\n\twith folds =?utf-8?q?and_=1B[2J?=\r\n\r\n"
    )
    assert env.subject == "a very long subject with folds and \x1b[2J"


def test_rich_markup_in_subject_is_kept_verbatim() -> None:
    env = parse_envelope(b"Subject: [bold]Urgent[/bold] [/] [@click=app.quit]\r\n\r\n")
    assert env.subject == "[bold]Urgent[/bold] [/] [@click=app.quit]"


def test_mbox_from_line_and_junk_lines_are_skipped() -> None:
    env = parse_envelope(
        b"From jane@example.org Mon Nov 20 10:15:00 2023\r\nSubject: hi\r\n"
        b"this line is junk\r\n continuation of junk\r\nFrom: a@b.c\r\n\r\n"
    )
    assert env.subject == "hi"
    assert env.sender == Address("", "a@b.c")


def test_headers_stop_at_the_blank_line() -> None:
    env = parse_envelope(b"Subject: real\r\n\r\nSubject: in the body\r\nFrom: body@x\r\n")
    assert env.subject == "real"
    assert env.sender == Address("", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 20 Nov 2023 10:15:00 +0100", datetime(2023, 11, 20, 9, 15, tzinfo=UTC)),
        ("20 Nov 2023 10:15 -0500", datetime(2023, 11, 20, 15, 15, tzinfo=UTC)),
        ("Mon, 20 Nov 2023 10:15:00 +0100 (CET)", datetime(2023, 11, 20, 9, 15, tzinfo=UTC)),
        ("Mon, 20 Nov 2023 10:15:00 -0000", datetime(2023, 11, 20, 10, 15, tzinfo=UTC)),
        ("Mon, 20 Nov 2023 10:15:00 GMT", datetime(2023, 11, 20, 10, 15, tzinfo=UTC)),
        ("Mon, 20 Nov 2023 10:15:00", datetime(2023, 11, 20, 10, 15, tzinfo=UTC)),
        ("2023-11-20T10:15:00+01:00", datetime(2023, 11, 20, 9, 15, tzinfo=UTC)),
        ("sent on 20.11.2023 at 10:15", datetime(2023, 11, 20, 10, 15, tzinfo=UTC)),
    ],
)
def test_dates(value: str, expected: datetime) -> None:
    date = parse_envelope(f"Date: {value}\r\n\r\n".encode()).date
    assert date == expected
    assert date is not None and date.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "Thu Jan 01 00:00:10 +0000",  # no year at all
        "Mon, 20 Nov 1901 10:15:00 +0100",
        "Mon, 20 Nov 2999 10:15:00 +0100",
        "Mon, 32 Foo 2023 99:99:99 +9999",
        "Mon, 20 Nov 2023 10:15:00 +2500",
        "9" * 5000,
    ],
)
def test_bad_dates_are_none(value: str) -> None:
    assert parse_envelope(f"Date: {value}\r\n\r\n".encode()).date is None


def test_empty_and_headerless_input() -> None:
    for data in (b"", b"\r\n\r\nbody", b"just some text without headers"):
        env = parse_envelope(data)
        assert SYNTHETIC_ID.fullmatch(env.message_id)
        assert (env.subject, env.to, env.date) == ("", (), None)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=20),
            st.sampled_from(
                [f"{name}: ".encode() for name in HEADER_FIELDS]
                + [b"\r\n", b"\r\n ", b"<", b">", b"=?utf-8?q?", b"?=", b":;", b'"', b"\xff"]
            ),
        ),
        max_size=30,
    ).map(b"".join)
)
def test_parse_envelope_never_raises(data: bytes) -> None:
    env = parse_envelope(data)
    assert isinstance(env, Envelope)
    assert env.message_id and env.message_id not in env.references


# ------------------------------------------------------------------------------------------------
# parse_body
# ------------------------------------------------------------------------------------------------


def test_plain_text_body() -> None:
    body = parse_body(mime("Subject: x", "Hello,\nthanks!\n"))
    assert body == Body(text="Hello,\nthanks!\n", attachments=(), html_only=False)


def test_body_text_keeps_control_characters_and_markup() -> None:
    body = parse_body(mime("Subject: x", "\x1b[2J\x1b]52;c;aGk=\x07 [bold]x[/bold] [/]"))
    assert body.text == "\x1b[2J\x1b]52;c;aGk=\x07 [bold]x[/bold] [/]"


@pytest.mark.parametrize(
    ("charset", "payload", "expected"),
    [
        ("iso-8859-1", b"Gr=FC=DFe aus K=F6ln", "Grüße aus Köln"),
        ("windows-1252", b"Preis: 50 =80 =93inkl.=94", "Preis: 50 € \u201cinkl.\u201d"),
        ("gb2312", "您好，我的订单在哪里？".encode("gb18030"), "您好，我的订单在哪里？"),
    ],
)
def test_charsets_in_bodies(charset: str, payload: bytes, expected: str) -> None:
    cte = "quoted-printable" if b"=" in payload else "8bit"
    raw = mime(
        f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: {cte}", payload
    )
    assert parse_body(raw).text == expected


def test_base64_body_and_broken_base64() -> None:
    good = base64.encodebytes("Grüße aus Köln".encode()).decode()
    headers = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64"
    assert parse_body(mime(headers, good)).text == "Grüße aus Köln"
    broken = "R3L DvMOf!!\nZSBh*dXMgS8O2bG4"  # junk characters, no padding, a missing char
    assert parse_body(mime(headers, broken)).text.startswith("Grüße aus K")


def test_broken_quoted_printable() -> None:
    headers = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"
    assert (
        parse_body(mime(headers, "a=ZZb=C3=BC=\nc =")).text == "a=ZZbüc "
    )  # "=" at the end: soft break


def test_crlf_becomes_lf() -> None:
    assert (
        parse_body(b"Subject: x\r\n\r\nline 1\r\nline 2\rline 3").text == "line 1\nline 2\nline 3"
    )


ALTERNATIVE = """Content-Type: multipart/alternative; boundary="alt"

preamble
--alt
Content-Type: text/plain; charset=utf-8

{plain}
--alt
Content-Type: text/html; charset=utf-8

<p>HTML <b>version</b></p>
--alt--
epilogue
"""


def test_alternative_prefers_plain() -> None:
    raw = crlf(ALTERNATIVE.format(plain="Plain version"))
    assert parse_body(raw) == Body("Plain version", (), False)


def test_alternative_with_blank_plain_uses_html() -> None:
    body = parse_body(crlf(ALTERNATIVE.format(plain="  ")))
    assert body == Body("HTML version", (), True)


def test_html_only_message() -> None:
    raw = mime("Content-Type: text/html", "<html><body><p>Hi&nbsp;there</p></body></html>")
    assert parse_body(raw) == Body("Hi there", (), True)


def test_html_charset_from_meta_tag() -> None:
    html = '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>K\xf6ln'
    raw = crlf("Content-Type: text/html\n\n") + html.encode("latin-1")
    assert parse_body(raw).text == "Köln"


PDF = b"%PDF-1.4 " + bytes(range(256)) * 40


def mixed(*parts: str, boundary: str = "mix") -> bytes:
    text = f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
    for part in parts:
        text += f"--{boundary}\n{part}\n"
    return crlf(text + f"--{boundary}--\n")


def attachment_part(headers: str, data: bytes = PDF) -> str:
    return headers + "\nContent-Transfer-Encoding: base64\n\n" + base64.encodebytes(data).decode()


def test_mixed_with_attachment() -> None:
    body = parse_body(
        mixed(
            "Content-Type: text/plain\n\nSee attached.",
            attachment_part(
                'Content-Type: application/pdf; name="invoice.pdf"\n'
                'Content-Disposition: attachment; filename="invoice.pdf"'
            ),
        )
    )
    assert body.text == "See attached."
    assert body.attachments == (Attachment("invoice.pdf", "application/pdf", len(PDF)),)


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        (
            "attachment; filename*=utf-8''%E2%82%AC%20rates%20%E6%8A%A5%E4%BB%B7.pdf",
            "€ rates 报价.pdf",
        ),
        (
            "attachment;\n filename*0*=iso-8859-1'de'Gr%FC%DFe%20;\n filename*1=\"aus K\";"
            "\n filename*2*=%F6ln.pdf",
            "Grüße aus Köln.pdf",
        ),
        (
            'attachment; filename="=?utf-8?b?UmVjaG51bmcgTsO8cm5iZXJnLnBkZg==?="',
            "Rechnung Nürnberg.pdf",
        ),
        ('attachment; filename="C:\\\\Users\\\\jane\\\\report.pdf"', "report.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("attachment; filename*=x-unknown''caf%C3%A9.pdf; filename=fallback.pdf", "café.pdf"),
        ("attachment", ""),
    ],
)
def test_attachment_file_names(disposition: str, expected: str) -> None:
    body = parse_body(
        mixed(
            "Content-Type: text/plain\n\nx", attachment_part(f"Content-Disposition: {disposition}")
        )
    )
    assert [a.filename for a in body.attachments] == [expected]


def test_raw_utf8_file_name_and_name_parameter() -> None:
    raw = mixed(
        "Content-Type: text/plain\n\nx",
        attachment_part('Content-Type: image/png; name="Bildschirmfoto größer.png"', b"\x89PNG"),
    )
    assert parse_body(raw).attachments == (Attachment("Bildschirmfoto größer.png", "image/png", 4),)


def test_inline_related_images_are_not_listed_but_photos_are() -> None:
    related = (
        'Content-Type: multipart/related; boundary="rel"\n\n'
        "--rel\nContent-Type: text/html\n\n<p>Logo <img src=cid:logo alt=Logo></p>\n"
        "--rel\n"
        + attachment_part(
            'Content-Type: image/png; name="logo.png"\nContent-ID: <logo>\n'
            "Content-Disposition: inline",
            b"png",
        )
        + "\n--rel--"
    )
    photo = attachment_part(
        "Content-Type: image/jpeg\nContent-Disposition: inline; filename=IMG_0001.jpg", b"jpeg"
    )
    body = parse_body(mixed(related, photo))
    assert body == Body("Logo [image: Logo]", (Attachment("IMG_0001.jpg", "image/jpeg", 4),), True)


def test_forwarded_message_is_listed_by_its_subject_and_its_text_is_read() -> None:
    body = parse_body(
        mixed(
            "Content-Type: text/plain\n\nForwarding the complaint.",
            "Content-Type: message/rfc822\n\nSubject: =?utf-8?q?Beschwerde_=C3=BCber?= Lieferung\n"
            "From: a@b\n\nOriginal text.",
        )
    )
    assert body.text == (
        "Forwarding the complaint.\n\n---------- Forwarded message ----------\n"
        "From: a@b\nSubject: Beschwerde über Lieferung\n\nOriginal text.\n"
    )
    assert [(a.filename, a.content_type) for a in body.attachments] == [
        ("Beschwerde über Lieferung", "message/rfc822")
    ]


def test_signed_message_hides_the_signature() -> None:
    raw = crlf(
        'Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary="s"\n\n'
        "--s\nContent-Type: text/plain\n\nSigned text.\n"
        "--s\nContent-Type: application/pgp-signature; name=signature.asc\n\n-----BEGIN PGP\n"
        "--s--\n"
    )
    assert parse_body(raw) == Body("Signed text.", (), False)


def test_rfc2231_boundary_and_guessed_boundaries() -> None:
    declared = crlf(
        "Content-Type: multipart/mixed; boundary*=us-ascii''b%31\n\n--b1\n\nfirst\n--b1--\n"
    )
    assert parse_body(declared).text == "first"
    missing = crlf("Content-Type: multipart/mixed\n\n--guess\n\nfound it\n--guess--\n")
    assert parse_body(missing).text == "found it"
    wrong = crlf('Content-Type: multipart/mixed; boundary="nope"\n\n--real\n\ntext\n--real--\n')
    assert parse_body(wrong).text == "text"


def test_unclosed_multipart_and_prefix_boundaries() -> None:
    raw = crlf(
        'Content-Type: multipart/mixed; boundary="b"\n\n'
        "--b\n"
        'Content-Type: multipart/alternative; boundary="b-inner"\n\n'
        "--b-inner\nContent-Type: text/plain\n\ninner plain\n--b-inner--\n"
        "--b\nContent-Type: application/zip; name=a.zip\n\nPK"  # no closing delimiter
    )
    body = parse_body(raw)
    assert body.text == "inner plain"
    assert body.attachments == (Attachment("a.zip", "application/zip", 2),)


def test_format_flowed_is_joined() -> None:
    raw = mime(
        "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=no",
        "This is a long \nparagraph that \nflows.\n> quoted soft \n> break\n-- \nsig",
    )
    assert (
        parse_body(raw).text
        == "This is a long paragraph that flows.\n> quoted soft break\n-- \nsig"
    )


def test_uuencoded_part() -> None:
    import binascii

    data = b"uuencoded attachment data"
    uu = b"begin 644 a.bin\n" + binascii.b2a_uu(data) + b"`\nend\n"
    raw = mixed(
        "Content-Type: text/plain\n\nx",
        "Content-Type: application/octet-stream; name=a.bin\n"
        "Content-Transfer-Encoding: x-uuencode\n\n" + uu.decode(),
    )
    assert parse_body(raw).attachments == (
        Attachment("a.bin", "application/octet-stream", len(data)),
    )


def nested(levels: int, leaf: str = "Content-Type: text/plain\n\ndeep text") -> bytes:
    text = leaf
    for level in range(levels):
        text = (
            f'Content-Type: multipart/mixed; boundary="b{level}"\n\n'
            f"--b{level}\n{text}\n--b{level}--"
        )
    return crlf(text)


def test_deep_nesting_is_bounded() -> None:
    assert parse_body(nested(50)).text == "deep text"
    deep = parse_body(nested(1000))  # deeper than MAX_DEPTH: not descended, never a crash
    assert isinstance(deep, Body)
    assert deep.attachments == ()
    # What lies past the cap is shown as raw text (boundaries and all), not dropped: the
    # customer's words are still there to read.
    assert "deep text" in parse_body(nested(120)).text


def test_many_parts_are_capped() -> None:
    parts = [f"Content-Type: image/png; name=p{i}.png\n\nx" for i in range(5000)]
    body = parse_body(mixed("Content-Type: text/plain\n\nhi", *parts))
    assert body.text == "hi"
    assert 0 < len(body.attachments) <= MAX_PARTS


def test_five_megabyte_single_line_is_truncated() -> None:
    body = parse_body(mime("Content-Type: text/plain", "x" * 5_000_000))
    assert body.text.endswith(TRUNCATED)
    assert len(body.text) == TEXT_CAP + len(TRUNCATED)


def test_twenty_megabyte_attachment_size_without_trouble() -> None:
    data = bytes(range(256)) * (20 * 1024 * 1024 // 256) + b"tail"
    raw = mixed(
        "Content-Type: text/plain\n\nthe video",
        attachment_part("Content-Type: video/mp4; name=clip.mp4", data),
    )
    body = parse_body(raw)
    assert body.text == "the video"
    assert body.attachments == (Attachment("clip.mp4", "video/mp4", len(data)),)


def test_text_part_larger_than_the_decode_cap_is_marked() -> None:
    raw = mime("Content-Type: text/plain\nContent-Transfer-Encoding: 8bit", "a\n" * 4_100_000)
    assert parse_body(raw).text.endswith(TRUNCATED)


def test_header_only_and_empty_input() -> None:
    assert parse_body(b"") == Body("", (), False)
    assert parse_body(b"Subject: x\r\n\r\n") == Body("", (), False)
    assert parse_body(b"From jane Mon Nov 20 2023\r\nSubject: x\r\n\r\nmbox body") == Body(
        "mbox body", (), False
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=30),
            st.sampled_from(
                [
                    b"Content-Type: multipart/mixed; boundary=b\r\n",
                    b'Content-Type: multipart/alternative; boundary="b"\r\n',
                    b"Content-Type: text/html; charset=gb2312\r\n",
                    b"Content-Type: message/rfc822\r\n",
                    b"Content-Transfer-Encoding: base64\r\n",
                    b"Content-Transfer-Encoding: quoted-printable\r\n",
                    b"Content-Disposition: attachment; filename*0*=utf-8''%E2; filename*1=x\r\n",
                    b"\r\n",
                    b"--b\r\n",
                    b"--b--\r\n",
                    b"<p>",
                    b"<a href='x'>",
                    b"=C3",
                ]
            ),
        ),
        max_size=40,
    ).map(b"".join)
)
def test_parse_body_never_raises(data: bytes) -> None:
    body = parse_body(data)
    assert isinstance(body, Body)
    assert len(body.text) <= TEXT_CAP + len(TRUNCATED)


# ------------------------------------------------------------------------------------------------
# html_to_text
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            "<html><head><title>Title</title><style>p {color: red}</style>"
            "<script>alert(1)</script></head><body><p>Hello</p></body></html>",
            "Hello",
        ),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>a</div><div>b</div>c<br>d<br><br>e", "a\nb\nc\nd\n\ne"),
        ("<h1>Title</h1>text", "Title\n\ntext"),
        ("<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>", "- one\n- two\n  - nested"),
        ("<ol><li>first<li>second</ol>", "- first\n- second"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        (
            "<a href='https://x.example/a?b=1&amp;c=2'>the docs</a>",
            "the docs (https://x.example/a?b=1&c=2)",
        ),
        ("<a href='https://x.example/'>https://x.example</a>", "https://x.example"),
        ("<a href='https://x.example'>x.example</a>", "x.example"),
        ("<a href='mailto:help@x.example'>help@x.example</a>", "help@x.example"),
        ("<a href='mailto:help@x.example'>Write us</a>", "Write us (help@x.example)"),
        ("<a href='#top'>Top</a> <a href='javascript:evil()'>Click</a>", "Top Click"),
        ("<a href='?a=1&copy=2'>q</a>", "q (?a=1&copy=2)"),
        (
            "a &amp; b &lt;c&gt; &eacute; &#233; &#xE9; &copy2023 &bogus; &",
            "a & b <c> é é é ©2023 &bogus; &",
        ),
        ("<img src='https://t.example/p.gif' width='1' height='1' alt='pixel'>Text", "Text"),
        ("<img src='x.png' alt='Company logo'> <img src='y.png'>", "[image: Company logo]"),
        (
            "<a href='https://x.example'><img alt='Reset password'></a>",
            "[image: Reset password] (https://x.example)",
        ),
        ("  lots   of\n\n  white\tspace &nbsp; here  ", "lots of white space here"),
        (
            "<p>Hi</p><blockquote><p>quoted</p>more</blockquote>after",
            "Hi\n\n> quoted\n>\n> more\n\nafter",
        ),
        ("<pre>  keep\n    this</pre>", "  keep\n    this"),
        ("[bold]not markup[/bold] [/] [@click=quit]", "[bold]not markup[/bold] [/] [@click=quit]"),
        ("<!-- comment --><!--[if mso]>outlook<![endif]-->shown", "shown"),
        ('<input value="a>swordfish"> hunter2', "hunter2"),
        ("<p title='1 > 0'>attr</p>", "attr"),
        ("<div>zero\u200bwidth\ufeff</div>", "zerowidth"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_html_control_character_references() -> None:
    """``&#27;`` is ESC and stays for the sanitiser; ``&#x9b;`` reads as "›" (HTML standard)."""
    text = html_to_text("<p>&#27;[2J&#x1b;]52;c;aGk=&#7; &#x9b;31m &#0; &#xD800;</p>")
    assert text == "\x1b[2J\x1b]52;c;aGk=\x07 \u203a31m \ufffd \ufffd"
    assert CONTROL.search(sanitize_text(text)) is None
    assert CONTROL.search(sanitize_text(html_to_text("&#128;&#129;&#155;&#x85;&#127;"))) is None


@pytest.mark.parametrize(
    "html",
    [
        "<!--" * 20_000,
        "<a " * 50_000,
        '<a href="' + "x" * 200_000,
        "<script>" + "x" * 100_000,
        "<" * 100_000,
        "&#" + "9" * 10_000 + ";",
        "&#x" + "f" * 10_000 + ";",
        "<div>" * 50_000,
        "<table><tr><td>" * 10_000,
    ],
    ids=lambda html: f"{html[:12]!r}x{len(html)}",
)
def test_hostile_html_terminates(html: str) -> None:
    assert isinstance(html_to_text(html), str)


def test_html_never_fetches_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("html_to_text opened a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    html = (
        '<img src="https://tracker.example/p.gif"><link rel=stylesheet href="https://x/s.css">'
        '<iframe src="https://x/f"></iframe><p style="background:url(https://x/b.png)">ok</p>'
    )
    assert html_to_text(html) == "ok"


def test_html_output_is_capped() -> None:
    text = html_to_text("<p>" + "word " * 600_000 + "</p>")
    assert text.endswith(TRUNCATED)
    assert len(text) <= TEXT_CAP + len(TRUNCATED)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=10),
            st.sampled_from(
                ["<p>", "</p>", "<a href='u'>", "</a>", "<li>", "<ul>", "</ul>", "<br>",
                 "<blockquote>", "</blockquote>", "<pre>", "</pre>", "<!--", "-->", "<script>",
                 "</script>", "&amp;", "&#", "&#x9b;", "<img alt='a'>", "<head>", "<body>"]
            ),
        ),
        max_size=30,
    ).map("".join)
)  # fmt: skip
def test_html_to_text_never_raises(html: str) -> None:
    assert isinstance(html_to_text(html), str)


def test_a_forwarded_message_marked_attachment_is_read_and_listed() -> None:
    """Issue 13: a forward is read inline with its own headers even when its disposition is
    ``attachment`` (Outlook's and Gmail's "forward as attachment"); it stays listed to save."""
    body = parse_body(
        mixed(
            "Content-Type: text/plain\n\nSee the attached mail.",
            "Content-Type: message/rfc822\nContent-Disposition: attachment\n\n"
            "Subject: Old thread\n\nIn the body now.",
        )
    )
    assert body.text == (
        "See the attached mail.\n\n---------- Forwarded message ----------\n"
        "Subject: Old thread\n\nIn the body now.\n"
    )
    assert [a.filename for a in body.attachments] == ["Old thread"]


def test_forwarded_messages_nest_only_so_deep() -> None:
    inner = "Subject: level 0\n\nDeepest words."
    for level in range(1, 6):
        inner = f"Subject: level {level}\nContent-Type: message/rfc822\n\n{inner}"
    body = parse_body(crlf("Content-Type: message/rfc822\n\n" + inner))
    assert "level 4" in body.text and "Deepest words." not in body.text
