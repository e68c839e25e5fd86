"""The reference links of threading (JWZ steps 1-4; the package docstring has the rules): the
union-find forest, the threader, and :func:`thread_messages`, which adds the subject fallback."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from supportmail.storage.threads.ids import thread_id
from supportmail.storage.threads.subjects import (
    SubjectRoot,
    nfc,
    strip_prefixes,
    subject_merges,
)

__all__ = ["ThreadInput", "link_messages", "thread_id", "thread_messages"]


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
            subject = msg.subject if msg.subject.isascii() else nfc(msg.subject)
            base, replied = strip_prefixes(subject)
            key = " ".join(base.split()).casefold()
            if key:
                found[msg.key] = SubjectRoot(msg.message_id, key, replied, msg.date)
        return found

    def top_of(self, message_id: str) -> str:
        return self.ids[self.forest.top(self.index[message_id])]


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
