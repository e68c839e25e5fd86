"""The tags and outbox facade (``TagsFacade``): tag edits and read marks, durable in the outbox
before the UI shows them (``queue_*``), applied to the cache (``edit_tags``, ``mark_read``),
batched writes, the tag list with counts, the number of edits waiting to be pushed, the parked
edits (their thread left the server)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from supportmail.storage import models  # tag values load with the first edit or tag list
from supportmail.storage.service.core import thread_tags
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.service.mirror import MirrorFacade
from supportmail.storage.service.threads import ThreadsFacade
from supportmail.storage.tags import (
    SEEN,
    TagError,
    canonical_tag,
    encode_keyword,
    keyword_to_tag,
    tag_kind,
    tag_sort_key,
)
from supportmail.storage.threads import thread_id
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:
    from supportmail.storage.models import TagEditResult, TagInfo
    from supportmail.storage.service.parked_edit import ParkedEdit

__all__ = ["TagsFacade"]


class TagsFacade(ThreadsFacade, MirrorFacade):
    """Tag edits and read marks through the outbox, the tag list, the outbox's size, the
    parked edits."""

    def pending_count(self) -> int:
        """Edits waiting to be pushed (parked ones not counted: see ``parked_edits``)."""
        return 0 if self.is_demo else len(self.userdb.outbox(self.account))

    def parked_edits(self, *, raw: bool = False) -> list[ParkedEdit]:
        """Tag edits and read marks a complete sync parked because none of their thread's
        messages is on the server any more, oldest first. They are kept, not pending, and the
        sync that sees one of those Message-IDs again pushes the edit."""
        if self.is_demo:
            return []
        from supportmail.storage.service.parked_edit import ParkedEdit

        out = [
            ParkedEdit(
                thread_id=thread_id(e.thread_root),
                root_message_id=e.thread_root,
                keyword=e.keyword,
                tag=keyword_to_tag(e.keyword),
                add=e.add,
                message_ids=e.message_ids,
                parked=datetime.fromtimestamp(e.parked or e.created).astimezone(),
            )
            for e in self.userdb.outbox(self.account, parked=True)
        ]
        return out if raw else [p.sanitized() for p in out]

    def plan_tag_edits(
        self, ref: str, add: Sequence[str], remove: Sequence[str]
    ) -> tuple[str, list[str], list[str], list[tuple[str, str, bool]]]:
        """(root, tags added, tags removed, [(tag, keyword, on)]) for a tag edit."""
        root = self.resolve(ref)
        try:
            adds = [canonical_tag(t) for t in add]
            removes = [canonical_tag(t) for t in remove]
        except TagError as exc:
            raise ServiceError(str(exc)) from exc
        if not adds and not removes:
            raise ServiceError("nothing to do: give +TAG to add or -TAG to remove")
        current = self.cache.thread(self.account, root)
        on_thread = current.keywords if current is not None else ()
        edits: list[tuple[str, str, bool]] = [(n, encode_keyword(n), True) for n in adds]
        for name in removes:
            # Another client may have stored the same tag under a differently spelled keyword.
            spellings = {encode_keyword(name)}
            spellings.update(k for k in on_thread if keyword_to_tag(k) == name)
            edits.extend((name, kw, False) for kw in sorted(spellings))
        return root, adds, removes, edits

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """The outbox writes inside (``queue_tag_edits``, ``queue_read`` for each thread of a
        selection) are saved together, once, when the block ends (``UserDB.batch``)."""
        try:
            with self.userdb.batch():
                yield
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def queue_tag_edits(
        self, ref: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Make a tag edit durable in the outbox now, before the UI shows it; ``edit_tags(...,
        queued=True)`` (which a UI runs later, in a worker, in the order the edits were queued)
        applies it to the cache. Only reads the cache and writes the userdb, so it never waits
        for a sync that holds the service."""
        if self.is_demo:
            return
        root, _adds, _removes, edits = self.plan_tag_edits(ref, add, remove)
        message_ids = self.cache.thread_message_ids(self.account, root)
        try:
            for _name, keyword, on in edits:
                self.userdb.outbox_put(self.account, root, message_ids, keyword, on)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def edit_tags(
        self,
        ref: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        push: bool = False,
        queued: bool = False,
    ) -> TagEditResult:
        """Add/remove tags on a thread: durable in the outbox first, then applied to the cache.

        ``queued``: ``queue_tag_edits`` already made this edit durable, so the outbox is left
        alone: writing it again here could replace a newer edit of the same tag that the user
        queued meanwhile (tag, untag at once: the untag would be lost to a kill)."""
        root, adds, removes, edits = self.plan_tag_edits(ref, add, remove)
        message_ids = self.cache.thread_message_ids(self.account, root)
        catalog = {t.name for t in self.userdb.catalog()}
        try:
            for name, keyword, on in edits:
                if not self.is_demo and not queued:
                    self.userdb.outbox_put(self.account, root, message_ids, keyword, on)
                self.cache.apply_keyword(self.account, message_ids, keyword, on)
                if on and name not in catalog:
                    self.userdb.add_catalog_tag(name, implicit=True)
                    catalog.add(name)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self.cache.rebuild_threads(self.account, {root})
        self._log(root, [("tag", n) for n in adds] + [("untag", n) for n in removes])
        pushed = False
        push_error: str | None = None
        if push and not self.is_demo:
            try:
                result = self.push()
                pushed = result.pushed > 0
                if result.errors:
                    push_error = result.errors[0]
                elif result.local_only_folders:
                    push_error = "the server does not store keywords; tags stay local"
            except ServiceError as exc:
                push_error = str(exc)
        row = self.cache.thread(self.account, root)
        tags = thread_tags(row.keywords) if row is not None else ()
        return models.TagEditResult(
            thread_id=row.id if row is not None else "",
            tags=tags,
            added=tuple(adds),
            removed=tuple(removes),
            pending=self.pending_count(),
            pushed=pushed,
            push_error=push_error,
        )

    def queue_read(self, ref: str, read: bool = True) -> None:
        """Make a mark read/unread durable in the outbox now, before the UI shows it (as
        ``queue_tag_edits``); ``mark_read(..., queued=True)`` applies it to the cache later."""
        if self.is_demo:
            return
        root = self.resolve(ref)
        message_ids = self.cache.thread_message_ids(self.account, root)
        try:
            self.userdb.outbox_put(self.account, root, message_ids, SEEN, read)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def mark_read(self, ref: str, read: bool = True, *, queued: bool = False) -> int:
        """Mark every message of a thread read (``\\Seen``) or unread. Reading a thread never
        does this by itself. Durable in the outbox like a tag edit; returns edits pending.
        ``queued``: ``queue_read`` wrote the outbox already (see ``edit_tags``)."""
        root = self.resolve(ref)
        message_ids = self.cache.thread_message_ids(self.account, root)
        try:
            if not self.is_demo and not queued:
                self.userdb.outbox_put(self.account, root, message_ids, SEEN, read)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self.cache.apply_keyword(self.account, message_ids, SEEN, read)
        self.cache.rebuild_threads(self.account, {root})
        self._log(root, [("read" if read else "unread", None)])
        return self.pending_count()

    def tags(self) -> list[TagInfo]:
        """The tag catalog and every tag found on threads, with thread counts."""
        counts: dict[str, int] = {}
        for kw, n in self.cache.keyword_counts(self.account).items():
            name = keyword_to_tag(kw)
            if name is not None:
                counts[name] = counts.get(name, 0) + n
        out: dict[str, TagInfo] = {}
        for tag in self.userdb.catalog():
            out[tag.name] = models.TagInfo(
                name=tag.name,
                kind=tag_kind(tag.name),
                keyword=encode_keyword(tag.name),
                threads=counts.get(tag.name, 0),
                in_catalog=True,
                shortcut=tag.shortcut,
                description=tag.description,
                color=tag.color,
            )
        for name, n in counts.items():
            if name not in out:
                out[name] = models.TagInfo(
                    name=name,
                    kind=tag_kind(name),
                    keyword=encode_keyword(name),
                    threads=n,
                    in_catalog=False,
                )
        return sorted(out.values(), key=lambda t: tag_sort_key(t.name))
