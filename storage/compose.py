"""Drafting replies and forwards: who gets it, the subject, the quote, the editor's text, and the
final RFC 5322 message. Pure functions (no I/O), so every header rule is unit-tested.

Headers
    ``Re:`` once (any run of ``Re:``/``RE:``/``AW:``/``SV:``/``Antw:``/``Re[2]:``/``回复:``
    prefixes becomes one ``Re: ``), ``Fwd:`` once for forwards. ``In-Reply-To`` is the answered
    message's id; ``References`` is its References (its In-Reply-To when it has none) plus its
    id, the first one and the newest :data:`MAX_REFERENCES` kept. ``Message-ID`` is new, at the
    domain of the account's address; ``Date`` is now with the local offset. Names and subjects
    outside ASCII are RFC 2047 encoded and bodies are quoted-printable UTF-8
    (``email.policy.SMTP``: CRLF, 78 columns), so any server takes the message as 7-bit.

Recipients
    A reply goes to the answered message's ``Reply-To`` (else its sender); when that is the team
    itself (answering our own last message) it goes to that message's ``To`` instead. Reply-all
    adds the other ``To``/``Cc`` people as ``Cc``, without the team's addresses (the same rule as
    the reports: ``storage.insight.people.Team``) and without duplicates.

The editor's text
    A header block (``To:``, ``Cc:``, ``Subject:``), one blank line, then the body: room to write,
    the signature after ``-- ``, and the customer's message quoted under ``On DATE, NAME wrote:``.
    :func:`parse_draft` reads it back; a body with nothing written above the signature and quote
    means "do not send".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address as EmailAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, make_msgid

from supportmail.storage.insight.people import Team
from supportmail.storage.models import Address
from supportmail.storage.sanitize import one_line

__all__ = [
    "MAX_REFERENCES",
    "DraftError",
    "DraftText",
    "Original",
    "attribution",
    "build_message",
    "forward_draft",
    "forward_subject",
    "parse_draft",
    "quote",
    "references",
    "render_draft",
    "reply_draft",
    "reply_recipients",
    "reply_subject",
    "written",
]

MAX_REFERENCES = 20
"""References kept at most (the thread's first id and the newest ones)."""

_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|antw|vs|r[ée]f|回复|答复|回覆)(?:\s*\[\d+\])?\s*[:：]\s*)+", re.I
)
_FORWARD_PREFIX = re.compile(r"^(?:\s*(?:fwd|fw|wg|tr)\s*[:：]\s*)+", re.I)
_HEADERS = ("to", "cc", "subject")


class DraftError(ValueError):
    """The edited draft cannot be sent as it is (one line saying what to fix)."""


@dataclass(frozen=True, slots=True)
class Original:
    """The message being answered or forwarded, as the cache and its body give it."""

    message_id: str
    """Bare (no ``<>``)."""
    references: tuple[str, ...]
    in_reply_to: tuple[str, ...]
    subject: str
    sender: Address
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class DraftText:
    """A draft as the user edits it: recipients, subject and body."""

    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    body: str


# -------------------------------------------------------------------------- subjects and ids


def reply_subject(subject: str) -> str:
    """``Re: `` once, whatever reply prefixes (in whatever language) were there."""
    rest = _REPLY_PREFIX.sub("", subject).strip()
    return f"Re: {rest}" if rest else "Re:"


def forward_subject(subject: str) -> str:
    rest = _FORWARD_PREFIX.sub("", subject).strip()
    return f"Fwd: {rest}" if rest else "Fwd:"


def references(original: Original) -> tuple[str, ...]:
    """The References of a reply: the original's chain plus its own id (bare ids)."""
    chain = list(original.references or original.in_reply_to[:1])
    chain.append(original.message_id)
    unique = list(dict.fromkeys(i for i in chain if i))
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return tuple(unique)


def new_message_id(address: str) -> str:
    """A fresh bare Message-ID at the domain of ``address``."""
    domain = address.rpartition("@")[2] or "supportmail.invalid"
    return make_msgid(domain=domain).strip("<>")


# -------------------------------------------------------------------------- recipients


def _unique(people: Iterable[Address], skip: set[str]) -> list[Address]:
    out: list[Address] = []
    for person in people:
        key = person.addr.strip().lower()
        if key and key not in skip:
            skip.add(key)
            out.append(person)
    return out


def reply_recipients(
    original: Original, team: Team, *, reply_all: bool
) -> tuple[tuple[Address, ...], tuple[Address, ...]]:
    """(To, Cc) of a reply; reply-all adds the other people minus the team and duplicates."""
    first = list(original.reply_to) or [original.sender]
    if all(team.includes(p.addr) for p in first if p.addr):
        others = [p for p in original.to if not team.includes(p.addr)]
        first = others or first
    skip: set[str] = set()
    to = _unique(first, skip)
    cc: list[Address] = []
    if reply_all:
        everyone = [*original.to, *original.cc, original.sender]
        cc = _unique((p for p in everyone if not team.includes(p.addr)), skip)
    return tuple(to), tuple(cc)


# -------------------------------------------------------------------------- bodies


def attribution(original: Original) -> str:
    who = original.sender.name or original.sender.addr or "someone"
    if original.date is None:
        return f"{who} wrote:"
    return f"On {original.date:%a, %d %b %Y at %H:%M}, {who} wrote:"


def quote(text: str) -> str:
    """Every line behind ``> `` (``>`` alone for an empty line)."""
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    return "\n".join(
        ">" + (" " + line if line and not line.startswith(">") else line) for line in lines
    )


def _signature(signature: str | None) -> str:
    return f"\n-- \n{signature.strip(chr(10))}\n" if signature and signature.strip() else ""


def reply_draft(
    original: Original, team: Team, *, reply_all: bool, signature: str | None
) -> DraftText:
    to, cc = reply_recipients(original, team, reply_all=reply_all)
    body = "\n" + _signature(signature) + "\n" + attribution(original) + "\n"
    body += quote(original.text) + "\n"
    return DraftText(to, cc, reply_subject(original.subject), body)


def forward_draft(original: Original, to: Sequence[Address], *, signature: str | None) -> DraftText:
    people = ", ".join(p.formatted() for p in original.to)
    header = [
        "---------- Forwarded message ----------",
        f"From: {original.sender.formatted()}",
        f"Date: {format_datetime(original.date) if original.date else '(unknown)'}",
        f"Subject: {original.subject}",
    ]
    if people:
        header.append(f"To: {people}")
    body = "\n" + _signature(signature) + "\n" + "\n".join(header) + "\n\n"
    body += original.text.replace("\r\n", "\n").rstrip("\n") + "\n"
    return DraftText(tuple(to), (), forward_subject(original.subject), body)


# -------------------------------------------------------------------------- the editor's text


def _addresses_text(people: Sequence[Address]) -> str:
    return ", ".join(p.formatted() for p in people)


def render_draft(draft: DraftText) -> str:
    """The text the editor opens: header block, blank line, body."""
    return (
        f"To: {_addresses_text(draft.to)}\n"
        f"Cc: {_addresses_text(draft.cc)}\n"
        f"Subject: {draft.subject}\n\n{draft.body}"
    )


def parse_addresses(value: str, field: str) -> tuple[Address, ...]:
    """``Name <a@b>, c@d`` -> addresses; DraftError names a malformed one."""
    if not value.strip():
        return ()
    out: list[Address] = []
    for name, addr in getaddresses([value]):
        if not addr or "@" not in addr or any(c.isspace() or c in "<>" for c in addr):
            shown = (addr or name or value)[:60]
            raise DraftError(f"{field}: '{shown}' is not an e-mail address")
        out.append(Address(name, addr))
    return tuple(out)


def parse_draft(text: str) -> DraftText:
    """Read the edited text back: header lines up to the first blank line, then the body."""
    head, sep, body = text.replace("\r\n", "\n").partition("\n\n")
    if not sep:
        head, body = text, ""
    fields: dict[str, str] = {}
    last: str | None = None
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and last is not None:  # a folded header line
            fields[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        if not colon or key not in _HEADERS:
            raise DraftError(
                f"header line '{line[:40]}' is not To:, Cc: or Subject: (keep one blank line "
                "between the headers and the text)"
            )
        fields[key] = value.strip()
        last = key
    to = parse_addresses(fields.get("to", ""), "To")
    if not to:
        raise DraftError("To: no recipient")
    cc = parse_addresses(fields.get("cc", ""), "Cc")
    return DraftText(to, cc, fields.get("subject", ""), body)


def written(draft: DraftText, template: DraftText) -> bool:
    """True when the user wrote something: the body differs from the template's and has text
    before the signature or quote."""
    if draft.body.strip() == template.body.strip():
        return False
    own = draft.body.split("\n-- \n", 1)[0]
    lines = [ln for ln in own.split("\n") if ln.strip() and not ln.startswith(">")]
    return bool(lines) and not (len(lines) == 1 and lines[0].rstrip().endswith("wrote:"))


# -------------------------------------------------------------------------- the message


def _email_address(person: Address) -> EmailAddress:
    local, _, domain = person.addr.partition("@")
    return EmailAddress(display_name=person.name, username=local, domain=domain)


def build_message(
    draft: DraftText,
    *,
    sender: Address,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    refs: Sequence[str] = (),
) -> bytes:
    """The message as sent and filed: 7-bit, CRLF line ends (``email.policy.SMTP``)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _email_address(sender)
    msg["To"] = [_email_address(p) for p in draft.to]
    if draft.cc:
        msg["Cc"] = [_email_address(p) for p in draft.cc]
    msg["Subject"] = one_line(draft.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in refs)
    msg["User-Agent"] = "supportmail"
    body = draft.body.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    return msg.as_bytes(policy=SMTP)
