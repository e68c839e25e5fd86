"""Drafting replies and forwards (storage.compose): headers, recipients, quoting, encoding."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from supportmail.storage.compose import (
    MAX_REFERENCES,
    DraftError,
    DraftText,
    Original,
    build_message,
    forward_draft,
    forward_subject,
    parse_draft,
    quote,
    references,
    render_draft,
    reply_draft,
    reply_recipients,
    reply_subject,
    written,
)
from supportmail.storage.insight.people import Team
from supportmail.storage.models import Address

TEAM = Team.from_addresses(["support@plotline.example", "dana@gmail.com"])
WHEN = datetime(2026, 11, 2, 9, 5, tzinfo=UTC)


def original(**changes: object) -> Original:
    values: dict[str, object] = {
        "message_id": "m3@kunde.example",
        "references": ("m1@kunde.example", "m2@plotline.example"),
        "in_reply_to": ("m2@plotline.example",),
        "subject": "Re: Export crashes",
        "sender": Address("Jürgen Müller", "jm@kunde.example"),
        "reply_to": (),
        "to": (Address("Support", "support@plotline.example"), Address("Eva", "eva@kunde.example")),
        "cc": (
            Address("Maya", "maya@plotline.example"),  # the team's domain
            Address("Dana", "dana@gmail.com"),  # a listed team address on free mail
            Address("Bob", "bob@gmail.com"),  # a customer on the same free mail
            Address("Eva again", "EVA@kunde.example"),  # a duplicate
        ),
        "date": WHEN,
        "text": "Hallo,\n\nit crashes.\n> earlier\n",
    }
    values.update(changes)
    return Original(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Export crashes", "Re: Export crashes"),
        ("Re: Export crashes", "Re: Export crashes"),
        ("RE: re: Re[2]: AW: SV: Antw: Export", "Re: Export"),
        ("  re :Export", "Re: Export"),
        ("回复：导出", "Re: 导出"),
        ("", "Re:"),
        ("Fwd: Export", "Re: Fwd: Export"),
    ],
)
def test_re_once(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


def test_fwd_once() -> None:
    assert forward_subject("Fwd: FW: Export") == "Fwd: Export"
    assert forward_subject("Re: Export") == "Fwd: Re: Export"


def test_references_chain_the_original_and_keep_the_first() -> None:
    assert references(original()) == ("m1@kunde.example", "m2@plotline.example", "m3@kunde.example")
    # no References: the In-Reply-To stands for the chain
    assert references(original(references=())) == ("m2@plotline.example", "m3@kunde.example")
    long = tuple(f"r{n}@x" for n in range(40))
    chain = references(original(references=long))
    assert len(chain) == MAX_REFERENCES
    assert chain[0] == "r0@x" and chain[-1] == "m3@kunde.example" and chain[-2] == "r39@x"


def test_reply_goes_to_reply_to_else_the_sender() -> None:
    to, cc = reply_recipients(original(), TEAM, reply_all=False)
    assert [a.addr for a in to] == ["jm@kunde.example"] and cc == ()
    form = original(reply_to=(Address("Ticket", "ticket+42@forms.example"),))
    to, _ = reply_recipients(form, TEAM, reply_all=False)
    assert [a.addr for a in to] == ["ticket+42@forms.example"]


def test_reply_all_without_the_team_and_duplicates() -> None:
    to, cc = reply_recipients(original(), TEAM, reply_all=True)
    assert [a.addr for a in to] == ["jm@kunde.example"]
    assert [a.addr for a in cc] == ["eva@kunde.example", "bob@gmail.com"]


def test_answering_our_own_message_goes_to_its_recipients() -> None:
    ours = original(sender=Address("Support", "support@plotline.example"))
    to, _ = reply_recipients(ours, TEAM, reply_all=False)
    assert [a.addr for a in to] == ["eva@kunde.example"]


def test_quote_and_attribution_under_the_signature() -> None:
    assert quote("a\n\n> b\nc\n") == "> a\n>\n>> b\n> c"
    draft = reply_draft(original(), TEAM, reply_all=False, signature="Maya\nPlotline")
    assert draft.body == (
        "\n\n-- \nMaya\nPlotline\n\nOn Mon, 02 Nov 2026 at 09:05, Jürgen Müller wrote:\n"
        "> Hallo,\n>\n> it crashes.\n>> earlier\n"
    )
    no_signature = reply_draft(original(date=None), TEAM, reply_all=False, signature=None)
    assert "-- " not in no_signature.body and "\nJürgen Müller wrote:\n" in no_signature.body


def test_editor_text_round_trips_and_detects_writing() -> None:
    template = reply_draft(original(), TEAM, reply_all=True, signature="Maya")
    text = render_draft(template)
    assert text.startswith(
        "To: Jürgen Müller <jm@kunde.example>\nCc: Eva <eva@kunde.example>, Bob <bob@gmail.com>\n"
        "Subject: Re: Export crashes\n\n"
    )
    parsed = parse_draft(text)
    assert parsed == template
    assert not written(parsed, template)
    answer = parse_draft(text.replace("\n\n", "\n\nFixed in 4.2.\n", 1))
    assert written(answer, template)
    # writing only inside the quote is not an answer either
    assert not written(parse_draft(text + "> more\n"), template)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("To: \nSubject: x\n\nbody", "To: no recipient"),
        ("To: not an address\n\nbody", "is not an e-mail address"),
        ("To: a@b.example\nBcc: c@d.example\n\nbody", "is not To:, Cc: or Subject:"),
        ("To: a@b.example\nCc: <broken\n\nbody", "Cc:"),
    ],
)
def test_bad_header_blocks_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(DraftError, match=problem.replace("(", r"\(")):
        parse_draft(text)


def test_folded_header_lines_continue() -> None:
    draft = parse_draft("To: a@b.example,\n  c@d.example\nSubject: x\n\nhi\n")
    assert [p.addr for p in draft.to] == ["a@b.example", "c@d.example"]


def test_message_headers_and_utf8_encoding() -> None:
    draft = DraftText(
        to=(Address("Jürgen Müller", "jm@kunde.example"),),
        cc=(Address("", "eva@kunde.example"),),
        subject="Re: Ärger mit dem Export",
        body="Grüße, it works now. ✓\n",
    )
    raw = build_message(
        draft,
        sender=Address("", "support@plotline.example"),
        message_id="new1@plotline.example",
        date=WHEN,
        in_reply_to="m3@kunde.example",
        refs=("m1@kunde.example", "m3@kunde.example"),
    )
    assert raw.isascii() and b"\r\n" in raw
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Message-ID"] == "<new1@plotline.example>"
    assert msg["In-Reply-To"] == "<m3@kunde.example>"
    assert msg["References"] == "<m1@kunde.example> <m3@kunde.example>"
    assert msg["Subject"] == "Re: Ärger mit dem Export"
    assert str(msg["To"]) == "Jürgen Müller <jm@kunde.example>"
    assert msg["From"] == "support@plotline.example"
    assert msg["Date"] == "Mon, 02 Nov 2026 09:05:00 +0000"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == "Grüße, it works now. ✓\n"
    assert b"=?utf-8?q?J=C3=BCrgen_M=C3=BCller?=" in raw


def test_forward_quotes_the_customer_words() -> None:
    draft = forward_draft(original(), [Address("Eng", "eng@plotline.example")], signature=None)
    assert draft.subject == "Fwd: Re: Export crashes"
    assert [p.addr for p in draft.to] == ["eng@plotline.example"]
    assert "---------- Forwarded message ----------\nFrom: Jürgen Müller <jm@kunde.example>" in (
        draft.body
    )
    assert draft.body.endswith("Hallo,\n\nit crashes.\n> earlier\n")
