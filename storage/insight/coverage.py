"""Which threads of an insight have their text in the local cache (``Coverage``).

The insights (``voice``, ``bugs_by_reach``, ``digest`` and ``skim``) count threads from headers
and tags, which every sync brings; what they quote comes from message bodies, which the body
mirror brings later, or never outside its ``bodies`` window. Each insight therefore says how many
of its threads it could read.

What counts as "has local text"
    Every thread speaks through one message, the one the insight quotes or excerpts:

    * ``voice`` and ``bugs_by_reach``: the thread's first message from a customer (a sender that
      is not the team's, :class:`storage.insight.people.Team`); when only the team wrote, its first
      message;
    * ``digest`` and ``skim``: the customer's first message inside the window (the excerpt).

    A thread has local text when that message has a row in the cache's ``bodies`` table: its
    readable text was stored (by the mirror, or when someone opened the thread). An empty text
    (an attachment-only message) counts as mirrored: there is nothing more to fetch. The threads
    counted are exactly the insight's threads (``VoiceReport.threads``, ``BugReach.threads``,
    ``Digest.threads``), so ``with_text + not_mirrored == threads``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from supportmail.storage.insight.digest import digest_message
from supportmail.storage.insight.people import Team
from supportmail.storage.insight.voice import (
    BUG_TAG,
    FEATURE_TAG,
    first_customer_message,
    tagged_in_window,
)
from supportmail.storage.models import Coverage, ReportMessage, ReportThread

__all__ = ["Mirrored", "bugs", "count", "digest", "speaking_message", "voice"]

Mirrored = Callable[[Sequence[int]], set[int]]
"""Of these message row ids, those with a ``bodies`` row (``Cache.rows_with_bodies``)."""


def speaking_message(thread: ReportThread, team: Team) -> ReportMessage | None:
    """The message a quote of the thread comes from: its first customer message, or its first
    message when only the team wrote (None for a thread with no message)."""
    msg = first_customer_message(thread, team)
    if msg is None and thread.messages:
        return thread.messages[0]
    return msg


def count(messages: Iterable[ReportMessage | None], mirrored: Mirrored) -> Coverage:
    """Coverage of threads given by their speaking messages (None: the thread has none, so
    nothing of it can be local)."""
    chosen = list(messages)
    rowids = [m.rowid for m in chosen if m is not None]
    return Coverage(threads=len(chosen), with_text=len(mirrored(rowids)))


def _tagged(
    tag: str,
    threads: Iterable[ReportThread],
    team: Team,
    mirrored: Mirrored,
    since: datetime,
    until: datetime,
) -> Coverage:
    """Of the window's threads with ``tag``, those whose customer words are local."""
    chosen = tagged_in_window(threads, tag, since, until)
    return count((speaking_message(t, team) for t in chosen), mirrored)


def voice(
    threads: Iterable[ReportThread],
    team: Team,
    mirrored: Mirrored,
    *,
    since: datetime,
    until: datetime,
) -> Coverage:
    """Of the window's feature requests, those whose customer words are local."""
    return _tagged(FEATURE_TAG, threads, team, mirrored, since, until)


def bugs(
    threads: Iterable[ReportThread],
    team: Team,
    mirrored: Mirrored,
    *,
    since: datetime,
    until: datetime,
) -> Coverage:
    """Of the window's bugs, those whose customer words are local."""
    return _tagged(BUG_TAG, threads, team, mirrored, since, until)


def digest(
    threads: Iterable[ReportThread],
    team: Team,
    mirrored: Mirrored,
    *,
    since: datetime,
    until: datetime,
) -> Coverage:
    """Of the digest's threads, those whose excerpted message is local."""
    chosen = (digest_message(t, team, since, until) for t in threads)
    return count((m for m in chosen if m is not None), mirrored)
