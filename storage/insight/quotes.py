"""Saved quotes: passages of customers' messages a person chose to keep. Pure functions.

The service stores them in the userdb (``UserDB.add_quote``; local only, never sent to the
server) and turns the stored rows into ``models.SavedQuote`` here. Three jobs:

* :func:`clean_quote` makes the chosen text one tidy line (whitespace collapsed, at most
  :data:`QUOTE_MAX` characters, cut at a word boundary with ``…``);
* :func:`attribution` is the line to paste into a report or a chat:
  ``"Invoices still show our old address." — Tessa Mehta, otterly.example, 2026-05-29
  (thread e3c595ccfd25)`` (the company is left out for free-mail senders);
* :func:`prefer_saved` puts saved quotes first in the voice of the customer: each request shows
  the quotes saved on its threads (newest threads first), then the extracted ones from customers
  not quoted yet, at most :data:`storage.insight.voice.VOICE_QUOTES` in all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo

from supportmail.storage.insight.paragraphs import shorten
from supportmail.storage.insight.people import company_domain
from supportmail.storage.insight.voice import VOICE_QUOTES
from supportmail.storage.models import Address, FeatureRequest, Quote, SavedQuote, VoiceReport
from supportmail.storage.sanitize import sanitize_line
from supportmail.storage.user.journal_rows import StoredQuote

__all__ = ["QUOTE_MAX", "attribution", "clean_quote", "prefer_saved", "saved_quote", "to_quote"]

QUOTE_MAX = 1000
"""Characters a saved quote keeps at most (a longer selection is cut at a word boundary)."""


def clean_quote(text: str) -> str:
    """The quote as one line: whitespace runs become one space, ends trimmed, at most
    :data:`QUOTE_MAX` characters; '' when nothing but whitespace was given."""
    return shorten(text, QUOTE_MAX)


def _parse_when(text: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def saved_quote(stored: StoredQuote, thread_id: str, tz: tzinfo | None) -> SavedQuote:
    """The model of a stored quote, its dates in ``tz``; ``thread_id`` is the thread its message
    belongs to now (threads can merge after the quote was saved)."""
    when = _parse_when(stored.when)
    return SavedQuote(
        id=stored.id,
        thread_id=thread_id,
        root_message_id=stored.root,
        message_id=stored.message_id,
        text=stored.text,
        sender=Address(stored.who_name, stored.who_addr),
        company=company_domain(stored.who_addr),
        date=None if when is None else when.astimezone(tz),
        saved=datetime.fromtimestamp(stored.created, tz),
    )


def attribution(quote: SavedQuote) -> str:
    """``"…" — Name, company.example, YYYY-MM-DD (thread ID)``, safe for a terminal and a
    clipboard (control characters made visible); the date is the message's (else the day the
    quote was saved)."""
    who = [quote.sender.name or quote.sender.addr or "(unknown)"]
    if quote.company:
        who.append(quote.company)
    day = (quote.date or quote.saved).strftime("%Y-%m-%d")
    text = f'"{quote.text}" — {", ".join(who)}, {day} (thread {quote.thread_id})'
    return sanitize_line(text)


def to_quote(quote: SavedQuote) -> Quote:
    """A saved quote as a voice-of-the-customer quote (``saved=True``)."""
    return Quote(
        text=quote.text,
        sender=quote.sender,
        company=quote.company,
        date=quote.date or quote.saved,
        thread_id=quote.thread_id,
        saved=True,
    )


def _merge(
    request: FeatureRequest, saved: Mapping[str, Sequence[Quote]], limit: int
) -> FeatureRequest:
    chosen = [q for tid in request.thread_ids for q in saved.get(tid, ())][:limit]
    if not chosen:
        return request
    quoted = {q.sender.addr.lower() for q in chosen}
    texts = {q.text for q in chosen}
    for quote in request.quotes:
        if len(chosen) >= limit:
            break
        if quote.sender.addr.lower() in quoted or quote.text in texts:
            continue
        chosen.append(quote)
        quoted.add(quote.sender.addr.lower())
    return dataclasses.replace(request, quotes=tuple(chosen))


def prefer_saved(
    voice: VoiceReport, saved: Mapping[str, Sequence[Quote]], limit: int = VOICE_QUOTES
) -> VoiceReport:
    """``voice`` with each request's quotes led by the ones saved on its threads.

    ``saved`` maps a thread id to its saved quotes (oldest saved first). A request takes the
    saved quotes of its threads in its own order (newest thread first), then fills up with the
    extracted quotes of customers it does not quote yet, ``limit`` quotes in all.
    """
    if not saved:
        return voice
    return dataclasses.replace(
        voice, requests=tuple(_merge(r, saved, limit) for r in voice.requests)
    )
