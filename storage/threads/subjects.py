"""The subject fallback of threading (JWZ step 5, narrowed; the package docstring has the rules):
normalising a subject, spotting a reply or forward by its prefix, and which reference-less tops
join which."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "SUBJECT_MERGE_WINDOW",
    "SubjectRoot",
    "is_reply_subject",
    "nfc",
    "normalize_subject",
    "strip_prefixes",
    "subject_merges",
]

SUBJECT_MERGE_WINDOW = 60 * 86400.0
"""Roots merged by subject must be dated within this many seconds of each other (60 days)."""


@dataclass(frozen=True, slots=True)
class SubjectRoot:
    """A reference-less real message at the top of its tree: what the subject fallback sees."""

    message_id: str
    key: str
    """Its :func:`normalize_subject` (never empty)."""
    replied: bool
    """The subject carries a reply/forward prefix (:func:`is_reply_subject`)."""
    date: float

    def order(self) -> tuple[float, str]:
        return (self.date, self.message_id)


_PREFIX_WORDS = r"re|aw|wg|fwd|fw|sv|antw|vs|r[ée]f|tr|回复|答复|转发|回覆"
_COUNTER = r"(?:\[\d+\]|\(\d+\)|\^\d+)?"
_REPLY_PREFIX = re.compile(rf"\s*(?:{_PREFIX_WORDS})\s*{_COUNTER}\s*[:：]", re.IGNORECASE)
_BRACKETED_REPLY = re.compile(
    rf"\s*\[\s*(?:{_PREFIX_WORDS})\s*[:：](.*)\]\s*$", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"\s*\[([^\[\]]*)\]")
_TICKET = re.compile(r"#\s*\d")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def strip_prefixes(subject: str) -> tuple[str, bool]:
    """Split off reply/forward prefixes and list tags; keep ticket tags. Returns (base, replied)."""
    text = subject
    pos = 0
    kept: list[str] = []
    replied = False
    while True:
        match = _REPLY_PREFIX.match(text, pos)
        if match:
            pos, replied = match.end(), True
            continue
        match = _BRACKETED_REPLY.match(text, pos)
        if match:
            text, pos, replied = match.group(1), 0, True
            continue
        match = _TAG.match(text, pos)
        if match and text[match.end() :].strip():
            if _TICKET.search(match.group(1)):
                kept.append(match.group(0))
            pos = match.end()
            continue
        break
    kept.append(text[pos:])
    return " ".join(kept), replied


def normalize_subject(subject: str) -> str:
    """The base subject used to group reference-less messages.

    Strips stacked reply/forward prefixes in many languages (``Re:``, ``AW:``, ``Fwd:``, ``SV:``,
    ``Réf.``-style ``Réf:``, ``回复:`` ... also with a full-width colon and with counters such as
    ``Re[2]:``, ``Re(2):``, ``Re^2:``), bracketed forwards (``[Fwd: x]``) and mailing-list tags
    (``[support] Re: x`` -> ``x``). Tags holding a ticket number (``[#12345]``,
    ``[support.example.com #33575]``) are kept because they identify the ticket. Whitespace is
    collapsed and the result casefolded; ``""`` for an empty subject.
    """
    if not subject:
        return ""
    base, _ = strip_prefixes(subject if subject.isascii() else nfc(subject))
    return " ".join(base.split()).casefold()


def is_reply_subject(subject: str) -> bool:
    """True when :func:`normalize_subject` strips a reply or forward prefix from ``subject``."""
    if not subject:
        return False
    return strip_prefixes(subject if subject.isascii() else nfc(subject))[1]


def subject_merges(roots: Iterable[SubjectRoot]) -> dict[str, str]:
    """JWZ step 5, narrowed (see the module docstring): which reference-less tops join which.

    Returns top Message-ID -> the Message-ID of the top it joins; tops that stay on their own
    are absent. Only roots with the same ``key`` interact, so a caller may pass just the
    groups it cares about, each group complete."""
    groups: dict[str, list[SubjectRoot]] = defaultdict(list)
    for root in roots:
        groups[root.key].append(root)
    merged: dict[str, str] = {}
    for group in groups.values():
        if len(group) > 1 and any(root.replied for root in group):
            group.sort(key=SubjectRoot.order)
            _merge_group(group, merged)
    return merged


def _merge_group(group: list[SubjectRoot], merged: dict[str, str]) -> None:
    tickets = [root for root in group if not root.replied]
    ticket_keys = [t.order() for t in tickets]
    anchor: SubjectRoot | None = None
    for reply in (root for root in group if root.replied):
        ticket = _nearest_ticket(tickets, ticket_keys, reply)
        if ticket is not None:
            merged[reply.message_id] = ticket.message_id
        elif anchor is not None and reply.date - anchor.date <= SUBJECT_MERGE_WINDOW:
            merged[reply.message_id] = anchor.message_id
        else:
            anchor = reply


def _nearest_ticket(
    tickets: list[SubjectRoot], keys: list[tuple[float, str]], reply: SubjectRoot
) -> SubjectRoot | None:
    """The non-reply root a reply-by-subject belongs to: the latest before it, else the next."""
    pos = bisect.bisect_left(keys, reply.order())
    if pos > 0 and reply.date - tickets[pos - 1].date <= SUBJECT_MERGE_WINDOW:
        return tickets[pos - 1]
    if pos < len(tickets) and tickets[pos].date - reply.date <= SUBJECT_MERGE_WINDOW:
        return tickets[pos]
    return None
