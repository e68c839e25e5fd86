"""Conversation threading: which thread root does each cached message belong to?

The algorithm follows Jamie Zawinski's message threading (https://www.jwz.org/doc/threading.html),
written for this project and adapted to a support mailbox:

1. **Containers.** Every Message-ID seen (as a message or inside References/In-Reply-To) gets a
   container; an id that is only referenced is a *ghost*.
2. **A message's own parent.** Its parent chain is its References (oldest first) with the first
   In-Reply-To id appended when it is not already the last entry (an earlier occurrence of it in
   References is dropped, which repairs References written newest first); the last id of the
   chain is the parent. Without In-Reply-To the last References id is the parent. A message's own
   id and empty ids are ignored, and a repeated id keeps its first place. A message's own headers
   always decide its own parent (JWZ step 1C).
3. **What other messages say.** Consecutive ids of each chain (``A B`` in ``References: A B C``)
   say "B's parent is A". Such a claim only sets the parent of a container that has no References
   of its own (a ghost, or a real message without References/In-Reply-To), and the first claim
   wins, in (date, Message-ID) order of the claiming messages.
4. **No loops.** A link that would make a container its own ancestor is skipped. When the
   messages' own headers form a cycle (A replies to B, B replies to A), the earliest message of
   the cycle, by (date, Message-ID), becomes the root.
5. **Subject fallback** (JWZ step 5, narrowed): see below.

The thread ROOT is the Message-ID of the top container **even when it is a ghost**. JWZ prunes a
ghost root with a single child for display; we do not, for the root id, because the id must stay
stable: a reply whose References starts with ``<a@x>`` belongs to thread ``a@x`` whether or not
``a@x`` has been fetched yet, so the thread keeps its id (and its notes and tags) when ``a@x``
arrives later or is never fetched at all.

Subject fallback. Support mailboxes hold many unrelated tickets with the same subject ("Password
reset"), so same-subject roots are merged far less eagerly than JWZ (or the server's
``THREAD=REFERENCES``, which made 997 threads out of 3,631 real ones in a 10k-message test
mailbox). Only roots that are real messages without any References/In-Reply-To (other than their
own id) take part. Two of them are merged only when their :func:`normalize_subject` is equal and
non-empty, at least one is a reply/forward by subject (:func:`is_reply_subject`), and their dates
lie within 60 days. Non-reply roots never merge with each other: each reply-by-subject joins the
nearest non-reply root dated before it (or, failing that, the nearest after it) within the window,
so that root - the original ticket - stays the thread root. Replies with no such ticket in reach
are grouped among themselves, rooted at the earliest of them.

Everything is deterministic: the same messages in any order give the same mapping. Duplicate
Message-IDs (the same message in INBOX and Sent) map to the same root; when the copies' headers
differ, the copy with the longest parent chain (then the smallest chain, date and subject) decides.
The implementation is iterative (no recursion), uses a union-find forest to test ancestry in
near-constant time, and threads 250k messages in a few seconds in pure Python.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = [
    "SUBJECT_MERGE_WINDOW",
    "SubjectRoot",
    "ThreadInput",
    "is_reply_subject",
    "link_messages",
    "normalize_subject",
    "subject_merges",
    "thread_id",
    "thread_messages",
]

SUBJECT_MERGE_WINDOW = 60 * 86400.0
"""Roots merged by subject must be dated within this many seconds of each other (60 days)."""


@dataclass(frozen=True, slots=True)
class ThreadInput:
    """The headers threading needs from one cached message."""

    key: int
    """The caller's id (a cache row id); unique per input."""
    message_id: str
    """Bare Message-ID (no ``<>``), never empty (the parser synthesises one when missing)."""
    in_reply_to: tuple[str, ...]
    """Bare ids from In-Reply-To."""
    references: tuple[str, ...]
    """Bare ids from References, oldest first."""
    subject: str
    """Decoded subject."""
    date: float
    """Epoch seconds, 0.0 if unknown."""


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


# -- subjects ---------------------------------------------------------------------------------

_PREFIX_WORDS = r"re|aw|wg|fwd|fw|sv|antw|vs|r[ée]f|tr|回复|答复|转发|回覆"
_COUNTER = r"(?:\[\d+\]|\(\d+\)|\^\d+)?"
_REPLY_PREFIX = re.compile(rf"\s*(?:{_PREFIX_WORDS})\s*{_COUNTER}\s*[:：]", re.IGNORECASE)
_BRACKETED_REPLY = re.compile(
    rf"\s*\[\s*(?:{_PREFIX_WORDS})\s*[:：](.*)\]\s*$", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"\s*\[([^\[\]]*)\]")
_TICKET = re.compile(r"#\s*\d")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _strip_prefixes(subject: str) -> tuple[str, bool]:
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
    base, _ = _strip_prefixes(subject if subject.isascii() else _nfc(subject))
    return " ".join(base.split()).casefold()


def is_reply_subject(subject: str) -> bool:
    """True when :func:`normalize_subject` strips a reply or forward prefix from ``subject``."""
    if not subject:
        return False
    return _strip_prefixes(subject if subject.isascii() else _nfc(subject))[1]


def thread_id(root_message_id: str) -> str:
    """A short stable id for a thread: 12 hex digits of SHA-1 over its root Message-ID."""
    data = root_message_id.encode("utf-8", "surrogatepass")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]


# -- the forest -------------------------------------------------------------------------------


class _Forest:
    """Containers numbered 0..n-1 in a union-find structure that also knows each tree's top.

    Links only ever hang a tree's top container under a node of another tree, so "same set"
    means "same tree", and a link closes a loop exactly when both ends are already in one set.
    """

    __slots__ = ("_size", "_top", "_up")

    def __init__(self) -> None:
        self._up: list[int] = []
        self._top: list[int] = []
        self._size: list[int] = []

    def add(self) -> int:
        """A new, unlinked container; returns its number."""
        node = len(self._up)
        self._up.append(node)
        self._top.append(node)
        self._size.append(1)
        return node

    def _find(self, node: int) -> int:
        up = self._up
        while up[node] != node:
            up[node] = up[up[node]]
            node = up[node]
        return node

    def top(self, node: int) -> int:
        """The root container of ``node``'s tree."""
        return self._top[self._find(node)]

    def has_parent(self, node: int) -> bool:
        return self._top[self._find(node)] != node

    def attach(self, child: int, parent: int) -> bool:
        """Hang ``child`` (the top of its tree) under ``parent``; False when that makes a loop."""
        rc, rp = self._find(child), self._find(parent)
        if rc == rp:
            return False
        top = self._top[rp]
        size = self._size
        if size[rc] > size[rp]:
            rc, rp = rp, rc
        self._up[rc] = rp
        size[rp] += size[rc]
        self._top[rp] = top
        return True


# -- threading --------------------------------------------------------------------------------


def _parent_chain(msg: ThreadInput) -> tuple[str, ...]:
    """The message's ancestors, oldest first; the last one is its parent. Empty for a root."""
    own = msg.message_id
    parent = ""
    for candidate in msg.in_reply_to:
        if candidate and candidate != own:
            parent = candidate
            break
    refs = msg.references
    if not parent:
        for candidate in reversed(refs):
            if candidate and candidate != own:
                parent = candidate
                break
        else:
            return ()
    if not refs:
        return (parent,)
    chain: list[str] = []
    seen = {own, parent}
    for ref in refs:
        if ref and ref not in seen:
            seen.add(ref)
            chain.append(ref)
    chain.append(parent)
    return tuple(chain)


def _clean_date(date: float) -> float:
    return date if math.isfinite(date) else 0.0


@dataclass(slots=True)
class _Message:
    """The chosen copy of one Message-ID, as the threader sees it."""

    node: int
    key: int
    message_id: str
    chain: tuple[str, ...]
    date: float
    subject: str

    def order(self) -> tuple[float, str]:
        return (self.date, self.message_id)


class _Threader:
    """One threading run: containers, own links, claimed links, subject fallback."""

    def __init__(self) -> None:
        self.forest = _Forest()
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.messages: dict[str, _Message] = {}
        self.strings: dict[str, str] = {}
        """Each id string once: 250k messages repeat their thread's ids in every References."""

    def node(self, message_id: str) -> int:
        node = self.index.get(message_id)
        if node is None:
            node = self.forest.add()
            self.index[message_id] = node
            self.ids.append(message_id)
        return node

    def add(self, msg: ThreadInput) -> str:
        """Register one input; of several copies of a Message-ID the richest chain wins.
        Returns the canonical (shared) string of the input's Message-ID."""
        canon = self.strings.setdefault
        message_id = canon(msg.message_id, msg.message_id)
        chain = tuple(canon(c, c) for c in _parent_chain(msg))
        date = _clean_date(msg.date)
        current = self.messages.get(message_id)
        if current is not None:
            mine = (-len(chain), chain, date, msg.subject)
            theirs = (-len(current.chain), current.chain, current.date, current.subject)
            if mine >= theirs:
                return message_id
        node = self.node(message_id)
        # Only reference-less roots are grouped by subject: replies need not keep theirs.
        subject = "" if chain else msg.subject
        self.messages[message_id] = _Message(node, msg.key, message_id, chain, date, subject)
        return message_id

    def link(self) -> None:
        """Own parents first (latest message first, so a cycle keeps its earliest), then claims."""
        ordered = sorted(self.messages.values(), key=_Message.order)
        forest, node = self.forest, self.node
        for msg in reversed(ordered):
            if msg.chain:
                forest.attach(msg.node, node(msg.chain[-1]))
        has_own = {msg.node for msg in ordered if msg.chain}
        for msg in ordered:
            chain = msg.chain
            for i in range(len(chain) - 1):
                child = node(chain[i + 1])
                if child not in has_own and not forest.has_parent(child):
                    forest.attach(child, node(chain[i]))

    def subject_roots(self) -> dict[int, SubjectRoot]:
        """The chosen copies of reference-less real-message tops, by the caller's key: the
        only messages the subject fallback considers."""
        found: dict[int, SubjectRoot] = {}
        top = self.forest.top
        for msg in self.messages.values():
            if msg.chain or not msg.subject or top(msg.node) != msg.node:
                continue
            subject = msg.subject if msg.subject.isascii() else _nfc(msg.subject)
            base, replied = _strip_prefixes(subject)
            key = " ".join(base.split()).casefold()
            if key:
                found[msg.key] = SubjectRoot(msg.message_id, key, replied, msg.date)
        return found

    def top_of(self, message_id: str) -> str:
        return self.ids[self.forest.top(self.index[message_id])]


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


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a run allocates ~1M acyclic objects and the collector
    would rescan them over and over (a quarter of the run time at 250k messages)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def link_messages(messages: Iterable[ThreadInput]) -> tuple[dict[int, str], dict[int, SubjectRoot]]:
    """Steps 1-4 (the reference links) without the subject fallback.

    Returns (key -> the Message-ID of its tree's top, which may be a ghost) and the subject
    candidates: the chosen copy's key -> :class:`SubjectRoot` for every reference-less
    real-message top with a non-empty subject (see :func:`subject_merges`)."""
    with _gc_paused():
        threader = _Threader()
        keys: list[tuple[int, str]] = [(msg.key, threader.add(msg)) for msg in messages]
        threader.strings.clear()
        threader.link()
        tops: dict[str, str] = {}
        result: dict[int, str] = {}
        for key, message_id in keys:
            top = tops.get(message_id)
            if top is None:
                top = tops[message_id] = threader.top_of(message_id)
            result[key] = top
        return result, threader.subject_roots()


def thread_messages(messages: Iterable[ThreadInput]) -> dict[int, str]:
    """Map every input ``key`` to the bare Message-ID of its thread's root.

    Every key appears exactly once; the result does not depend on the input order; any input
    terminates (References loops, self references, very long chains). The root may be a ghost:
    an id that only appears in other messages' References (see the module docstring).
    """
    tops, candidates = link_messages(messages)
    merged = subject_merges(candidates.values())
    if not merged:
        return tops
    return {key: merged.get(top, top) for key, top in tops.items()}
